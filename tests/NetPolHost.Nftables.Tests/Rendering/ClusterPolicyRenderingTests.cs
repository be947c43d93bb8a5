using NetPolHost.Backends;
using NetPolHost.Model;
using NetPolHost.Nftables.Rendering;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Rendering;

/// <summary>How ClusterNetworkPolicy tiers are rendered: ordered chains per tier, verdicts per action, the NetworkPolicy
/// chain between the tiers, node-local maps, sets for peers.</summary>
public sealed class ClusterPolicyRenderingTests(ITestOutputHelper output)
{
    private static readonly LabelSelector s_all = LabelSelector.Everything;

    /// <summary>shop/web (isolated for ingress by a NetworkPolicy) and shop/db on node-1; a client on node-2; an Admin
    /// policy for every pod (Deny to the metadata address, Pass to the node, Accept from monitoring) and a Baseline one
    /// (Deny from other namespaces).</summary>
    internal static ClusterSnapshot Guardrails(int clients = 1)
    {
        var builder = new ClusterBuilder().Namespace("shop", "team=shop").Namespace("monitoring", "team=ops").Namespace("clients")
            .Node("node-1", "192.168.1.1")
            .Pod("shop/web", "10.0.0.1", "app=web", ports: "http=8080/TCP")
            .Pod("shop/db", "10.0.0.2", "app=db")
            .Pod("monitoring/prom", "10.0.2.1", "app=prom", node: "node-2")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: shop}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress: [{from: [{podSelector: {}}], ports: [{port: 8080}]}]
                """);
        for (var i = 0; i < clients; i++)
        {
            builder.Pod($"clients/c{i}", $"10.{1 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}", "app=client", node: "node-2");
        }

        return builder.Build().With(clusterPolicies:
        [
            new ClusterNetworkPolicy
            {
                Name = "guardrails",
                Tier = PolicyTier.Admin,
                Priority = 10,
                Subject = new ClusterPolicySubject { Namespaces = s_all },
                Ingress =
                [
                    new ClusterNetworkPolicyRule
                    {
                        Name = "monitoring",
                        Action = ClusterPolicyAction.Accept,
                        Peers = [new ClusterPolicyPeer { Namespaces = LabelSelector.ForLabels("team", "ops") }],
                        Protocols = [new ClusterPolicyPort { NamedPort = "http" }],
                    },
                ],
                Egress =
                [
                    new ClusterNetworkPolicyRule
                    {
                        Name = "no-metadata",
                        Action = ClusterPolicyAction.Deny,
                        Peers = [new ClusterPolicyPeer { Networks = [Cidr.Parse("169.254.169.254/32")] }],
                    },
                    new ClusterNetworkPolicyRule
                    {
                        Name = "nodes-decide-later",
                        Action = ClusterPolicyAction.Pass,
                        Peers = [new ClusterPolicyPeer { Nodes = s_all }],
                        Protocols = [new ClusterPolicyPort { Protocol = Protocol.Tcp, Port = 10250, EndPort = 10250 }],
                    },
                ],
            },
            new ClusterNetworkPolicy
            {
                Name = "default",
                Tier = PolicyTier.Baseline,
                Subject = new ClusterPolicySubject { Namespaces = LabelSelector.ForLabels("team", "shop") },
                Ingress =
                [
                    new ClusterNetworkPolicyRule
                    {
                        Action = ClusterPolicyAction.Deny,
                        Peers = [new ClusterPolicyPeer { Namespaces = LabelSelector.ForLabels("kubernetes.io/metadata.name", "clients") }],
                    },
                ],
            },
        ]);
    }

    [Fact]
    public void Tiers_RenderAsOrderedChains_WithAVerdictPerAction()
    {
        var plan = RulePlanCompiler.Compile(Guardrails(), new RulePlanOptions { NodeName = "node-1" });
        output.WriteLine(plan.Describe());
        var script = new NftablesFirewallBackend().RenderNative(plan);
        output.WriteLine(script);
        var state = NftPlanRenderer.Render(plan, "netpolhost");

        var web = plan.Endpoints.Single(e => e.Name == "shop/web");
        var db = plan.Endpoints.Single(e => e.Name == "shop/db");
        Assert.True(web.Ingress.Isolated);
        Assert.True(web.Ingress.Baseline.IsEmpty);
        Assert.False(db.Ingress.Isolated);
        Assert.Single(db.Ingress.Baseline);

        // web's ingress: the Admin chain accepts monitoring, then goes to the NetworkPolicy chain.
        var webIngress = EntryChain(state, NftNames.Ingress4, "10.0.0.1");
        Assert.StartsWith("a_i_", webIngress.Name, StringComparison.Ordinal);
        Assert.Matches(@"^ip saddr @h4_\w+ meta l4proto \. th dport @r_cnp_\w+_p counter goto l_\w+ comment ""admin ingress\[0\] allow guardrails h:\w+""$", webIngress.Rules[0]);
        Assert.Matches(@"^goto c_i_\w+ comment", webIngress.Rules[^1]);
        var networkPolicyChain = state.Chains[webIngress.Rules[^1].Split(' ')[1]];
        Assert.Matches("^counter drop comment \"np ingress drop h:", networkPolicyChain.Rules[^1]);

        // db's ingress: no Admin entry (db serves no port named http), so straight to the Baseline chain, whose Deny
        // drops; falling off its end allows.
        Assert.True(db.Ingress.Admin.IsEmpty);
        var baseline = EntryChain(state, NftNames.Ingress4, "10.0.0.2");
        Assert.StartsWith("b_i_", baseline.Name, StringComparison.Ordinal);
        Assert.Single(baseline.Rules);
        Assert.Matches(@"^ip saddr @h4_\w+ counter goto l_\w+ comment ""baseline ingress\[0\] deny default h:\w+""$", baseline.Rules[0]);

        // Egress of both: Deny drops the metadata address, Pass goes on (to an allow: no NetworkPolicy, no Baseline rule).
        var egress = EntryChain(state, NftNames.Egress4, "10.0.0.2");
        Assert.Same(egress, EntryChain(state, NftNames.Egress4, "10.0.0.1"));
        Assert.Equal(2, egress.Rules.Length);
        Assert.Matches(@"^ip daddr @r_cnp_\w+_e0_b4 counter goto l_\w+ comment ""admin egress\[0\] deny guardrails", egress.Rules[0]);
        Assert.Matches(@"^ip daddr @h4_\w+ meta l4proto \. th dport @r_cnp_\w+_e1_p counter return comment ""admin egress\[1\] pass guardrails", egress.Rules[1]);
        Assert.Contains("192.168.1.1", state.Sets[egress.Rules[1].Split(' ')[2][1..]].Elements);

        // Deny never rejects (upstream counts a refused connection as a failure).
        Assert.DoesNotContain("reject", script, StringComparison.Ordinal);

        // Node-local traffic meets the tiers in the input and output hooks.
        Assert.Contains($"ip saddr vmap @{NftNames.LocalEgress4}", state.Chains[NftNames.Input].Rules[4], StringComparison.Ordinal);
        Assert.Contains($"10.0.0.2 comment \"shop/db\" : jump {egress.Name}", state.Sets[NftNames.LocalEgress4].Elements);
        Assert.Contains($"10.0.0.2 comment \"shop/db\" : jump {baseline.Name}", state.Sets[NftNames.LocalIngress4].Elements);

        // web is isolated for ingress: node-local traffic to it is allowed after the Admin tier, without the NetworkPolicy chain.
        var webLocal = state.Chains[MapTarget(state, NftNames.LocalIngress4, "10.0.0.1")];
        Assert.DoesNotContain(webLocal.Rules, r => r.StartsWith("goto", StringComparison.Ordinal));
    }

    [Fact]
    public void Tiers_RuleCountFollowsPolicyRulesNotPeers()
    {
        static NftState Render(int clients) =>
            NftPlanRenderer.Render(RulePlanCompiler.Compile(Guardrails(clients), new RulePlanOptions { NodeName = "node-1" }), "netpolhost");

        var small = Render(10);
        var large = Render(20_000);
        Assert.Equal(small.RuleCount, large.RuleCount);
        Assert.Equal(small.Chains.Count, large.Chains.Count);
        Assert.True(large.ElementCount > 20_000);
    }

    [Fact]
    public void NetworkPolicyPlans_HaveNoTierChainsOrNodeLocalMaps()
    {
        var snapshot = Guardrails();
        var plan = RulePlanCompiler.Compile(ClusterSnapshot.Create(snapshot.Namespaces, snapshot.Pods, snapshot.Nodes, snapshot.HostEndpoints, snapshot.Policies), new RulePlanOptions { NodeName = "node-1" });
        var state = NftPlanRenderer.Render(plan, "netpolhost");
        Assert.False(plan.HasTiers);
        Assert.DoesNotContain(state.Chains.Keys, n => n.StartsWith("a_", StringComparison.Ordinal) || n.StartsWith("b_", StringComparison.Ordinal) || n == NftNames.Input);
        Assert.DoesNotContain(state.Sets.Keys, NftNames.NodeLocalMaps.Contains);
    }

    [Fact]
    public void Plans_WithTiers_NeedTheTierCapability_AndDomainNamesAreRefusedByEveryBackend()
    {
        var snapshot = Guardrails();
        var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" });
        var nftables = new NftablesFirewallBackend();
        nftables.EnsureCanExpress(plan);
        var refused = Assert.Throws<UnsupportedPolicyFeatureException>(() => BackendContract.EnsureCanExpress(plan, "allow-only", nftables.Capabilities & ~BackendCapabilities.ClusterPolicyTiers));
        Assert.Equal(BackendCapabilities.ClusterPolicyTiers, refused.MissingCapability);

        var withDomains = snapshot.With(clusterPolicies:
        [
            snapshot.ClusterPolicies.Single(p => p.Name == "guardrails") with
            {
                Egress = [new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Accept, Peers = [new ClusterPolicyPeer { DomainNames = ["*.example.com"] }] }],
            },
        ]);
        var domainPlan = RulePlanCompiler.Compile(withDomains, new RulePlanOptions { NodeName = "node-1" });
        Assert.Contains(domainPlan.Rules, r => r.DomainNames.SequenceEqual(["*.example.com"]));
        var domains = Assert.Throws<UnsupportedPolicyFeatureException>(() => nftables.EnsureCanExpress(domainPlan));
        Assert.Equal(BackendCapabilities.DomainNames, domains.MissingCapability);
        Assert.Contains("ClusterNetworkPolicy guardrails", domains.Message, StringComparison.Ordinal);
    }

    private static string MapTarget(NftState state, string map, string address) =>
        state.Sets[map].Elements.Single(e => e.StartsWith(address + " ", StringComparison.Ordinal) && e.Contains(" : jump ", StringComparison.Ordinal)).Split(' ')[^1];

    private static NftChain EntryChain(NftState state, string map, string address) => state.Chains[MapTarget(state, map, address)];
}
