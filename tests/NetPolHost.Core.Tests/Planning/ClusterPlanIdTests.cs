using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>Ids of ClusterNetworkPolicy entries: stable per (policy, direction, rule), never those of a NetworkPolicy
/// entry, unique when short hashes collide.</summary>
public sealed class ClusterPlanIdTests
{
    private static ClusterNetworkPolicy Deny(string name, string cidr, int priority = 0) => new()
    {
        Name = name,
        Tier = PolicyTier.Admin,
        Priority = priority,
        Subject = new ClusterPolicySubject { Namespaces = LabelSelector.Everything },
        Egress = [new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Deny, Peers = [new ClusterPolicyPeer { Networks = [Cidr.Parse(cidr)] }] }],
        Ingress = [new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Pass, Peers = [new ClusterPolicyPeer { Namespaces = LabelSelector.Everything }] }],
    };

    private static ClusterSnapshot Base() => new ClusterBuilder().Namespace("x")
        .Pod("x/web", "10.0.1.3", "app=web")
        .Pod("x/a", "10.0.1.1", "app=a", node: "node-2")
        .Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: x}
            spec:
              podSelector: {matchLabels: {app: web}}
              ingress: [{from: [{podSelector: {matchLabels: {app: a}}}]}]
            """)
        .Build();

    [Fact]
    public void Ids_StartWithCnp_AndStayWhenOtherPoliciesComeAndGo()
    {
        var options = new RulePlanOptions { NodeName = "node-1" };
        var one = RulePlanCompiler.Compile(Base().With(clusterPolicies: [Deny("guard", "169.254.0.0/16")]), options);
        var more = RulePlanCompiler.Compile(Base().With(clusterPolicies: [Deny("guard", "169.254.0.0/16"), Deny("another", "10.9.0.0/16", priority: 5)]), options);
        var changed = RulePlanCompiler.Compile(Base().With(clusterPolicies: [Deny("guard", "169.254.169.254/32")]), options);

        var web = one.Endpoints.Single(e => e.Name == "x/web");
        Assert.All(web.Egress.Admin.Concat(web.Ingress.Admin), id => Assert.StartsWith("cnp-", id, StringComparison.Ordinal));
        Assert.All(web.Ingress.Rules, id => Assert.DoesNotContain("cnp", id, StringComparison.Ordinal));
        Assert.Equal([.. web.Egress.Admin], more.Endpoints.Single(e => e.Name == "x/web").Egress.Admin.Where(web.Egress.Admin.Contains));
        Assert.Equal(web.Egress.Admin, changed.Endpoints.Single(e => e.Name == "x/web").Egress.Admin);
        Assert.NotEqual(one.GetRule(web.Egress.Admin[0]), changed.GetRule(web.Egress.Admin[0]));

        // Priorities order the entries: "another" (5) after "guard" (0).
        var both = more.Endpoints.Single(e => e.Name == "x/web").Egress.Admin.Select(more.GetRule).Select(r => r.Source.Policy.Name);
        Assert.Equal(["guard", "another"], both);
    }

    [Fact]
    public void Ids_WhenEveryShortHashCollides_AreStillUnique_AndThePlanDecidesAlike()
    {
        var constant = new string('0', 64);
        for (var seed = 0; seed < 40; seed++)
        {
            var (_, snapshot) = ClusterPlanDifferentialTests.Cluster(seed);
            var matcher = new PolicyMatcher(snapshot);
            foreach (var node in new[] { "node-1", "node-2" })
            {
                var options = new RulePlanOptions { NodeName = node };
                var plan = RulePlanCompiler.Compile(matcher, options);
                var colliding = RulePlanCompiler.Compile(matcher, options, _ => constant);
                Assert.Equal(colliding.Rules.Count, colliding.Rules.Select(r => r.Id).Distinct().Count());
                Assert.Equal(plan.Rules.Count, colliding.Rules.Count);
                foreach (var from in RandomCluster.PodIPs.Values)
                {
                    foreach (var to in RandomCluster.PodIPs.Values.Where(a => !a.Equals(from)))
                    {
                        foreach (var (port, protocol) in new[] { (80, Protocol.Tcp), (81, Protocol.Udp) })
                        {
                            Assert.True(
                                plan.Evaluate(from, to, protocol, port).Allowed == colliding.Evaluate(from, to, protocol, port).Allowed,
                                $"seed {seed} {node}: {from} -> {to} {port}/{protocol}");
                        }
                    }
                }

                Assert.Equal(plan.Evaluate(IPAddress.Parse("10.244.1.5"), IPAddress.Parse("192.168.56.11"), Protocol.Tcp, 80).Allowed, colliding.Evaluate(IPAddress.Parse("10.244.1.5"), IPAddress.Parse("192.168.56.11"), Protocol.Tcp, 80).Allowed);
            }
        }
    }
}
