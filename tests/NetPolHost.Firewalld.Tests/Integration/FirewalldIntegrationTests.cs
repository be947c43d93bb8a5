using System.Diagnostics;
using System.Net;
using NetPolHost.Backends;
using NetPolHost.Firewalld.Bus;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Firewalld.Tests.Integration;

/// <summary>The backend against a real firewalld: objects over D-Bus, real connections between pod namespaces routed
/// through firewalld's namespace, reloads, and removal.</summary>
[Trait("Category", "Integration")]
public sealed class FirewalldIntegrationTests(FirewalldFixture fixture) : IClassFixture<FirewalldFixture>
{
    /// <summary>A handful of upstream cases: default deny, namespace selector, ports, egress deny, egress deny against an
    /// ingress allow (both checks must pass), ipBlock with except, ingress and egress together, UDP ports, egress named port.</summary>
    public static TheoryData<string> Cases => new("e2e-01", "e2e-06", "e2e-14", "e2e-30", "e2e-33", "e2e-43", "e2e-32", "e2e-54", "e2e-20");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Apply_UpstreamCase_PacketsMatchExpectedMatrix(string id)
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var testCase = ConformanceData.Get(id);
        var plan = Compile(testCase);
        await using var backend = NewBackend();

        var stopwatch = Stopwatch.StartNew();
        var result = await backend.ApplyAsync(plan, cancellationToken: Token);
        TestContext.Current.TestOutputHelper?.WriteLine($"{id}: apply {stopwatch.Elapsed.TotalMilliseconds:F0} ms, +{result.ObjectsAdded}/-{result.ObjectsRemoved} objects, +{result.ElementsAdded}/-{result.ElementsRemoved} entries");

        var again = await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.False(again.Changed, string.Join(Environment.NewLine, again.Changes));
        var status = await backend.GetStatusAsync(plan, Token);
        Assert.Empty(status.Drift);

        await using (var bus = fixture.NewBus())
        {
            Assert.Contains("nph-fwd", await bus.GetRuntimePolicyNamesAsync(Token));
            var pods = await bus.GetRuntimeEntriesAsync("nph-pods-4", Token);
            Assert.Equal(ConformanceData.PodIPs.Values.Select(a => a.ToString()).Order(StringComparer.Ordinal), pods.Order(StringComparer.Ordinal));
        }

