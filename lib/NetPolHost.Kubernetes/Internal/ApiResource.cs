namespace NetPolHost.Kubernetes.Internal;

/// <summary>A kind the source lists and watches, with where the API serves it.</summary>
/// <param name="Plural">The resource name, e.g. <c>pods</c>.</param>
/// <param name="Kind">The object kind, e.g. <c>Pod</c>.</param>
/// <param name="ApiVersion">The object apiVersion, e.g. <c>v1</c>.</param>
/// <param name="Namespaced">Whether objects live in namespaces.</param>
internal sealed record ApiResource(string Plural, string Kind, string ApiVersion, bool Namespaced)
{
    /// <summary>Whether the resource comes from a CRD that a cluster may not have: a list answered with 404 Not Found
    /// then means "none of them", not an error.</summary>
    public bool Optional { get; init; }

    public static ApiResource Namespaces { get; } = new("namespaces", "Namespace", "v1", false);

    public static ApiResource Pods { get; } = new("pods", "Pod", "v1", true);

    public static ApiResource Nodes { get; } = new("nodes", "Node", "v1", false);

    public static ApiResource NetworkPolicies { get; } = new("networkpolicies", "NetworkPolicy", "networking.k8s.io/v1", true);

    public static ApiResource ClusterNetworkPolicies { get; } = new("clusternetworkpolicies", "ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2", false) { Optional = true };

    public static ApiResource AdminNetworkPolicies { get; } = new("adminnetworkpolicies", "AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", false) { Optional = true };

    public static ApiResource BaselineAdminNetworkPolicies { get; } = new("baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", false) { Optional = true };

    /// <summary>Everything the source watches.</summary>
    public static IReadOnlyList<ApiResource> All { get; } =
        [Namespaces, Pods, Nodes, NetworkPolicies, ClusterNetworkPolicies, AdminNetworkPolicies, BaselineAdminNetworkPolicies];

    /// <summary>The resource with its group and version, e.g. <c>clusternetworkpolicies.policy.networking.k8s.io/v1alpha2</c>.</summary>
    public string FullName => ApiVersion.Contains('/', StringComparison.Ordinal) ? Plural + "." + ApiVersion : Plural;

    /// <summary>The group/version prefix, e.g. <c>/api/v1</c> or <c>/apis/networking.k8s.io/v1</c>.</summary>
    public string Prefix => ApiVersion.Contains('/', StringComparison.Ordinal) ? "/apis/" + ApiVersion : "/api/" + ApiVersion;

    /// <summary>The collection across all namespaces, e.g. <c>/api/v1/pods</c>.</summary>
    public string CollectionPath => Prefix + "/" + Plural;

    /// <summary>The path of one object, used as the "file" of its diagnostics.</summary>
    public string ObjectPath(string @namespace, string name) =>
        Namespaced ? $"{Prefix}/namespaces/{@namespace}/{Plural}/{name}" : $"{Prefix}/{Plural}/{name}";

    /// <summary>The key of an object in the store: <c>namespace/name</c>, or the name of a cluster-scoped object.</summary>
    public string Key(string @namespace, string name) => Namespaced ? @namespace + "/" + name : name;

    /// <inheritdoc/>
    public override string ToString() => Plural;
}
