using System.Net;
using System.Net.Sockets;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Nftables;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 4: UDP packets per second forwarded between two pods of node-000, with no ruleset and with the large
/// cluster's ruleset, one long flow and a new flow for every packet.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class PacketBenchmarks
{
    public static async Task RunAsync()
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("packet benchmarks skipped: " + reason);
            return;
        }

        var snapshot = ManifestLoader.LoadText(LargeCluster.Yaml(), "large.yaml").GetSnapshotOrThrow();
        var matcher = new PolicyMatcher(snapshot);
        var plan = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-000" });

        // Two isolated local pods between which UDP is allowed, so every packet walks the dispatch and the rules.
        var local = plan.Endpoints.Where(e => e.Kind == PlanEndpointKind.Pod && e.Ingress.Isolated).ToList();
        (PlanEndpoint From, PlanEndpoint To, int Port)? pair = null;
        foreach (var to in local)
        {
            foreach (var from in local.Where(f => f != to && f.Egress.Isolated))
            {
                foreach (var port in new[] { 53, 8080, 9090 })
                {
                    if (plan.Evaluate(from.Addresses[0], to.Addresses[0], Protocol.Udp, port).Allowed)
                    {
                        pair = (from, to, port);
                        goto found;
                    }
                }
            }
        }

    found:
        if (pair is null)
        {
            Console.WriteLine("packet benchmarks: no UDP flow between isolated pods is allowed in the generated cluster");
            return;
        }

        var (source, target, udpPort) = pair.Value;
        Console.WriteLine($"UDP {source.Name} ({source.Addresses[0]}) -> {target.Name} ({target.Addresses[0]}):{udpPort}, both isolated; {plan.Rules.Count} rules loaded");
        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("pkt");
        lab.AddPod(node, "src", source.Addresses[0]);
        lab.AddPod(node, "dst", target.Addresses[0]);
        using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = node, DeleteConntrackEntriesOfDeniedFlows = false });

        // The same plan without flow logging (issue 11: logging must cost little, since only new connections are logged).
        using var quiet = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = node, DeleteConntrackEntriesOfDeniedFlows = false, LogFlows = false });

        var results = new Dictionary<string, List<double>>();
        for (var round = 0; round < 3; round++)
        {
            await backend.RemoveAllAsync();
            Add(results, "no ruleset, one flow", Blast(lab, target.Addresses[0], udpPort, newFlows: false));
            Add(results, "no ruleset, a new flow per packet", Blast(lab, target.Addresses[0], udpPort, newFlows: true));
            Add(results, "no ruleset, one answered flow", Blast(lab, target.Addresses[0], udpPort, newFlows: false, replied: true));
            await quiet.ApplyAsync(plan, new ApplyOptions { Full = true });
            Add(results, "with the ruleset, logging off, a new flow per packet", Blast(lab, target.Addresses[0], udpPort, newFlows: true));
            await backend.ApplyAsync(plan, new ApplyOptions { Full = true });
            Add(results, "with the ruleset, one flow", Blast(lab, target.Addresses[0], udpPort, newFlows: false));
            Add(results, "with the ruleset, one answered (established) flow", Blast(lab, target.Addresses[0], udpPort, newFlows: false, replied: true));
            Add(results, "with the ruleset, a new flow per packet", Blast(lab, target.Addresses[0], udpPort, newFlows: true));
        }

        foreach (var (name, values) in results)
        {
            Measure.Report("UDP packets/s forwarded, " + name, values, "pkt/s");
        }

        Console.WriteLine($"  ratio with/without, one flow never answered (each packet conntrack's 'new', walking the rules): {Measure.Median(results["with the ruleset, one flow"]) / Measure.Median(results["no ruleset, one flow"]):P0} (target >= 90%)");
        Console.WriteLine($"  ratio with/without, one answered flow (established: the chain's first rule accepts): {Measure.Median(results["with the ruleset, one answered (established) flow"]) / Measure.Median(results["no ruleset, one answered flow"]):P0} (target >= 90%)");
        Console.WriteLine($"  ratio with/without, new flows: {Measure.Median(results["with the ruleset, a new flow per packet"]) / Measure.Median(results["no ruleset, a new flow per packet"]):P0}");
        Console.WriteLine($"  ratio logging on/off, new flows: {Measure.Median(results["with the ruleset, a new flow per packet"]) / Measure.Median(results["with the ruleset, logging off, a new flow per packet"]):P0} (target >= 95%)");
        await backend.RemoveAllAsync();
    }

    private static void Add(Dictionary<string, List<double>> results, string name, double value)
    {
        if (!results.TryGetValue(name, out var list))
        {
            list = [];
            results[name] = list;
        }

        list.Add(value);
    }

    /// <summary>Sends 64-byte datagrams from pod "src" for two seconds and counts what pod "dst" receives per second.
    /// With <paramref name="replied"/>, "dst" first answers the (single) flow once, so conntrack holds it as established,
    /// as any UDP exchange (DNS, QUIC) is; else every packet of a flow is conntrack's "new" (never answered).</summary>
    private static double Blast(NetworkLab lab, IPAddress target, int port, bool newFlows, bool replied = false)
    {
        using var receiver = Namespaces.InNamespace(lab.Pods["dst"].Namespace, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            socket.ReceiveTimeout = 200;
            return socket;
        });
        var senders = Namespaces.InNamespace(lab.Pods["src"].Namespace, () =>
            Enumerable.Range(0, newFlows ? 2048 : 1).Select(_ =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Connect(new IPEndPoint(target, port));
                return socket;
            }).ToArray());
        if (replied)
        {
            var answered = false;
            var from = (EndPoint)new IPEndPoint(IPAddress.Any, 0);
            for (var attempt = 0; attempt < 10 && !answered; attempt++)
            {
                senders[0].Send(new byte[64]);
                try
                {
                    receiver.ReceiveFrom(new byte[2048], ref from);
                    receiver.SendTo(new byte[8], from);
                    answered = true;
                }
                catch (SocketException)
                {
                }
            }

            if (!answered)
            {
                throw new InvalidOperationException("the flow could not be answered: no datagram reached the receiver");
            }
        }

        var received = 0L;
        var stop = false;
        var counter = new Thread(() =>
        {
            var buffer = new byte[2048];
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    receiver.Receive(buffer);
                    received++;
                }
                catch (SocketException)
                {
                }
            }
        });
        counter.Start();
        var payload = new byte[64];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var i = 0;
        var countedFrom = 0L;
        var started = false;
        while (watch.ElapsedMilliseconds < 2500)
        {
            if (!started && watch.ElapsedMilliseconds >= 500)
            {
                started = true;
                countedFrom = Interlocked.Read(ref received);
            }

            senders[i++ % senders.Length].Send(payload);
        }

        var total = Interlocked.Read(ref received) - countedFrom;
        Volatile.Write(ref stop, true);
        counter.Join();
        foreach (var socket in senders)
        {
            socket.Dispose();
        }

        return total / 2.0;
    }
}
