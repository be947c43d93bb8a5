using NetPolHost.Model;
using NetPolHost.Nftables.Rendering;
using NetPolHost.Nftables.State;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.State;

public sealed class NftDiffTests
{
    private const string Policies = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: x}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 80}]}]
        """;

    private static NftState Render(ClusterBuilder builder) =>
        NftPlanRenderer.Render(RulePlanCompiler.Compile(builder.Build(), new RulePlanOptions { NodeName = "n" }), "netpolhost");

    private static string HostSet(ClusterBuilder builder) =>
        "h4_" + RulePlanCompiler.Compile(builder.Build(), new RulePlanOptions { NodeName = "n" }).Rules.Single().HostsKey;

    private static ClusterBuilder Base() => new ClusterBuilder().Namespace("x")
        .Pod("x/web", "10.0.0.1", "app=web", node: "n")
        .Pod("x/c1", "10.0.0.2", "app=client", node: "n")
        .Policies(Policies);

    [Fact]
    public void Between_SamePlan_IsEmpty()
    {
        Assert.True(NftDiff.Between(Render(Base()), Render(Base())).IsEmpty);
    }

    [Fact]
    public void Between_PodAdded_IsOneElementAddition()
    {
        var before = Render(Base());
        var after = Render(Base().Pod("x/c2", "10.0.0.3", "app=client", node: "n2"));
        var diff = NftDiff.Between(before, after);
        var set = HostSet(Base());
        Assert.Equal($"add element inet netpolhost {set} {{ 10.0.0.3 }}\n", diff.Script);
        Assert.Equal((0, 0, 1, 0), (diff.ObjectsAdded, diff.ObjectsRemoved, diff.ElementsAdded, diff.ElementsRemoved));
        Assert.Equal([$"~ set {set}: +1 -0 elements"], diff.Changes);
    }

    [Fact]
    public void Between_LabelChanged_MovesOnlyElements()
    {
        var before = Render(Base().Pod("x/c2", "10.0.0.3", "app=client", node: "n2"));
        var after = Render(Base().Pod("x/c2", "10.0.0.3", "app=other", node: "n2"));
        var diff = NftDiff.Between(before, after);
        var set = HostSet(Base());
        Assert.Equal($"delete element inet netpolhost {set} {{ 10.0.0.3 }}\n", diff.Script);
    }

    [Fact]
    public void Between_NewIsolatedPod_AddsOnlyAMapElement()
    {
        var before = Render(Base());
        var after = Render(Base().Pod("x/web2", "10.0.0.9", "app=web", node: "n"));
        var diff = NftDiff.Between(before, after);
        Assert.Matches("^add element inet netpolhost np_ing4 \\{ 10\\.0\\.0\\.9 comment \"x/web2\" : jump c_i_[0-9a-f]{10} \\}\n$", diff.Script);
    }

    [Fact]
    public void Between_PolicyRemoved_DeletesChainsAfterTheirReferencesAndSetsLast()
    {
        var before = Render(Base());
        var after = Render(new ClusterBuilder().Namespace("x").Pod("x/web", "10.0.0.1", "app=web", node: "n").Pod("x/c1", "10.0.0.2", "app=client", node: "n"));
        var lines = NftDiff.Between(before, after).Script.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var mapDelete = Array.FindIndex(lines, l => l.StartsWith("delete element inet netpolhost np_ing4", StringComparison.Ordinal));
        var chainDelete = Array.FindIndex(lines, l => l.StartsWith("delete chain", StringComparison.Ordinal));
        var setDelete = Array.FindIndex(lines, l => l.StartsWith("delete set", StringComparison.Ordinal));
        Assert.True(mapDelete >= 0 && mapDelete < chainDelete && chainDelete < setDelete, string.Join("\n", lines));
    }

    [Fact]
    public void Between_RuleChanged_FlushesAndRefillsOnlyThatChain()
    {
        var before = Render(Base());
        var after = Render(new ClusterBuilder().Namespace("x")
            .Pod("x/web", "10.0.0.1", "app=web", node: "n")
            .Pod("x/c1", "10.0.0.2", "app=client", node: "n")
            .Policies(Policies.Replace("ports: [{port: 80}]", "ports: [{port: 80}, {port: 443}]", StringComparison.Ordinal)));
        var diff = NftDiff.Between(before, after);
        Assert.Equal(1, diff.ElementsAdded);
        Assert.Contains("tcp . 443", diff.Script, StringComparison.Ordinal);
        Assert.DoesNotContain("flush chain", diff.Script, StringComparison.Ordinal);
    }
}
