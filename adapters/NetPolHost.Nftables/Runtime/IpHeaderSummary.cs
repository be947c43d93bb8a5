using System.Buffers.Binary;
using System.Net;

namespace NetPolHost.Nftables.Runtime;

/// <summary>
/// What a flow record needs from the start of an IP packet (as NFLOG copies it: the IP header onward, possibly cut
/// short): addresses, the transport protocol, ports and ICMP type.
/// </summary>
/// <remarks>
/// IPv4 (RFC 791): the header is IHL × 4 bytes (options included), the protocol is byte 9, and only the first
/// fragment (offset 0) carries the transport header. IPv6 (RFC 8200): a fixed 40-byte header, then a chain of
/// extension headers, each naming the next; hop-by-hop, routing, destination options, mobility, HIP and shim6
/// headers are (length + 1) × 8 bytes, the fragment header is 8 bytes (a non-first fragment has no transport header),
/// AH (RFC 4302) is (length + 2) × 4 bytes, and ESP or "no next header" end the walk. TCP, UDP and SCTP start with
/// the source and destination ports; ICMP and ICMPv6 with type and code. A payload cut short keeps what it has:
/// ports stay 0 when their bytes are missing.
/// </remarks>
/// <param name="Source">The source address.</param>
/// <param name="Destination">The destination address.</param>
/// <param name="Protocol">The transport protocol number (IPv6: the header where the extension chain walk stopped).</param>
/// <param name="SourcePort">The source port; 0 unless TCP, UDP or SCTP with the port bytes present.</param>
/// <param name="DestinationPort">The destination port; 0 unless TCP, UDP or SCTP with the port bytes present.</param>
/// <param name="Length">The packet length its IP header states (IPv4 total length; IPv6 40 + payload length).</param>
/// <param name="IcmpType">The ICMP or ICMPv6 type, or null.</param>
/// <param name="IcmpCode">The ICMP or ICMPv6 code, or null.</param>
internal readonly record struct IpHeaderSummary(
    IPAddress Source, IPAddress Destination, byte Protocol, ushort SourcePort, ushort DestinationPort, int Length, byte? IcmpType, byte? IcmpCode)
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmpv6 = 58;
    public const byte Sctp = 132;

    /// <summary>Reads the headers of an IPv4 or IPv6 packet; false when not even the addresses are there.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out IpHeaderSummary summary)
    {
        summary = default;
        if (packet.IsEmpty)
        {
            return false;
        }

        return (packet[0] >> 4) switch
        {
            4 => TryParseV4(packet, out summary),
            6 => TryParseV6(packet, out summary),
            _ => false,
        };
    }

    private static bool TryParseV4(ReadOnlySpan<byte> packet, out IpHeaderSummary summary)
    {
        summary = default;
        var headerLength = (packet[0] & 0x0f) * 4;
        if (packet.Length < 20 || headerLength < 20)
        {
            return false;
        }

        var protocol = packet[9];
        var fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1fff;
        summary = new IpHeaderSummary(
            new IPAddress(packet.Slice(12, 4)), new IPAddress(packet.Slice(16, 4)), protocol, 0, 0,
            BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), null, null);
        if (fragmentOffset == 0 && packet.Length > headerLength)
        {
            summary = WithTransport(summary, packet[headerLength..], protocol == Icmp);
        }

        return true;
    }

    private static bool TryParseV6(ReadOnlySpan<byte> packet, out IpHeaderSummary summary)
    {
        summary = default;
        if (packet.Length < 40)
        {
            return false;
        }

        var next = packet[6];
        var offset = 40;
        var transport = true;

        // Bounded: a chain longer than this is not a packet a flow record needs to look into.
        for (var hops = 0; hops < 16; hops++)
        {
            int length;
            switch (next)
            {
                case 0 or 43 or 60 or 135 or 139 or 140:
                    if (packet.Length < offset + 2)
                    {
                        transport = false;
                        goto done;
                    }

                    length = (packet[offset + 1] + 1) * 8;
                    break;
                case 44:
                    if (packet.Length < offset + 4)
                    {
                        transport = false;
                        goto done;
                    }

                    if ((BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) >> 3) != 0)
                    {
                        // A later fragment: the transport header is in the first one.
                        next = packet[offset];
                        transport = false;
                        goto done;
                    }

                    length = 8;
                    break;
                case 51:
                    if (packet.Length < offset + 2)
                    {
                        transport = false;
                        goto done;
                    }

                    length = (packet[offset + 1] + 2) * 4;
                    break;
                default:
                    goto done;
            }

            next = packet[offset];
            offset += length;
        }

        transport = false;
    done:
        summary = new IpHeaderSummary(
            new IPAddress(packet.Slice(8, 16)), new IPAddress(packet.Slice(24, 16)), next, 0, 0,
            40 + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]), null, null);
        if (transport && packet.Length > offset)
        {
            summary = WithTransport(summary, packet[offset..], next == Icmpv6);
        }

        return true;
    }

    private static IpHeaderSummary WithTransport(IpHeaderSummary summary, ReadOnlySpan<byte> transport, bool icmp)
    {
        if (summary.Protocol is Tcp or Udp or Sctp && transport.Length >= 4)
        {
            return summary with
            {
                SourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport),
                DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]),
            };
        }

        if (icmp && transport.Length >= 2)
        {
            return summary with { IcmpType = transport[0], IcmpCode = transport[1] };
        }

        return summary;
    }
}
