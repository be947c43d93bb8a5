using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Pods split over two nodes, each node enforcing its own pods: egress at the source's node, ingress at the
/// destination's node.</summary>
[Trait("Category", "Integration")]
public sealed class TwoNodeKernelTests(TwoNodeFixture fixture) : IClassFixture<TwoNodeFixture>
{
    public static TheoryData<string> Cases => new(ConformanceData.CaseIds().Where(id => ConformanceData.Get(id).Probes.All(p => p.Protocol != Protocol.Sctp)));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TwoNodes_AgreeWithUpstreamMatrix(string id)
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        var testCase = ConformanceData.Get(id);
        var snapshot = fixture.Place(testCase.Snapshot);
        await fixture.Backend1.ApplyAsync(RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" }), cancellationToken: token);
        await fixture.Backend2.ApplyAsync(RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-2" }), cancellationToken: token);

        var mismatches = new List<string>();
        foreach (var probe in testCase.Probes)
        {
            var results = new List<(int I, int J, Task<bool> Result)>();
            for (var i = 0; i < probe.Order.Count; i++)
            {
                for (var j = 0; j < probe.Order.Count; j++)
                {
                    if (i != j)
                    {
                        results.Add((i, j, fixture.Lab.ProbeAsync(probe.Order[i], TwoNodeFixture.Ip(probe.Order[j]), probe.Port, probe.Protocol)));
                    }
                }
            }

            foreach (var (i, j, result) in results)
            {
                var allowed = await result || (probe.Allowed[i][j] && await fixture.Lab.ProbeAsync(probe.Order[i], TwoNodeFixture.Ip(probe.Order[j]), probe.Port, probe.Protocol, TimeSpan.FromSeconds(2)));
                if (allowed != probe.Allowed[i][j])
                {
                    mismatches.Add($"{probe.Order[i]} ({TwoNodeFixture.NodeOf(probe.Order[i])}) -> {probe.Order[j]} ({TwoNodeFixture.NodeOf(probe.Order[j])}) {probe.Port}/{probe.Protocol}: expected {probe.Allowed[i][j]}, kernel {allowed}");
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public async Task HostEndpoint_OfANode_IsEnforcedOnItsInputAndLocalPodsStayAllowed()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        var nodeAddress = fixture.Lab.NodeLinkAddress(fixture.Node1);
        var snapshot = fixture.Place(ConformanceData.Get("e2e-01").Snapshot).With(
            hostEndpoints: [new HostEndpoint { Namespace = "hosts", Name = "node-1", NodeName = "node-1", Labels = LabelMap.Of("role", "node"), IPs = [nodeAddress] }],
            policies: [new NetworkPolicy
            {
                Name = "node-ingress",
                Namespace = "hosts",
                PodSelector = LabelSelector.ForLabels("role", "node"),
                Ingress = [new NetworkPolicyRule
                {
                    Peers = [new NetworkPolicyPeer { NamespaceSelector = LabelSelector.ForLabels(Model.Namespace.NameLabel, "z"), PodSelector = LabelSelector.ForLabels("pod", "c") }],
                    Ports = [new NetworkPolicyPort { Port = 81 }],
                }],
            }]);
        await fixture.Backend1.ApplyAsync(RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" }), cancellationToken: token);
        await fixture.Backend2.ApplyAsync(RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-2" }), cancellationToken: token);
        var matcher = new PolicyMatcher(snapshot);
        foreach (var pod in ConformanceData.PodIPs.Keys)
        {
            foreach (var port in new[] { 80, 81 })
            {
                var expected = matcher.Decide(new Flow(FlowEndpoint.ForPod(pod.Split('/')[0], pod.Split('/')[1]), FlowEndpoint.ForHostEndpoint("hosts", "node-1"), port)).Allowed;
                var actual = await fixture.Lab.ProbeAsync(pod, nodeAddress, port, Protocol.Tcp);
                if (!actual && expected)
                {
                    actual = await fixture.Lab.ProbeAsync(pod, nodeAddress, port, Protocol.Tcp, TimeSpan.FromSeconds(2));
                }

                Assert.True(expected == actual, $"{pod} -> node-1 host {nodeAddress}:{port}: matcher {expected}, kernel {actual}");
            }
        }

        Assert.True(matcher.IsAllowed("x/a", "hosts/node-1", 80)); // node-local
        Assert.False(matcher.IsAllowed("z/a", "hosts/node-1", 81));
        Assert.True(matcher.IsAllowed("z/c", "hosts/node-1", 81));
    }
}
