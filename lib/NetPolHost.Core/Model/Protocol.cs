namespace NetPolHost.Model;

/// <summary>An IP protocol: the transport protocols NetworkPolicy ports can name (TCP, UDP, SCTP), and ICMP and ICMPv6,
/// which only flows use (a check or probe of <c>ping</c>).</summary>
/// <remarks>Each value is the protocol's IANA number. NetworkPolicy and ClusterNetworkPolicy ports can name only
/// <see cref="Tcp"/>, <see cref="Udp"/> and <see cref="Sctp"/>: <see cref="Validation.PolicyValidator"/> rejects the others in a
/// policy, so rule plans and backends never see them. A policy isolates every protocol, and only a rule without
/// <c>ports</c> admits ICMP.</remarks>
public enum Protocol
{
    /// <summary>ICMP (IPv4). Flows only: such a flow has no port (0).</summary>
    Icmp = 1,

    /// <summary>TCP, the default when a port entry names none.</summary>
    Tcp = 6,

    /// <summary>UDP.</summary>
    Udp = 17,

    /// <summary>ICMPv6. Flows only: such a flow has no port (0).</summary>
    IcmpV6 = 58,

    /// <summary>SCTP.</summary>
    Sctp = 132,
}

/// <summary>Conversions between <see cref="Protocol"/> and its Kubernetes spelling.</summary>
public static class ProtocolNames
{
    /// <summary>The Kubernetes spelling (<c>TCP</c>, <c>UDP</c>, <c>SCTP</c>), and <c>ICMP</c> and <c>ICMPv6</c>.</summary>
    /// <param name="protocol">The protocol.</param>
    /// <returns>The name.</returns>
    public static string ToKubernetesName(this Protocol protocol) => protocol switch
    {
        Protocol.Tcp => "TCP",
        Protocol.Udp => "UDP",
        Protocol.Sctp => "SCTP",
        Protocol.Icmp => "ICMP",
        Protocol.IcmpV6 => "ICMPv6",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };

    /// <summary>Whether the protocol has ports (TCP, UDP, SCTP), as opposed to ICMP and ICMPv6.</summary>
    /// <param name="protocol">The protocol.</param>
    /// <returns><see langword="true"/> for TCP, UDP and SCTP.</returns>
    public static bool HasPorts(this Protocol protocol) => protocol is Protocol.Tcp or Protocol.Udp or Protocol.Sctp;

    /// <summary>Parses the Kubernetes spelling of a port protocol; the API server accepts only upper case, and only TCP,
    /// UDP and SCTP.</summary>
    /// <param name="text">The text.</param>
    /// <param name="protocol">The protocol.</param>
    /// <returns><see langword="true"/> for <c>TCP</c>, <c>UDP</c> or <c>SCTP</c>.</returns>
    public static bool TryParse(string? text, out Protocol protocol)
    {
        switch (text)
        {
            case "TCP":
                protocol = Protocol.Tcp;
                return true;
            case "UDP":
                protocol = Protocol.Udp;
                return true;
            case "SCTP":
                protocol = Protocol.Sctp;
                return true;
            default:
                protocol = Protocol.Tcp;
                return false;
        }
    }

    /// <summary>Parses a port protocol name in any letter case (for command lines): TCP, UDP or SCTP.</summary>
    /// <param name="text">The text.</param>
    /// <param name="protocol">The protocol.</param>
    /// <returns><see langword="true"/> for tcp, udp or sctp in any case.</returns>
    public static bool TryParseIgnoreCase(string? text, out Protocol protocol) => TryParse(text?.ToUpperInvariant(), out protocol);

    /// <summary>Parses the protocol of a flow in any letter case: TCP, UDP, SCTP, ICMP or ICMPv6.</summary>
    /// <param name="text">The text.</param>
    /// <param name="protocol">The protocol.</param>
    /// <returns><see langword="true"/> for one of those names.</returns>
    public static bool TryParseFlowProtocol(string? text, out Protocol protocol)
    {
        switch (text?.ToUpperInvariant())
        {
            case "ICMP":
                protocol = Protocol.Icmp;
                return true;
            case "ICMPV6":
                protocol = Protocol.IcmpV6;
                return true;
            default:
                return TryParseIgnoreCase(text, out protocol);
        }
    }
}
