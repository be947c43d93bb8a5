using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>The plan's lookups (rules by id, endpoints by address) follow the plan they are asked of, also after `with`.</summary>
public sealed class RulePlanLookupTests
{
    private static RulePlan Plan() => RulePlanCompiler.Compile(
        new ClusterBuilder()
            .Pod("x/web", "10.0.0.1", "app=web", node: "n")
            .Pod("x/a", "10.0.0.2", "app=a", node: "n")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                  - from: [{podSelector: {matchLabels: {app: a}}}]
                    ports: [{port: 80}]
                """).Build(),
        new RulePlanOptions { NodeName = "n" });

    [Fact]
    public void With_AfterLookups_DoesNotKeepTheOriginalsLookups()
    {
        var plan = Plan();
        var rule = Assert.Single(plan.Rules);
        Assert.Same(rule, plan.GetRule(rule.Id));
        Assert.NotNull(plan.FindEndpoint(IPAddress.Parse("10.0.0.1"), PlanEndpointKind.Pod));
        Assert.True(plan.Evaluate(IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1"), Protocol.Tcp, 80).Allowed);

        // Only port 81 now, and the endpoint moved to another address.
        var narrowed = rule with { Ports = PortSet.Create([new PortRange(Protocol.Tcp, 81, 81)]) };
        var edited = plan with
        {
            Rules = [narrowed],
            Endpoints = [.. plan.Endpoints.Select(e => e with { Addresses = [IPAddress.Parse("10.0.0.9")] })],
        };
        Assert.Same(narrowed, edited.GetRule(rule.Id));
        Assert.Null(edited.FindEndpoint(IPAddress.Parse("10.0.0.1"), PlanEndpointKind.Pod));
        Assert.NotNull(edited.FindEndpoint(IPAddress.Parse("10.0.0.9"), PlanEndpointKind.Pod));
        Assert.False(edited.Evaluate(IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.9"), Protocol.Tcp, 80).Allowed);
        Assert.True(edited.Evaluate(IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.9"), Protocol.Tcp, 81).Allowed);

        // The original is unchanged.
        Assert.Same(rule, plan.GetRule(rule.Id));
        Assert.True(plan.Evaluate(IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1"), Protocol.Tcp, 80).Allowed);
    }

    [Fact]
    public void Evaluate_WithTheHostsAddresses_DecidesThePathByThem()
    {
        var plan = Plan();
        var node = IPAddress.Parse("192.168.1.10");
        var fromNode = plan.Evaluate(node, IPAddress.Parse("10.0.0.1"), Protocol.Tcp, 80, new HashSet<IPAddress> { node });
        Assert.Equal(PacketPath.Output, fromNode.Path);
        Assert.True(fromNode.Allowed); // the node to its own pod: node-local

        // Unknown to the plan, the same address is a remote peer on the forward path, and web's ingress denies it.
        var fromElsewhere = plan.Evaluate(node, IPAddress.Parse("10.0.0.1"), Protocol.Tcp, 80);
        Assert.Equal(PacketPath.Forward, fromElsewhere.Path);
        Assert.False(fromElsewhere.Allowed);
    }
}
