using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.TestKit;

/// <summary>Hand-built plans for translation and contract tests.</summary>
public static class HandPlans
{
    public static PlanRule Rule(string id, Direction direction, AddressSet peers, PortSet ports, string policy = "prod/p") => new()
    {
        Id = id,
        Source = new RuleRef(new PolicyRef(policy.Split('/')[0], policy.Split('/')[1]), 0),
        Direction = direction,
        Peers = peers,
        Ports = ports,
    };

    public static AddressSet Peers(params string[] items) => AddressSet.Create(
        items.Where(i => !i.Contains('/', StringComparison.Ordinal)).Select(IPAddress.Parse),
        items.Where(i => i.Contains('/', StringComparison.Ordinal)).Select(c => AddressRange.FromCidr(Cidr.Parse(c))));

    public static PortSet Ports(params (Protocol Protocol, int First, int Last)[] ranges) => PortSet.Create(ranges.Select(r => new PortRange(r.Protocol, r.First, r.Last)));

    public static RulePlan HostPlan(string[] addresses, PlanRule[] ingress, PlanRule[]? egress = null, string[]? nodeAddresses = null, PlanEndpointKind kind = PlanEndpointKind.HostEndpoint)
    {
        var endpoint = new PlanEndpoint
        {
            Name = "prod/host",
            Kind = kind,
            Addresses = addresses.Select(IPAddress.Parse).ToValueList(),
            Ingress = new DirectionPlan(true, [new PolicyRef("prod", "p")], ingress.Select(r => r.Id).Order(StringComparer.Ordinal).ToValueList()),
            Egress = egress is null ? DirectionPlan.Open : new DirectionPlan(true, [new PolicyRef("prod", "p")], egress.Select(r => r.Id).Order(StringComparer.Ordinal).ToValueList()),
        };
        return new RulePlan
        {
            NodeName = "node-1",
            NodeAddresses = (nodeAddresses ?? []).Select(IPAddress.Parse).ToValueList(),
            Endpoints = [endpoint],
            Rules = ingress.Concat(egress ?? []).OrderBy(r => r.Id, StringComparer.Ordinal).ToValueList(),
        };
    }
}
