namespace NetPolHost.Model;

/// <summary>
/// An immutable value of everything a policy decision depends on: namespaces, pods, nodes, host endpoints,
/// NetworkPolicies and ClusterNetworkPolicies, and the Services that connections may be addressed to.
/// </summary>
/// <remarks>
/// Objects are kept sorted by namespace and name, so two snapshots of the same objects compare equal whatever the order
/// they were read in. Namespaces get the <c>kubernetes.io/metadata.name</c> label as the API server sets it; a namespace
/// that pods or policies use but that is not listed behaves as a namespace with only that label.
/// </remarks>
public sealed class ClusterSnapshot : IEquatable<ClusterSnapshot>
{
    private readonly Dictionary<string, Namespace> _namespaces;
    private readonly Dictionary<(string, string), Pod> _pods;
    private readonly Dictionary<(string, string), HostEndpoint> _hostEndpoints;
    private readonly Dictionary<string, Node> _nodes;

    /// <summary>The snapshot without objects.</summary>
    public static ClusterSnapshot Empty { get; } = Create();

    private ClusterSnapshot(
        ValueList<Namespace> namespaces,
        ValueList<Pod> pods,
        ValueList<Node> nodes,
        ValueList<HostEndpoint> hostEndpoints,
        ValueList<NetworkPolicy> policies,
        ValueList<ClusterNetworkPolicy> clusterPolicies,
        ValueList<Service> services)
    {
        Namespaces = namespaces;
        Pods = pods;
        Nodes = nodes;
        HostEndpoints = hostEndpoints;
        Policies = policies;
        ClusterPolicies = clusterPolicies;
        Services = services;
        _namespaces = new(StringComparer.Ordinal);
        foreach (var ns in namespaces)
        {
            _namespaces[ns.Name] = ns;
        }

        _pods = new();
        foreach (var pod in pods)
        {
            _pods[(pod.Namespace, pod.Name)] = pod;
        }

        _hostEndpoints = new();
        foreach (var endpoint in hostEndpoints)
        {
            _hostEndpoints[(endpoint.Namespace, endpoint.Name)] = endpoint;
        }

        _nodes = new(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            _nodes[node.Name] = node;
        }
    }

    /// <summary>Creates a snapshot; later objects with the same identity replace earlier ones.</summary>
    /// <param name="namespaces">Namespaces.</param>
    /// <param name="pods">Pods.</param>
    /// <param name="nodes">Nodes.</param>
    /// <param name="hostEndpoints">Host endpoints.</param>
    /// <param name="policies">NetworkPolicies.</param>
    /// <param name="clusterPolicies">ClusterNetworkPolicies (cluster-scoped; later ones with the same name replace
    /// earlier ones).</param>
    /// <param name="services">Services.</param>
    /// <returns>The snapshot.</returns>
    public static ClusterSnapshot Create(
        IEnumerable<Namespace>? namespaces = null,
        IEnumerable<Pod>? pods = null,
        IEnumerable<Node>? nodes = null,
        IEnumerable<HostEndpoint>? hostEndpoints = null,
        IEnumerable<NetworkPolicy>? policies = null,
        IEnumerable<ClusterNetworkPolicy>? clusterPolicies = null,
        IEnumerable<Service>? services = null)
    {
        var nsByName = new SortedDictionary<string, Namespace>(StringComparer.Ordinal);
        foreach (var ns in namespaces ?? [])
        {
            nsByName[ns.Name] = ns.Normalize();
        }

        return new ClusterSnapshot(
            nsByName.Values.ToValueList(),
            SortByKey(pods, p => (p.Namespace, p.Name)),
            SortByKey(nodes, n => (string.Empty, n.Name)),
            SortByKey(hostEndpoints, h => (h.Namespace, h.Name)),
            SortByKey(policies, p => (p.Namespace, p.Name)),
            SortByKey(clusterPolicies, p => (string.Empty, p.Name)),
            SortByKey(services, s => (s.Namespace, s.Name)));
    }

    private static ValueList<T> SortByKey<T>(IEnumerable<T>? items, Func<T, (string, string)> key)
    {
        var sorted = new SortedDictionary<(string, string), T>(OrdinalPairComparer.Instance);
        foreach (var item in items ?? [])
        {
            sorted[key(item)] = item;
        }

        return sorted.Values.ToValueList();
    }

    /// <summary>The namespaces, sorted by name, each with <c>kubernetes.io/metadata.name</c> set.</summary>
    public ValueList<Namespace> Namespaces { get; }

    /// <summary>The pods, sorted by namespace and name.</summary>
    public ValueList<Pod> Pods { get; }

    /// <summary>The nodes, sorted by name.</summary>
    public ValueList<Node> Nodes { get; }

    /// <summary>The host endpoints, sorted by namespace and name.</summary>
    public ValueList<HostEndpoint> HostEndpoints { get; }

    /// <summary>The NetworkPolicies, sorted by namespace and name.</summary>
    public ValueList<NetworkPolicy> Policies { get; }

    /// <summary>The ClusterNetworkPolicies of both tiers, sorted by name (the order of evaluation is
    /// <see cref="ClusterNetworkPolicy.CompareEvaluationOrder"/>).</summary>
    public ValueList<ClusterNetworkPolicy> ClusterPolicies { get; }

