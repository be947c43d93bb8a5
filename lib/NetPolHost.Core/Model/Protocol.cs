namespace NetPolHost.Model;

/// <summary>A transport protocol that NetworkPolicy ports can name.</summary>
public enum Protocol
{
    /// <summary>TCP, the default when a port entry names none.</summary>
    Tcp = 6,

    /// <summary>UDP.</summary>
    Udp = 17,

    /// <summary>SCTP.</summary>
    Sctp = 132,
}

/// <summary>Conversions between <see cref="Protocol"/> and its Kubernetes spelling.</summary>
public static class ProtocolNames
{
    /// <summary>The Kubernetes spelling (<c>TCP</c>, <c>UDP</c>, <c>SCTP</c>).</summary>
    /// <param name="protocol">The protocol.</param>
    /// <returns>The upper-case name.</returns>
    public static string ToKubernetesName(this Protocol protocol) => protocol switch
    {
        Protocol.Tcp => "TCP",
        Protocol.Udp => "UDP",
        Protocol.Sctp => "SCTP",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Unknown protocol."),
    };

    /// <summary>Parses the Kubernetes spelling; the API server accepts only upper case.</summary>
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

    /// <summary>Parses a protocol name in any letter case (for command lines).</summary>
    /// <param name="text">The text.</param>
    /// <param name="protocol">The protocol.</param>
    /// <returns><see langword="true"/> for tcp, udp or sctp in any case.</returns>
    public static bool TryParseIgnoreCase(string? text, out Protocol protocol) => TryParse(text?.ToUpperInvariant(), out protocol);
}
