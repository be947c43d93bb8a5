using NetPolHost.Backends;
using NetPolHost.Model;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Issue 11 in a real kernel: rule counters named from the table, audit mode, flow records.</summary>
[Trait("Category", "Integration")]
public sealed class FlowVisibilityKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static void SkipIfUnavailable() => Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);

    [Fact]
    public async Task Counters_RiseOnTheAllowingRuleAndTheDrop_AndSurviveAnIncrementalApply()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend(conntrack: false);
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        var before = await backend.ReadCountersAsync(Token);
        Assert.All(before, c => Assert.Equal(0, c.Packets));

        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(2)));
        Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
        var counters = await backend.ReadCountersAsync(Token);
        var allow = Assert.Single(counters, c => c.Action == "allow");
        Assert.Equal(new RuleCounter { Endpoint = "x/b", Direction = "ingress", Tier = "NetworkPolicy", Policy = "x/allow-a", Rule = 0, Action = "allow", Packets = allow.Packets, Bytes = allow.Bytes }, allow);
        Assert.True(allow.Packets >= 1 && allow.Bytes > 0, allow.ToString());
        var drop = Assert.Single(counters, c => c.Action == "drop");
        Assert.Equal(new RuleCounter { Endpoint = "x/b", Direction = "ingress", Tier = "NetworkPolicy", Policy = null, Rule = null, Action = "drop", Packets = drop.Packets, Bytes = drop.Bytes }, drop);
        Assert.True(drop.Packets >= 1, drop.ToString());

        // Isolating y/a adds a chain and map elements; x/b's chain is not touched, so its counters keep counting.
        var result = await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb(), SmallLab.DenyAll("y"))), cancellationToken: Token);
        Assert.True(result.Changed);
        Assert.DoesNotContain(result.Changes, c => c.StartsWith("~ chain", StringComparison.Ordinal));
        var after = await backend.ReadCountersAsync(Token);
        Assert.Equal(allow.Packets, Assert.Single(after, c => c.Action == "allow").Packets);
        Assert.Equal(drop.Packets, Assert.Single(after, c => c is { Action: "drop", Endpoint: "x/b" }).Packets);
        Assert.Contains(after, c => c is { Action: "drop", Endpoint: "y/a", Packets: 0 });

        // A new process reads the same counters from the kernel (no manifests) and changes nothing on the same plan.
        using var second = lab.Backend(conntrack: false);
        Assert.Equal(after, await second.ReadCountersAsync(Token));
        Assert.False((await second.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb(), SmallLab.DenyAll("y"))), cancellationToken: Token)).Changed);
    }

    [Fact]
    public async Task AuditMode_LetsTheDeniedConnectionThrough_CountsItAsWouldDeny_AndSwitchesBackInOneApply()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        var plan = SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb()));
        using (var audit = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = lab.Node, Audit = true, DeleteConntrackEntriesOfDeniedFlows = false }))
        {
            await audit.ApplyAsync(plan, cancellationToken: Token);
            Assert.True(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(2)));
            var status = await audit.GetStatusAsync(cancellationToken: Token);
            Assert.Contains(status.OwnedObjects, o => o.StartsWith("mode: audit", StringComparison.Ordinal));
            var wouldDeny = Assert.Single(await audit.ReadCountersAsync(Token), c => c.Action == "would-deny");
            Assert.Equal("x/b", wouldDeny.Endpoint);
            Assert.True(wouldDeny.Packets >= 1, wouldDeny.ToString());
        }

        using var enforce = lab.Backend(conntrack: false);
        var result = await enforce.ApplyAsync(plan, cancellationToken: Token);
        Assert.True(result.Changed);
        Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(2)));
        Assert.Contains((await enforce.GetStatusAsync(cancellationToken: Token)).OwnedObjects, o => o == "mode: enforce");
    }

    [Fact]
    public async Task Flows_NameTheDeniedAndTheAllowedConnection_AllowedOnlyWhenAsked()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend(conntrack: false);
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);

        var denied = await CollectAsync(backend, includeAllowed: false, async () =>
        {
            Assert.False(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp));
            Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(2)));
        });
        var deny = Assert.Single(denied.DistinctBy(r => r.SourcePort));
        Assert.Equal(("deny", "ingress", "tcp", 80), (deny.Verdict, deny.Direction, deny.Protocol, deny.DestinationPort));
        Assert.Equal((SmallLab.Ip("y/a"), SmallLab.Ip("x/b"), "x/b"), (deny.Source, deny.Destination, deny.DestinationEndpoint));
        Assert.Null(deny.Policy);

        var all = await CollectAsync(backend, includeAllowed: true, async () =>
        {
            Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(2)));
        });
        var allow = Assert.Single(all.DistinctBy(r => r.SourcePort));
        Assert.Equal(("allow", "ingress", "NetworkPolicy", "x/allow-a", (int?)0), (allow.Verdict, allow.Direction, allow.Tier, allow.Policy, allow.Rule));
        Assert.Equal((SmallLab.Ip("x/a"), SmallLab.Ip("x/b"), (int?)80), (allow.Source, allow.Destination, allow.DestinationPort));
    }

    [Fact]
    public async Task Flows_InAuditMode_TheDeniedConnectionIsWouldDeny()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = lab.Node, Audit = true, DeleteConntrackEntriesOfDeniedFlows = false });
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        var records = await CollectAsync(backend, includeAllowed: false, async () =>
        {
            Assert.True(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/b"), 80, Protocol.Tcp, TimeSpan.FromSeconds(2)));
        });
        var record = Assert.Single(records.DistinctBy(r => r.SourcePort));
        Assert.Equal(("would-deny", "ingress", "x/b"), (record.Verdict, record.Direction, record.DestinationEndpoint));
    }

    [Fact]
    public async Task Flows_AFloodOf10000DeniedSyns_YieldsAtMostTheRateAndBurst()
    {
        SkipIfUnavailable();
        await using var lab = SmallLab.Create();
        using var backend = lab.Backend(conntrack: false);
        await backend.ApplyAsync(SmallLab.Plan(SmallLab.Snapshot(SmallLab.AllowXaToXb())), cancellationToken: Token);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var records = await CollectAsync(backend, includeAllowed: false, () =>
        {
            // 10,000 SYNs from y/a to x/b, each a new connection (a new source port), all dropped.
            Assert.Equal(10_000, SynFlood.Send(lab.Lab.Pods["y/a"].Namespace, SmallLab.Ip("y/a"), SmallLab.Ip("x/b"), 80, 10_000));
            return Task.CompletedTask;
        });
        stopwatch.Stop();
        var dropped = Assert.Single(await backend.ReadCountersAsync(Token), c => c is { Action: "drop", Endpoint: "x/b" });
        Assert.True(dropped.Packets >= 10_000, dropped.ToString());

        // Default limit: 10 per second after a burst of 50, over the whole time the flood and the read took.
        var bound = 50 + (10 * (int)Math.Ceiling(stopwatch.Elapsed.TotalSeconds));
        Assert.InRange(records.Count, 1, bound);
    }

    /// <summary>Reads flow records while <paramref name="traffic"/> runs, and for up to 2 seconds after it.</summary>
    private static async Task<List<FlowRecord>> CollectAsync(NftablesFirewallBackend backend, bool includeAllowed, Func<Task> traffic)
    {
        var records = new List<FlowRecord>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var started = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            try
            {
                var stream = backend.ReadFlowsAsync(includeAllowed, stop.Token).GetAsyncEnumerator(stop.Token);
                await using (stream.ConfigureAwait(false))
                {
                    var next = stream.MoveNextAsync();
                    started.TrySetResult();
                    while (await next)
                    {
                        lock (records)
                        {
                            records.Add(stream.Current);
                        }

                        next = stream.MoveNextAsync();
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            finally
            {
                started.TrySetResult();
            }
        }, Token);

        await started.Task;
        await Task.Delay(300, Token);
        await traffic();
        await Task.Delay(2000, Token);
        await stop.CancelAsync();
        await reading;
        lock (records)
        {
            return [.. records];
        }
    }
}
