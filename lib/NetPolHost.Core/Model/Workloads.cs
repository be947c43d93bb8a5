using System.Globalization;
using System.Net;

namespace NetPolHost.Model;

/// <summary>A Kubernetes namespace with its labels.</summary>
/// <remarks>
/// The API server sets <c>kubernetes.io/metadata.name</c> to the namespace's name on every namespace; the loader and
/// <see cref="ClusterSnapshot"/> do the same, so selectors on that label work as on a real cluster.
/// </remarks>
public sealed record Namespace
{
    /// <summary>The label the API server sets to the namespace's name.</summary>
    public const string NameLabel = "kubernetes.io/metadata.name";

    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>metadata.labels</c>.</summary>
    public LabelMap Labels { get; init; } = LabelMap.Empty;

    /// <summary>Returns this namespace with <see cref="NameLabel"/> set as the API server sets it.</summary>
    /// <returns>The normalised namespace.</returns>
    public Namespace Normalize() =>
        Labels.TryGetValue(NameLabel, out var value) && value == Name ? this : this with { Labels = Labels.With(NameLabel, Name) };

    /// <inheritdoc/>
    public override string ToString() => "Namespace " + Name;
}

/// <summary>A named port a container (or host endpoint) serves.</summary>
/// <param name="Name">The port name (IANA_SVC_NAME), or <see langword="null"/>.</param>
/// <param name="Port">The port number.</param>
/// <param name="Protocol">The protocol (TCP when not given).</param>
public sealed record ContainerPort(string? Name, int Port, Protocol Protocol = Protocol.Tcp)
{
    /// <inheritdoc/>
    public override string ToString() =>
        (Name is null ? string.Empty : Name + "=") + Port.ToString(CultureInfo.InvariantCulture) + "/" + Protocol.ToKubernetesName();
}

/// <summary>A pod: what the policy decision needs of it.</summary>
public sealed record Pod
{
    /// <summary><c>metadata.namespace</c>.</summary>
    public required string Namespace { get; init; }

    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>metadata.labels</c>.</summary>
    public LabelMap Labels { get; init; } = LabelMap.Empty;

    /// <summary><c>spec.nodeName</c>, or <see langword="null"/> when not scheduled.</summary>
    public string? NodeName { get; init; }

    /// <summary><c>spec.hostNetwork</c>: such a pod uses its node's addresses and is not selected as a workload.</summary>
    public bool HostNetwork { get; init; }

    /// <summary><c>status.podIPs</c> (or <c>status.podIP</c>): at most one address per family on a real cluster.
    /// IPv4-mapped IPv6 addresses (<c>::ffff:10.0.0.1</c>) are kept as the IPv4 address they stand for.</summary>
    public ValueList<IPAddress> IPs { get; init => field = IpMath.Unmap(value); }

    /// <summary>The container ports of <c>spec.containers[*].ports</c>.</summary>
    public ValueList<ContainerPort> Ports { get; init; }

    /// <summary>Formats as <c>namespace/name</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>A Kubernetes node: its name and addresses.</summary>
public sealed record Node
{
    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>metadata.labels</c>.</summary>
    public LabelMap Labels { get; init; } = LabelMap.Empty;

    /// <summary>The node's IP addresses (<c>status.addresses</c> of type InternalIP and ExternalIP). IPv4-mapped IPv6
    /// addresses are kept as the IPv4 address they stand for.</summary>
    public ValueList<IPAddress> Addresses { get; init => field = IpMath.Unmap(value); }

    /// <inheritdoc/>
    public override string ToString() => "Node " + Name;
}

/// <summary>
/// A host or virtual machine outside Kubernetes that policies select like a pod: it has a namespace-like scope, labels,
/// addresses and named ports (kind <c>HostEndpoint</c>, apiVersion <c>netpolhost.io/v1alpha1</c>).
/// </summary>
/// <remarks>
/// Policies in <see cref="Namespace"/> select it with <c>podSelector</c>; peers select it with <c>podSelector</c> and
/// <c>namespaceSelector</c> as they would a pod. When <see cref="NodeName"/> is set the endpoint is that node's own
/// host: the node's agent enforces its policy on the host's input and output, and traffic between it and the pods of
/// that node is node-local (always allowed).
/// </remarks>
public sealed record HostEndpoint
{
    /// <summary>The apiVersion of the HostEndpoint kind.</summary>
    public const string ApiVersion = "netpolhost.io/v1alpha1";

    /// <summary><c>metadata.namespace</c>: the scope in which policies select this endpoint.</summary>
    public required string Namespace { get; init; }

    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>metadata.labels</c>.</summary>
    public LabelMap Labels { get; init; } = LabelMap.Empty;

    /// <summary><c>spec.nodeName</c>: the node this endpoint is the host of, or <see langword="null"/> for a remote host.</summary>
    public string? NodeName { get; init; }

    /// <summary><c>spec.interfaceName</c>: an interface to restrict enforcement to, or <see langword="null"/> for all.</summary>
    public string? InterfaceName { get; init; }

    /// <summary><c>spec.ips</c>: the endpoint's addresses. IPv4-mapped IPv6 addresses are kept as the IPv4 address
    /// they stand for.</summary>
    public ValueList<IPAddress> IPs { get; init => field = IpMath.Unmap(value); }

    /// <summary><c>spec.ports</c>: named ports the endpoint serves.</summary>
    public ValueList<ContainerPort> Ports { get; init; }

    /// <summary>Formats as <c>namespace/name</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Namespace + "/" + Name;
}
