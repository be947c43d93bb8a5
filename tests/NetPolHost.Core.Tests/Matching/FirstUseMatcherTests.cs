using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.TestKit;
using NetPolHost.Validation;

namespace NetPolHost.Core.Tests.Matching;

/// <summary>
/// Decisions a newcomer asks for (issue 13): connections to Services, ICMP, names that are not found, and addresses
/// outside the cluster in truth tables.
/// </summary>
public sealed class FirstUseMatcherTests
{
    private const string Shop = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {team: shop}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, namespace: shop, labels: {app: web}}
        spec: {nodeName: node-1, containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
        status: {podIP: 10.0.1.1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-2, namespace: shop, labels: {app: web, canary: "true"}}
        spec: {nodeName: node-1, containers: [{name: web, ports: [{name: http, containerPort: 9090}]}]}
        status: {podIP: 10.0.1.2}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-3, namespace: shop, labels: {app: web}}
        spec: {nodeName: node-1, containers: [{name: web}]}
        status: {podIP: 10.0.1.3}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-pending, namespace: shop, labels: {app: web}}
        spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: cart, namespace: shop, labels: {app: cart}}
        spec: {nodeName: node-1, containers: [{name: cart}]}
        status: {podIP: 10.0.1.9}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          selector: {app: web}
          clusterIP: 10.96.0.10
          ports: [{name: http, port: 80, targetPort: http}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: external, namespace: shop}
        spec:
          ports: [{port: 443}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web-8080-only, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress:
          - ports: [{port: 8080}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: cart-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: cart}}
          ingress:
          - from: [{podSelector: {matchLabels: {app: web}}}]
        """;

    private static ClusterSnapshot Load(string text = Shop)
    {
        var result = ManifestLoader.LoadText(text, "shop.yaml");
        Assert.Empty(result.Errors);
        return result.Snapshot;
    }

    // ---- Services -------------------------------------------------------------------------------------------

    [Fact]
    public void DecideService_ResolvesANamedTargetPortPerPod_AndIsAllowedOnlyWhenEveryBackendIs()
    {
        var snapshot = Load();
        var matcher = new PolicyMatcher(snapshot);
        var service = snapshot.FindService("shop", "web")!;

        var verdict = matcher.DecideService(FlowEndpoint.ForPod("shop", "cart"), service, service.FindPort("http")!);

        Assert.False(verdict.Allowed);
        Assert.Equal(
            ["web-1 8080 True", "web-2 9090 False"],
            verdict.Endpoints.Select(e => $"{e.Pod.Name} {e.TargetPort} {e.Verdict.Allowed}"));
        Assert.Equal(
            [
                "pod shop/web-3 is selected but declares no TCP port named 'http' (it declares no ports): it is not a backend",
                "pod shop/web-pending is selected but has no address yet (status.podIP): it is not a backend",
            ],
            verdict.Notes);
        Assert.Equal(
            "DENIED: pod shop/cart (10.0.1.9) -> Service shop/web (10.96.0.10) port 80/TCP (targetPort http): denied to 1 of 2 backend pods (web-2)",
            verdict.Explain()[0]);
    }

    [Fact]
    public void DecideService_WithoutSelector_HasNoBackends_AndIsNotAllowed()
    {
        var snapshot = Load();
        var service = snapshot.FindService("shop", "external")!;

        var verdict = new PolicyMatcher(snapshot).DecideService(FlowEndpoint.ForPod("shop", "cart"), service, service.Ports[0]);

        Assert.False(verdict.Allowed);
        Assert.Empty(verdict.Endpoints);
        Assert.Equal(["Service shop/external has no selector: its endpoints are managed elsewhere (EndpointSlices), so its backend pods are not known from manifests"], verdict.Notes);
    }

    [Fact]
    public void DecideService_HostNetworkPods_AreBackendsToo()
    {
        var snapshot = new ClusterBuilder()
            .Node("node-1", "192.168.0.1")
            .Pod("kube-system/dns", "192.168.0.1", "k8s-app=dns", "dns=53/UDP", hostNetwork: true)
            .Pod("shop/cart", "10.0.1.9", "app=cart")
            .Build()
            .With(services: [new Service
            {
                Namespace = "kube-system",
                Name = "dns",
                Selector = LabelMap.Of("k8s-app", "dns"),
                Ports = [new ServicePort { Name = "dns", Port = 53, Protocol = Protocol.Udp, TargetPort = "dns" }],
            }]);
        var service = snapshot.Services[0];

        var verdict = new PolicyMatcher(snapshot).DecideService(FlowEndpoint.ForPod("shop", "cart"), service, service.Ports[0]);

        Assert.True(verdict.Allowed);
        Assert.Equal("dns 53", $"{verdict.Endpoints.Single().Pod.Name} {verdict.Endpoints.Single().TargetPort}");
    }

    [Fact]
    public void Decide_ToAClusterIP_SaysItIsAService()
    {
        var snapshot = Load();

        var verdict = new PolicyMatcher(snapshot).Decide(new Flow(FlowEndpoint.ForPod("shop", "cart"), FlowEndpoint.ForAddress(IPAddress.Parse("10.96.0.10")), 80));

        Assert.Equal(["10.96.0.10 is the cluster IP of Service shop/web: connections to it go to its backend pods, which this verdict does not look at; decide those with DecideService"], verdict.Notes);
    }

    [Fact]
    public void Snapshot_Services_AreSortedCompared_AndShown()
    {
        var a = new Service { Namespace = "b", Name = "x" };
        var b = new Service { Namespace = "a", Name = "y" };

        var one = ClusterSnapshot.Create(services: [a, b]);
        var two = ClusterSnapshot.Empty.With(services: [b]).With(services: [a]);

        Assert.Equal(["a/y", "b/x"], one.Services.Select(s => s.ToString()));
        Assert.Equal(one, two);
        Assert.Equal(one.GetHashCode(), two.GetHashCode());
        Assert.NotEqual(ClusterSnapshot.Empty, one);
        Assert.Equal("0 namespaces, 0 pods, 0 nodes, 0 host endpoints, 0 policies, 2 services", one.ToString());
    }

    // ---- ICMP -----------------------------------------------------------------------------------------------

    [Fact]
    public void Icmp_IsIsolatedLikeEveryProtocol_AndOnlyARuleWithoutPortsAdmitsIt()
    {
        var snapshot = Load();
        var matcher = new PolicyMatcher(snapshot);

        // web-1 is isolated by a rule with ports only: no ICMP. cart admits web pods with a rule without ports.
        var toWeb = matcher.Decide(Flow.Icmp(FlowEndpoint.ForPod("shop", "cart"), FlowEndpoint.ForPod("shop", "web-1")));
        var toCart = matcher.Decide(Flow.Icmp(FlowEndpoint.ForPod("shop", "web-1"), FlowEndpoint.ForPod("shop", "cart")));
        var notIsolated = matcher.Decide(Flow.Icmp(FlowEndpoint.ForPod("shop", "web-1"), FlowEndpoint.ForAddress(IPAddress.Parse("8.8.8.8"))));

        Assert.False(toWeb.Allowed);
        Assert.Equal(VerdictReason.NoRuleMatched, toWeb.Ingress.Reason);
        Assert.Equal("DENIED: pod shop/cart (10.0.1.9) -> pod shop/web-1 (10.0.1.1) ICMP", toWeb.Explain()[0]);
        Assert.Equal(
            "  to allow it: add an ingress rule from the source without ports (only such rules admit ICMP) to one of the policies that select the destination (shop/web-8080-only), or a new policy selecting the destination with such a rule",
            toWeb.Explain()[^1]);
        Assert.True(toCart.Allowed);
        Assert.Equal("shop/cart-from-web rule 0", toCart.Ingress.MatchedRules.Single().ToString());
        Assert.True(notIsolated.Allowed);
        Assert.Equal("shop/web-1 -> 8.8.8.8 ICMP", notIsolated.Flow.ToString());
    }

    [Theory]
    [InlineData(Protocol.Icmp, 8, "ICMP has no ports: the port of such a flow is 0, found 8.")]
    [InlineData(Protocol.Tcp, 0, "Port 0 is outside 1-65535.")]
    public void PortZero_IsForIcmpOnly(Protocol protocol, int port, string message)
    {
        var matcher = new PolicyMatcher(Load());

        var error = Assert.Throws<ArgumentException>(() => matcher.Decide(new Flow(FlowEndpoint.ForPod("shop", "cart"), FlowEndpoint.ForPod("shop", "web-1"), port, protocol)));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IcmpV6_ChoosesIPv6_BetweenDualStackPods_AndIsRefusedToAnIPv4Address()
    {
        var snapshot = new ClusterBuilder()
            .Pod("x/a", "10.0.0.1,fd00::1")
            .Pod("x/b", "10.0.0.2,fd00::2")
            .Build();
        var matcher = new PolicyMatcher(snapshot);

        var verdict = matcher.Decide(Flow.Icmp(FlowEndpoint.ForPod("x", "a"), FlowEndpoint.ForPod("x", "b"), Protocol.IcmpV6));
        var error = Assert.Throws<ArgumentException>(() => matcher.Decide(Flow.Icmp(FlowEndpoint.ForPod("x", "a"), FlowEndpoint.ForAddress(IPAddress.Parse("8.8.8.8")), Protocol.IcmpV6)));

        Assert.Equal(IPAddress.Parse("fd00::2"), verdict.DestinationAddress);
        Assert.Equal("ICMPv6 is a protocol of IPv6, and 8.8.8.8 is an IPv4 address; use ICMP.", error.Message);
    }

    [Fact]
    public void Icmp_InAPolicyPort_IsAValidationError_AsTheLoaderReportsIt()
    {
        var policy = new NetworkPolicy
        {
            Namespace = "shop",
            Name = "ping",
            Ingress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Protocol = Protocol.Icmp }] }],
        };

        var errors = PolicyValidator.Validate(policy);

        Assert.Equal(["spec.ingress[0].ports[0].protocol: expected one of \"TCP\", \"UDP\", \"SCTP\", found \"ICMP\""], errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("ICMP", Protocol.Icmp)]
    [InlineData("icmpv6", Protocol.IcmpV6)]
    [InlineData("udp", Protocol.Udp)]
    public void FlowProtocols_ParseInAnyCase_ButPoliciesTakeOnlyPortProtocols(string text, Protocol expected)
    {
        Assert.True(ProtocolNames.TryParseFlowProtocol(text, out var protocol));
        Assert.Equal(expected, protocol);
        Assert.False(ProtocolNames.TryParse("ICMP", out _));
        Assert.False(ProtocolNames.TryParseIgnoreCase("icmp", out _));
    }

    // ---- Names that are not found ---------------------------------------------------------------------------

    [Theory]
    [InlineData("shop/web1", "There is no pod or host endpoint shop/web1; did you mean shop/web-1?")]
    [InlineData("shop/nope", "There is no pod or host endpoint shop/nope; namespace shop has cart, web-1, web-2, web-3, web-pending.")]
    [InlineData("shpo/cart", "There is no pod or host endpoint shpo/cart: namespace shpo has none; did you mean shop/cart?")]
    [InlineData("shpo/basket", "There is no pod or host endpoint shpo/basket: namespace shpo has none; did you mean namespace shop?")]
    [InlineData("data/db", "There is no pod or host endpoint data/db: namespace data has none (namespaces with some: shop).")]
    [InlineData("node:node-2", "There is no node node-2; did you mean node-1?")]
    public void UnknownNames_GetDidYouMean_AndNeverSaySnapshot(string endpoint, string message)
    {
        var matcher = new PolicyMatcher(Load());
        Assert.True(FlowEndpoint.TryParse(endpoint, out var source));

        var error = Assert.Throws<ArgumentException>(() => matcher.Decide(new Flow(source, FlowEndpoint.ForPod("shop", "cart"), 80)));

        Assert.Equal(message + " (Parameter 'endpoint')", error.Message);
        Assert.DoesNotContain("snapshot", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("fronted", new[] { "frontend", "backend" }, new[] { "frontend" })]
    [InlineData("web", new[] { "web-7d9f8-x2xkq", "api" }, new[] { "web-7d9f8-x2xkq" })]
    [InlineData("node-3", new[] { "node-1", "node-2", "edge" }, new[] { "node-1", "node-2" })]
    [InlineData("db", new[] { "frontend" }, new string[0])]
    public void NameSuggestions_AreCloseNamesAndPrefixes(string typed, string[] known, string[] expected)
    {
        Assert.Equal(expected, NameSuggestions.Find(typed, known));
    }

    // ---- Addresses in truth tables --------------------------------------------------------------------------

    [Fact]
    public void TruthTable_WithAddresses_AddsThemAfterThePods_AndAgreesWithDecide()
    {
        var snapshot = Load(Shop + """

            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: no-metadata, namespace: shop}
            spec:
              podSelector: {}
              policyTypes: [Egress]
              egress:
              - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
            """);
        var matcher = new PolicyMatcher(snapshot);
        var ends = new[] { FlowEndpoint.ForPod("shop", "cart"), FlowEndpoint.ForPod("shop", "web-1"), FlowEndpoint.ForAddress(IPAddress.Parse("169.254.169.254")), FlowEndpoint.ForAddress(IPAddress.Parse("fd00::9")) };

        var table = matcher.BuildTruthTable(ends, [new PortProbe(8080)]);

        Assert.Equal(["shop/cart", "shop/web-1", "169.254.169.254", "fd00::9"], table.Endpoints);
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(matcher.Decide(new Flow(ends[r], ends[c], 8080)).Allowed, table.Probes[0].Allowed[r, c]);
            }
        }

        Assert.False(table.Probes[0].Allowed[0, 2]);
        Assert.False(table.Probes[0].Allowed[2, 3]);
    }
}
