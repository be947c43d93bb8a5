using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Matching;

/// <summary>IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>): addresses are read as the IPv4 address they stand for,
/// CIDRs in that form are refused as the API server refuses them.</summary>
public sealed class MappedAddressTests
{
    [Theory]
    [InlineData("::ffff:10.0.0.0/104")]
    [InlineData("::ffff:10.0.0.1/128")]
    [InlineData("::ffff:0:0/96")]
    [InlineData("::FFFF:a00:0/120")]
    public void Cidr_Ipv4Mapped_DoesNotParse(string text)
    {
        Assert.False(Cidr.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Cidr.Parse(text));
    }

    [Theory]
    [InlineData("::/0")]
    [InlineData("::fffe:10.0.0.0/104")]
    [InlineData("64:ff9b::/96")]
    public void Cidr_OtherIpv6Blocks_StillParse(string text) => Assert.True(Cidr.TryParse(text, out _));

    [Fact]
    public void FlowEndpoint_Ipv4Mapped_IsTheIpv4Address()
    {
        Assert.True(FlowEndpoint.TryParse("::ffff:10.0.1.1", out var endpoint));
        Assert.Equal(IPAddress.Parse("10.0.1.1"), endpoint.Address);
    }

    [Fact]
    public void Loader_Ipv4MappedAddresses_AreReadAsIpv4()
    {
        var result = NetPolHost.Parsing.ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: x, labels: {app: web}}
            spec: {nodeName: node-1}
            status:
              podIP: "::ffff:10.0.1.1"
              podIPs: [{ip: "::ffff:10.0.1.1"}, {ip: "fd00::1"}]
            ---
            apiVersion: netpolhost.io/v1alpha1
            kind: HostEndpoint
            metadata: {name: db, namespace: x, labels: {app: db}}
            spec: {ips: ["::ffff:192.168.10.5", 192.168.10.5]}
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: node-1}
            status:
              addresses: [{type: InternalIP, address: "::FFFF:192.168.56.11"}]
            """, "test.yaml");

        Assert.Empty(result.Errors);
        Assert.Equal([IPAddress.Parse("10.0.1.1"), IPAddress.Parse("fd00::1")], result.Snapshot.Pods[0].IPs.ToArray());
        Assert.Equal([IPAddress.Parse("192.168.10.5")], result.Snapshot.HostEndpoints[0].IPs.ToArray());
        Assert.Equal([IPAddress.Parse("192.168.56.11")], result.Snapshot.Nodes[0].Addresses.ToArray());
    }

    [Fact]
    public void Loader_TwoIpv4AddressesOneOfThemMapped_IsOneFamilyTwice()
    {
        var result = NetPolHost.Parsing.ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: x}
            status:
              podIPs: [{ip: "::ffff:10.0.1.1"}, {ip: 10.0.1.2}]
            """, "test.yaml");

        Assert.Equal("test.yaml:5:11: status.podIPs: expected at most one address of each family, found 10.0.1.1, 10.0.1.2", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void Matcher_PodWithMappedAddressInTheModel_MatchesIpv4Flows()
    {
        // A snapshot built in code (not through the loader) may still hold the mapped form.
        var snapshot = new ClusterBuilder()
            .Pod("x/web", "::ffff:10.0.1.1", "app=web", "http=80/TCP")
            .Pod("x/client", "10.0.1.2", "app=client")
            .Host("x/db", "::ffff:192.168.10.5", "app=db", node: "node-1")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 10.0.1.0/24}}]}]
                """)
            .Build();
        var matcher = new PolicyMatcher(snapshot);

        var web = matcher.Index.FindPod("x", "web")!;
        Assert.True(web.HasV4);
        Assert.False(web.HasV6);
        Assert.Equal(1, web.AddressClass);
        Assert.True(matcher.Index.FindHostEndpoint("x", "db")!.HasV4);

        Assert.True(FlowEndpoint.TryParse("10.0.1.1", out var byAddress));
        Assert.True(FlowEndpoint.TryParse("x/client", out var client));
        Assert.True(FlowEndpoint.TryParse("x/web", out var byName));
        Assert.True(matcher.Decide(new Flow(client, byAddress, 80, Protocol.Tcp)).Allowed);
        Assert.True(matcher.Decide(new Flow(byName, client, 80, Protocol.Tcp)).Allowed);
        Assert.True(matcher.Decide(new Flow(client, byName, 80, Protocol.Tcp)).Allowed);

        var plan = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-1" });
        Assert.True(plan.Evaluate(IPAddress.Parse("10.0.1.2"), IPAddress.Parse("10.0.1.1"), Protocol.Tcp, 80).Allowed);
        Assert.False(plan.Evaluate(IPAddress.Parse("10.0.2.2"), IPAddress.Parse("10.0.1.1"), Protocol.Tcp, 80).Allowed);
    }
}
