using System.Globalization;
using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>What a flow endpoint refers to.</summary>
public enum FlowEndpointKind
{
    /// <summary>A pod, named <c>namespace/name</c>.</summary>
    Pod,

    /// <summary>A host endpoint, named <c>namespace/name</c>.</summary>
    HostEndpoint,

    /// <summary>A Kubernetes node (its addresses are the node's own).</summary>
    Node,

    /// <summary>An address; the matcher resolves it to a pod, host endpoint or node that owns it, else it is outside the cluster.</summary>
    Address,
}

/// <summary>One end of a flow: a pod, host endpoint, node or address.</summary>
public sealed record FlowEndpoint
{
    private FlowEndpoint(FlowEndpointKind kind, string? ns, string? name, IPAddress? address)
    {
        Kind = kind;
        Namespace = ns;
        Name = name;
        Address = address is null ? null : IpMath.Unmap(address);
    }

    /// <summary>The kind of reference.</summary>
    public FlowEndpointKind Kind { get; }

    /// <summary>The namespace of a pod or host endpoint.</summary>
    public string? Namespace { get; }

    /// <summary>The name of a pod, host endpoint or node.</summary>
    public string? Name { get; }

    /// <summary>The address to use (required for <see cref="FlowEndpointKind.Address"/>; optional otherwise); an
    /// IPv4-mapped IPv6 address is kept as the IPv4 address it stands for.</summary>
    public IPAddress? Address { get; }

    /// <summary>A pod, or a host endpoint of that name when no pod has it.</summary>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The name.</param>
    /// <param name="address">One of its addresses, to choose the family; <see langword="null"/> to let the matcher choose.</param>
    /// <returns>The endpoint.</returns>
    public static FlowEndpoint ForPod(string @namespace, string name, IPAddress? address = null) => new(FlowEndpointKind.Pod, @namespace, name, address);

    /// <summary>A host endpoint.</summary>
    /// <param name="namespace">The namespace.</param>
    /// <param name="name">The name.</param>
    /// <param name="address">One of its addresses, or <see langword="null"/>.</param>
    /// <returns>The endpoint.</returns>
    public static FlowEndpoint ForHostEndpoint(string @namespace, string name, IPAddress? address = null) => new(FlowEndpointKind.HostEndpoint, @namespace, name, address);

    /// <summary>A node.</summary>
    /// <param name="name">The node name.</param>
    /// <param name="address">One of its addresses, or <see langword="null"/>.</param>
    /// <returns>The endpoint.</returns>
    public static FlowEndpoint ForNode(string name, IPAddress? address = null) => new(FlowEndpointKind.Node, null, name, address);

    /// <summary>An address (outside the cluster unless a pod, host endpoint or node owns it).</summary>
    /// <param name="address">The address.</param>
    /// <returns>The endpoint.</returns>
    public static FlowEndpoint ForAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new(FlowEndpointKind.Address, null, null, address);
    }

    /// <summary>Parses <c>namespace/name</c>, <c>node:NAME</c>, or an IPv4/IPv6 address.</summary>
    /// <param name="text">The text.</param>
    /// <param name="endpoint">The endpoint.</param>
    /// <returns><see langword="true"/> when the text has one of those forms.</returns>
    public static bool TryParse(string? text, out FlowEndpoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (IpMath.TryParseAddress(text, out var address))
        {
            endpoint = ForAddress(address);
            return true;
        }

        if (text.StartsWith("node:", StringComparison.Ordinal) && text.Length > 5)
        {
            endpoint = ForNode(text[5..]);
            return true;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && slash < text.Length - 1 && text.IndexOf('/', slash + 1) < 0)
        {
            endpoint = ForPod(text[..slash], text[(slash + 1)..]);
            return true;
        }

        return false;
    }

    /// <summary>Formats as <c>namespace/name</c>, <c>node:NAME</c> or the address.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Kind switch
    {
        FlowEndpointKind.Address => Address!.ToString(),
        FlowEndpointKind.Node => "node:" + Name,
        _ => Namespace + "/" + Name,
    };
}

/// <summary>A connection attempt: from a source to a destination port.</summary>
/// <param name="Source">Who opens the connection.</param>
/// <param name="Destination">Who accepts it.</param>
/// <param name="Port">The destination port: 1-65535 for TCP, UDP and SCTP; 0 for ICMP and ICMPv6, which have none.</param>
/// <param name="Protocol">The protocol.</param>
public sealed record Flow(FlowEndpoint Source, FlowEndpoint Destination, int Port, Protocol Protocol = Protocol.Tcp)
{
    /// <summary>An ICMP (or ICMPv6) flow, e.g. a ping: port 0. Policies isolate it like any protocol, and only a rule
    /// without <c>ports</c> admits it.</summary>
    /// <param name="source">Who sends it.</param>
    /// <param name="destination">Who receives it.</param>
    /// <param name="protocol"><see cref="Protocol.Icmp"/> or <see cref="Protocol.IcmpV6"/>.</param>
    /// <returns>The flow.</returns>
    public static Flow Icmp(FlowEndpoint source, FlowEndpoint destination, Protocol protocol = Protocol.Icmp) =>
        protocol is Protocol.Icmp or Protocol.IcmpV6
            ? new Flow(source, destination, 0, protocol)
            : throw new ArgumentException($"{protocol.ToKubernetesName()} is not ICMP or ICMPv6.", nameof(protocol));

    /// <summary>The port and protocol as text: <c>8000/TCP</c>, or <c>ICMP</c> for a flow without ports.</summary>
    public string PortText => Protocol.HasPorts()
        ? Port.ToString(CultureInfo.InvariantCulture) + "/" + Protocol.ToKubernetesName()
        : Protocol.ToKubernetesName();

    /// <inheritdoc/>
    public override string ToString() => $"{Source} -> {Destination} {PortText}";
}

/// <summary>A destination port probed in a truth table.</summary>
/// <param name="Port">The port number.</param>
/// <param name="Protocol">The protocol.</param>
public readonly record struct PortProbe(int Port, Protocol Protocol = Protocol.Tcp) : IComparable<PortProbe>
{
    /// <summary>Parses <c>PORT</c> or <c>PORT/PROTOCOL</c> (protocol in any case; TCP by default).</summary>
    /// <param name="text">The text.</param>
    /// <param name="probe">The probe.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool TryParse(string? text, out PortProbe probe)
    {
        probe = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('/');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        var protocol = Protocol.Tcp;
        if (parts.Length == 2 && !ProtocolNames.TryParseIgnoreCase(parts[1], out protocol))
        {
            return false;
        }

        probe = new PortProbe(port, protocol);
        return true;
    }

    /// <inheritdoc/>
    public int CompareTo(PortProbe other) => Port != other.Port ? Port.CompareTo(other.Port) : Protocol.CompareTo(other.Protocol);

    /// <summary>Formats as <c>80/TCP</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Port.ToString(CultureInfo.InvariantCulture) + "/" + Protocol.ToKubernetesName();
}
