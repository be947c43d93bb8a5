using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.Windows.Tests.Conformance;
using NetPolHost.Windows.Tests.Fakes;
using NetPolHost.WindowsFirewall;
using NetPolHost.WindowsFirewall.Rules;
using static NetPolHost.TestKit.HandPlans;

namespace NetPolHost.Windows.Tests.WindowsFirewall;

/// <summary>
/// Windows Firewall has no transactions, so the backend orders its changes. These tests check the promise of that order:
/// after every single change of a reconcile from plan A to plan B, on a host whose other rules allow everything, no
/// probe passes that neither A nor B lets through.
/// </summary>
public sealed class TransitionTests
{
    private static readonly string[] s_peers = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.50.0.1", "172.16.0.1", "fd00::1"];
    private static readonly (int Protocol, int Port)[] s_probes = [(6, 80), (6, 81), (6, 443), (17, 53), (17, 80), (132, 80), (1, 0)];

    public static TheoryData<string, string> Pairs
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var from in Named.Keys)
            {
                foreach (var to in Named.Keys.Where(k => k != from))
                {
                    data.Add(from, to);
                }
            }

            return data;
        }
    }

    private static Dictionary<string, Func<RulePlan>> Named => new()
    {
        ["A"] = () => HostPlan(["192.168.1.10", "fd00::10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1", "10.0.0.2"), Ports((Protocol.Tcp, 80, 80))), Rule("r2", Direction.Ingress, Peers("10.50.0.0/16"), PortSet.All)]),
        ["B"] = () => HostPlan(["192.168.1.10", "fd00::10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1", "10.0.0.3", "fd00::1"), Ports((Protocol.Tcp, 80, 81))), Rule("r3", Direction.Ingress, Peers("10.0.0.4"), Ports((Protocol.Udp, 53, 53)))]),
        ["C"] = () => HostPlan(["192.168.1.10", "fd00::10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.0/24", "172.16.0.1"), Ports((Protocol.Tcp, 443, 443), (Protocol.Tcp, 80, 80)))]),
        ["deny"] = () => HostPlan(["192.168.1.10", "fd00::10"], []),
        ["open"] = () => new RulePlan { NodeName = "node-1" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Reconcile_NeverAllowsWhatNeitherPlanAllows(string from, string to)
    {
        var before = Named[from]();
        var after = Named[to]();
        var allowedBefore = Allowed(await FinalRulesAsync(before));
        var allowedAfter = Allowed(await FinalRulesAsync(after));
        var store = new FakeFirewallRuleStore();
        using var backend = new WindowsFirewallBackend(new WindowsFirewallOptions(), () => store, null);
        await backend.ApplyAsync(before, cancellationToken: TestContext.Current.CancellationToken);
        var violations = new List<string>();
        var step = 0;
        store.AfterEachChange = rules =>
        {
            step++;
            foreach (var probe in Allowed(rules).Where(p => !allowedBefore.Contains(p) && !allowedAfter.Contains(p)))
            {
                violations.Add($"after change {step} ({store.Log[^1]}): {probe} passes");
            }
        };

        await backend.ApplyAsync(after, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(step > 0);
        Assert.Empty(violations);
        Assert.Equal(allowedAfter, Allowed(store.Rules));
    }

    private static async Task<List<FirewallRule>> FinalRulesAsync(RulePlan plan)
    {
        var store = new FakeFirewallRuleStore();
        using var backend = new WindowsFirewallBackend(new WindowsFirewallOptions(), () => store, null);
        await backend.ApplyAsync(plan, cancellationToken: TestContext.Current.CancellationToken);
        return store.Rules;
    }

    /// <summary>The probes that pass inbound on a host whose other rules allow everything.</summary>
    private static HashSet<string> Allowed(IEnumerable<FirewallRule> rules)
    {
        var foreign = new FirewallRule { Name = "allow-all", Grouping = "other", Direction = FirewallDirection.Inbound, Action = FirewallAction.Allow };
        var model = new WindowsFirewallModel(rules.Append(foreign).ToList(), false, false);
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var peer in s_peers)
        {
            var remote = IPAddress.Parse(peer);
            var local = IPAddress.Parse(remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "fd00::10" : "192.168.1.10");
            foreach (var (protocol, port) in s_probes)
            {
                if (model.Allows(FirewallDirection.Inbound, local, remote, protocol, port, 50000))
                {
                    allowed.Add($"{peer} {protocol}/{port}");
                }
            }
        }

        return allowed;
    }
}
