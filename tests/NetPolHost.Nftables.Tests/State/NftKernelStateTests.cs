using NetPolHost.Model;
using NetPolHost.Nftables.Rendering;
using NetPolHost.Nftables.Runtime;
using NetPolHost.Nftables.State;
using NetPolHost.Nftables.Tests.Rendering;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.State;

public sealed class NftKernelStateTests
{
    [Fact]
    public void Parse_ListingOfTheRenderedTable_HasNoDrift()
    {
        // Captured with `nft -j list table inet netpolhost` after loading the rendered script of this plan.
        var json = File.ReadAllText(Path.Combine(TestPaths.Root, "tests", "NetPolHost.Nftables.Tests", "TestData", "kernel-listing.json"));
        var plan = RulePlanCompiler.Compile(Snapshot(), new RulePlanOptions { NodeName = "n" });
        var desired = NftPlanRenderer.Render(plan, "netpolhost");
        Assert.Empty(NftKernelState.Parse(json).DriftFrom(desired));
    }

    [Fact]
    public void DriftFrom_MissingElementAndChain_AreReported()
    {
        var json = File.ReadAllText(Path.Combine(TestPaths.Root, "tests", "NetPolHost.Nftables.Tests", "TestData", "kernel-listing.json"));
        var plan = RulePlanCompiler.Compile(Snapshot().With(pods: [new Pod { Namespace = "x", Name = "c9", Labels = LabelMap.Of("app", "client"), NodeName = "m", IPs = [System.Net.IPAddress.Parse("10.0.0.99")] }]), new RulePlanOptions { NodeName = "n" });
        var drift = NftKernelState.Parse(json).DriftFrom(NftPlanRenderer.Render(plan, "netpolhost"));
        var line = Assert.Single(drift);
        var key = plan.Rules.Single(r => r.Direction == Direction.Ingress).HostsKey;
        Assert.Equal($"set h4_{key}: 1 element(s) missing, 0 unexpected", line);
    }

    internal static ClusterSnapshot Snapshot() => new ClusterBuilder().Namespace("x")
        .Pod("x/web", "10.0.0.1,fd00::1", "app=web", "http=80/TCP", node: "n")
        .Pod("x/c1", "10.0.0.2,fd00::2", "app=client", node: "n")
        .Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: x}
            spec:
              podSelector: {matchLabels: {app: web}}
              ingress:
              - from: [{podSelector: {matchLabels: {app: client}}}, {ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}, {ipBlock: {cidr: "2001:db8::/32"}}]
                ports: [{port: http}, {port: 8000, endPort: 8100, protocol: UDP}, {protocol: SCTP}]
              egress:
              - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
            """).Build();
}
