using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using NetPolHost.Model;
using NetPolHost.Nftables.Runtime;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>The NFLOG reader against real packets: a tiny nft table of the test's own logs new connections forwarded
/// between pods of a lab node, and the reader, opened in the node's namespace, must see them.</summary>
[Trait("Category", "Integration")]
public sealed partial class NflogReaderTests
{
    private static readonly TimeSpan s_deliveryBound = TimeSpan.FromSeconds(3);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static void SkipIfUnavailable() => Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);

    private static void Output(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task ReadAllAsync_TcpAndUdpBetweenPods_ArriveWithinASecondWithTheirFields()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create(dualStack: true);
        Install(lab, """
            table inet nflogtest {
              chain forward {
                type filter hook forward priority 0; policy accept;
                ct state new meta l4proto tcp log group 7 prefix "tcp-new"
                ct state new meta l4proto udp log group 8 prefix "udp-new"
              }
            }
            """);
        using var reader = NflogReader.Open([7, 8], lab.Node);
        var arrivals = new ConcurrentQueue<(NflogPacket Packet, long At)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var pump = Collect(reader, arrivals, stop.Token);
        var a = lab.Lab.Pods["x/a"];
        var b = lab.Lab.Pods["x/b"];
        var inIndex = IfIndex(lab.Node, "v0");
        var outIndex = IfIndex(lab.Node, "v1");

        var latencies = new List<TimeSpan>();

        // The lab's first IPv6 connection waits about 2 s for neighbour discovery: not the reader's latency.
        Assert.True(await lab.Lab.ProbeAsync("x/a", b.Address6!, 80, Protocol.Tcp, TimeSpan.FromSeconds(5)));
        foreach (var (source, destination) in new[] { (a.Address, b.Address), (a.Address6!, b.Address6!) })
        {
            var sent = Stopwatch.GetTimestamp();
            using var client = await lab.Lab.ConnectAsync("x/a", destination, 80);
            var tcpPort = (ushort)((IPEndPoint)client.LocalEndPoint!).Port;
            var tcp = await WaitFor(arrivals, p => p.Group == 7 && p.SourcePort == tcpPort && p.Source.Equals(source));
            latencies.Add(Stopwatch.GetElapsedTime(sent, tcp.At));
            AssertRecord(tcp.Packet, 7, "tcp-new", source, destination, 6, tcpPort, 80, inIndex, outIndex);

            sent = Stopwatch.GetTimestamp();
            var udpPort = SendUdp(a.Namespace, destination, 80);
            var udp = await WaitFor(arrivals, p => p.Group == 8 && p.SourcePort == udpPort && p.Source.Equals(source));
            latencies.Add(Stopwatch.GetElapsedTime(sent, udp.At));
            AssertRecord(udp.Packet, 8, "udp-new", source, destination, 17, udpPort, 80, inIndex, outIndex);
        }

        await stop.CancelAsync();
        await pump;
        Output($"delivery latency (send to reader): {string.Join(", ", latencies.Select(l => l.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms"))}");
        Assert.All(latencies, l => Assert.True(l < TimeSpan.FromSeconds(1), $"a record took {l.TotalMilliseconds:0} ms"));
        Assert.Equal(0, reader.Lost);
        Assert.Equal(0, reader.Unparsed);
    }

    [Fact]
    public async Task Read_PrefixOf127Bytes_ArrivesIntact()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        var prefix = string.Concat(Enumerable.Repeat("netpolhost:x/b:ingress:0:", 4)) + "0123456789abcdefghijklmnopq";
        Assert.Equal(127, prefix.Length);
        Install(lab, $$"""
            table inet nflogtest {
              chain forward {
                type filter hook forward priority 0; policy accept;
                ct state new tcp dport 81 log group 7 prefix "{{prefix}}"
              }
            }
            """);
        using var reader = NflogReader.Open([7], lab.Node);

        using var client = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("x/b"), 81);
        var packets = ReadUntil(reader, 1, s_deliveryBound);

        var packet = Assert.Single(packets);
        Assert.Equal(prefix, packet.Prefix);
        Assert.Equal((ushort)81, packet.DestinationPort);
    }

    [Fact]
    public async Task Open_TwoReadersOnTwoGroups_EachSeesItsOwnAndAThirdCannotTakeAHeldGroup()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        Install(lab, """
            table inet nflogtest {
              chain forward {
                type filter hook forward priority 0; policy accept;
                ct state new meta l4proto tcp log group 7 prefix "tcp"
                ct state new meta l4proto udp log group 8 prefix "udp"
              }
            }
            """);
        var tcpReader = NflogReader.Open([7], lab.Node);
        using var udpReader = NflogReader.Open([8], lab.Node);

        var refused = Assert.Throws<BackendUnavailableException>(() => NflogReader.Open([7], lab.Node));
        Assert.Equal(
            "Backend 'nftables' is not available: cannot bind NFLOG group 7: another reader holds the group in this network namespace "
            + "(another netpolhost, ulogd, tcpdump -i nflog), or this process lacks CAP_NET_ADMIN (errno 1: Operation not permitted).",
            refused.Message);

        using (var client = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("x/b"), 80))
        {
            var udpPort = SendUdp(lab.Lab.Pods["x/a"].Namespace, SmallLab.Ip("x/b"), 80);
            var tcp = Assert.Single(ReadUntil(tcpReader, 1, s_deliveryBound));
            var udp = Assert.Single(ReadUntil(udpReader, 1, s_deliveryBound));
            Assert.Equal((7, "tcp", (byte)6), (tcp.Group, tcp.Prefix, tcp.Protocol));
            Assert.Equal((8, "udp", (byte)17, udpPort), (udp.Group, udp.Prefix, udp.Protocol, udp.SourcePort));
        }

        // Disposing unbinds: the group can be taken again.
        tcpReader.Dispose();
        using var again = NflogReader.Open([7], lab.Node);
        using var second = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("x/b"), 81);
        Assert.Equal((ushort)81, Assert.Single(ReadUntil(again, 1, s_deliveryBound)).DestinationPort);
    }

    [Fact]
    public async Task Read_FloodOf10000SynsBehindARateLimit_DeliversAtMostTheBurstAndTheRate()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        Install(lab, """
            table inet nflogtest {
              counter syns {}
              chain forward {
                type filter hook forward priority 0; policy accept;
                ct state new tcp dport 9 counter name "syns" limit rate 10/second burst 50 packets log group 9 prefix "flood"
              }
            }
            """);
        using var reader = NflogReader.Open([9], lab.Node);
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        var start = Stopwatch.GetTimestamp();
        var reading = Task.Run(() => CountUntilQuiet(reader, TimeSpan.FromSeconds(1.5)), Token);
        SendSyns(lab.Lab.Pods["x/a"], SmallLab.Ip("x/b"), 9, 10_000);
        var floodTime = Stopwatch.GetElapsedTime(start);
        var logged = await reading;
        var window = Stopwatch.GetElapsedTime(start);
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);

        var syns = CounterPackets(lab, "syns");
        var bound = 50 + (int)Math.Ceiling(10 * window.TotalSeconds) + 5;
        Output($"flood: 10000 SYNs sent in {floodTime.TotalMilliseconds:0} ms, {syns} new connections reached the rule, {logged} records in {window.TotalSeconds:0.0} s (bound {bound}), lost {reader.Lost}, managed heap {(memoryAfter - memoryBefore) / 1024} KiB larger");
        Assert.True(syns >= 5_000, $"only {syns} of 10000 SYNs reached the rule");
        Assert.InRange(logged, 50, bound);
        Assert.Equal(0, reader.Lost);
    }

    [Fact]
    public async Task Read_ReaderFallsBehindAnUnlimitedFlood_TheKernelDropsAndEveryPacketIsAccountedFor()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        Install(lab, """
            table inet nflogtest {
              counter logged {}
              chain forward {
                type filter hook forward priority 0; policy accept;
                ct state new tcp dport 10 counter name "logged" log group 10
              }
            }
            """);
        using var reader = NflogReader.Open([10], lab.Node, new NflogReaderOptions { ReceiveBufferSize = 256 * 1024 });

        // Nobody reads during the flood: the socket buffer fills and the kernel drops whole batches.
        SendSyns(lab.Lab.Pods["x/a"], SmallLab.Ip("x/b"), 10, 10_000);
        var received = CountUntilQuiet(reader, TimeSpan.FromSeconds(1));

        // Losses show as a gap in the kernel's sequence numbers, so those at the end count when the next packet comes.
        SendSyns(lab.Lab.Pods["x/a"], SmallLab.Ip("x/b"), 10, 1, firstSourcePort: 60_000);
        received += CountUntilQuiet(reader, TimeSpan.FromSeconds(1));

        var logged = CounterPackets(lab, "logged");
        Output($"unread flood: {logged} logged by the kernel, {received} received, {reader.Lost} lost, {reader.Overruns} overruns");
        Assert.Equal(logged, received + reader.Lost);
        Assert.True(reader.Overruns > 0, "the socket never overflowed");
        Assert.InRange(received, 1, logged / 2);
    }

    [Fact]
    public async Task ReadAllAsync_ConsumerStallsDuringAFlood_HoldsABoundedNumberAndAccountsForTheRest()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        Install(lab, """
            table inet nflogtest {
              counter logged {}
              chain forward {
                type filter hook forward priority 0; policy accept;
                ct state new tcp dport 12 counter name "logged" log group 12
              }
            }
            """);
        using var reader = NflogReader.Open([12], lab.Node, new NflogReaderOptions { ReceiveBufferSize = 256 * 1024 });
        var stream = reader.ReadAllAsync(Token).GetAsyncEnumerator(Token);
        try
        {
            // The first packet starts the stream; then the consumer stops taking packets while 20000 more come.
            var first = stream.MoveNextAsync();
            SendSyns(lab.Lab.Pods["x/a"], SmallLab.Ip("x/b"), 12, 1, firstSourcePort: 60_000);
            Assert.True(await first);
            SendSyns(lab.Lab.Pods["x/a"], SmallLab.Ip("x/b"), 12, 20_000);
            await Task.Delay(TimeSpan.FromSeconds(1), Token);
            var heldWhileStalled = reader.Received;

            // The consumer resumes: everything held comes out; once drained, a last packet makes the losses at the end
            // visible (sent only after draining, so that it cannot itself be dropped by the full socket).
            var consumed = 1L;
            var pending = stream.MoveNextAsync().AsTask();
            var markerSent = false;
            while (true)
            {
                if (await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(markerSent ? 5 : 1), Token)) != pending)
                {
                    Assert.False(markerSent, "the last packet never arrived");
                    SendSyns(lab.Lab.Pods["x/a"], SmallLab.Ip("x/b"), 12, 1, firstSourcePort: 61_000);
                    markerSent = true;
                    continue;
                }

                Assert.True(await pending);
                consumed++;
                if (stream.Current.SourcePort == 61_000)
                {
                    break;
                }

                pending = stream.MoveNextAsync().AsTask();
            }

            var logged = CounterPackets(lab, "logged");
            Output($"stalled consumer: {logged} logged, {heldWhileStalled} read while stalled (stream buffer 4096 + one read), {consumed} consumed, {reader.Lost} lost, {reader.Overruns} overruns");
            Assert.InRange(heldWhileStalled, 1, 4096 + (64 * 32) + 1);
            Assert.Equal(logged, consumed + reader.Lost);
            Assert.True(reader.Lost > 0, "nothing was dropped: the flood did not outrun the stalled consumer");
        }
        finally
        {
            reader.Dispose();
            await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task Read_UnlimitedFloodReadAlongside_MeasuresTheEventRate()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        Install(lab, """
            table inet nflogtest {
              counter logged {}
              chain forward {
                type filter hook forward priority 0; policy accept;
                ct state new tcp dport 11 counter name "logged" log group 11 prefix "netpolhost deny x/b ingress"
              }
            }
            """);
        using var reader = NflogReader.Open([11], lab.Node);
        const int Syns = 40_000;

        long firstAt = 0, lastAt = 0;
        var reading = Task.Run(() =>
        {
            var batch = new List<NflogPacket>();
            var count = 0;
            while (reader.Read(batch, TimeSpan.FromSeconds(1)) > 0)
            {
                if (count == 0)
                {
                    firstAt = Stopwatch.GetTimestamp();
                }

                count += batch.Count;
                lastAt = Stopwatch.GetTimestamp();
                batch.Clear();
            }

            return count;
        }, Token);
        var start = Stopwatch.GetTimestamp();
        SendSyns(lab.Lab.Pods["x/a"], SmallLab.Ip("x/b"), 11, Syns);
        var floodTime = Stopwatch.GetElapsedTime(start);
        var received = await reading;

        var logged = CounterPackets(lab, "logged");
        var seconds = Stopwatch.GetElapsedTime(firstAt, lastAt).TotalSeconds;
        Output($"rate: {Syns} SYNs sent in {floodTime.TotalMilliseconds:0} ms ({Syns / floodTime.TotalSeconds:0} /s), {logged} logged, "
            + $"{received} received in {seconds * 1000:0} ms = {received / Math.Max(seconds, 1e-3):0} events/s, lost {reader.Lost}, overruns {reader.Overruns}");
        Assert.Equal(logged, received + reader.Lost);
        Assert.True(received > logged / 2, $"the reader kept only {received} of {logged}");
    }

    private static void AssertRecord(
        NflogPacket packet, ushort group, string prefix, IPAddress source, IPAddress destination, byte protocol, ushort sourcePort, ushort destinationPort,
        int inIndex, int outIndex)
    {
        Assert.Equal(
            (group, prefix, source, destination, protocol, sourcePort, destinationPort, inIndex, outIndex, (byte)2),
            (packet.Group, packet.Prefix, packet.Source, packet.Destination, packet.Protocol, packet.SourcePort, packet.DestinationPort, packet.InInterface, packet.OutInterface, packet.Hook));
        Assert.InRange(packet.Length, 28, 100);
        Assert.InRange(packet.Time, TimeProvider.System.GetUtcNow().AddSeconds(-10), TimeProvider.System.GetUtcNow().AddSeconds(1));
    }

    private static void Install(SmallLab lab, string script)
    {
        var path = Path.Combine(Path.GetTempPath(), "nflogtest-" + lab.Lab.Prefix + ".nft");
        File.WriteAllText(path, script);
        try
        {
            lab.Nft("-f", path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long CounterPackets(SmallLab lab, string name)
    {
        var listing = lab.Nft("list", "counter", "inet", "nflogtest", name);
        return long.Parse(PacketsPattern().Match(listing).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static int IfIndex(string ns, string device) =>
        int.Parse(Namespaces.Run("ip", "-n", ns, "-o", "link", "show", device).Split(':')[0], CultureInfo.InvariantCulture);

    private static Task Collect(NflogReader reader, ConcurrentQueue<(NflogPacket Packet, long At)> into, CancellationToken stop) =>
        Task.Run(async () =>
        {
            try
            {
                await foreach (var packet in reader.ReadAllAsync(stop))
                {
                    into.Enqueue((packet, Stopwatch.GetTimestamp()));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

    private static async Task<(NflogPacket Packet, long At)> WaitFor(ConcurrentQueue<(NflogPacket Packet, long At)> arrivals, Func<NflogPacket, bool> match)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(s_deliveryBound.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            foreach (var arrival in arrivals)
            {
                if (match(arrival.Packet))
                {
                    return arrival;
                }
            }

            await Task.Delay(5, Token);
        }

        Assert.Fail($"no matching record within {s_deliveryBound.TotalSeconds} s; got: {string.Join("; ", arrivals.Select(a => a.Packet))}");
        throw new UnreachableException();
    }

    private static List<NflogPacket> ReadUntil(NflogReader reader, int count, TimeSpan timeout)
    {
        var packets = new List<NflogPacket>();
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (packets.Count < count && Stopwatch.GetTimestamp() < deadline)
        {
            reader.Read(packets, TimeSpan.FromMilliseconds(100));
        }

        // Anything more that is already on its way.
        reader.Read(packets, TimeSpan.FromMilliseconds(100));
        return packets;
    }

    /// <summary>Counts packets until none has come for <paramref name="quiet"/>, holding none of them.</summary>
    private static long CountUntilQuiet(NflogReader reader, TimeSpan quiet)
    {
        var batch = new List<NflogPacket>();
        long count = 0;
        while (reader.Read(batch, quiet) > 0)
        {
            count += batch.Count;
            batch.Clear();
        }

        return count;
    }

    private static ushort SendUdp(string ns, IPAddress destination, int port)
    {
        using var socket = Namespaces.InNamespace(ns, () => new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        socket.SendTo("flow"u8, new IPEndPoint(destination, port));
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Sends <paramref name="count"/> TCP SYNs from distinct source ports (each a new connection to conntrack)
    /// through a raw socket in the pod's namespace.</summary>
    private static void SendSyns(LabPod pod, IPAddress destination, ushort port, int count, int firstSourcePort = 1024)
    {
        using var socket = Namespaces.InNamespace(pod.Namespace, () => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Tcp));
        var target = new IPEndPoint(destination, 0);
        var segment = new byte[20];
        for (var i = 0; i < count; i++)
        {
            var sourcePort = (ushort)(firstSourcePort + (i % (65536 - firstSourcePort)));
            Array.Clear(segment);
            BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), port);
            BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), (uint)i * 7919u);
            segment[12] = 5 << 4;
            segment[13] = 0x02; // SYN
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), 64240);
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), TcpChecksum(pod.Address, destination, segment));
            socket.SendTo(segment, target);
        }
    }

    private static ushort TcpChecksum(IPAddress source, IPAddress destination, byte[] segment)
    {
        uint sum = 0;
        void Add(ReadOnlySpan<byte> bytes)
        {
            for (var i = 0; i + 1 < bytes.Length; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
            }
        }

        Add(source.GetAddressBytes());
        Add(destination.GetAddressBytes());
        sum += 6u + (uint)segment.Length;
        Add(segment);
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    [GeneratedRegex(@"packets (\d+)")]
    private static partial Regex PacketsPattern();
}
