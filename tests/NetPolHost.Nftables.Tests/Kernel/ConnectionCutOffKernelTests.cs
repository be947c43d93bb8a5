using System.Net;
using NetPolHost.Model;
using NetPolHost.Nftables.Runtime;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>The in-process conntrack access (ctnetlink, rtnetlink) against a real kernel, and the cut-off running off
/// the apply's path.</summary>
[Trait("Category", "Integration")]
public sealed class ConnectionCutOffKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static void SkipIfUnavailable() => Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);

    [Fact]
    public async Task NetlinkConntrack_ListsDeletesAndReadsAddressesAsTheTools()
    {
        SkipIfUnavailable();
        Assert.SkipWhen(Namespaces.Which("conntrack") is null, "the conntrack program (Debian package conntrack) is missing: the test compares with it");
        await using var lab = SmallLab.Create(dualStack: true);

        // Conntrack tracks a namespace's flows once a ruleset there uses it.
        using var backend = lab.Backend(conntrack: false);
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        using var v4 = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("x/b"), 80);

        // A fresh IPv6 link may still be settling (neighbour discovery): connect once a probe passes.
        for (var i = 0; i < 20 && !await lab.Lab.ProbeAsync("x/a", RandomCluster.PodIPv6("x/b"), 80, Protocol.Tcp, TimeSpan.FromMilliseconds(500)); i++)
        {
        }

        using var v6 = await lab.Lab.ConnectAsync("x/a", RandomCluster.PodIPv6("x/b"), 80);
        Assert.True(await NetworkLab.EchoAsync(v4, TimeSpan.FromSeconds(2)));
        var v4Port = ((IPEndPoint)v4.LocalEndPoint!).Port;
        var v6Port = ((IPEndPoint)v6.LocalEndPoint!).Port;
        using var conntrack = NetlinkConntrack.Open(lab.Node);

        var entries = conntrack.List();
        var first = Assert.Single(entries, e => e.SourcePort == v4Port);
        Assert.Equal(new ConntrackEntry(Protocol.Tcp, SmallLab.Ip("x/a"), SmallLab.Ip("x/b"), v4Port, 80, SmallLab.Ip("x/b"), 80), first);
        var second = Assert.Single(entries, e => e.SourcePort == v6Port);
        Assert.Equal(new ConntrackEntry(Protocol.Tcp, RandomCluster.PodIPv6("x/a"), RandomCluster.PodIPv6("x/b"), v6Port, 80, RandomCluster.PodIPv6("x/b"), 80), second);

        // Every TCP/UDP entry conntrack -L shows is listed (and nothing else).
        var tool = lab.Conntrack("-L", "-f", "ipv4") + lab.Conntrack("-L", "-f", "ipv6");
        var toolPorts = tool.Split('\n').Where(l => l.StartsWith("tcp", StringComparison.Ordinal) || l.StartsWith("udp", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(p => p.StartsWith("sport=", StringComparison.Ordinal))).Order().ToList();
        Assert.Equal(toolPorts, entries.Select(e => "sport=" + e.SourcePort).Order().ToList());

        Assert.Equal(2, conntrack.Delete([first, second]));
        var after = lab.Conntrack("-L", "-p", "tcp");
        Assert.DoesNotContain($"sport={v4Port} ", after, StringComparison.Ordinal);
        Assert.DoesNotContain($"sport={v6Port} ", after, StringComparison.Ordinal);
        Assert.Equal(0, conntrack.Delete([first, second]));

        // The node's addresses, as ip -o addr shows them.
        var shown = Namespaces.Run("ip", ["netns", "exec", lab.Node, "ip", "-o", "addr", "show"]).Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length > 3 && p[2] is "inet" or "inet6")
            .Select(p => IPAddress.Parse(p[3].Split('/')[0]))
            .ToHashSet();
        Assert.True(shown.SetEquals(conntrack.LocalAddresses()), string.Join(", ", shown) + " / " + string.Join(", ", conntrack.LocalAddresses()));
    }

    [Fact]
    public async Task NetlinkConntrack_DeletesThousandsOfEntriesInBatches()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend(conntrack: false);
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        var sent = SynFlood.Send(lab.Lab.Pods["x/a"].Namespace, SmallLab.Ip("x/a"), SmallLab.Ip("x/b"), 80, 3000);
        using var conntrack = NetlinkConntrack.Open(lab.Node);
        var flood = conntrack.List().Where(e => e.Source.Equals(SmallLab.Ip("x/a")) && e.DestinationPort == 80).ToList();
        Assert.True(flood.Count >= sent * 9 / 10, $"{flood.Count} entries of {sent} SYNs");
        Assert.Equal(flood.Count, conntrack.Delete(flood));
        Assert.DoesNotContain(conntrack.List(), e => e.Source.Equals(SmallLab.Ip("x/a")) && e.DestinationPort == 80);
    }

    [Fact]
    public async Task Apply_DoesNotWaitForARunningCutOff_AndLaterChangesAreCutTogether()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var slow = new BlockingConntrack(NetlinkConntrack.Open(lab.Node));
        using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = lab.Node }, null, slow, null);
        var allow = SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb()));
        var deny = SmallLab.Plan(SmallLab.Snapshot(SmallLab.DenyAll("x")));
        await backend.ApplyAsync(allow, cancellationToken: Token);
        var passes = (await backend.WaitForConnectionCutOffAsync(Token)).Passes;
        using var established = await lab.Lab.ConnectAsync("x/a", SmallLab.Ip("x/b"), 80);
        Assert.True(await NetworkLab.EchoAsync(established, TimeSpan.FromSeconds(2)));

        // The deny starts a pass that hangs in List(); applies go on meanwhile and the kernel follows them.
        slow.Block();
        await backend.ApplyAsync(deny, cancellationToken: Token);
        Assert.True(slow.Entered.Wait(TimeSpan.FromSeconds(10), Token), "the cut-off pass did not start");
        var apply = backend.ApplyAsync(allow, cancellationToken: Token);
        Assert.Same(apply, await Task.WhenAny(apply, Task.Delay(TimeSpan.FromSeconds(20), Token)));
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
        await backend.ApplyAsync(deny, cancellationToken: Token);
        Assert.False(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(1)));
        Assert.Equal(passes, backend.ConnectionCutOff.Passes);

        // Released: the hung pass ends, and the two changes queued meanwhile are cut by one more pass, by the newest plan.
        slow.Release();
        var report = await backend.WaitForConnectionCutOffAsync(Token);
        Assert.True(report.Warnings.Count == 0, string.Join("; ", report.Warnings));
        Assert.Equal(passes + 2, report.Passes);
        Assert.True(report.EntriesDeleted >= 1, report.ToString());
        Assert.False(await NetworkLab.EchoAsync(established, TimeSpan.FromSeconds(2)));
    }

    /// <summary>Real conntrack access whose List() can be made to hang, as a cut-off of a huge table would.</summary>
    private sealed class BlockingConntrack(NetlinkConntrack inner) : IConntrack, IDisposable
    {
        private readonly ManualResetEventSlim _open = new(true);

        public ManualResetEventSlim Entered { get; } = new();

        public void Block()
        {
            Entered.Reset();
            _open.Reset();
        }

        public void Release() => _open.Set();

        public IReadOnlyList<ConntrackEntry> List()
        {
            Entered.Set();
            _open.Wait(TimeSpan.FromSeconds(60));
            return inner.List();
        }

        public int Delete(IReadOnlyList<ConntrackEntry> entries) => inner.Delete(entries);

        public IReadOnlySet<IPAddress> LocalAddresses() => inner.LocalAddresses();

        public void Dispose()
        {
            _open.Set();
            inner.Dispose();
            _open.Dispose();
            Entered.Dispose();
        }
    }
}
