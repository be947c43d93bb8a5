using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NetPolHost.Backends;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.Wfp;
using NetPolHost.Wfp.Filters;
using NetPolHost.Windows.Tests.Conformance;
using NetPolHost.Windows.Tests.Fakes;
using NetPolHost.WindowsFirewall;
using static NetPolHost.TestKit.HandPlans;

namespace NetPolHost.Windows.Tests.Wfp;

public sealed class WfpBackendTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static RulePlan PlanWith(params string[] peers) => HostPlan(
        ["192.168.1.10", "fd00::10"],
        [
            Rule("r1", Direction.Ingress, Peers(peers), Ports((Protocol.Tcp, 80, 80), (Protocol.Udp, 5000, 5010))),
            Rule("r2", Direction.Ingress, Peers("10.50.0.0/16", "fd00:50::/64"), PortSet.All),
        ],
        [Rule("e1", Direction.Egress, Peers("10.60.0.1-10.60.0.9".Split('-')[0]), Ports((Protocol.Tcp, 443, 443)))]);

    private static (WfpFirewallBackend Backend, FakeWfpEngine Engine) Create(WfpOptions? options = null)
    {
        var engine = new FakeWfpEngine();
        return (new WfpFirewallBackend(options ?? new WfpOptions(), () => engine, null), engine);
    }

    [Fact]
    public void Translate_PermitsWeighAboveTheBlockOfTheirEndpoint()
    {
        var translation = WfpFilterTranslator.Translate(PlanWith("10.0.0.1"), new WfpOptions());
        foreach (var layer in translation.Filters.GroupBy(f => f.Layer))
        {
            var block = Assert.Single(layer, f => f.Action == WfpAction.Block);
            Assert.All(block.Conditions, c => Assert.Equal(WfpField.LocalAddress, c.Field));
            Assert.All(layer.Where(f => f.Action == WfpAction.Permit), p => Assert.True(p.Weight > block.Weight));
        }

        Assert.Equal(translation.Filters.Count, translation.Filters.Select(f => f.Weight).Distinct().Count());
        Assert.All(translation.Filters, f => Assert.Equal(WfpConstants.FilterFlagPersistent, f.Flags));
        Assert.Equal(
            [WfpLayer.RecvAcceptV4, WfpLayer.RecvAcceptV6, WfpLayer.ConnectV4, WfpLayer.ConnectV6],
            translation.Filters.Select(f => f.Layer).Distinct());
    }

    [Fact]
    public void Translate_PortRule_ConditionsAreGroupedByField()
    {
        var filters = WfpFilterTranslator.Translate(PlanWith("10.0.0.1", "10.0.0.2"), new WfpOptions()).Filters;
        var tcp = Assert.Single(filters, f => f.Layer == WfpLayer.RecvAcceptV4 && f.Conditions.Any(c => c.Field == WfpField.Protocol && c.Low == 6));
        Assert.Equal(
            ["LocalAddress=192.168.1.10", "RemoteAddress=10.0.0.1-10.0.0.2", "Protocol=6", "LocalPort=80"],
            tcp.Conditions.Select(c => c.Field + "=" + WfpFilterTranslator.FormatValue(c)));
        var egress = Assert.Single(filters, f => f.Layer == WfpLayer.ConnectV4 && f.Conditions.Any(c => c.Field == WfpField.Protocol));
        Assert.Contains(egress.Conditions, c => c.Field == WfpField.RemotePort && c.Low == 443);
    }

    [Fact]
    public void Translate_Keys_AreDeterministicAndFollowContent()
    {
        var a = WfpFilterTranslator.Translate(PlanWith("10.0.0.1"), new WfpOptions()).Filters.Select(f => f.Key).ToList();
        var b = WfpFilterTranslator.Translate(PlanWith("10.0.0.1"), new WfpOptions()).Filters.Select(f => f.Key).ToList();
        var c = WfpFilterTranslator.Translate(PlanWith("10.0.0.2"), new WfpOptions()).Filters.Select(f => f.Key).ToList();
        var other = WfpFilterTranslator.Translate(PlanWith("10.0.0.1"), new WfpOptions { ProviderKey = Guid.Parse("11111111-2222-3333-4444-555555555555") }).Filters.Select(f => f.Key);
        Assert.Equal(a, b);
        Assert.Equal(2, a.Except(c).Count());
        Assert.Empty(a.Intersect(other));
        Assert.All(a, k => Assert.Equal('5', k.ToString("D")[14]));
    }

    [Fact]
    public void Translate_HardPermit_SetsClearActionRightOnPermitsOnly()
    {
        var filters = WfpFilterTranslator.Translate(PlanWith("10.0.0.1"), new WfpOptions { HardPermit = true, Persistent = false }).Filters;
        Assert.All(filters, f => Assert.Equal(f.Action == WfpAction.Permit ? WfpConstants.FilterFlagClearActionRight : 0u, f.Flags));
    }

    [Fact]
    public async Task Apply_CreatesEverythingInOneTransaction_AndTheSecondApplyTouchesNothing()
    {
        var (backend, engine) = Create();
        var plan = PlanWith("10.0.0.1");
        var first = await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.True(first.Changed);
        Assert.Equal(1, engine.Commits);
        Assert.Equal("begin", engine.Log[0]);
        Assert.Equal("commit", engine.Log[^1]);
        Assert.Single(engine.Providers);
        Assert.Equal(0x8000, engine.Sublayers.Single().Value.Weight);
        Assert.Equal(WfpFilterTranslator.Translate(plan, new WfpOptions()).Filters.Count, engine.Filters.Count);
        engine.Log.Clear();

        var second = await backend.ApplyAsync(plan, cancellationToken: Token);

        Assert.False(second.Changed);
        Assert.Equal(["begin", "commit"], engine.Log);
    }

    [Fact]
    public async Task Apply_PeerChange_ReplacesOnlyTheFiltersThatChanged()
    {
        var (backend, engine) = Create();
        await backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token);
        var before = engine.Filters.Keys.ToHashSet();
        engine.Log.Clear();

        var result = await backend.ApplyAsync(PlanWith("10.0.0.2"), cancellationToken: Token);

        Assert.Equal(2, engine.Log.Count(l => l.StartsWith("delete filter", StringComparison.Ordinal)));
        Assert.Equal(2, engine.Log.Count(l => l.StartsWith("add filter", StringComparison.Ordinal)));
        Assert.Equal(before.Count - 2, before.Intersect(engine.Filters.Keys).Count());
        Assert.Equal(4, result.Changes.Count);
    }

    [Fact]
    public async Task Apply_Failure_AbortsAndChangesNothing()
    {
        var (backend, engine) = Create();
        await backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token);
        var before = engine.Filters.Keys.ToHashSet();
        engine.FailOn = "add filter";

        var ex = await Assert.ThrowsAsync<BackendApplyException>(() => backend.ApplyAsync(PlanWith("10.0.0.2"), cancellationToken: Token));

        Assert.Equal("Backend 'wfp' could not apply the plan: could not apply: FwpmFilterAdd0 failed with FWP_E_TYPE_MISMATCH (0x80320027); the transaction was aborted and nothing was changed.", ex.Message);
        Assert.Equal(1, engine.Aborts);
        Assert.Equal(before, engine.Filters.Keys.ToHashSet());
    }

    [Fact]
    public async Task Apply_SublayerWeightChanged_RecreatesSublayerInTheSameTransaction()
    {
        var engine = new FakeWfpEngine();
        using (var backend = new WfpFirewallBackend(new WfpOptions(), () => engine, null))
        {
            await backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token);
        }

        using var heavier = new WfpFirewallBackend(new WfpOptions { SublayerWeight = 0xFFFF, HardPermit = true }, () => engine, null);
        var result = await heavier.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token);
        Assert.Equal(0xFFFF, engine.Sublayers.Single().Value.Weight);
        Assert.Contains(result.Changes, c => c.StartsWith("- sublayer", StringComparison.Ordinal));
        Assert.Empty(result.Warnings);
        Assert.Equal(1, engine.Commits - 1);
    }

    [Fact]
    public async Task RemoveAll_DeletesOurObjectsOnly()
    {
        var (backend, engine) = Create();
        var foreignProvider = Guid.NewGuid();
        engine.Seed(e =>
        {
            e.AddProvider(new WfpProvider(foreignProvider, "other", "other", true));
            e.AddSublayer(new WfpSublayer(Guid.NewGuid(), "other", "other", 1, true, foreignProvider));
        });
        await backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token);

        await backend.RemoveAllAsync(Token);

        Assert.Equal([foreignProvider], engine.Providers);
        Assert.Single(engine.Sublayers);
        Assert.Empty(engine.Filters);
    }

    [Fact]
    public async Task Status_ReportsMissingFiltersAsDrift()
    {
        var (backend, engine) = Create();
        var plan = PlanWith("10.0.0.1");
        Assert.False((await backend.GetStatusAsync(null, Token)).Present);
        await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);
        engine.Seed(e => e.DeleteFilter(e.Filters.Keys.First()));
        Assert.Single((await backend.GetStatusAsync(plan, Token)).Drift);
    }

    [Fact]
    public async Task Apply_OnLinux_IsUnavailableWithAClearMessage()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "checks the message on other systems");
        using var backend = new WfpFirewallBackend();
        var expected = $"Backend 'wfp' is not available: the Windows Filtering Platform exists only on Windows, and this is {RuntimeInformation.OSDescription}. To review the filters elsewhere, run 'netpolhost plan --backend wfp -o json'.";
        Assert.Equal(expected, (await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token))).Message);
        Assert.Equal(expected, (await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.GetStatusAsync(null, Token))).Message);
        Assert.Equal(expected, (await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.RemoveAllAsync(Token))).Message);
    }

    [Fact]
    public void RenderJson_Sample_MatchesGolden()
    {
        using var backend = new WfpFirewallBackend();
        TestSupport.AssertGolden("sample.wfp.json", backend.RenderJson(TestSupport.SamplePlan()) + "\n");
    }

    [Fact]
    public void RenderNative_Sample_ListsEveryFilter()
    {
        using var backend = new WfpFirewallBackend();
        var plan = TestSupport.SamplePlan();
        var lines = backend.RenderNative(plan).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(WfpFilterTranslator.Translate(plan, new WfpOptions()).Filters.Count, lines.Count);
    }

    [Fact]
    public void Arbitration_SoftPermitLosesToABlockElsewhere_HardPermitOnlyToAHigherSublayer()
    {
        var ours = WfpFilterTranslator.Translate(PlanWith("10.0.0.1"), new WfpOptions()).Filters;
        var hard = WfpFilterTranslator.Translate(PlanWith("10.0.0.1"), new WfpOptions { HardPermit = true, SublayerWeight = 0xFFFF }).Filters;
        var local = System.Net.IPAddress.Parse("192.168.1.10");
        var peer = System.Net.IPAddress.Parse("10.0.0.1");
        bool Permits(IReadOnlyList<WfpFilter> filters, ushort weight, ushort foreignWeight) =>
            new WfpArbitrationModel([new("ours", weight, filters), new("mpssvc", foreignWeight, [Block()])]).Permits(WfpLayer.RecvAcceptV4, local, peer, 6, 80, 50000);
        Assert.True(new WfpArbitrationModel([new("ours", 0x8000, ours)]).Permits(WfpLayer.RecvAcceptV4, local, peer, 6, 80, 50000));
        Assert.False(Permits(ours, 0x8000, 0x1000));
        Assert.True(Permits(hard, 0xFFFF, 0x1000));
        Assert.False(Permits(hard, 0x1000, 0xFFFF));
    }

    [Fact]
    public void Registration_OneBackendPerHost_AndOptionsValidatedAtStart()
    {
        var services = new ServiceCollection();
        var builder = services.AddNetPolHost().UseWfp(o => o.SublayerWeight = 0);
        var ex = Assert.Throws<InvalidOperationException>(() => builder.UseWindowsFirewall());
        Assert.Equal("NetPolHost already uses the 'wfp' backend; it cannot also use 'windows-firewall'. One backend enforces policy on a host: remove one of the Use… calls.", ex.Message);
        using var provider = services.BuildServiceProvider();
        var validation = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WfpOptions>>().Value);
        Assert.Contains("SublayerWeight", validation.Message, StringComparison.Ordinal);

        var other = new ServiceCollection();
        other.AddNetPolHost().UseWindowsFirewall(o => o.GroupName = "Mine");
        using var otherProvider = other.BuildServiceProvider();
        var backend = Assert.IsType<WindowsFirewallBackend>(otherProvider.GetRequiredService<IFirewallBackend>());
        Assert.Equal("Mine", backend.GroupName);
    }

    private static WfpFilter Block() => new()
    {
        Key = Guid.NewGuid(),
        Name = "block all",
        Description = "foreign",
        Layer = WfpLayer.RecvAcceptV4,
        Action = WfpAction.Block,
        Weight = 0,
        Flags = 0,
        Conditions = [],
    };
}
