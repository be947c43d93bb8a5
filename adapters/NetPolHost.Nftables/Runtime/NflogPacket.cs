using System.Net;

namespace NetPolHost.Nftables.Runtime;

/// <summary>One packet that an nftables <c>log group N</c> statement sent to NFLOG, as <see cref="NflogReader"/> reads it.</summary>
/// <param name="Group">The NFLOG group (the rule's <c>log group</c>).</param>
/// <param name="Prefix">The rule's <c>prefix</c> (empty when it has none), decoded as UTF-8.</param>
/// <param name="Time">When the kernel saw the packet (its timestamp; for the output and postrouting hooks, which carry
/// none, when the reader received it).</param>
/// <param name="Source">The source address.</param>
/// <param name="Destination">The destination address.</param>
/// <param name="Protocol">The transport protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP, 58 ICMPv6, ...).</param>
/// <param name="SourcePort">The source port; 0 unless TCP, UDP or SCTP.</param>
/// <param name="DestinationPort">The destination port; 0 unless TCP, UDP or SCTP.</param>
/// <param name="InInterface">The index of the interface it came in on, 0 when none (locally generated).</param>
/// <param name="OutInterface">The index of the interface it leaves by, 0 when none (input hook).</param>
/// <param name="Length">The packet length its IP header states.</param>
internal sealed record NflogPacket(
    ushort Group, string Prefix, DateTimeOffset Time, IPAddress Source, IPAddress Destination, byte Protocol,
    ushort SourcePort, ushort DestinationPort, int InInterface, int OutInterface, int Length)
{
    /// <summary>The ICMP or ICMPv6 type, or null when the packet is not ICMP.</summary>
    public byte? IcmpType { get; init; }

    /// <summary>The ICMP or ICMPv6 code, or null when the packet is not ICMP.</summary>
    public byte? IcmpCode { get; init; }

    /// <summary>The netfilter hook that logged it: 0 prerouting, 1 input, 2 forward, 3 output, 4 postrouting.</summary>
    public byte Hook { get; init; }
}
