using NetPolHost.Matching;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Matching;

/// <summary>The index the matcher and the compiler build over a snapshot.</summary>
public sealed class ClusterIndexTests
{
    [Fact]
    public void PendingPod_WithoutNodeName_BelongsToNoNode()
    {
        var snapshot = new ClusterBuilder()
            .Pod("x/pending", "10.0.1.9", "app=a", "http=80/TCP", node: null)
            .Pod("x/running", "10.0.1.1", "app=b")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: from-a, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}]}]
                """)
            .Build();

        var matcher = new PolicyMatcher(snapshot);
        var pending = matcher.Index.FindPod("x", "pending")!;
        Assert.Null(pending.NodeName);
        Assert.Null(pending.PodNode);
        Assert.Null(pending.HostOf);
        Assert.True(pending.IsWorkload);

        // It is still a peer, and still selected by policies.
        Assert.True(FlowEndpoint.TryParse("x/pending", out var from));
        Assert.True(FlowEndpoint.TryParse("x/running", out var to));
        Assert.True(matcher.Decide(new Flow(from, to, 80, NetPolHost.Model.Protocol.Tcp)).Allowed);
        Assert.False(matcher.Decide(new Flow(to, from, 80, NetPolHost.Model.Protocol.Tcp)).Allowed);

        // No node enforces for it, and node-1 lets it in as a peer.
        var plan = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-1" });
        Assert.Equal(["x/running"], plan.Endpoints.Select(e => e.Name));
        Assert.Contains(plan.Rules, r => r.Peers.Contains(System.Net.IPAddress.Parse("10.0.1.9")));
    }
}
