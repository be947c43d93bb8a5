using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Matching;

internal enum EndpointKind
{
    Pod,
    HostEndpoint,
}

/// <summary>A pod or host endpoint, with what decisions need of it precomputed.</summary>
internal sealed class EndpointInfo
{
    public required int Index { get; init; }

    public required EndpointKind Kind { get; init; }

    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required LabelMap Labels { get; init; }

    public required LabelMap NamespaceLabels { get; init; }

    public string? NodeName { get; init; }

    public bool HostNetwork { get; init; }

    public ValueList<ContainerPort> Ports { get; init; }

    public ValueList<IPAddress> Addresses { get; init; }

    public UInt128 V4 { get; init; }

    public bool HasV4 { get; init; }

    public UInt128 V6 { get; init; }

    public bool HasV6 { get; init; }

    public Pod? Pod { get; init; }

    public HostEndpoint? HostEndpoint { get; init; }

    /// <summary>Whether policies can select it: every host endpoint and every pod that is not hostNetwork.</summary>
    public bool IsWorkload => !HostNetwork;

    /// <summary>The node this endpoint is the host of (hostNetwork pods, host endpoints with a node), else null.</summary>
    public string? HostOf => Kind == EndpointKind.HostEndpoint || HostNetwork ? NodeName : null;

    /// <summary>The node a workload pod runs on, else null.</summary>
    public string? PodNode => Kind == EndpointKind.Pod && !HostNetwork ? NodeName : null;

    public string Display => Namespace + "/" + Name;

    /// <summary>The same endpoint at another index (of a later snapshot, where endpoints came or went before it).</summary>
    public EndpointInfo At(int index) => new()
    {
        Index = index,
        Kind = Kind,
        Namespace = Namespace,
        Name = Name,
        Labels = Labels,
        NamespaceLabels = NamespaceLabels,
        NodeName = NodeName,
        HostNetwork = HostNetwork,
        Ports = Ports,
        Addresses = Addresses,
        V4 = V4,
        HasV4 = HasV4,
        V6 = V6,
        HasV6 = HasV6,
        Pod = Pod,
        HostEndpoint = HostEndpoint,
    };

    /// <summary>0 none, 1 IPv4 only, 2 IPv6 only, 3 both.</summary>
    public int AddressClass => (HasV4 ? 1 : 0) | (HasV6 ? 2 : 0);

    public bool TryGetAddress(bool v6, out UInt128 value)
    {
        value = v6 ? V6 : V4;
        return v6 ? HasV6 : HasV4;
    }

    /// <summary>The port number a named port resolves to on this endpoint, or -1.</summary>
    public int ResolveNamedPort(string name, Protocol protocol)
    {
        if (!IsWorkload)
        {
            return -1;
        }

        foreach (var port in Ports)
        {
            if (port.Protocol == protocol && string.Equals(port.Name, name, StringComparison.Ordinal))
            {
                return port.Port;
            }
        }

        return -1;
    }
}

/// <summary>One port entry of a rule, ready for matching.</summary>
internal readonly record struct PortSpec(Protocol Protocol, int First, int Last, string? Name)
{
    public bool AllPorts => Name is null && First == 0;
}

/// <summary>One peer of a rule, ready for matching.</summary>
internal sealed class PeerSpec
{
    public LabelSelector? PodSelector { get; init; }

    public LabelSelector? NamespaceSelector { get; init; }

    public IPBlock? Block { get; init; }

    public bool MatchesEndpoint(EndpointInfo peer, string policyNamespace)
    {
        if (Block is not null)
        {
            return false;
        }

        if (!peer.IsWorkload)
        {
            return false;
        }

        if (NamespaceSelector is null)
        {
            if (!string.Equals(peer.Namespace, policyNamespace, StringComparison.Ordinal))
            {
                return false;
            }
        }
        else if (!NamespaceSelector.Matches(peer.NamespaceLabels))
        {
            return false;
        }

        return PodSelector is null || PodSelector.Matches(peer.Labels);
    }
}

/// <summary>One rule of a policy, ready for matching.</summary>
internal sealed class CompiledRule
{
    public required int Index { get; init; }

