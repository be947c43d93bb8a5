using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NetPolHost.Backends;
using NetPolHost.Firewalld.Bus;
using NetPolHost.Firewalld.Tests.Fakes;
using NetPolHost.Planning;

namespace NetPolHost.Firewalld.Tests;

public sealed class FirewalldFirewallBackendTests : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly FakeFirewalldBus _bus = new();

    [Fact]
    public async Task Apply_NewPlan_CreatesIpsetsThenPoliciesThenReloadsOnce()
    {
        await using var backend = Backend();
        var result = await backend.ApplyAsync(TestPlans.Case("e2e-33"), cancellationToken: Token);

        Assert.True(result.Changed);
        var adds = _bus.Calls.TakeWhile(c => c != "reload").ToList();
        Assert.All(adds.TakeWhile(c => c.StartsWith("addIPSet ", StringComparison.Ordinal)), c => Assert.StartsWith("addIPSet nph-", c, StringComparison.Ordinal));
        Assert.Equal(["addPolicy nph-fwd"], adds.SkipWhile(c => c.StartsWith("addIPSet ", StringComparison.Ordinal)));
        Assert.Equal(1, _bus.Calls.Count(c => c == "reload"));
        // Entries were written permanently with the ipsets, so the reload already loaded them: no setEntries needed.
        Assert.DoesNotContain(_bus.Calls, c => c.StartsWith("setEntries", StringComparison.Ordinal));
        Assert.Equal("RUNNING", _bus.State);
        Assert.Equal(result.ObjectsAdded, _bus.PermanentIPSets.Keys.Count(k => k.StartsWith("nph-", StringComparison.Ordinal)) + 1);
        Assert.Contains("reload firewalld", result.Changes);
    }

    [Fact]
    public async Task Apply_RuntimeOnlyEntries_SetsEachIpsetWithOneSetEntriesCall()
    {
        await using var backend = Backend(persistEntries: false);
        var result = await backend.ApplyAsync(TestPlans.Case("e2e-33"), cancellationToken: Token);

        var sets = _bus.Calls.Where(c => c.StartsWith("setEntries ", StringComparison.Ordinal)).ToList();
        Assert.Equal(_bus.PermanentIPSets.Keys.Count(k => k.StartsWith("nph-", StringComparison.Ordinal)), sets.Count);
        Assert.True(_bus.Calls.IndexOf("reload") < _bus.Calls.IndexOf(sets[0]));
        Assert.All(_bus.PermanentIPSets.Where(p => p.Key.StartsWith("nph-", StringComparison.Ordinal)), p => Assert.Empty(p.Value.Entries));
        Assert.Equal(9, _bus.RuntimeIPSets["nph-pods-4"].Entries.Count);
        Assert.Equal(result.ElementsAdded, _bus.RuntimeIPSets.Where(p => p.Key.StartsWith("nph-", StringComparison.Ordinal)).Sum(p => p.Value.Entries.Count));
    }

    [Fact]
    public async Task Apply_SamePlanTwice_SecondChangesNothing()
    {
        await using var backend = Backend();
        await backend.ApplyAsync(TestPlans.Case("e2e-32"), cancellationToken: Token);
        _bus.Calls.Clear();

        // A new backend (a new process) reads firewalld and finds everything in place.
        await using var other = Backend();
        var result = await other.ApplyAsync(TestPlans.Case("e2e-32"), cancellationToken: Token);

        Assert.False(result.Changed);
        Assert.Empty(_bus.Calls);
        Assert.Empty((await other.GetStatusAsync(TestPlans.Case("e2e-32"), Token)).Drift);
    }

    [Fact]
    public async Task Apply_PeerAddressesChanged_UpdatesEntriesOnlyWithoutReload()
    {
        await using var backend = Backend();
        var plan = TestPlans.Case("e2e-33");
        await backend.ApplyAsync(plan, cancellationToken: Token);
        _bus.Calls.Clear();

        var moved = TestPlans.WithRules(plan, r => r.Peers.Hosts.IsEmpty ? r : r with { Peers = AddressSet.Create([IPAddress.Parse("10.244.9.9")], []) });
        var result = await backend.ApplyAsync(moved, cancellationToken: Token);

        Assert.True(result.Changed);
        Assert.Equal(0, result.ObjectsAdded + result.ObjectsRemoved);
        Assert.DoesNotContain("reload", _bus.Calls);
        Assert.All(_bus.Calls, c => Assert.Matches("^(updateIPSet nph-p[0-9a-f]+-4|setEntries nph-p[0-9a-f]+-4 1)$", c));
        Assert.Contains(_bus.RuntimeIPSets, s => s.Key.StartsWith("nph-p", StringComparison.Ordinal) && s.Value.Entries.SequenceEqual(["10.244.9.9"]));
    }

    [Fact]
    public async Task Apply_RulesGone_ChangesPoliciesBeforeRemovingTheirIpsets()
    {
        await using var backend = Backend();
        await backend.ApplyAsync(TestPlans.Case("e2e-32"), cancellationToken: Token);
        _bus.Calls.Clear();

        var result = await backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token);

        Assert.True(result.ObjectsRemoved > 0);
        var lastPolicyChange = _bus.Calls.FindLastIndex(c => c.Contains("Policy", StringComparison.Ordinal));
        var firstRemoval = _bus.Calls.FindIndex(c => c.StartsWith("removeIPSet ", StringComparison.Ordinal));
        Assert.True(lastPolicyChange >= 0 && firstRemoval > lastPolicyChange, string.Join(", ", _bus.Calls));
        Assert.Equal("RUNNING", _bus.State);
        Assert.Empty((await backend.GetStatusAsync(TestPlans.Case("e2e-01"), Token)).Drift);
    }

    [Fact]
    public async Task Apply_RuleChangedOnExistingPolicy_SetsRuntimeRulesWithoutReload()
    {
        await using var backend = Backend();
        var plan = TestPlans.Case("e2e-14");
        await backend.ApplyAsync(plan, cancellationToken: Token);
        _bus.Calls.Clear();

        var otherPort = TestPlans.WithRules(plan, r => r with { Ports = PortSet.Create([new PortRange(Model.Protocol.Tcp, 8080, 8080)]) });
        await backend.ApplyAsync(otherPort, cancellationToken: Token);

        Assert.Equal(["updatePolicy nph-fwd", "setPolicySettings nph-fwd"], _bus.Calls);
        Assert.Contains(_bus.RuntimePolicies["nph-fwd"].RichRules, r => r.Contains("port port=\"8080\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Apply_ForeignObjectWithOwnedName_ThrowsAndChangesNothing()
    {
        _bus.PermanentPolicies["nph-fwd"] = new PolicySettings("mine", string.Empty, "ACCEPT", 5, ["ANY"], ["ANY"], [], []);
        await using var backend = Backend();

        var error = await Assert.ThrowsAsync<BackendApplyException>(() => backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token));

        Assert.Equal(
            "Backend 'firewalld' could not apply the plan: firewalld already has policy nph-fwd, which NetPolHost did not create (its short description is not 'NetPolHost'); nothing was changed. Remove or rename it, or choose another FirewalldOptions.Prefix.",
            error.Message);
        Assert.Empty(_bus.Calls);
    }

    [Fact]
    public async Task Apply_DryRun_SendsNothing()
    {
        await using var backend = Backend();
        var result = await backend.ApplyAsync(TestPlans.Case("e2e-01"), new ApplyOptions { DryRun = true }, Token);

        Assert.True(result.Changed);
        Assert.True(result.DryRun);
        Assert.Contains("+ policy nph-fwd (ANY -> ANY, priority -30000, 9 rich rules)", result.Changes, StringComparer.Ordinal);
        Assert.Contains("firewalld has no dry run: NetPolHost computed and checked these changes but did not send them", result.Warnings);
        Assert.Empty(_bus.Calls);
    }

    [Fact]
    public async Task RemoveAll_RemovesOwnedPoliciesThenIpsets_KeepsForeignAndReferencedObjects()
    {
        await using var backend = Backend();
        await backend.ApplyAsync(TestPlans.Case("e2e-32"), cancellationToken: Token);
        _bus.PermanentIPSets["nph-admin"] = IpsetSettings.Create("admin", string.Empty, "hash:ip", "inet", ["198.51.100.7"]);
        _bus.Zones["trusted"] = new ZoneReferences(["ipset:nph-pods-4"], []);
        _bus.Calls.Clear();

        await backend.RemoveAllAsync(Token);

        var removals = _bus.Calls.Where(c => c.StartsWith("remove", StringComparison.Ordinal)).ToList();
        Assert.Equal("removePolicy nph-fwd", removals[0]);
        Assert.All(removals.Skip(1), c => Assert.StartsWith("removeIPSet nph-", c, StringComparison.Ordinal));
        Assert.Equal("reload", _bus.Calls[^1]);
        Assert.Equal(["admin-set", "nph-admin", "nph-pods-4"], _bus.PermanentIPSets.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["allow-host-ipv6"], _bus.PermanentPolicies.Keys);
        Assert.Equal(["192.0.2.0/24"], _bus.RuntimeIPSets["admin-set"].Entries);
    }

    [Fact]
    public async Task Reload_BySomeoneElse_ReappliesTheLastPlan()
    {
        await using var backend = Backend(persistEntries: false);
        var reapplied = new TaskCompletionSource<ApplyResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.Reapplied += (result, error) => reapplied.TrySetResult(result);
        await backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token);
        Assert.False(reapplied.Task.IsCompleted);
        _bus.Calls.Clear();

        // The reload empties the runtime entries (PersistEntries is off); only the re-apply fills them again.
        _bus.ExternalReload();
        var result = await reapplied.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.NotNull(result);
        Assert.True(result.Changed);
        Assert.All(_bus.Calls, c => Assert.StartsWith("setEntries nph-", c, StringComparison.Ordinal));
        Assert.Equal(9, _bus.RuntimeIPSets["nph-pods-4"].Entries.Count);
    }

    [Fact]
    public async Task Restart_OfFirewalld_ReappliesTheLastPlan()
    {
        await using var backend = Backend(persistEntries: false);
        var reapplied = new TaskCompletionSource<ApplyResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.Reapplied += (result, _) => reapplied.TrySetResult(result);
        await backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token);

        _bus.Restart();

        Assert.True((await reapplied.Task.WaitAsync(TimeSpan.FromSeconds(10), Token))!.Changed);
        Assert.Equal(9, _bus.RuntimeIPSets["nph-pods-4"].Entries.Count);
    }

    [Fact]
    public async Task Apply_BusUnreachable_SaysWhatToCheck()
    {
        _bus.Fail = call => call == "connect" ? new FirewalldBusUnreachableException("No such file or directory") : null;
        await using var backend = Backend();

        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token));

        Assert.Equal(
            "Backend 'firewalld' is not available: cannot connect to the D-Bus system bus at unix:path=/run/fake-bus (No such file or directory). Check that the D-Bus daemon runs and that the address is right (FirewalldOptions.BusAddress or the DBUS_SYSTEM_BUS_ADDRESS environment variable).",
            error.Message);
    }

    [Fact]
    public async Task Apply_FirewalldNotRunning_SaysToStartIt()
    {
        _bus.Fail = call => call == "state" ? new FirewalldBusException("org.freedesktop.DBus.Error.ServiceUnknown", "The name is not activatable") : null;
        await using var backend = Backend();

        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token));

        Assert.Equal(
            "Backend 'firewalld' is not available: firewalld is not running: nobody owns org.fedoraproject.FirewallD1 on the bus at unix:path=/run/fake-bus. Start it (systemctl start firewalld) or use another backend.",
            error.Message);
    }

    [Fact]
    public async Task Apply_AccessDenied_SaysToRunAsRoot()
    {
        _bus.Fail = call => call.StartsWith("addIPSet", StringComparison.Ordinal) ? new FirewalldBusException(FirewalldBusNames.NotAuthorized, "Not Authorized(uid): org.fedoraproject.FirewallD1.config") : null;
        await using var backend = Backend();

        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token));

        Assert.Equal(
            "Backend 'firewalld' is not available: firewalld refused access (org.fedoraproject.FirewallD1.NotAuthorizedException: Not Authorized(uid): org.fedoraproject.FirewallD1.config). Changing firewalld needs root, or a polkit grant of org.fedoraproject.FirewallD1.config and org.fedoraproject.FirewallD1.all to this user; run as root.",
            error.Message);
    }

    [Fact]
    public async Task Apply_FirewalldFailed_SaysHowToRepair()
    {
        _bus.State = "FAILED";
        await using var backend = Backend();

        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token));

        Assert.Equal(
            "Backend 'firewalld' is not available: firewalld's state is FAILED before applying: it failed to load its configuration and may filter nothing. Find the broken file (firewall-cmd --check-config, journalctl -u firewalld), fix it and restart firewalld.",
            error.Message);
    }

    [Fact]
    public async Task Apply_FirewalldRejectsEntriesMidway_SaysPartOfTheChangeMayBeThere()
    {
        await using var backend = Backend(persistEntries: false);
        await backend.ApplyAsync(TestPlans.Case("e2e-01"), cancellationToken: Token);
        _bus.Fail = call => call.StartsWith("setEntries", StringComparison.Ordinal) ? FakeFirewalldBus.Error("INVALID_ENTRY", "invalid address 'x' in 'nph-pods-4'") : null;
        var grown = new RulePlan
        {
            NodeName = "node-1",
            LocalPodAddresses = [IPAddress.Parse("10.244.1.99")],
            Endpoints = TestPlans.Case("e2e-01").Endpoints,
            Rules = TestPlans.Case("e2e-01").Rules,
        };

        var error = await Assert.ThrowsAsync<BackendApplyException>(() => backend.ApplyAsync(grown, cancellationToken: Token));

        Assert.Equal(
            "Backend 'firewalld' could not apply the plan: setting the entries of ipset nph-pods-4 failed: firewalld said INVALID_ENTRY: invalid address 'x' in 'nph-pods-4'. firewalld rejected what NetPolHost generated: this is a NetPolHost bug; please report it with the output of 'netpolhost plan --backend firewalld -o native'. firewalld may hold part of this change: apply again to complete it, or remove to delete everything NetPolHost owns.",
            error.Message);
    }

    [Theory]
    [InlineData("ALREADY_ENABLED: '10.0.0.1' already is in 'nph-pods-4'", "firewalld said ALREADY_ENABLED: '10.0.0.1' already is in 'nph-pods-4'. Someone changed firewalld while NetPolHost applied its plan; apply again.")]
    [InlineData("NAME_CONFLICT: new_ipset(): 'nph-pods-4'", "firewalld said NAME_CONFLICT: new_ipset(): 'nph-pods-4'. An object of that name already exists in firewalld but NetPolHost did not create it; remove or rename it, or choose another FirewalldOptions.Prefix.")]
    [InlineData("INVALID_IPSET: nph-pods-4", "firewalld said INVALID_IPSET: nph-pods-4. The object is missing (someone removed it or reloaded firewalld during the apply); apply again.")]
    [InlineData("COMMAND_FAILED: 'python-nftables' failed", "firewalld said COMMAND_FAILED: 'python-nftables' failed. firewalld could not load its rules into the kernel; check its log (journalctl -u firewalld) and that nftables works on this host.")]
    [InlineData("FirewallD.addRichRule() missing 1 required positional argument", "firewalld said FirewallD.addRichRule() missing 1 required positional argument")]
    public void Describe_FirewalldErrorCodes_SayWhatToDo(string message, string expected)
    {
        var error = new FirewalldBusException(FirewalldBusNames.FirewallException, message);

        var (unavailable, text) = FirewalldErrors.Describe(error, "unix:path=/x");

        Assert.False(unavailable);
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Describe_RunningButFailed_IsUnavailable()
    {
        var (unavailable, text) = FirewalldErrors.Describe(FakeFirewalldBus.Error("RUNNING_BUT_FAILED", string.Empty), "unix:path=/x");

        Assert.True(unavailable);
        Assert.StartsWith("firewalld said RUNNING_BUT_FAILED. firewalld runs but failed to load its configuration", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BadPrefix_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new FirewalldFirewallBackend(new FirewalldOptions { Prefix = "Bad\"-x" }));
        Assert.StartsWith("Prefix 'Bad_-x' is not valid: a lower-case letter, then at most 7 lower-case letters or digits.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseFirewalld_RegistersBackendAndValidatesOptionsOnStart()
    {
        var services = new ServiceCollection();
        services.AddNetPolHost().UseFirewalld(o => o.Prefix = "ab1");
        await using var provider = services.BuildServiceProvider();
        var backend = Assert.IsType<FirewalldFirewallBackend>(provider.GetRequiredService<IFirewallBackend>());
        Assert.Equal("ab1", backend.Prefix);

        var bad = new ServiceCollection();
        bad.AddNetPolHost().UseFirewalld(o =>
        {
            o.Prefix = "toolongprefix";
            o.CallTimeout = TimeSpan.Zero;
        });
        await using var badProvider = bad.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<FirewalldOptions>>().Value);
        Assert.Contains(error.Failures, f => f.Contains("Prefix must be a lower-case letter followed by at most 7 lower-case letters or digits.", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("CallTimeout must be between 1 second and 10 minutes.", StringComparison.Ordinal));
    }

    public ValueTask DisposeAsync() => _bus.DisposeAsync();

    private FirewalldFirewallBackend Backend(bool persistEntries = true) =>
        new(new FirewalldOptions { PersistEntries = persistEntries }, () => _bus, null);
}
