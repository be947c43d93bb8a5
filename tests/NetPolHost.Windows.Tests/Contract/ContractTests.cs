using NetPolHost.Backends;
using NetPolHost.TestKit;
using NetPolHost.Wfp;
using NetPolHost.Wfp.Filters;
using NetPolHost.Windows.Tests.Fakes;
using NetPolHost.WindowsFirewall;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.Windows.Tests.Contract;

/// <summary>The backend contract, for Windows Firewall through a fake rule store that stores addresses as Windows does.</summary>
public sealed class WindowsFirewallContractTests : BackendContractSuite, IDisposable
{
    private readonly FakeFirewallRuleStore _store = new();

    protected override IFirewallBackend CreateBackend() => new WindowsFirewallBackend(new WindowsFirewallOptions(), () => _store, null);

    protected override void AddForeignObjects()
    {
        _store.Rules.Add(new FirewallRule { Name = "Other app", Grouping = "Other", Direction = FirewallDirection.Inbound, Action = FirewallAction.Allow, LocalPorts = "8080", Protocol = NetFw.ProtocolTcp });
        _store.Rules.Add(new FirewallRule { Name = "Ungrouped block", Grouping = string.Empty, Direction = FirewallDirection.Outbound, Action = FirewallAction.Block, RemoteAddresses = "203.0.113.9" });
    }

    protected override string DescribeForeignObjects() =>
        string.Join("\n", _store.Rules.Where(r => r.Grouping != new WindowsFirewallOptions().GroupName).Select(r => r.ToString()));

    protected override bool FailNextChange()
    {
        _store.FailOn = "add";
        return true;
    }

    protected override void StopFailing() => _store.FailOn = null;

    public void Dispose() => _store.Dispose();
}

/// <summary>The backend contract, for WFP through a fake engine with transactions.</summary>
public sealed class WfpContractTests : BackendContractSuite, IDisposable
{
    private readonly FakeWfpEngine _engine = new();
    private readonly Guid _foreignProvider = Guid.NewGuid();

    protected override IFirewallBackend CreateBackend() => new WfpFirewallBackend(new WfpOptions(), () => _engine, null);

    protected override void AddForeignObjects() => _engine.Seed(e =>
    {
        e.AddProvider(new WfpProvider(_foreignProvider, "other", "other", true));
        e.AddSublayer(new WfpSublayer(Guid.NewGuid(), "other", "other", 1, true, _foreignProvider));
    });

    protected override string DescribeForeignObjects() =>
        string.Join("\n", _engine.Providers.Where(p => p != new WfpOptions().ProviderKey).Order().Select(p => p.ToString())
            .Concat(_engine.Sublayers.Values.Where(s => s.Key != new WfpOptions().SublayerKey).Select(s => s.ToString()))
            .Concat(_engine.Filters.Values.Where(f => f.Provider != new WfpOptions().ProviderKey).Select(f => f.Filter.Key.ToString())));

    protected override bool FailNextChange()
    {
        _engine.FailOn = "add filter";
        return true;
    }

    protected override void StopFailing() => _engine.FailOn = null;

    public void Dispose() => _engine.Dispose();
}
