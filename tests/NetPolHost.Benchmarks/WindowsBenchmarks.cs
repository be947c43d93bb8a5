using System.Globalization;
using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.Wfp;
using NetPolHost.Wfp.Filters;
using NetPolHost.WindowsFirewall;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 5: translation and diff of the Windows backends for one host endpoint with 1,000 policy rules over
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

        FirewallTranslation translation = null!;
        Measure.Report("windows-firewall: translate plan -> rules", Measure.Runs(7, () => translation = FirewallRuleTranslator.Translate(plan, wf)));
        var stored = translation.Rules.Select(r => r with { RemoteAddresses = Rewrite(r.RemoteAddresses), LocalAddresses = Rewrite(r.LocalAddresses) }).ToList();
        Console.WriteLine($"  ({translation.Rules.Count:N0} rules: {translation.Rules.Count(r => r.Action == FirewallAction.Allow):N0} allow, {translation.Rules.Count(r => r.Action == FirewallAction.Block):N0} block; {translation.Rules.Sum(r => r.RemoteAddresses.Count(c => c == ',') + 1):N0} remote address entries)");
        FirewallRuleDiff diff = null!;
        Measure.Report("windows-firewall: diff, unchanged (rewritten addresses)", Measure.Runs(7, () => diff = FirewallRuleDiff.Compute(translation.Rules, stored)));
        Console.WriteLine($"  ({diff.Changes.Count} changes)");
        Measure.Report("windows-firewall: translate + diff, one peer changed", Measure.Runs(7, () => diff = FirewallRuleDiff.Compute(FirewallRuleTranslator.Translate(changed, wf).Rules, stored)));
        Console.WriteLine($"  ({diff.Added} added, {diff.Updated} updated, {diff.Removed} removed)");
        var script = string.Empty;
        Measure.Report("windows-firewall: PowerShell script (translate + render)", Measure.Runs(7, () => script = new WindowsFirewallBackend(wf).RenderNative(plan)));
        Console.WriteLine($"  ({script.Length / 1024.0:F0} KiB)");

        WfpTranslation filters = null!;
        Measure.Report("wfp: translate plan -> filters", Measure.Runs(7, () => filters = WfpFilterTranslator.Translate(plan, wfp)));
        var infos = filters.Filters.Select(f => new WfpFilterInfo(f.Key, f.Name, f.Layer)).ToList();
        Console.WriteLine($"  ({filters.Filters.Count:N0} filters, {filters.Filters.Sum(f => f.Conditions.Count):N0} conditions)");
        WfpFilterDiff wfpDiff = null!;
        Measure.Report("wfp: diff by key, unchanged", Measure.Runs(7, () => wfpDiff = WfpFilterDiff.Compute(filters.Filters, infos)));
        Measure.Report("wfp: translate + diff, one peer changed", Measure.Runs(7, () => wfpDiff = WfpFilterDiff.Compute(WfpFilterTranslator.Translate(changed, wfp).Filters, infos)));
        Console.WriteLine($"  ({wfpDiff.Add.Count} added, {wfpDiff.Delete.Count} deleted, {wfpDiff.Unchanged:N0} unchanged)");
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

    /// <summary>The forms Windows stores: <c>a/255.255.255.255</c>, dotted masks.</summary>
    private static string Rewrite(string list) => string.Join(",", list.Split(',').Select(token =>
    {
        if (token.Contains('-', StringComparison.Ordinal) || token.Contains(':', StringComparison.Ordinal))
        {
            return token;
        }

        var slash = token.IndexOf('/', StringComparison.Ordinal);
        var bits = slash < 0 ? 32 : int.Parse(token[(slash + 1)..], CultureInfo.InvariantCulture);
        var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        return (slash < 0 ? token : token[..slash]) + "/" + new AddressRange(mask, mask, false).FirstAddress;
    }));
}