        Assert.Empty(await MismatchesAsync(testCase));
    }

    [Fact]
    public async Task Reload_ByAnotherProcess_BackendReappliesAndPacketsBehaveTheSame()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var testCase = ConformanceData.Get("e2e-33");
        var plan = Compile(testCase);

        // Runtime-only entries: a reload empties them, so only the re-apply can bring the plan back.
        await using var backend = NewBackend(persistEntries: false);
        await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.Empty(await MismatchesAsync(testCase));

        var reapplied = new TaskCompletionSource<ApplyResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.Reapplied += (result, error) =>
        {
            if (error is not null)
            {
                reapplied.TrySetException(error);
            }
            else
            {
                reapplied.TrySetResult(result);
            }
        };

        await using (var bus = fixture.NewBus())
        {
            await bus.ReloadAsync(Token);
        }

        var result = await reapplied.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        TestContext.Current.TestOutputHelper?.WriteLine($"firewalld start-up {fixture.StartTime.TotalMilliseconds:F0} ms; re-apply after reload {result?.Duration.TotalMilliseconds:F0} ms, {result?.ElementsAdded} entries set");
        Assert.NotNull(result);
        Assert.True(result.Changed);
        Assert.True(result.ElementsAdded > 0);
        var status = await backend.GetStatusAsync(plan, Token);
        Assert.Empty(status.Drift);
        Assert.Empty(await MismatchesAsync(testCase));
    }

    [Fact]
    public async Task Reload_WithPersistedEntries_StateSurvivesWithoutAnyProcess()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var testCase = ConformanceData.Get("e2e-01");
        var plan = Compile(testCase);
        await using (var backend = NewBackend())
        {
            await backend.ApplyAsync(plan, cancellationToken: Token);
        }

        await using (var bus = fixture.NewBus())
        {
            await bus.ReloadAsync(Token);
            Assert.Equal("RUNNING", await bus.GetStateAsync(Token));
        }

        await using var check = NewBackend(reapply: false);
        var status = await check.GetStatusAsync(plan, Token);
        Assert.Empty(status.Drift);
        Assert.Empty(await MismatchesAsync(testCase));
    }

    [Fact]
    public async Task RemoveAll_DeletesOnlyOwnedObjects_ForeignObjectsUntouched()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        await using var bus = fixture.NewBus();
        var foreignSet = IpsetSettings.Create("admin", "not NetPolHost's", "hash:net", "inet", ["192.0.2.0/24"]);
        var foreignPolicy = new PolicySettings("admin", "not NetPolHost's", "CONTINUE", 100, ["ANY"], ["HOST"], ["rule family=\"ipv4\" source ipset=\"admin-set\" port port=\"22\" protocol=\"tcp\" accept"], []);
        // Same prefix but no NetPolHost marker: must be left alone too.
        var lookalike = IpsetSettings.Create("admin", string.Empty, "hash:ip", "inet", ["198.51.100.7"]);
        await bus.AddPermanentIPSetAsync("admin-set", foreignSet, Token);
        await bus.AddPermanentIPSetAsync("nph-admin", lookalike, Token);
        await bus.AddPermanentPolicyAsync("admin-ssh", foreignPolicy, Token);
        await bus.ReloadAsync(Token);
        try
        {
            await using var backend = NewBackend();
            await backend.ApplyAsync(Compile(ConformanceData.Get("e2e-32")), cancellationToken: Token);
            Assert.Contains(await bus.GetPermanentPolicyNamesAsync(Token), n => n == "nph-fwd");

            await backend.RemoveAllAsync(Token);

            Assert.Equal("RUNNING", await bus.GetStateAsync(Token));
            var policies = await bus.GetPermanentPolicyNamesAsync(Token);
            var sets = await bus.GetPermanentIPSetNamesAsync(Token);
            var runtimePolicies = await bus.GetRuntimePolicyNamesAsync(Token);
            var runtimeSets = await bus.GetRuntimeIPSetNamesAsync(Token);
            Assert.DoesNotContain(policies.Concat(runtimePolicies), n => n.StartsWith("nph-", StringComparison.Ordinal));
            Assert.Equal(["nph-admin"], sets.Concat(runtimeSets).Where(n => n.StartsWith("nph-", StringComparison.Ordinal)).Distinct());
            var set = await bus.GetPermanentIPSetAsync("admin-set", Token);
            Assert.Equal((foreignSet.Short, foreignSet.Description, foreignSet.Type, foreignSet.Family), (set.Short, set.Description, set.Type, set.Family));
            Assert.Equal(foreignSet.Entries, set.Entries);
            Assert.Equal(["192.0.2.0/24"], await bus.GetRuntimeEntriesAsync("admin-set", Token));
            Assert.Equal(["198.51.100.7"], await bus.GetRuntimeEntriesAsync("nph-admin", Token));
            var policy = await bus.GetPermanentPolicyAsync("admin-ssh", Token);
            Assert.Equal(foreignPolicy.RichRules, policy.RichRules);
            Assert.Equal(100, policy.Priority);
            Assert.Contains("admin-ssh", runtimePolicies);
            Assert.DoesNotContain("nph", fixture.NftRuleset().Replace("nph-admin", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally
        {
            await bus.RemovePermanentPolicyAsync("admin-ssh", Token);
            await bus.RemovePermanentIPSetAsync("admin-set", Token);
            await bus.RemovePermanentIPSetAsync("nph-admin", Token);
            await bus.ReloadAsync(Token);
        }
    }

    /// <summary>Scale figures: a rule whose peers are 10 000 addresses. The first apply creates the ipsets and policy and
    /// reloads; the second moves every peer (entries only: permanent update plus one runtime setEntries, no reload); the
    /// third changes nothing (reads only).</summary>
    [Fact]
    public async Task Apply_TenThousandPeers_EntriesChangeWithoutReload()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var testCase = ConformanceData.Get("e2e-06");
        var plan = Compile(testCase);
        RulePlan WithPeers(int offset) => TestPlans.WithRules(plan, r => r with
        {
            Peers = AddressSet.Create(Enumerable.Range(0, 10_000).Select(i => new IPAddress([10, (byte)(100 + offset), (byte)(i / 256), (byte)(i % 256)])).Concat(r.Peers.Hosts), []),
        });
        await using var backend = NewBackend();
        var output = TestContext.Current.TestOutputHelper;

        var first = await backend.ApplyAsync(WithPeers(0), cancellationToken: Token);
        output?.WriteLine($"apply, new objects, 10k peers persisted: {first.Duration.TotalMilliseconds:F0} ms (+{first.ObjectsAdded} objects, +{first.ElementsAdded} entries)");
        var second = await backend.ApplyAsync(WithPeers(1), cancellationToken: Token);
        output?.WriteLine($"apply, 10k peers replaced: {second.Duration.TotalMilliseconds:F0} ms (+{second.ElementsAdded}/-{second.ElementsRemoved} entries)");
        var third = await backend.ApplyAsync(WithPeers(1), cancellationToken: Token);
        output?.WriteLine($"apply, unchanged: {third.Duration.TotalMilliseconds:F0} ms");

        Assert.Equal(0, second.ObjectsAdded + second.ObjectsRemoved);
        Assert.DoesNotContain("reload firewalld", second.Changes);
        Assert.True(second.ElementsAdded >= 10_000);
        Assert.False(third.Changed);
        Assert.Empty(await MismatchesAsync(testCase));
    }

    private FirewalldFirewallBackend NewBackend(bool persistEntries = true, bool reapply = true) =>
        new(new FirewalldOptions { BusAddress = fixture.BusAddress, Prefix = "nph", PersistEntries = persistEntries, ReapplyOnReload = reapply });

    private static RulePlan Compile(ConformanceCase testCase) =>
        RulePlanCompiler.Compile(testCase.Snapshot, new RulePlanOptions { NodeName = "node-1" });

    /// <summary>Probes every ordered pair of pods with a new connection and compares with the upstream matrix.</summary>
    private async Task<List<string>> MismatchesAsync(ConformanceCase testCase)
    {
        var mismatches = new List<string>();
        foreach (var probe in testCase.Probes)
        {
            var pairs = new List<(int I, int J, Task<bool> Result)>();
            for (var i = 0; i < probe.Order.Count; i++)
            {
                for (var j = 0; j < probe.Order.Count; j++)
                {
                    if (i != j)
                    {
                        pairs.Add((i, j, fixture.Lab.ProbeAsync(probe.Order[i], Ip(probe.Order[j]), probe.Port, probe.Protocol)));
                    }
                }
            }

            foreach (var (i, j, task) in pairs)
            {
                var allowed = await task;
                if (!allowed && probe.Allowed[i][j])
                {
                    // A quick probe can lose a race on a loaded machine: confirm a denial slowly.
                    allowed = await fixture.Lab.ProbeAsync(probe.Order[i], Ip(probe.Order[j]), probe.Port, probe.Protocol, TimeSpan.FromSeconds(2));
                }

                if (allowed != probe.Allowed[i][j])
                {
                    mismatches.Add($"{probe.Order[i]} -> {probe.Order[j]} {probe.Port}/{probe.Protocol}: expected {(probe.Allowed[i][j] ? "allowed" : "denied")}, firewalld {(allowed ? "allowed" : "denied")}");
                }
            }
        }

        return mismatches;
    }

    private static IPAddress Ip(string pod) => ConformanceData.PodIPs[pod];
}
