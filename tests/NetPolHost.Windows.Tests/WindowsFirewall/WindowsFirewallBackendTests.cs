using System.Runtime.InteropServices;
using NetPolHost.Backends;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.Windows.Tests.Fakes;
using NetPolHost.WindowsFirewall;
using NetPolHost.WindowsFirewall.Rules;
using static NetPolHost.TestKit.HandPlans;

namespace NetPolHost.Windows.Tests.WindowsFirewall;

public sealed class WindowsFirewallBackendTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static (WindowsFirewallBackend Backend, FakeFirewallRuleStore Store) Create(WindowsFirewallOptions? options = null)
    {
        var store = new FakeFirewallRuleStore();
        return (new WindowsFirewallBackend(options ?? new WindowsFirewallOptions(), () => store, null), store);
    }

    private static RulePlan PlanWith(params string[] peers) => HostPlan(
        ["192.168.1.10"],
        [
            Rule("r1", Direction.Ingress, Peers(peers), Ports((Protocol.Tcp, 80, 80))),
            Rule("r2", Direction.Ingress, Peers("10.50.0.0/16"), PortSet.All),
        ]);

    [Fact]
    public async Task Apply_Twice_SecondChangesNothingDespiteRewrittenAddresses()
    {
        var (backend, store) = Create();
        var plan = TestSupport.SamplePlan();
        var first = await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.True(first.Changed);
        Assert.Equal(FirewallRuleTranslator.Translate(plan, new WindowsFirewallOptions()).Rules.Count, first.ObjectsAdded);
        Assert.Contains(store.Rules, r => r.RemoteAddresses.Contains("/255.255.255.255", StringComparison.Ordinal));
        store.Log.Clear();

        var second = await backend.ApplyAsync(plan, cancellationToken: Token);

        Assert.False(second.Changed);
        Assert.Empty(second.Changes);
        Assert.Empty(store.Log);
    }

    [Fact]
    public async Task Apply_PeerChange_UpdatesAllowsInPlaceAndReplacesBlocksAddFirstRemoveLast()
    {
        var (backend, store) = Create();
        await backend.ApplyAsync(PlanWith("10.0.0.1", "10.0.0.2"), cancellationToken: Token);
        var before = store.Rules.ToList();
        store.Log.Clear();

        var result = await backend.ApplyAsync(PlanWith("10.0.0.1", "10.0.0.3"), cancellationToken: Token);

        Assert.True(result.Changed);
        var allow = before.Single(r => r.Action == FirewallAction.Allow && r.Protocol == NetFw.ProtocolTcp);
        Assert.Contains($"update {allow.Name} RemoteAddresses", store.Log);
        var firstRemove = store.Log.FindIndex(l => l.StartsWith("remove", StringComparison.Ordinal));
        var lastAdd = store.Log.FindLastIndex(l => l.StartsWith("add", StringComparison.Ordinal));
        var update = store.Log.IndexOf($"update {allow.Name} RemoteAddresses");
        Assert.True(lastAdd < update && update < firstRemove, string.Join("\n", store.Log));
        Assert.DoesNotContain(store.Log, l => l.StartsWith("update", StringComparison.Ordinal) && before.Single(r => l.Contains(r.Name, StringComparison.Ordinal)).Action == FirewallAction.Block);
        Assert.False((await backend.ApplyAsync(PlanWith("10.0.0.1", "10.0.0.3"), cancellationToken: Token)).Changed);
    }

    [Fact]
    public async Task Apply_LeavesOtherGroupsAlone_AndRemoveAllDeletesOnlyTheGroup()
    {
        var (backend, store) = Create();
        var foreign = new FirewallRule { Name = "Core Networking", Grouping = "@FirewallAPI.dll,-25000", Direction = FirewallDirection.Inbound, Action = FirewallAction.Allow };
        store.Rules.Add(foreign);
        await backend.ApplyAsync(TestSupport.SamplePlan(), cancellationToken: Token);
        Assert.Contains(foreign, store.Rules);

        await backend.RemoveAllAsync(Token);

        Assert.Equal([foreign], store.Rules);
    }

    [Fact]
    public async Task Apply_RepairsDrift_AndStatusReportsIt()
    {
        var (backend, store) = Create();
        var plan = PlanWith("10.0.0.1");
        await backend.ApplyAsync(plan, cancellationToken: Token);
        var index = store.Rules.FindIndex(r => r.Action == FirewallAction.Allow && r.Protocol == NetFw.ProtocolTcp);
        var name = store.Rules[index].Name;
        store.Rules[index] = store.Rules[index] with { RemoteAddresses = "*", Enabled = false };
        store.Rules.Add(store.Rules[0]);

        var status = await backend.GetStatusAsync(plan, Token);
        Assert.True(status.Present);
        Assert.Contains(status.Drift, d => d.StartsWith($"~ rule {name}: RemoteAddresses, Enabled", StringComparison.Ordinal));
        Assert.Contains(status.Drift, d => d.StartsWith($"- rule {store.Rules[0].Name} (2 rules of that name)", StringComparison.Ordinal));

        await backend.ApplyAsync(plan, cancellationToken: Token);

        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);
        Assert.Equal(store.Rules.Count, store.Rules.Select(r => r.Name).Distinct().Count());
    }

    [Fact]
    public async Task Apply_DryRun_ListsChangesWithoutMakingThem()
    {
        var (backend, store) = Create();
        var result = await backend.ApplyAsync(PlanWith("10.0.0.1"), new ApplyOptions { DryRun = true }, Token);
        Assert.True(result.DryRun);
        Assert.True(result.Changed, "a dry run says that an apply would change something");
        Assert.Equal(result.Changes.Count, result.ObjectsAdded);
        Assert.NotEmpty(result.Changes);
        Assert.Empty(store.Rules);
    }

    [Fact]
    public async Task Apply_Refused_SaysWhatFailedAndHowFarItGot()
    {
        var (backend, store) = Create();
        store.FailOn = "add";
        var ex = await Assert.ThrowsAsync<BackendApplyException>(() => backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token));
        var first = FirewallRuleTranslator.Translate(PlanWith("10.0.0.1"), new WindowsFirewallOptions()).Rules.First(r => r.Action == FirewallAction.Block).Name;
        Assert.Equal($"Backend 'windows-firewall' could not apply the plan: Windows Firewall refused to add rule {first}: HRESULT 0x80070005 (Access is denied. (0x80070005 (E_ACCESSDENIED))). 0 of 7 changes were made before it (Windows Firewall has no transactions; apply again to finish). Changing firewall rules needs an elevated (Administrator) process.", ex.Message);
        Assert.IsType<UnauthorizedAccessException>(ex.InnerException);
    }

    [Fact]
    public async Task Apply_FirewallOffInCurrentProfile_Warns()
    {
        var (backend, store) = Create();
        store.HostState = new(NetFw.ProfilePublic, NetFw.ProfilePublic, NetFw.ModifyStateGroupPolicyOverride);
        var result = await backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token);
        Assert.Equal(
            [
                "Windows Firewall is off in a profile in effect (profiles 0x4, off 0x4): the rules of group 'NetPolHost' have no effect there",
                "group policy overrides the local firewall policy: the local rules of group 'NetPolHost' may have no effect",
            ],
            result.Warnings);
    }

    [Fact]
    public async Task Apply_OnLinux_IsUnavailableWithAClearMessage()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "checks the message on other systems");
        using var backend = new WindowsFirewallBackend();
        var expected = $"Backend 'windows-firewall' is not available: Windows Firewall exists only on Windows, and this is {RuntimeInformation.OSDescription}. To review the rules elsewhere, run 'netpolhost plan --backend windows-firewall -o native' and run the PowerShell script on the Windows host.";
        Assert.Equal(expected, (await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.ApplyAsync(PlanWith("10.0.0.1"), cancellationToken: Token))).Message);
        Assert.Equal(expected, (await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.GetStatusAsync(null, Token))).Message);
        Assert.Equal(expected, (await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.RemoveAllAsync(Token))).Message);
    }

    [Fact]
    public void RenderNative_Sample_MatchesGolden()
    {
        using var backend = new WindowsFirewallBackend();
        TestSupport.AssertGolden("sample.windows-firewall.ps1", backend.RenderNative(TestSupport.SamplePlan()));
    }

    [Fact]
    public void RenderNative_QuotesUserStrings()
    {
        var plan = HostPlan(["192.168.1.10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1"), PortSet.All, "it's/o’brien")]);
        var script = new WindowsFirewallBackend(new WindowsFirewallOptions { GroupName = "Group 'A'" }).RenderNative(plan);
        Assert.Contains("Remove-NetFirewallRule -Group 'Group ''A''' -ErrorAction SilentlyContinue", script, StringComparison.Ordinal);
        Assert.Contains("peers of it''s/o’’brien rule 0", script, StringComparison.Ordinal);
        Assert.Equal("'a''b‘‘c’’d‚‚e‛‛f'", PowerShellScriptRenderer.Quote("a'b‘c’d‚e‛f"));
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblem()
    {
        var ex = Assert.Throws<ArgumentException>(() => new WindowsFirewallBackend(new WindowsFirewallOptions { GroupName = "a|b", RuleNamePrefix = "1x", MaxAddressesPerRule = 0 }));
        Assert.Contains("GroupName must be", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RuleNamePrefix must start with a letter", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAddressesPerRule", ex.Message, StringComparison.Ordinal);
    }
}
