using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Firewalld.Tests;

/// <summary>Plans for the unit tests.</summary>
internal static class TestPlans
{
    public static RulePlan Case(string id) =>
        RulePlanCompiler.Compile(ConformanceData.Get(id).Snapshot, new RulePlanOptions { NodeName = "node-1" });

    /// <summary>A copy of a plan with other rules (built anew: <c>with</c> would keep the plan's rule index).</summary>
    public static RulePlan WithRules(RulePlan plan, Func<PlanRule, PlanRule> change) => new()
    {
        NodeName = plan.NodeName,
        NodeAddresses = plan.NodeAddresses,
        LocalPodAddresses = plan.LocalPodAddresses,
        Endpoints = plan.Endpoints,
        Rules = plan.Rules.Select(change).ToValueList(),
        Notes = plan.Notes,
    };

    /// <summary>A hand-made plan: one pod isolated both ways and one host endpoint, with user text full of quotes and
    /// shell characters in every name, a dual-stack pod, port ranges, an ipBlock and a rule without ports.</summary>
    public static RulePlan Hostile()
    {
        var evil = new PolicyRef("ns'\"; rm -rf /", "pol`$(reboot)`\n<x>");
        var pod = IPAddress.Parse("10.1.0.5");
        var pod6 = IPAddress.Parse("fd00::5");
        var other = IPAddress.Parse("10.1.0.6");
        PlanRule Rule(string id, Direction direction, int index, AddressSet peers, PortSet ports) =>
            new() { Id = id, Source = new RuleRef(evil, index), Direction = direction, Peers = peers, Ports = ports };
        var rules = new[]
        {
            Rule("r-in-0", Direction.Ingress, 0, AddressSet.Create([other, IPAddress.Parse("10.2.0.1")], [AddressRange.FromCidr(Cidr.Parse("10.9.0.0/16"))]), PortSet.Create([new PortRange(Protocol.Tcp, 80, 80), new PortRange(Protocol.Udp, 5000, 5010)])),
            Rule("r-in-1", Direction.Ingress, 1, AddressSet.Create([other], []), PortSet.All),
            Rule("r-eg-0", Direction.Egress, 0, AddressSet.Create([], [AddressRange.FromCidr(Cidr.Parse("0.0.0.0/0"))]), PortSet.Create([new PortRange(Protocol.Udp, 53, 53)])),
            Rule("r-eg-1", Direction.Egress, 1, AddressSet.Create([other], []), PortSet.Create([new PortRange(Protocol.Tcp, 8000, 8080), new PortRange(Protocol.Sctp, 9, 9)])),
            Rule("r-h-0", Direction.Ingress, 2, AddressSet.All, PortSet.Create([new PortRange(Protocol.Tcp, 22, 22)])),
        };
        return new RulePlan
        {
            NodeName = "node\"; reboot",
            NodeAddresses = [IPAddress.Parse("192.168.1.10")],
            LocalPodAddresses = [pod, pod6, other],
            Endpoints =
            [
                new PlanEndpoint
                {
                    Name = "ns'\"; rm -rf //pod`x`",
                    Kind = PlanEndpointKind.Pod,
                    Addresses = [pod, pod6],
                    Ingress = new DirectionPlan(true, [evil], ["r-in-0", "r-in-1"]),
                    Egress = new DirectionPlan(true, [evil], ["r-eg-0", "r-eg-1"]),
                },
                new PlanEndpoint
                {
                    Name = "host/node\"eth0",
                    Kind = PlanEndpointKind.HostEndpoint,
                    Addresses = [IPAddress.Parse("192.168.1.10")],
                    InterfaceName = "eth0",
                    Ingress = new DirectionPlan(true, [evil], ["r-h-0"]),
                    Egress = new DirectionPlan(true, [evil], []),
                },
            ],
            Rules = [.. rules.OrderBy(r => r.Id, StringComparer.Ordinal)],
        };
    }
}
