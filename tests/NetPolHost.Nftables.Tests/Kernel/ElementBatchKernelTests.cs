using NetPolHost.Nftables.Rendering;
using NetPolHost.Nftables.Runtime;
using NetPolHost.Nftables.State;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Element-only changes go to the kernel as a netlink batch of the backend's own (not through nft): what nft
/// lists afterwards equals a table applied whole by nft, for IPv4 and IPv6 peer sets and the endpoint maps (comments and
/// jumps), and a refused batch changes nothing.</summary>
[Trait("Category", "Integration")]
public sealed class ElementBatchKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private const string Policy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: x}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress: [{from: [{podSelector: {matchLabels: {role: client}}}], ports: [{port: 80}]}]
          egress: [{to: [{podSelector: {matchLabels: {role: db}}}]}]
        """;

    private static RulePlan Plan(int clients, int webs, int dbs)
    {
        var builder = new ClusterBuilder().Namespace("x");
        for (var i = 0; i < clients; i++)
        {
            builder.Pod($"x/c{i}", $"10.1.0.{i + 1},fd00:1::{i + 1:x}", "role=client", node: "other");
        }

        for (var i = 0; i < webs; i++)
        {
            builder.Pod($"x/web{i}", $"10.2.0.{i + 1},fd00:2::{i + 1:x}", "app=web", node: "n");
        }

        for (var i = 0; i < dbs; i++)
        {
            builder.Pod($"x/db{i}", $"10.3.0.{i + 1}", "role=db", node: "other");
        }

        return RulePlanCompiler.Compile(builder.Policies(Policy).Build(), new RulePlanOptions { NodeName = "n" });
    }

    [Fact]
    public async Task ElementOnlyChanges_AreSentAsABatch_AndTheKernelHoldsWhatAFullApplyWouldWrite()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        await using var lab = NetworkLab.Create();
        var incremental = lab.AddNode("inc");
        var whole = lab.AddNode("whole");
        var runners = new List<CountingRunner>();
        using var backend = new NftablesFirewallBackend(
            new NftablesOptions { NetworkNamespace = incremental, DeleteConntrackEntriesOfDeniedFlows = false },
            () =>
            {
                var runner = new CountingRunner(new LibNftablesRunner(incremental));
                runners.Add(runner);
                return runner;
            },
            null,
            null);
        await backend.ApplyAsync(Plan(2, 1, 1), cancellationToken: Token);

        // Peers added (IPv4 and IPv6), local pods added (map elements with comments and jumps), then removed again.
        RulePlan[] steps = [Plan(3, 1, 1), Plan(6, 1, 2), Plan(6, 3, 2), Plan(2, 2, 1), Plan(1, 1, 1)];
        foreach (var step in steps)
        {
            var diff = backend.RenderChanges(step);
            var before = runners.Single().Batches;
            var result = await backend.ApplyAsync(step, cancellationToken: Token);
            Assert.True(result.Changed);
            Assert.True(result.ElementsAdded + result.ElementsRemoved > 0);
            Assert.Equal(0, result.ObjectsAdded + result.ObjectsRemoved);
            Assert.Equal(before + 1, runners.Single().Batches);
            Assert.DoesNotContain(diff, runners.Single().Scripts);

            using (var reference = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = whole, DeleteConntrackEntriesOfDeniedFlows = false }))
            {
                await reference.RemoveAllAsync(Token);
                await reference.ApplyAsync(step, cancellationToken: Token);
            }

            var ours = Listing(incremental);
            var theirs = Listing(whole);
            Assert.Empty(ours.DriftFrom(NftPlanRendererFor(step)));
            Assert.Equal(theirs.Sets.Keys.Order(StringComparer.Ordinal), ours.Sets.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, elements) in theirs.Sets)
            {
                Assert.Equal(elements.Order(StringComparer.Ordinal), ours.Sets[name].Order(StringComparer.Ordinal));
            }

            Assert.Contains(ours.Sets, s => s.Value.Any(e => e.Contains(" comment \"x/web0\" : jump ", StringComparison.Ordinal)));
            Assert.Contains(ours.Sets, s => s.Value.Any(e => e.StartsWith("fd00:1::", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task RefusedBatch_ChangesNothing_AndTheApplyRepairsFromTheKernel()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("refused");
        using var runner = new LibNftablesRunner(node);
        using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = node, DeleteConntrackEntriesOfDeniedFlows = false });
        await backend.ApplyAsync(Plan(3, 1, 1), cancellationToken: Token);

        // A batch that adds one address and deletes one that is not there is refused whole: the added one is not in.
        var set = Listing(node).Sets.Keys.First(s => s.StartsWith("h4_", StringComparison.Ordinal) && Listing(node).Sets[s].Contains("10.1.0.1"));
        var refused = runner.RunElements("netpolhost", [
            NftElementBatch.TryCreate(set, "type ipv4_addr;", delete: false, ["10.9.9.9"])!,
            NftElementBatch.TryCreate(set, "type ipv4_addr;", delete: true, ["10.8.8.8"])!,
        ]);
        Assert.NotNull(refused);
        Assert.False(refused.Success);
        Assert.Contains("No such file or directory", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("10.9.9.9", Listing(node).Sets[set]);

        // The same socket works on: a good batch is committed.
        var accepted = runner.RunElements("netpolhost", [NftElementBatch.TryCreate(set, "type ipv4_addr;", delete: false, ["10.9.9.9"])!]);
        Assert.True(accepted!.Success, accepted.Error);
        Assert.Contains("10.9.9.9", Listing(node).Sets[set]);

        // Someone deleted a peer the next plan removes: the batch is refused, and the backend repairs from the kernel.
        Namespaces.Run("ip", "netns", "exec", node, "nft", "delete", "element", "inet", "netpolhost", set, "{", "10.1.0.3", "}");
        var result = await backend.ApplyAsync(Plan(2, 1, 1), cancellationToken: Token);
        Assert.StartsWith("! the kernel refused the incremental change (", result.Changes[0], StringComparison.Ordinal);
        Assert.Empty((await backend.GetStatusAsync(Plan(2, 1, 1), Token)).Drift);
    }

    private static NftState NftPlanRendererFor(RulePlan plan) => NftPlanRenderer.Render(plan, "netpolhost", NftRenderOptions.From(new NftablesOptions()));

    private static NftKernelState Listing(string node)
    {
        using var runner = new LibNftablesRunner(node);
        var listing = runner.ListJson("list table inet netpolhost");
        Assert.True(listing.Success, listing.Error);
        return NftKernelState.Parse(listing.Output);
    }

    /// <summary>Counts the element batches and records the scripts that went through nft.</summary>
    private sealed class CountingRunner(INftRunner inner) : INftRunner
    {
        public int Batches { get; private set; }

        public List<string> Scripts { get; } = [];

        public string Kind => inner.Kind;

        public NftResult Run(string commands, bool dryRun = false)
        {
            Scripts.Add(commands);
            return inner.Run(commands, dryRun);
        }

        public NftResult ListJson(string command) => inner.ListJson(command);

        public NftResult? RunElements(string table, IReadOnlyList<NftElementChange> changes)
        {
            Batches++;
            return inner.RunElements(table, changes);
        }

        public void Dispose() => inner.Dispose();
    }
}
