using NetPolHost.Backends;
using NetPolHost.Firewalld.Bus;
using NetPolHost.Firewalld.Tests.Fakes;
using NetPolHost.TestKit;

namespace NetPolHost.Firewalld.Tests;

/// <summary>The backend contract, for firewalld through a fake D-Bus interface with permanent and runtime state.</summary>
public sealed class FirewalldContractTests : BackendContractSuite, IAsyncDisposable
{
    private readonly FakeFirewalldBus _bus = new();
    private readonly List<FirewalldFirewallBackend> _backends = [];

    protected override IFirewallBackend CreateBackend()
    {
        var backend = new FirewalldFirewallBackend(new FirewalldOptions(), () => _bus, null);
        _backends.Add(backend);
        return backend;
    }

    protected override void AddForeignObjects()
    {
        _bus.PermanentIPSets["admins"] = IpsetSettings.Create("admins", string.Empty, "hash:ip", "inet", ["198.51.100.7"]);
        _bus.PermanentPolicies["allow-admins"] = new PolicySettings("admins", string.Empty, "CONTINUE", 10, ["ANY"], ["HOST"], ["rule family=\"ipv4\" source ipset=\"admins\" accept"], []);
    }

    protected override string DescribeForeignObjects() =>
        string.Join("\n", _bus.PermanentIPSets.Where(p => !p.Key.StartsWith("nph-", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + " " + string.Join(",", p.Value.Entries))
            .Concat(_bus.PermanentPolicies.Where(p => !p.Key.StartsWith("nph-", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + " " + string.Join(",", p.Value.RichRules))));

    protected override bool FailNextChange()
    {
        _bus.Fail = call => call.StartsWith("add", StringComparison.Ordinal) || call.StartsWith("set", StringComparison.Ordinal)
            ? FakeFirewalldBus.Error("COMMAND_FAILED", "'python-nftables' failed: internal:0:0-0: Error: Could not process rule: No buffer space available")
            : null;
        return true;
    }

    protected override void StopFailing() => _bus.Fail = null;

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}
