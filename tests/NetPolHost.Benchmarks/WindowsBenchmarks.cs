using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.Wfp;
using NetPolHost.WindowsFirewall;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 5: translation of the Windows backends (public API: their renderings) for one host endpoint with 1,000 policy rules over
/// 10,000 distinct peers (10 per rule, each on its own TCP port, plus one UDP rule over all of them).</summary>
internal static class WindowsBenchmarks
{
    public static void Run()
    {
        var plan = Plan(changed: false);
        var changed = Plan(changed: true);
        var wf = new WindowsFirewallOptions();
        var wfp = new WfpOptions();
        Console.WriteLine($"Windows backends: 1 host endpoint, {plan.Rules.Count} plan rules, {plan.Rules.SelectMany(r => r.Peers.Hosts).Distinct().Count():N0} distinct peers");

        // Public API only: the backends' renderings are translation plus formatting. The diff against a stored state
        // needs a Windows host (or the test seams), and is measured by nothing here.
        var firewall = new WindowsFirewallBackend(wf);
        var script = string.Empty;
        Measure.Report("windows-firewall: PowerShell script (translate + render)", Measure.Runs(7, () => script = firewall.RenderNative(plan)));
        Console.WriteLine($"  ({script.Length / 1024.0:F0} KiB, {script.Split('\n').Count(l => l.StartsWith("New-NetFirewallRule", StringComparison.Ordinal)):N0} rules)");
        Measure.Report("windows-firewall: PowerShell script, one peer changed", Measure.Runs(7, () => script = firewall.RenderNative(changed)));

        using var filters = new WfpFirewallBackend(wfp);
        var json = string.Empty;
        Measure.Report("wfp: filter list as JSON (translate + render)", Measure.Runs(7, () => json = filters.RenderJson(plan)));
        Console.WriteLine($"  ({json.Length / 1024.0:F0} KiB)");
        Measure.Report("wfp: filter list as JSON, one peer changed", Measure.Runs(7, () => json = filters.RenderJson(changed)));
    }

    private static RulePlan Plan(bool changed)
    {
        static IPAddress Peer(int n) => new AddressRange(0x0A000000u + (uint)(2 * n), 0x0A000000u + (uint)(2 * n), false).FirstAddress;
        var rules = new List<PlanRule>();
        for (var i = 0; i < 1000; i++)
        {
            var peers = Enumerable.Range(10 * i, 10).Select(n => changed && n == 5000 ? IPAddress.Parse("172.16.0.1") : Peer(n));
            rules.Add(Rule($"r{i:D4}", AddressSet.Create(peers, []), PortSet.Create([new PortRange(Protocol.Tcp, 1000 + i, 1000 + i)])));
        }

        rules.Add(Rule("zall", AddressSet.Create(Enumerable.Range(0, 10000).Select(Peer), []), PortSet.Create([new PortRange(Protocol.Udp, 53, 53)])));
        var endpoint = new PlanEndpoint
        {
            Name = "bench/host",
            Kind = PlanEndpointKind.HostEndpoint,
            Addresses = [IPAddress.Parse("192.168.1.10")],
            Ingress = new DirectionPlan(true, [new PolicyRef("bench", "p")], rules.Select(r => r.Id).ToValueList()),
            Egress = DirectionPlan.Open,
        };
        return new RulePlan { NodeName = "node-1", NodeAddresses = [IPAddress.Parse("192.168.1.1")], Endpoints = [endpoint], Rules = rules.ToValueList() };
    }

    private static PlanRule Rule(string id, AddressSet peers, PortSet ports) => new()
    {
        Id = id,
        Source = new RuleRef(new PolicyRef("bench", "p" + id), 0),
        Direction = Direction.Ingress,
        Peers = peers,
        Ports = ports,
    };
}
