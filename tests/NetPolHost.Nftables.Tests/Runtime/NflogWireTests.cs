using System.Buffers.Binary;
using System.Net;
using System.Text;
using NetPolHost.Nftables.Runtime;

namespace NetPolHost.Nftables.Tests.Runtime;

public sealed class NflogWireTests
{
    private static readonly DateTimeOffset s_received = new(2026, 12, 3, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void BuildConfig_BindWithMode_HasTheKernelsLayout()
    {
        var message = NflogWire.BuildConfig(9, 0, 7, new NflogConfig(
            Command: NflogWire.CommandBind, CopyMode: NflogWire.CopyPacket, CopyRange: 128, FlushTimeout: 1, BufferSize: 32768,
            QueueThreshold: 32, Flags: NflogWire.ConfigFlagSequence), ack: true);

        Assert.Equal(
            "48000000" + "0104" + "0500" + "09000000" + "00000000" // nlmsghdr: length 72, type 0x0401, request|ack, seq 9
            + "00" + "00" + "0007" // nfgenmsg: AF_UNSPEC, version 0, group 7 big endian
            + "0500" + "0100" + "01000000" // NFULA_CFG_CMD: bind, padded
            + "0A00" + "0200" + "00000080" + "02" + "00" + "0000" // NFULA_CFG_MODE: range 128, copy packet, padded
            + "0800" + "0400" + "00000001" // NFULA_CFG_TIMEOUT 1
            + "0800" + "0300" + "00008000" // NFULA_CFG_NLBUFSIZ 32768
            + "0800" + "0500" + "00000020" // NFULA_CFG_QTHRESH 32
            + "0600" + "0600" + "0001" + "0000", // NFULA_CFG_FLAGS: sequence numbers, padded
            Convert.ToHexString(message));
    }

    [Fact]
    public void BuildConfig_ProtocolFamilyUnbind_NamesTheFamilyAndNoGroup()
    {
        var message = NflogWire.BuildConfig(1, 10, 0, new NflogConfig(Command: NflogWire.CommandPfUnbind), ack: false);

        Assert.Equal("1C000000" + "0104" + "0100" + "01000000" + "00000000" + "0A000000" + "0500010004000000", Convert.ToHexString(message));
    }

    [Fact]
    public void TryReadMessage_SeveralInADatagram_StepsOverThePadding()
    {
        var first = Message(NflogWire.MessageNoop, [1, 2, 3, 4, 5]); // 21 bytes, padded to 24
        var second = Message(NflogWire.MessageDone, [9, 9, 9, 9]);
        ReadOnlySpan<byte> datagram = Datagram(first, second);

        Assert.True(NflogWire.TryReadMessage(ref datagram, out var type1, out _, out _, out var payload1));
        Assert.Equal((NflogWire.MessageNoop, "0102030405"), (type1, Convert.ToHexString(payload1)));
        Assert.True(NflogWire.TryReadMessage(ref datagram, out var type2, out _, out _, out var payload2));
        Assert.Equal((NflogWire.MessageDone, "09090909"), (type2, Convert.ToHexString(payload2)));
        Assert.False(NflogWire.TryReadMessage(ref datagram, out _, out _, out _, out _));
    }

    [Fact]
    public void TryReadMessage_LengthBeyondTheDatagramOrBelowTheHeader_Stops()
    {
        var message = Message(NflogWire.MessageNoop, [1, 2, 3, 4]);
        ReadOnlySpan<byte> cut = message.AsSpan(0, message.Length - 1);
        Assert.False(NflogWire.TryReadMessage(ref cut, out _, out _, out _, out _));

        BinaryPrimitives.WriteUInt32LittleEndian(message, 8);
        ReadOnlySpan<byte> tiny = message;
        Assert.False(NflogWire.TryReadMessage(ref tiny, out _, out _, out _, out _));
    }

    [Fact]
    public void TryReadError_AckAndRefusal_GiveTheErrnoAndTheRequest()
    {
        var request = NflogWire.BuildConfig(42, 0, 7, new NflogConfig(Command: NflogWire.CommandBind), ack: true);
        foreach (var errno in new[] { 0, 1 })
        {
            var payload = new byte[4 + request.Length];
            BinaryPrimitives.WriteInt32LittleEndian(payload, -errno);
            request.CopyTo(payload, 4);

            Assert.True(NflogWire.TryReadError(payload, out var read, out var sequence));
            Assert.Equal((errno, 42u), (read, sequence));
        }

        Assert.False(NflogWire.TryReadError(new byte[8], out _, out _));
    }

    [Fact]
    public void TryReadPacket_AllAttributes_FillsTheRecord()
    {
        var prefix = new string('p', 122) + "-é12"; // 127 bytes in UTF-8
        var ip = IpHeaderSummaryTests.V4(6, [], IpHeaderSummaryTests.Ports(40000, 80));
        var payload = PacketPayload(7,
            (1, [0x08, 0x00, 2, 0]), // forward hook
            (3, Timestamp(1_796_306_400, 123_456)),
            (4, BigEndian(3)),
            (5, BigEndian(4)),
            (10, [.. Encoding.UTF8.GetBytes(prefix), 0]),
            (11, BigEndian(1000)), // NFULA_UID, not to be taken for the sequence number
            (12, BigEndian(5)),
            (9, ip));

        Assert.True(NflogWire.TryReadPacket(payload, s_received, new NflogWire.PrefixCache(), out var packet, out var sequence));

        Assert.Equal(127, Encoding.UTF8.GetByteCount(prefix));
        Assert.Equal(
            new NflogPacket(7, prefix, DateTimeOffset.FromUnixTimeSeconds(1_796_306_400).AddTicks(1_234_560), IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"),
                6, 40000, 80, 3, 4, ip.Length) { Hook = 2 },
            packet);
        Assert.Equal(5u, sequence);
    }

    [Fact]
    public void TryReadPacket_NoTimestampNoPrefix_TakesTheReceiveTimeAndAnEmptyPrefix()
    {
        var payload = PacketPayload(300, (1, [0x86, 0xdd, 3, 0]), (5, BigEndian(2)), (9, IpHeaderSummaryTests.V6(58, [], [128, 0, 0, 0])));

        Assert.True(NflogWire.TryReadPacket(payload, s_received, null, out var packet, out var sequence));

        Assert.Equal(((ushort)300, "", s_received, 0, 2, (byte)3, (byte?)128), (packet!.Group, packet.Prefix, packet.Time, packet.InInterface, packet.OutInterface, packet.Hook, packet.IcmpType));
        Assert.Null(sequence);
    }

    [Fact]
    public void TryReadPacket_NoPayloadOrAnAttributeOverrunningTheMessage_IsFalse()
    {
        Assert.False(NflogWire.TryReadPacket(PacketPayload(1, (1, [0x08, 0x00, 2, 0])), s_received, null, out _, out _));
        var overrun = PacketPayload(1, (9, IpHeaderSummaryTests.V4(17, [], IpHeaderSummaryTests.Ports(1, 2))));
        BinaryPrimitives.WriteUInt16LittleEndian(overrun.AsSpan(4), 200);
        Assert.False(NflogWire.TryReadPacket(overrun, s_received, null, out _, out _));
        Assert.False(NflogWire.TryReadPacket([0, 0], s_received, null, out _, out _));
    }

    [Fact]
    public void TryReadPacket_EveryTruncation_NeverThrows()
    {
        var payload = PacketPayload(7, (1, [0x08, 0x00, 2, 0]), (3, Timestamp(1, 2)), (10, "abc\0"u8.ToArray()), (9, IpHeaderSummaryTests.V4(6, [], IpHeaderSummaryTests.Ports(1, 2))));
        for (var length = 0; length <= payload.Length; length++)
        {
            _ = NflogWire.TryReadPacket(payload.AsSpan(0, length), s_received, null, out _, out _);
        }
    }

    [Fact]
    public void PrefixCache_SamePrefixTwice_GivesTheSameString()
    {
        var cache = new NflogWire.PrefixCache();

        var first = cache.Get("netpolhost deny x/b"u8);
        var second = cache.Get("netpolhost deny x/b"u8);

        Assert.Same(first, second);
        Assert.Equal("netpolhost deny x/c", cache.Get("netpolhost deny x/c"u8));
        Assert.Equal(string.Empty, cache.Get([]));
    }

    [Fact]
    public void TryReadPacket_BatchesOf32_MeasuresThePacketsParsedPerSecond()
    {
        // A datagram as the kernel batches it: 32 packet messages (IPv4 TCP SYN, prefix, timestamp) and NLMSG_DONE.
        var messages = Enumerable.Range(0, 32).Select(i => Message(NflogWire.MessagePacket, PacketPayload(7,
            (1, [0x08, 0x00, 2, 0]), (3, Timestamp(1_796_306_400, i)), (4, BigEndian(3)), (5, BigEndian(4)),
            (10, "netpolhost deny x/b ingress\0"u8.ToArray()), (12, BigEndian((uint)i)),
            (9, IpHeaderSummaryTests.V4(6, [], IpHeaderSummaryTests.Ports((ushort)(40000 + i), 80)))))).ToList();
        messages.Add(Message(NflogWire.MessageDone, [0, 0, 0, 0]));
        var datagram = Datagram([.. messages]);
        var cache = new NflogWire.PrefixCache();
        var packets = new List<NflogPacket>(32);

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var total = 0;
        for (var round = 0; round < 10_000; round++)
        {
            packets.Clear();
            ReadOnlySpan<byte> rest = datagram;
            while (NflogWire.TryReadMessage(ref rest, out var type, out _, out _, out var payload))
            {
                if (type == NflogWire.MessagePacket && NflogWire.TryReadPacket(payload, s_received, cache, out var packet, out _))
                {
                    packets.Add(packet!);
                }
            }

            total += packets.Count;
        }

        stopwatch.Stop();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"parsed {total} packets in {stopwatch.Elapsed.TotalMilliseconds:0} ms = {total / stopwatch.Elapsed.TotalSeconds:0} packets/s ({datagram.Length} bytes per 32)");
        Assert.Equal(320_000, total);
    }

    internal static byte[] Message(ushort type, byte[] payload)
    {
        var message = new byte[NflogWire.HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        payload.CopyTo(message, NflogWire.HeaderLength);
        return message;
    }

    internal static byte[] Datagram(params byte[][] messages)
    {
        var datagram = new List<byte>();
        foreach (var message in messages)
        {
            datagram.AddRange(message);
            datagram.AddRange(new byte[NflogWire.Align(message.Length) - message.Length]);
        }

        return [.. datagram];
    }

    internal static byte[] PacketPayload(ushort group, params (ushort Type, byte[] Value)[] attributes)
    {
        var payload = new List<byte> { 2, 0, (byte)(group >> 8), (byte)group };
        foreach (var (type, value) in attributes)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(4 + value.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), type);
            payload.AddRange(header);
            payload.AddRange(value);
            payload.AddRange(new byte[NflogWire.Align(value.Length) - value.Length]);
        }

        return [.. payload];
    }

    internal static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Timestamp(long seconds, long microseconds)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, seconds);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), microseconds);
        return bytes;
    }
}
