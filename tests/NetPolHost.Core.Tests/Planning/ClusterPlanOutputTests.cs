using System.Text.Json;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>A plan with ClusterNetworkPolicy tiers, as <see cref="RulePlan.Describe"/> and <see cref="RulePlanJson"/>
/// show it: the tiers in order with each entry's action, the NetworkPolicy stage between them.</summary>
public sealed class ClusterPlanOutputTests
{
    private static RulePlan Plan()
    {
        var snapshot = new ClusterBuilder().Namespace("x").Namespace("y")
            .Pod("x/web", "10.0.1.3", "app=web")
            .Pod("y/db", "10.0.2.3", "app=db")
            .Pod("y/client", "10.0.2.4", "app=client", node: "node-2")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {}
                  policyTypes: [Egress]
                  egress: [{to: [{podSelector: {}}]}]
                """)
            .Build()
            .With(clusterPolicies:
            [
                new ClusterNetworkPolicy
                {
                    Name = "guard",
                    Tier = PolicyTier.Admin,
                    Subject = new ClusterPolicySubject { Namespaces = LabelSelector.Everything },
                    Egress =
                    [
                        new ClusterNetworkPolicyRule { Name = "dns", Action = ClusterPolicyAction.Pass, Peers = [new ClusterPolicyPeer { Networks = [Cidr.Parse("10.96.0.10/32")] }] },
                        new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Deny, Peers = [new ClusterPolicyPeer { UnknownFields = ["services"] }] },
                    ],
                },
                new ClusterNetworkPolicy
                {
                    Name = "default",
                    Tier = PolicyTier.Baseline,
                    Subject = new ClusterPolicySubject { Namespaces = LabelSelector.Everything },
                    Ingress = [new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Accept, Peers = [new ClusterPolicyPeer { Pods = new NamespacedPodSelector(LabelSelector.Everything, LabelSelector.ForLabels("app", "client")) }] }],
                },
            ]);
        return RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" });
    }

    [Fact]
    public void Describe_ShowsTheStagesInOrder_WithActions()
    {
        var text = Plan().Describe();
        Assert.Contains("""
              pod x/web [10.0.1.3]
                ingress:
                  NetworkPolicy stage: not isolated
                  Baseline tier, first match:
                    accept from 10.0.2.4 ports any  (ClusterNetworkPolicy default rule 0)
                  otherwise allow
                egress:
                  Admin tier, first match:
                    pass (then the NetworkPolicy stage) to 10.96.0.10 ports any  (ClusterNetworkPolicy guard rule 0)
                    deny to any ports any  (ClusterNetworkPolicy guard rule 1)
                  NetworkPolicy stage: isolated by x/web
                    allow to 10.0.1.3 ports any  (x/web rule 0)
            """.ReplaceLineEndings(), text.ReplaceLineEndings(), StringComparison.Ordinal);
    }

    /// <summary>y/db has only tier entries (nothing isolates it): the count does not call it isolated. Where every
    /// endpoint is isolated, it still says so.</summary>
    [Fact]
    public void EndpointCount_NamesEndpointsWithOnlyTierEntries_AsEndpointsWithPolicies()
    {
        var plan = Plan();
        Assert.Contains(plan.Endpoints, e => !e.Ingress.Isolated && !e.Egress.Isolated);
        Assert.Equal("2 endpoints with policies", plan.DescribeEndpointCount());
        Assert.StartsWith("node node-1: 2 endpoints with policies, ", plan.Describe(), StringComparison.Ordinal);
        var isolated = plan with { Endpoints = [.. plan.Endpoints.Where(e => e.Ingress.Isolated || e.Egress.Isolated)] };
        Assert.Equal("1 isolated endpoints", isolated.DescribeEndpointCount());
    }

    [Fact]
    public void Json_HasTheTiersAndEveryEntrysAction()
    {
        var plan = Plan();
        using var json = JsonDocument.Parse(RulePlanJson.Serialize(plan));
        var web = json.RootElement.GetProperty("endpoints").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "x/web");
        var egress = web.GetProperty("egress");
        Assert.Equal(2, egress.GetProperty("admin").GetArrayLength());
        Assert.True(egress.GetProperty("isolated").GetBoolean());
        Assert.Equal(0, egress.GetProperty("baseline").GetArrayLength());
        Assert.Equal(1, web.GetProperty("ingress").GetProperty("baseline").GetArrayLength());

        var rules = json.RootElement.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        var actions = egress.GetProperty("admin").EnumerateArray().Select(id => rules[id.GetString()!].GetProperty("action").GetString()).ToList();
        Assert.Equal(["Pass", "Deny"], actions);
        Assert.True(rules[egress.GetProperty("admin")[1].GetString()!].GetProperty("peers").GetProperty("any").GetBoolean(), "an unknown peer of a Deny rule fails closed: every address");
        var networkPolicy = Assert.Single(rules.Values, r => r.GetProperty("policy").GetString() == "x/web");
        Assert.Equal("Accept", networkPolicy.GetProperty("action").GetString());
    }
}
