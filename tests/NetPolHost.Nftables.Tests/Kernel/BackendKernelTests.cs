using System.Diagnostics;
using System.Net;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Nftables.Runtime;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Behaviour of the backend in a real kernel: atomicity, rejection, conntrack, dry runs, drift, ownership.</summary>
[Trait("Category", "Integration")]
public sealed class BackendKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static void SkipIfUnavailable() => Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);

    [Fact]
    public async Task Reapply_100ChangingPlans_NeverDropsAFlowThatStaysAllowed()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend();
        var stays = SmallLab.AllowXaToXb();
        var plans = new[]
        {
            SmallLab.Plan(SmallLab.Snapshot(stays)),
            SmallLab.Plan(SmallLab.Snapshot(stays, SmallLab.DenyAll("y"))),
            SmallLab.Plan(SmallLab.Snapshot(stays, SmallLab.DenyAll("y"), SmallLab.AllowXaToXb("second") with { Ingress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Port = 81 }] }] })),
        };
        await backend.ApplyAsync(plans[0], cancellationToken: Token);

        using var stop = new CancellationTokenSource();
        var failures = 0;
        var probes = 0;
        var prober = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // A dropped SYN is retransmitted after one second: a probe that gets no answer within 900 ms was dropped.
                var tcp = await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromMilliseconds(900));
                Interlocked.Increment(ref probes);
                if (!tcp)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, Token);

        // At least 100 applies, and on until the probes have overlapped enough of them (applies can be faster than probes).
        for (var i = 0; i < 100 || (Volatile.Read(ref probes) <= 20 && i < 2000); i++)
        {
            // Half incremental, half repairs from what the kernel holds (ApplyOptions.Full), all while the flow is probed.
            await backend.ApplyAsync(plans[(i % 2) + 1 - (i % 3 == 0 ? 1 : 0)], new ApplyOptions { Full = i % 2 == 0 }, Token);
        }

        await stop.CancelAsync();
        await prober;
        Assert.True(probes > 20, $"only {probes} probes ran");
        var cut = await backend.WaitForConnectionCutOffAsync(Token);
        Assert.True(failures == 0, $"{failures} failures; cut-off {cut}");
        Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
    }

    [Fact]
    public async Task RejectedTransaction_LeavesTheOldStateWhole()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        var sabotage = false;
        using var backend = new NftablesFirewallBackend(
            new NftablesOptions { NetworkNamespace = lab.Node },
            () => new SabotagingRunner(new LibNftablesRunner(lab.Node), () => sabotage),
            null,
            null);
        var before = SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb()));
        await backend.ApplyAsync(before, cancellationToken: Token);
        var listing = lab.Nft("list", "table", "inet", "netpolhost");

        sabotage = true;
        var after = SmallLab.Plan(SmallLab.Snapshot(SmallLab.DenyAll("x")));
        var error = await Assert.ThrowsAsync<BackendApplyException>(() => backend.ApplyAsync(after, cancellationToken: Token));
        Assert.StartsWith("Backend 'nftables' could not apply the plan: nft rejected the full transaction; the previous state is unchanged. nft said: Error:", error.Message, StringComparison.Ordinal);
        Assert.Equal(listing, lab.Nft("list", "table", "inet", "netpolhost"));
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));
        Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));

        sabotage = false;
        await backend.ApplyAsync(after, cancellationToken: Token);
        Assert.False(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
    }

    [Fact]
    public async Task EstablishedConnection_StopsWhenAChangeDeniesIt()
    {
        SkipIfUnavailable();
        Assert.SkipWhen(Namespaces.Which("conntrack") is null, "the conntrack program (Debian package conntrack) is missing");
        await using var lab = SmallLab.Create();

        // Without the option the established flow keeps going (ct state established is accepted first)...
        using (var plain = lab.Backend(conntrack: false))
        {
            await plain.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
            using var connection = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("x/b"), 80);
            Assert.True(await NetworkLab.EchoAsync(connection, TimeSpan.FromSeconds(2)));
            await plain.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.DenyAll("x"))), cancellationToken: Token);
            Assert.True(await NetworkLab.EchoAsync(connection, TimeSpan.FromSeconds(2)));
        }

        // ...with it (the default) the change stops it.
        using var backend = lab.Backend();
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        using var established = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("x/b"), 80);
        using var unaffected = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("y/a"), 80);
        using var fromNode = await lab.Lab.ConnectAsync(lab.Node, SmallLab.Ip("x/b"), 80);
        Assert.True(await NetworkLab.EchoAsync(established, TimeSpan.FromSeconds(2)));
        Assert.True(await NetworkLab.EchoAsync(fromNode, TimeSpan.FromSeconds(2)));
        var result = await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.DenyAll("x"))), cancellationToken: Token);
        Assert.True(result.Warnings.Count == 0, string.Join("; ", result.Warnings));
        var cutOff = await backend.WaitForConnectionCutOffAsync(Token);
        Assert.True(cutOff.Warnings.Count == 0, string.Join("; ", cutOff.Warnings));
        Assert.True(cutOff.EntriesDeleted >= 1, cutOff.ToString());

        // The node's own connection to a local pod is node-local and stays allowed: its entry is kept.
        var nodePort = ((IPEndPoint)fromNode.LocalEndPoint!).Port;
        Assert.Contains($"sport={nodePort} ", lab.Conntrack("-L", "-p", "tcp"), StringComparison.Ordinal);
        Assert.False(await NetworkLab.EchoAsync(established, TimeSpan.FromSeconds(2)));
        Assert.True(await NetworkLab.EchoAsync(unaffected, TimeSpan.FromSeconds(2)));
        Assert.True(await NetworkLab.EchoAsync(fromNode, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task EstablishedConnection_ThroughDestinationNat_StopsWhenTheRealServerDeniesIt()
    {
        SkipIfUnavailable();
        Assert.SkipWhen(Namespaces.Which("conntrack") is null, "the conntrack program (Debian package conntrack) is missing");
        await using var lab = SmallLab.Create();

        // A service address in the node, as kube-proxy makes one: 10.96.0.10:8080 is sent to x/b:80.
        lab.Nft("add", "table", "ip", "svc");
        lab.Nft("add", "chain", "ip", "svc", "pre", "{ type nat hook prerouting priority dstnat; }");
        lab.Nft("add", "rule", "ip", "svc", "pre", "ip", "daddr", "10.96.0.10", "tcp", "dport", "8080", "dnat", "to", SmallLab.Ip("x/b") + ":80");
        using var backend = lab.Backend();
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        using var viaService = await lab.Lab.ConnectAsync("x/a", IPAddress.Parse("10.96.0.10"), 8080);
        Assert.True(await NetworkLab.EchoAsync(viaService, TimeSpan.FromSeconds(2)));

        // x/b now admits port 81 only: the flow to its port 80 behind the service address must stop.
        var port81 = SmallLab.AllowXaToXb() with { Ingress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Port = 81 }] }] };
        var result = await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(port81)), cancellationToken: Token);
        Assert.True(result.Warnings.Count == 0, string.Join("; ", result.Warnings));
        var cutOff = await backend.WaitForConnectionCutOffAsync(Token);
        Assert.True(cutOff.Warnings.Count == 0, string.Join("; ", cutOff.Warnings));
        Assert.False(await NetworkLab.EchoAsync(viaService, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task DryRun_IsCheckedByTheKernelButNotCommitted()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend();
        var plan = SmallLab.Plan(SmallLab.Snapshot(SmallLab.DenyAll("x")));
        var result = await backend.ApplyAsync(plan, new ApplyOptions { DryRun = true }, Token);
        Assert.True(result.DryRun);
        Assert.True(result.Changed);
        Assert.DoesNotContain("netpolhost", lab.Nft("list", "tables"), StringComparison.Ordinal);
        Assert.True(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Drift_IsReportedAndRepaired()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend();
        var plan = SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb()));
        await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);

        // Someone removes the element that lets x/a in.
        var set = "h4_" + plan.Rules.Single().HostsKey;
        lab.Nft("delete", "element", "inet", "netpolhost", set, "{", SmallLab.Ip("x/a").ToString(), "}");
        Assert.False(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
        var drift = (await backend.GetStatusAsync(plan, Token)).Drift;
        Assert.Equal([$"set {set}: 1 element(s) missing, 0 unexpected"], drift);

        // Someone also adds a rule of their own to a chain of the table, and an element to a map.
        lab.Nft("insert", "rule", "inet", "netpolhost", "np_forward", "ip", "saddr", "192.0.2.1", "accept");
        lab.Nft("add", "element", "inet", "netpolhost", "np_egr4", "{", "192.0.2.2", ":", "accept", "}");

        var repaired = await backend.ApplyAsync(plan, new ApplyOptions { Full = true }, Token);
        Assert.True(repaired.Changed);

        // Repaired in place, element by element: the table is not replaced (which would re-add every element).
        Assert.Equal("table inet netpolhost repaired in place; it differed in:", repaired.Changes[0]);
        Assert.Equal(1, repaired.ElementsAdded);
        Assert.Equal(1, repaired.ElementsRemoved);
        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);
        Assert.DoesNotContain("192.0.2.", lab.Nft("list", "table", "inet", "netpolhost"), StringComparison.Ordinal);
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));

        // Nothing differs: a repair changes nothing.
        Assert.False((await backend.ApplyAsync(plan, new ApplyOptions { Full = true }, Token)).Changed);

        // A base chain's policy is part of its definition: changed, it is drift, and the repair replaces the table.
        lab.Nft("chain", "inet", "netpolhost", "np_forward", "{ policy drop; }");
        Assert.Equal(
            ["chain np_forward is type filter hook forward priority 0 policy drop, expected type filter hook forward priority 0 policy accept"],
            (await backend.GetStatusAsync(plan, Token)).Drift);
        var replaced = await backend.ApplyAsync(plan, new ApplyOptions { Full = true }, Token);
        Assert.Equal("table inet netpolhost replaced whole; it differed in:", replaced.Changes[0]);
        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("y/a"), 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task IncrementalApply_AfterTheTableWasDeleted_ReplacesItWhole()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend();
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        lab.Nft("delete", "table", "inet", "netpolhost");
        var result = await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb(), SmallLab.DenyAll("y"))), cancellationToken: Token);
        Assert.StartsWith("! the kernel refused the incremental change (", result.Changes[0], StringComparison.Ordinal);
        Assert.EndsWith("); replaced the table whole", result.Changes[0], StringComparison.Ordinal);
        Assert.False(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("y/a"), 80, Protocol.Tcp));
        Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
    }

    [Fact]
    public async Task IncrementalApply_RefusedAfterAnEdit_IsRepairedFromTheKernelsTable()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend();
        var stays = SmallLab.AllowXaToXb();
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(stays)), cancellationToken: Token);

        // Someone deletes x/b's entry from the ingress map; the next change moves x/b to another chain, so its
        // incremental transaction deletes that entry and the kernel refuses it (no such element).
        lab.Nft("delete", "element", "inet", "netpolhost", "np_ing4", "{", SmallLab.Ip("x/b").ToString(), "}");
        var next = SmallLab.Plan(SmallLab.Snapshot(stays, SmallLab.AllowXaToXb("second") with { Ingress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Port = 81 }] }] }));
        var result = await backend.ApplyAsync(next, cancellationToken: Token);
        Assert.StartsWith("! the kernel refused the incremental change (", result.Changes[0], StringComparison.Ordinal);
        Assert.EndsWith("); changed what differs from the kernel's table instead", result.Changes[0], StringComparison.Ordinal);
        Assert.Empty((await backend.GetStatusAsync(next, Token)).Drift);
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));
        Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
    }

    [Fact]
    public async Task Apply_SamePlanTwice_ChangesNothingTheSecondTime()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        var plan = SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb()));
        using (var first = lab.Backend())
        {
            Assert.True((await first.ApplyAsync(plan, cancellationToken: Token)).Changed);
            Assert.False((await first.ApplyAsync(plan, cancellationToken: Token)).Changed);
        }

        // A new process (a new backend instance) compares with the kernel and changes nothing either.
        using var second = lab.Backend();
        Assert.False((await second.ApplyAsync(plan, cancellationToken: Token)).Changed);
    }

    [Fact]
    public async Task Remove_DeletesOnlyTheOwnedTable_AndCoexistenceIsReported()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        lab.Nft("add", "table", "ip", "filter");
        lab.Nft("add", "chain", "ip", "filter", "FORWARD", "{ type filter hook forward priority 0; policy drop; }");
        lab.Nft("add", "table", "inet", "other");
        lab.Nft("add", "chain", "inet", "other", "c", "{ type filter hook input priority 0; }");

        // Bridge chains see bridged frames, not routed traffic: no warning for them.
        lab.Nft("add", "table", "bridge", "br");
        lab.Nft("add", "chain", "bridge", "br", "f", "{ type filter hook forward priority 0; policy drop; }");

        // firewalld's table accepts by policy but rejects what its zones do not allow: always reported.
        lab.Nft("add", "table", "inet", "firewalld");
        lab.Nft("add", "chain", "inet", "firewalld", "filter_FORWARD", "{ type filter hook forward priority 10; policy accept; }");
        lab.Nft("add", "chain", "inet", "firewalld", "filter_INPUT", "{ type filter hook input priority 10; policy accept; }");
        using var backend = lab.Backend();
        var result = await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        Assert.Equal(
            [
                "table inet firewalld is present: firewalld rejects traffic its zones do not allow, also traffic netpolhost accepts; on a host that runs firewalld use the firewalld backend",
                "table ip filter chain FORWARD (hook forward, policy drop) can still drop traffic that netpolhost accepts",
            ],
            result.Warnings.Order(StringComparer.Ordinal));
        Assert.False(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp)); // their drop wins over our accept

        await backend.RemoveAllAsync(Token);
        var tables = lab.Nft("list", "tables");
        Assert.Equal("table ip filter\ntable inet other\ntable bridge br\ntable inet firewalld\n", tables);
        await backend.RemoveAllAsync(Token); // nothing left: still fine
    }

    [Fact]
    public async Task IPv6_AndIPv4_AreBothEnforced()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create(dualStack: true);
        using var backend = lab.Backend();
        var snapshot = SmallLab.Snapshot(
            SmallLab.AllowXaToXb(),
            new NetworkPolicy
            {
                Name = "v6-block",
                Namespace = "x",
                PodSelector = LabelSelector.ForLabels("pod", "b"),
                Ingress = [new NetworkPolicyRule { Peers = [new NetworkPolicyPeer { IPBlock = new IPBlock(new Cidr(RandomCluster.PodIPv6("y/a"), 128)) }], Ports = [new NetworkPolicyPort { Port = 81, Protocol = Protocol.Udp }] }],
            });
        await backend.ApplyAsync(SmallLab.Plan(snapshot), cancellationToken: Token);
        var matcher = new PolicyMatcher(snapshot);
        foreach (var from in SmallLab.PodNames)
        {
            foreach (var v6 in new[] { false, true })
            {
                foreach (var (port, protocol) in new[] { (80, Protocol.Tcp), (81, Protocol.Tcp), (80, Protocol.Udp), (81, Protocol.Udp) })
                {
                    var source = v6 ? RandomCluster.PodIPv6(from) : SmallLab.Ip(from);
                    var target = v6 ? RandomCluster.PodIPv6("x/b") : SmallLab.Ip("x/b");
                    if (from == "x/b")
                    {
                        continue;
                    }

                    var expected = matcher.Decide(new Flow(FlowEndpoint.ForPod(from.Split('/')[0], from.Split('/')[1], source), FlowEndpoint.ForPod("x", "b", target), port, protocol)).Allowed;
                    var actual = await lab.Lab.ProbeAsync(from, target, port, protocol) || (expected && await lab.Lab.ProbeAsync(from, target, port, protocol, TimeSpan.FromSeconds(2)));
                    Assert.True(expected == actual, $"{from} -> x/b [{target}]:{port}/{protocol}: matcher {expected}, kernel {actual}");
                }
            }
        }
    }

    [Fact]
    public async Task HostileNames_AreAppliedAsSafeComments()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend();
        var evil = SmallLab.AllowXaToXb("x\"; flush ruleset; \"") with { Labels = LabelMap.Of("a", "b") };
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(evil)), cancellationToken: Token);
        var listing = lab.Nft("list", "table", "inet", "netpolhost");
        Assert.Contains("comment \"np ingress[0] allow x/x__ flush ruleset_ _ h:", listing, StringComparison.Ordinal);
        Assert.Contains("prefix \"np ingress[0] allow x/x__ flush ruleset_ _\"", listing, StringComparison.Ordinal);
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));
        Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
    }

    [Fact]
    public async Task IncrementalTransitions_BetweenRandomPlans_AreAcceptedByTheKernel()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend(conntrack: false);
        var host = new HostEndpoint { Namespace = "x", Name = "node-host", NodeName = "node-1", Labels = LabelMap.Of("role", "host"), IPs = [IPAddress.Parse("192.168.56.11"), IPAddress.Parse("fd00::11")] };
        var hostPolicy = new NetworkPolicy
        {
            Name = "host-ssh",
            Namespace = "x",
            PodSelector = LabelSelector.ForLabels("role", "host"),
            PolicyTypes = PolicyTypes.Both,
            Ingress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Port = 22 }] }],
        };
        var rejected = new List<string>();
        for (var seed = 0; seed < 60; seed++)
        {
            var random = new RandomCluster(3000 + seed);
            var snapshot = random.Snapshot(1 + (seed % 5), mixedFamilies: seed % 2 == 0);
            switch (seed % 4)
            {
                case 1:
                    snapshot = snapshot.With(hostEndpoints: [host], policies: [hostPolicy]);
                    break;
                case 2:
                    snapshot = snapshot.With(hostEndpoints: [host with { InterfaceName = "eth0" }], policies: [hostPolicy]);
                    break;
            }

            var result = await backend.ApplyAsync(SmallLab.Plan(snapshot), cancellationToken: Token);
            if (result.Changes.Count > 0 && result.Changes[0].StartsWith('!'))
            {
                rejected.Add($"seed {3000 + seed}: {result.Changes[0]}");
            }

            Assert.Empty((await backend.GetStatusAsync(SmallLab.Plan(snapshot), Token)).Drift);
        }

        Assert.Empty(rejected);
    }

    /// <summary>Appends a command the kernel rejects to every transaction while armed.</summary>
    private sealed class SabotagingRunner(INftRunner inner, Func<bool> armed) : INftRunner
    {
        public string Kind => inner.Kind;

        public NftResult Run(string commands, bool dryRun = false) =>
            inner.Run(armed() ? commands + "add rule inet netpolhost np_forward jump chain_that_does_not_exist\n" : commands, dryRun);

        public NftResult ListJson(string command) => inner.ListJson(command);

        public void Dispose() => inner.Dispose();
    }
}
