using System.Buffers.Binary;
using System.Net;
using NetPolHost.Nftables.Runtime;

namespace NetPolHost.Nftables.Tests.Runtime;

public sealed class IpHeaderSummaryTests
{
    private static readonly IPAddress s_a4 = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress s_b4 = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress s_a6 = IPAddress.Parse("fd00::1");
    private static readonly IPAddress s_b6 = IPAddress.Parse("fd00::2");

    [Fact]
    public void TryParse_Ipv4Tcp_ReadsAddressesPortsAndLength()
    {
        var packet = V4(6, [], Ports(40000, 80), totalLength: 60);

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal(new IpHeaderSummary(s_a4, s_b4, 6, 40000, 80, 60, null, null), s);
    }

    [Fact]
    public void TryParse_Ipv4WithOptions_FindsTheTransportHeaderAfterThem()
    {
        // IHL 7: a 4-byte router alert and a 4-byte NOP NOP NOP EOL.
        var packet = V4(17, [0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00], Ports(5353, 53));

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal((17, 5353, 53), (s.Protocol, s.SourcePort, s.DestinationPort));
    }

    [Fact]
    public void TryParse_Ipv4Icmp_ReadsTypeAndCodeAndNoPorts()
    {
        var packet = V4(1, [], [8, 0, 0xf7, 0xff, 0, 1, 0, 1]);

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal((1, (ushort)0, (ushort)0, (byte?)8, (byte?)0), (s.Protocol, s.SourcePort, s.DestinationPort, s.IcmpType, s.IcmpCode));
    }