    public required NetworkPolicyRule Rule { get; init; }

    public required PortSpec[] Ports { get; init; }

    public required PeerSpec[] Peers { get; init; }

    public bool AllPorts => Ports.Length == 0;

    public bool AllPeers => Peers.Length == 0;

    public bool HasNamedPorts { get; init; }

    /// <summary>Whether the rule's ports admit <paramref name="port"/>/<paramref name="protocol"/> towards
    /// <paramref name="destination"/> (null for an address outside the cluster).</summary>
    public bool PortMatches(int port, Protocol protocol, EndpointInfo? destination)
    {
        if (Ports.Length == 0)
        {
            return true;
        }

        foreach (var spec in Ports)
        {
            if (spec.Protocol != protocol)
            {
                continue;
            }

            if (spec.Name is not null)
            {
                if (destination is not null && destination.ResolveNamedPort(spec.Name, protocol) == port)
                {
                    return true;
                }
            }
            else if (spec.First == 0 || (port >= spec.First && port <= spec.Last))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the rule's peers admit the other end of the flow.</summary>
    public bool PeerMatches(EndpointInfo? peer, UInt128 address, bool hasAddress, bool v6, string policyNamespace)
    {
        if (Peers.Length == 0)
        {
            return true;
        }

        foreach (var spec in Peers)
        {
            if (spec.Block is not null)
            {
                if (hasAddress && spec.Block.Contains(address, v6))
                {
                    return true;
                }
            }
            else if (peer is not null && spec.MatchesEndpoint(peer, policyNamespace))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A NetworkPolicy ready for matching.</summary>
internal sealed class CompiledPolicy
{
    public required int Index { get; init; }

    public required NetworkPolicy Policy { get; init; }

    public required CompiledRule[] IngressRules { get; init; }

    public required CompiledRule[] EgressRules { get; init; }

    public PolicyRef Ref => Policy.Ref;

    public bool AppliesIngress => Policy.Applies(Direction.Ingress);

    public bool AppliesEgress => Policy.Applies(Direction.Egress);

    public bool Applies(Direction direction) => direction == Direction.Ingress ? AppliesIngress : AppliesEgress;

    public CompiledRule[] Rules(Direction direction) => direction == Direction.Ingress ? IngressRules : EgressRules;

    public bool Selects(EndpointInfo endpoint) =>
        endpoint.IsWorkload
        && string.Equals(endpoint.Namespace, Policy.Namespace, StringComparison.Ordinal)
        && Policy.PodSelector.Matches(endpoint.Labels);

    public static CompiledPolicy Compile(NetworkPolicy policy, int index) => new()
    {
        Index = index,
        Policy = policy,
        IngressRules = [.. policy.Ingress.Select((r, i) => CompileRule(r, i))],
        EgressRules = [.. policy.Egress.Select((r, i) => CompileRule(r, i))],
    };

    private static CompiledRule CompileRule(NetworkPolicyRule rule, int index)
    {
        var ports = rule.Ports.Select(p => p.Port switch
        {
            null => new PortSpec(p.Protocol, 0, 65535, null),
            { IsNamed: true } named => new PortSpec(p.Protocol, -1, -1, named.Name),
            { } number => new PortSpec(p.Protocol, number.Number, p.EndPort ?? number.Number, null),
        }).ToArray();
        var peers = rule.Peers.Select(p => new PeerSpec { PodSelector = p.PodSelector, NamespaceSelector = p.NamespaceSelector, Block = p.IPBlock }).ToArray();
        return new CompiledRule
        {
            Index = index,
            Rule = rule,
            Ports = ports,
            Peers = peers,
            HasNamedPorts = ports.Any(p => p.Name is not null),
        };
    }
}

/// <summary>The snapshot indexed for decisions: endpoints sorted by namespace and name, policies by namespace,
/// addresses to owners.</summary>
internal sealed class ClusterIndex
{
    private readonly Dictionary<string, CompiledPolicy[]> _policiesByNamespace;
    private readonly Dictionary<string, (int Start, int End)> _namespaceRanges;
    private readonly Dictionary<(UInt128, bool), string> _nodeByAddress = [];
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);

    // Lookups by name and by address, built on first use: an incremental compilation over a large cluster needs none
    // of them, and building them is most of the cost of indexing.
    private Lookups? _lookups;
    private readonly Lock _lookupsLock = new();

    public ClusterIndex(ClusterSnapshot snapshot)
        : this(snapshot, null)
    {
    }

    /// <summary>Indexes a snapshot, taking from <paramref name="previous"/> (the index of an earlier snapshot) the
    /// endpoints and policies that are the same objects at the same places.</summary>
    public ClusterIndex(ClusterSnapshot snapshot, ClusterIndex? previous)
    {
        Snapshot = snapshot;
        var items = Merge(snapshot.Pods, snapshot.HostEndpoints);

        var nsLabels = new Dictionary<string, LabelMap>(StringComparer.Ordinal);
        Endpoints = new EndpointInfo[items.Count];
        _namespaceRanges = new(StringComparer.Ordinal);
        var previousEndpoints = previous?.Endpoints ?? [];
        string? currentNs = null;
        var currentStart = 0;
        var labels = LabelMap.Empty;
        for (var i = 0; i < items.Count; i++)
        {
            var (ns, name, kind, pod, host) = items[i];
            if (currentNs is null || !string.Equals(ns, currentNs, StringComparison.Ordinal))
            {
                // Endpoints are sorted by namespace: each namespace is one contiguous range.
                if (currentNs is not null)
                {
                    _namespaceRanges[currentNs] = (currentStart, i);
                }

                (currentNs, currentStart) = (ns, i);
                labels = snapshot.NamespaceLabels(ns);
                nsLabels[ns] = labels;
            }

            // The same object as before at the same place is reused; at another place (an endpoint added or removed
            // before it) it is copied with its new index.
            EndpointInfo info;
            if (i < previousEndpoints.Length && Same(previousEndpoints[i], kind, pod, host) && previousEndpoints[i].NamespaceLabels.Equals(labels))
            {
                info = previousEndpoints[i];
            }
            else if (previous is not null && Moved(previousEndpoints, i, items.Count, kind, pod, host) is { } moved && moved.NamespaceLabels.Equals(labels))
            {
                info = moved.At(i);
            }
            else
            {
                info = NewEndpoint(i, ns, name, kind, pod, host, labels);
            }

            Endpoints[i] = info;
        }

        if (currentNs is not null)
        {
            _namespaceRanges[currentNs] = (currentStart, items.Count);
        }

        FinishNodes(snapshot);
        Policies = new CompiledPolicy[snapshot.Policies.Count];
        for (var i = 0; i < Policies.Length; i++)
        {
            var policy = snapshot.Policies[i];
            Policies[i] = previous is not null && i < previous.Policies.Length && ReferenceEquals(previous.Policies[i].Policy, policy)
                ? previous.Policies[i]
                : CompiledPolicy.Compile(policy, i);
        }

        AdminPolicies = CompiledClusterPolicy.CompileTier(snapshot.ClusterPolicies, PolicyTier.Admin);
        BaselinePolicies = CompiledClusterPolicy.CompileTier(snapshot.ClusterPolicies, PolicyTier.Baseline);
        _policiesByNamespace = Policies.GroupBy(p => p.Policy.Namespace, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        NamespaceLabelsByName = nsLabels;
    }

    private static bool Same(EndpointInfo before, int kind, Pod? pod, HostEndpoint? host) =>
        kind == 0 ? before.Kind == EndpointKind.Pod && ReferenceEquals(before.Pod, pod) : before.Kind == EndpointKind.HostEndpoint && ReferenceEquals(before.HostEndpoint, host);

    /// <summary>The previous endpoint of the same object a few places away (endpoints added or removed before it).</summary>
    private static EndpointInfo? Moved(EndpointInfo[] before, int i, int count, int kind, Pod? pod, HostEndpoint? host)
    {
        // The shift is what the lengths differ by when a few endpoints came or went; look a few places either way.
        var shift = before.Length - count;
        foreach (var at in (ReadOnlySpan<int>)[i + shift, i - 1, i + 1, i - 2, i + 2])
        {
            if (at >= 0 && at < before.Length && at != i && Same(before[at], kind, pod, host))
            {
                return before[at];
            }
        }

        return null;
    }

    /// <summary>The lookups by name and address (built once, on first use; thread-safe).</summary>
    private Lookups Lookup
    {
        get
        {
            if (Volatile.Read(ref _lookups) is { } built)
            {
                return built;
            }

            lock (_lookupsLock)
            {
                if (_lookups is null)
                {
                    Volatile.Write(ref _lookups, new Lookups(Endpoints));
                }

                return _lookups;
            }
        }
    }

    /// <summary>Endpoints by name and workloads by address, and the addresses several workloads share.</summary>
    private sealed class Lookups
    {
        public Lookups(EndpointInfo[] endpoints)
        {
            Pods = new(endpoints.Length);
            foreach (var info in endpoints)
            {
                if (info.Kind == EndpointKind.Pod)
                {
                    Pods[(info.Namespace, info.Name)] = info;
                }
                else
                {
                    HostEndpoints[(info.Namespace, info.Name)] = info;
                }

                if (info.IsWorkload)
                {
                    foreach (var address in info.Addresses)
                    {
                        var key = (IpMath.ToUInt128(address, out var isV6), isV6);
                        if (!WorkloadByAddress.TryAdd(key, info))
                        {
                            SharedAddresses.Add(key);
                        }
                    }
                }
            }
        }

        public Dictionary<(string, string), EndpointInfo> Pods { get; }

        public Dictionary<(string, string), EndpointInfo> HostEndpoints { get; } = [];

        public Dictionary<(UInt128, bool), EndpointInfo> WorkloadByAddress { get; } = [];

        public HashSet<(UInt128 Value, bool V6)> SharedAddresses { get; } = [];
    }

    /// <summary>Pods and host endpoints (each sorted by namespace and name, ordinal) merged in that order, a pod before a
    /// host endpoint of the same name.</summary>
    private static List<(string Ns, string Name, int Kind, Pod? Pod, HostEndpoint? Host)> Merge(ValueList<Pod> pods, ValueList<HostEndpoint> hosts)
    {
        var items = new List<(string Ns, string Name, int Kind, Pod? Pod, HostEndpoint? Host)>(pods.Count + hosts.Count);
        int i = 0, j = 0;
        while (i < pods.Count || j < hosts.Count)
        {
            var takePod = j == hosts.Count;
            if (!takePod && i < pods.Count)
            {
                var c = string.CompareOrdinal(pods[i].Namespace, hosts[j].Namespace);
                if (c == 0)
                {
                    c = string.CompareOrdinal(pods[i].Name, hosts[j].Name);
                }

                takePod = c <= 0;
            }

            if (takePod)
            {
                var p = pods[i++];
                items.Add((p.Namespace, p.Name, 0, p, null));
            }
            else
            {
                var h = hosts[j++];
                items.Add((h.Namespace, h.Name, 1, null, h));
            }
        }

        return items;
    }

    private static EndpointInfo NewEndpoint(int i, string ns, string name, int kind, Pod? pod, HostEndpoint? host, LabelMap labels)
    {
        // A pod and a host endpoint are told apart by kind, never by "??": a pending pod has no node name, and
        // falling through to the (absent) host endpoint would fail.
        var addresses = pod is not null ? pod.IPs : host!.IPs;
        var v4 = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        var v6 = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);
        return new EndpointInfo
        {
            Index = i,
            Kind = kind == 0 ? EndpointKind.Pod : EndpointKind.HostEndpoint,
            Namespace = ns,
            Name = name,
            Labels = pod is not null ? pod.Labels : host!.Labels,
            NamespaceLabels = labels,
            NodeName = pod is not null ? pod.NodeName : host!.NodeName,
            HostNetwork = pod is not null && pod.HostNetwork,
            Ports = pod is not null ? pod.Ports : host!.Ports,
            Addresses = addresses,
            HasV4 = v4 is not null,
            V4 = v4 is null ? default : IpMath.ToUInt128(v4, out _),
            HasV6 = v6 is not null,
            V6 = v6 is null ? default : IpMath.ToUInt128(v6, out _),
            Pod = pod,
            HostEndpoint = host,
        };
    }

    private void FinishNodes(ClusterSnapshot snapshot)
    {
        foreach (var node in snapshot.Nodes)
        {
            _nodes[node.Name] = node;
            foreach (var address in node.Addresses)
            {
                _nodeByAddress.TryAdd((IpMath.ToUInt128(address, out var isV6), isV6), node.Name);
            }
        }

        foreach (var pod in Endpoints.Where(e => e.HostNetwork && e.NodeName is not null))
        {
            foreach (var address in pod.Addresses)
            {
                _nodeByAddress.TryAdd((IpMath.ToUInt128(address, out var isV6), isV6), pod.NodeName!);
            }
        }
    }

    public ClusterSnapshot Snapshot { get; }

    /// <summary>Addresses that more than one workload has.</summary>
    public HashSet<(UInt128 Value, bool V6)> SharedAddresses => Lookup.SharedAddresses;

    /// <summary>Whether more than one workload has the address. Without the lookups built, a walk over the endpoints
    /// (for a few addresses, cheaper than building them).</summary>
    public bool IsSharedAddress((UInt128 Value, bool V6) address)
    {
        if (Volatile.Read(ref _lookups) is { } built)
        {
            return built.SharedAddresses.Contains(address);
        }

        var owners = 0;
        foreach (var info in Endpoints)
        {
            if (!info.IsWorkload)
            {
                continue;
            }

            if (info.Addresses.Count == 1)
            {
                // One address: the precomputed value of its family.
                if (info.TryGetAddress(address.V6, out var value) && value == address.Value && ++owners > 1)
                {
                    return true;
                }

                continue;
            }

            foreach (var a in info.Addresses)
            {
                if (IpMath.ToUInt128(a, out var v6) == address.Value && v6 == address.V6 && ++owners > 1)
                {
                    return true;
                }
            }
        }

        return false;
    }

    public EndpointInfo[] Endpoints { get; }

    public CompiledPolicy[] Policies { get; }

    /// <summary>The Admin tier's ClusterNetworkPolicies, in the order of evaluation.</summary>
    public CompiledClusterPolicy[] AdminPolicies { get; }

    /// <summary>The Baseline tier's ClusterNetworkPolicies, in the order of evaluation.</summary>
    public CompiledClusterPolicy[] BaselinePolicies { get; }

    public CompiledClusterPolicy[] Tier(PolicyTier tier) => tier == PolicyTier.Admin ? AdminPolicies : BaselinePolicies;

    public IReadOnlyDictionary<string, LabelMap> NamespaceLabelsByName { get; }

    public IReadOnlyDictionary<string, (int Start, int End)> NamespaceRanges => _namespaceRanges;

    public CompiledPolicy[] PoliciesIn(string ns) => _policiesByNamespace.TryGetValue(ns, out var list) ? list : [];

    public EndpointInfo? FindPod(string ns, string name) => Lookup.Pods.GetValueOrDefault((ns, name));

    public EndpointInfo? FindHostEndpoint(string ns, string name) => Lookup.HostEndpoints.GetValueOrDefault((ns, name));

    public Node? FindNode(string name) => _nodes.GetValueOrDefault(name);

    public EndpointInfo? WorkloadByAddress(UInt128 address, bool v6) => Lookup.WorkloadByAddress.GetValueOrDefault((address, v6));

    public string? NodeByAddress(UInt128 address, bool v6) => _nodeByAddress.GetValueOrDefault((address, v6));

    /// <summary>Every address <see cref="NodeByAddress"/> knows (Node addresses, then hostNetwork pods' addresses), with
    /// its node.</summary>
    public IEnumerable<(UInt128 Value, bool V6, string Node)> NodeAddresses => _nodeByAddress.Select(p => (p.Key.Item1, p.Key.Item2, p.Value));

    public LabelMap LabelsOfNamespace(string ns) => NamespaceLabelsByName.TryGetValue(ns, out var labels) ? labels : Snapshot.NamespaceLabels(ns);
}