    /// <summary>The Services, sorted by namespace and name.</summary>
    public ValueList<Service> Services { get; }

    /// <summary>The labels of a namespace; an unlisted namespace has only <c>kubernetes.io/metadata.name</c>.</summary>
    /// <param name="name">The namespace name.</param>
    /// <returns>The labels.</returns>
    public LabelMap NamespaceLabels(string name) =>
        _namespaces.TryGetValue(name, out var ns) ? ns.Labels : LabelMap.Of(Namespace.NameLabel, name);

    /// <summary>Whether the namespace is listed.</summary>
    /// <param name="name">The namespace name.</param>
    /// <returns><see langword="true"/> when a Namespace object with that name is in the snapshot.</returns>
    public bool HasNamespace(string name) => _namespaces.ContainsKey(name);

    /// <summary>Finds a pod.</summary>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The name.</param>
    /// <returns>The pod, or <see langword="null"/>.</returns>
    public Pod? FindPod(string @namespace, string name) => _pods.GetValueOrDefault((@namespace, name));

    /// <summary>Finds a host endpoint.</summary>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The name.</param>
    /// <returns>The host endpoint, or <see langword="null"/>.</returns>
    public HostEndpoint? FindHostEndpoint(string @namespace, string name) => _hostEndpoints.GetValueOrDefault((@namespace, name));

    /// <summary>Finds a Service.</summary>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The name.</param>
    /// <returns>The Service, or <see langword="null"/>.</returns>
    public Service? FindService(string @namespace, string name) =>
        Services.FirstOrDefault(s => s.Namespace == @namespace && s.Name == name);

    /// <summary>Finds the Service with a cluster IP.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The Service, or <see langword="null"/>.</returns>
    public Service? FindServiceByClusterIP(System.Net.IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var unmapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return Services.FirstOrDefault(s => s.ClusterIPs.Contains(unmapped));
    }

    /// <summary>Finds a node.</summary>
    /// <param name="name">The node name.</param>
    /// <returns>The node, or <see langword="null"/>.</returns>
    public Node? FindNode(string name) => _nodes.GetValueOrDefault(name);

    /// <summary>Whether anything places itself on a node: its Node object, a pod with that <c>spec.nodeName</c> or a
    /// host endpoint with that <c>nodeName</c>. A plan for a node nothing names is empty, which is how a mistyped node
    /// name would lift enforcement.</summary>
    /// <param name="name">The node name.</param>
    /// <returns><see langword="true"/> when something names it.</returns>
    public bool NamesNode(string name) =>
        FindNode(name) is not null || Pods.Any(p => p.NodeName == name) || HostEndpoints.Any(h => h.NodeName == name);

    /// <summary>Returns a snapshot with the given objects added or replaced.</summary>
    /// <param name="namespaces">Namespaces to add.</param>
    /// <param name="pods">Pods to add.</param>
    /// <param name="nodes">Nodes to add.</param>
    /// <param name="hostEndpoints">Host endpoints to add.</param>
    /// <param name="policies">Policies to add.</param>
    /// <param name="clusterPolicies">ClusterNetworkPolicies to add.</param>
    /// <param name="services">Services to add.</param>
    /// <returns>The new snapshot.</returns>
    public ClusterSnapshot With(
        IEnumerable<Namespace>? namespaces = null,
        IEnumerable<Pod>? pods = null,
        IEnumerable<Node>? nodes = null,
        IEnumerable<HostEndpoint>? hostEndpoints = null,
        IEnumerable<NetworkPolicy>? policies = null,
        IEnumerable<ClusterNetworkPolicy>? clusterPolicies = null,
        IEnumerable<Service>? services = null) =>
        Create(
            Namespaces.Concat(namespaces ?? []),
            Pods.Concat(pods ?? []),
            Nodes.Concat(nodes ?? []),
            HostEndpoints.Concat(hostEndpoints ?? []),
            Policies.Concat(policies ?? []),
            ClusterPolicies.Concat(clusterPolicies ?? []),
            Services.Concat(services ?? []));

    /// <inheritdoc/>
    public bool Equals(ClusterSnapshot? other) =>
        other is not null
        && Namespaces.Equals(other.Namespaces)
        && Pods.Equals(other.Pods)
        && Nodes.Equals(other.Nodes)
        && HostEndpoints.Equals(other.HostEndpoints)
        && Policies.Equals(other.Policies)
        && ClusterPolicies.Equals(other.ClusterPolicies)
        && Services.Equals(other.Services);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ClusterSnapshot);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Namespaces, Pods, Nodes, HostEndpoints, Policies, ClusterPolicies, Services);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Namespaces.Count} namespaces, {Pods.Count} pods, {Nodes.Count} nodes, {HostEndpoints.Count} host endpoints, {Policies.Count} policies"
        + (ClusterPolicies.IsEmpty ? string.Empty : $", {ClusterPolicies.Count} cluster policies")
        + (Services.IsEmpty ? string.Empty : $", {Services.Count} services");

    private sealed class OrdinalPairComparer : IComparer<(string, string)>
    {
        public static readonly OrdinalPairComparer Instance = new();

        public int Compare((string, string) x, (string, string) y)
        {
            var c = string.CompareOrdinal(x.Item1, y.Item1);
            return c != 0 ? c : string.CompareOrdinal(x.Item2, y.Item2);
        }
    }
}