    [Fact]
    public void TryParse_Ipv4LaterFragment_HasNoPorts()
    {
        var packet = V4(6, [], Ports(40000, 80));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 185); // offset 185 × 8 bytes

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal((6, (ushort)0, (ushort)0), (s.Protocol, s.SourcePort, s.DestinationPort));
    }

    [Fact]
    public void TryParse_Ipv6Udp_ReadsAddressesPortsAndLength()
    {
        var packet = V6(17, [], Ports(1234, 53));

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal(new IpHeaderSummary(s_a6, s_b6, 17, 1234, 53, packet.Length, null, null), s);
    }

    [Fact]
    public void TryParse_Ipv6WithHopByHop_WalksToTheTransportHeader()
    {
        // Hop-by-hop: next TCP, length 0 (8 bytes): a router alert option and PadN.
        var packet = V6(0, [6, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00], Ports(40001, 443));

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal((6, 40001, 443), (s.Protocol, s.SourcePort, s.DestinationPort));
    }

    [Fact]
    public void TryParse_Ipv6WithAChainOfExtensionHeaders_WalksThemAll()
    {
        byte[] chain =
        [
            43, 0, 0, 0, 0, 0, 0, 0, // hop-by-hop (8 bytes), next routing
            60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // routing, length 1 (16 bytes), next destination options
            44, 0, 1, 4, 0, 0, 0, 0, // destination options (8 bytes), next fragment
            51, 0, 0, 1, 0, 0, 0, 42, // fragment, offset 0 with more fragments, next AH
            132, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, // AH, length 1 ((1 + 2) × 4 = 12 bytes), next SCTP
        ];
        var packet = V6(0, chain, Ports(2905, 2905));

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal((132, 2905, 2905), (s.Protocol, s.SourcePort, s.DestinationPort));
    }

    [Fact]
    public void TryParse_Ipv6LaterFragment_NamesTheFragmentsProtocolWithoutPorts()
    {
        var packet = V6(44, [17, 0, 0x05, 0xa8, 0, 0, 0, 42], Ports(1, 2));

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal((17, (ushort)0, (ushort)0), (s.Protocol, s.SourcePort, s.DestinationPort));
    }

    [Fact]
    public void TryParse_Icmpv6_ReadsTypeAndCode()
    {
        var packet = V6(58, [], [128, 0, 0, 0, 0, 1, 0, 1]);

        Assert.True(IpHeaderSummary.TryParse(packet, out var s));

        Assert.Equal((58, (byte?)128, (byte?)0), (s.Protocol, s.IcmpType, s.IcmpCode));
    }

    [Fact]
    public void TryParse_NotIp_IsFalse()
    {
        Assert.False(IpHeaderSummary.TryParse([], out _));
        Assert.False(IpHeaderSummary.TryParse(new byte[40], out _));
        Assert.False(IpHeaderSummary.TryParse([0x55, .. new byte[39]], out _));
        var badIhl = V4(6, [], Ports(1, 2));
        badIhl[0] = 0x44;
        Assert.False(IpHeaderSummary.TryParse(badIhl, out _));
    }

    [Fact]
    public void TryParse_EveryTruncation_NeverThrowsAndKeepsWhatIsThere()
    {
        byte[][] packets =
        [
            V4(6, [], Ports(40000, 80)),
            V4(17, [1, 1, 1, 0], Ports(5353, 53)),
            V4(1, [], [8, 0, 0, 0]),
            V6(6, [], Ports(40000, 80)),
            V6(0, [6, 0, 0, 0, 0, 0, 0, 0], Ports(40001, 443)),
            V6(0, [44, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0], Ports(1, 2)),
            V6(58, [], [128, 0]),
        ];
        foreach (var packet in packets)
        {
            Assert.True(IpHeaderSummary.TryParse(packet, out var whole));
            for (var length = 0; length < packet.Length; length++)
            {
                // The addresses end at byte 20 (IPv4) or 40 (IPv6): from there on, the packet is readable.
                var ok = IpHeaderSummary.TryParse(packet.AsSpan(0, length), out var cut);
                Assert.Equal(length >= (packet[0] >> 4 == 4 ? 20 : 40), ok);
                if (ok)
                {
                    Assert.Equal((whole.Source, whole.Destination), (cut.Source, cut.Destination));
                    Assert.True(cut.SourcePort == whole.SourcePort || cut.SourcePort == 0);
                    Assert.True(cut.IcmpType == whole.IcmpType || cut.IcmpType is null);
                }
            }
        }
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        var random = new Random(11);
        var buffer = new byte[160];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            buffer[0] = (byte)((random.Next(2) == 0 ? 0x40 : 0x60) | (buffer[0] & 0x0f));
            buffer[6] = (byte)(random.Next(4) switch { 0 => 0, 1 => 44, 2 => 51, _ => buffer[6] });
            _ = IpHeaderSummary.TryParse(buffer.AsSpan(0, random.Next(buffer.Length + 1)), out _);
        }
    }

    internal static byte[] Ports(ushort source, ushort destination)
    {
        var bytes = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, source);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), destination);
        return bytes;
    }

    internal static byte[] V4(byte protocol, byte[] options, byte[] transport, int? totalLength = null, IPAddress? source = null, IPAddress? destination = null)
    {
        var header = 20 + options.Length;
        var packet = new byte[header + transport.Length];
        packet[0] = (byte)(0x40 | (header / 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(totalLength ?? packet.Length));
        packet[8] = 64;
        packet[9] = protocol;
        (source ?? s_a4).GetAddressBytes().CopyTo(packet, 12);
        (destination ?? s_b4).GetAddressBytes().CopyTo(packet, 16);
        options.CopyTo(packet, 20);
        transport.CopyTo(packet, header);
        return packet;
    }

    internal static byte[] V6(byte next, byte[] extensions, byte[] transport, IPAddress? source = null, IPAddress? destination = null)
    {
        var packet = new byte[40 + extensions.Length + transport.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(extensions.Length + transport.Length));
        packet[6] = next;
        packet[7] = 64;
        (source ?? s_a6).GetAddressBytes().CopyTo(packet, 8);
        (destination ?? s_b6).GetAddressBytes().CopyTo(packet, 24);
        extensions.CopyTo(packet, 40);
        transport.CopyTo(packet, 40 + extensions.Length);
        return packet;
    }
}
