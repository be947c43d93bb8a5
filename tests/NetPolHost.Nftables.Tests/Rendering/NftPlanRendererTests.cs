using System.Text.RegularExpressions;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Nftables.Rendering;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Rendering;

public sealed partial class NftPlanRendererTests
{
    private static RulePlan SamplePlan()
    {
        var snapshot = new ManifestLoader().LoadPaths([Path.Combine(TestPaths.Root, "examples", "sample")]).GetSnapshotOrThrow();
        return RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" });
    }

    [Fact]
    public void RenderNative_Sample_MatchesGoldenScript()
    {
        var backend = new NftablesFirewallBackend();
        TestPaths.AssertGolden("sample-node-1.nft", backend.RenderNative(SamplePlan()));
    }

    [Fact]
    public void Render_RuleCount_FollowsPolicyRulesNotPeers()
    {
        static int Rules(int peers)
        {
            var builder = new ClusterBuilder().Namespace("x").Namespace("clients")
                .Pod("x/web", "10.0.0.1", "app=web")
                .Policies("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: web, namespace: x}
                    spec:
                      podSelector: {}
                      ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: clients}}}], ports: [{port: 80}, {port: 8000, endPort: 8100}]}]
                    """);
            for (var i = 0; i < peers; i++)
            {
                builder.Pod($"clients/c{i}", $"10.{1 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}", node: "node-2");
            }

            var plan = RulePlanCompiler.Compile(builder.Build(), new RulePlanOptions { NodeName = "node-1" });
            var state = NftPlanRenderer.Render(plan, "netpolhost");
            Assert.Equal(peers, state.Sets["h4_" + plan.Rules.Single().HostsKey].Elements.Length);
            return state.RuleCount;
        }

        Assert.Equal(Rules(1_000), Rules(100_000));
    }

    [Fact]
    public void Render_UserTextNeverChangesTheScriptBeyondASafeComment()
    {
        static string Render(string policyName, string labelValue)
        {
            var policy = new NetworkPolicy
            {
                Name = policyName,
                Namespace = "x",
                PodSelector = new LabelSelector { MatchLabels = LabelMap.Of("app", labelValue) },
                Ingress = [new NetworkPolicyRule { Peers = [new NetworkPolicyPeer { PodSelector = new LabelSelector { MatchLabels = LabelMap.Of("app", labelValue) } }], Ports = [new NetworkPolicyPort { Port = 80 }] }],
            };
            var snapshot = ClusterSnapshot.Create(
                [new Model.Namespace { Name = "x", Labels = LabelMap.Of("evil", labelValue) }],
                [new Pod { Namespace = "x", Name = "web", NodeName = "n", Labels = LabelMap.Of("app", labelValue), IPs = [System.Net.IPAddress.Parse("10.0.0.1")] }],
                policies: [policy]);
            return new NftablesFirewallBackend().RenderNative(RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "n" }));
        }

        var evil = Render("x\"; flush ruleset; \"", "a}\n{ drop; }\"");
        var benign = Render("benign", "a");

        foreach (Match comment in CommentPattern().Matches(evil))
        {
            Assert.Matches("^[A-Za-z0-9 ./_:=\\[\\]-]*$", comment.Groups[1].Value);
        }

        // Log prefixes carry the same sanitised label.
        Assert.NotEmpty(PrefixPattern().Matches(evil));
        foreach (Match prefix in PrefixPattern().Matches(evil))
        {
            Assert.Matches("^[A-Za-z0-9 ./_:=\\[\\]-]*$", prefix.Groups[1].Value);
        }

        evil = PrefixPattern().Replace(evil, "prefix \"\"");
        benign = PrefixPattern().Replace(benign, "prefix \"\"");

        Assert.DoesNotContain("flush ruleset", CommentPattern().Replace(evil, "comment \"\""), StringComparison.Ordinal);
        Assert.Equal(Normalize(benign), Normalize(evil));

        static string Normalize(string script) =>
            IdPattern().Replace(CommentPattern().Replace(script, "comment \"\""), "ID");
    }

    [Fact]
    public void Render_RulesWithTheSamePeers_ShareOneSet()
    {
        var snapshot = new ClusterBuilder().Namespace("x").Namespace("y")
            .Pod("x/web", "10.0.0.1", "app=web").Pod("x/db", "10.0.0.2", "app=db").Pod("y/c", "10.0.1.1", "role=client", node: "m")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: client}}}], ports: [{port: 80}]}]
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: db, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: client}}}], ports: [{port: 5432}]}]
                """).Build();
        var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" });
        Assert.Equal(2, plan.Rules.Count);
        Assert.Equal(plan.Rules[0].HostsKey, plan.Rules[1].HostsKey);
        var state = NftPlanRenderer.Render(plan, "t");
        Assert.Single(state.Sets.Keys, k => k.StartsWith("h4_", StringComparison.Ordinal));
        Assert.Equal(2, state.Sets.Keys.Count(k => k.EndsWith("_p", StringComparison.Ordinal)));
    }

    [Fact]
    public void Render_InvalidInterfaceName_IsRefused()
    {
        var snapshot = ClusterSnapshot.Create(
            hostEndpoints: [new HostEndpoint { Namespace = "h", Name = "me", NodeName = "n", InterfaceName = "eth0\"; flush ruleset", IPs = [System.Net.IPAddress.Parse("192.168.1.1")] }],
            policies: [new NetworkPolicy { Name = "p", Namespace = "h", PolicyTypes = PolicyTypes.Ingress }]);
        var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "n" });
        var error = Assert.Throws<UnsupportedPolicyFeatureException>(() => new NftablesFirewallBackend().RenderNative(plan));
        Assert.Equal("Backend 'nftables' cannot enforce the interface name eth0__ flush ruleset (not a valid Linux interface name), which policy 'h/me' uses.", error.Message);
    }

    [Fact]
    public void Render_HostEndpoints_GetInputAndOutputChainsThatAcceptLocalPodsFirst()
    {
        var snapshot = new ClusterBuilder()
            .Pod("x/a", "10.0.0.1", node: "n")
            .Host("h/me", "192.168.1.1", "role=node", node: "n")
            .Host("h/eth1", "192.168.2.1", "role=node", node: "n")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: ssh, namespace: h}
                spec:
                  podSelector: {matchLabels: {role: node}}
                  ingress: [{ports: [{port: 22}]}]
                """).Build();
        var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "n" });
        var state = NftPlanRenderer.Render(plan, "t");
        var input = state.Chains[NftNames.Input].Rules;
        Assert.StartsWith("ct state established,related accept", input[0], StringComparison.Ordinal);
        Assert.StartsWith("ip saddr @np_local4 accept", input[4], StringComparison.Ordinal);
        Assert.StartsWith("ip daddr vmap @np_hing4", input[6], StringComparison.Ordinal);
        Assert.Equal(["10.0.0.1"], state.Sets[NftNames.LocalPods4].Elements);
        Assert.Equal(2, state.Sets[NftNames.HostIngress4].Elements.Length);
    }

    private static RulePlan TwoRulePlan()
    {
        var snapshot = new ClusterBuilder()
            .Pod("x/web", "10.0.0.1", "app=web", node: "n")
            .Pod("x/a", "10.0.0.2", "app=a", node: "n")
            .Pod("x/b", "10.0.0.3", "app=b", node: "n")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                  - from: [{podSelector: {matchLabels: {app: a}}}]
                    ports: [{port: 80}]
                  - from: [{podSelector: {matchLabels: {app: b}}}]
                    ports: [{port: 81}]
                """).Build();
        return RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "n" });
    }

    [Fact]
    public void HandBuiltPlan_IdsAlikeAfterEscaping_GetSeparateSets()
    {
        // Two rule ids that escape to the same name ("r_p_1"): each must keep its own port set.
        var plan = TwoRulePlan();
        var ids = plan.Rules.Where(r => !r.Ports.IsAll).Take(2).Select(r => r.Id).ToList();
        Assert.Equal(2, ids.Count);
        var renamed = new Dictionary<string, string> { [ids[0]] = "p.1", [ids[1]] = "p-1" };
        string Rename(string id) => renamed.GetValueOrDefault(id, id);
        var edited = plan with
        {
            Rules = [.. plan.Rules.Select(r => r with { Id = Rename(r.Id) })],
            Endpoints = [.. plan.Endpoints.Select(e => e with
            {
                Ingress = e.Ingress with { Rules = [.. e.Ingress.Rules.Select(Rename)] },
                Egress = e.Egress with { Rules = [.. e.Egress.Rules.Select(Rename)] },
            })],
        };
        var state = NftPlanRenderer.Render(edited, "t");
        var portSets = state.Sets.Keys.Where(k => k.EndsWith("_p", StringComparison.Ordinal)).ToList();
        Assert.Equal(plan.Rules.Count(r => !r.Ports.IsAll && !r.Ports.Ranges.IsEmpty), portSets.Count);
        Assert.Contains("r_p_1_p", portSets);
    }

    [Fact]
    public void HandBuiltPlan_OneHostsKeyForDifferentPeers_IsRefused()
    {
        var plan = TwoRulePlan();
        var withHosts = plan.Rules.Where(r => r.HostsKey.Length > 0).GroupBy(r => r.HostsKey).Select(g => g.First()).Take(2).ToList();
        Assert.Equal(2, withHosts.Count);
        var edited = plan with { Rules = [.. plan.Rules.Select(r => r.Id == withHosts[1].Id ? r with { HostsKey = withHosts[0].HostsKey } : r)] };
        var error = Assert.Throws<InvalidOperationException>(() => NftPlanRenderer.Render(edited, "t"));
        Assert.Contains("a HostsKey must name one list of peers", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4cd40b2dcd0e", "4cd40b2dcd0e")]
    [InlineData("abc_123", "abc_123")]
    public void HostsKey_FromTheCompiler_IsUsedAsIs(string key, string expected) => Assert.Equal(expected, NftNames.HostsKey(key, NftNames.NewHostsKeys()));

    [Theory]
    [InlineData("x; flush ruleset")]
    [InlineData("ABC")]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    public void HostsKey_HandBuilt_IsHashedToASafeName(string key)
    {
        var name = NftNames.HostsKey(key, NftNames.NewHostsKeys());
        Assert.Matches("^[0-9a-f]{12}$", name);
        Assert.Equal(name, NftNames.HostsKey(key, NftNames.NewHostsKeys()));
    }

    [GeneratedRegex("comment \"([^\"]*)\"")]
    private static partial Regex CommentPattern();

    [GeneratedRegex("prefix \"([^\"]*)\"")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex("(h[46]_[0-9a-f]{12}|r_[0-9a-f]{10}|c_[ie]_[0-9a-f]{10}|l_[0-9a-f]{10})")]
    private static partial Regex IdPattern();
}
