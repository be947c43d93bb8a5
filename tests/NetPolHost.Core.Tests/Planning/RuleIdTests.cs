using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>Plan ids and hosts keys are short hashes: two different definitions must never share one.</summary>
public sealed class RuleIdTests
{
    private static readonly string s_constantDigest = new('0', 64);

    private static string Policy(string name, string ingressFrom, string ingressPort, string egressTo, string egressPort) => $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: {name}
          namespace: x
        spec:
          podSelector:
            matchLabels:
              app: web
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  app: {ingressFrom}
            ports:
            - port: {ingressPort}
          egress:
          - to:
            - podSelector:
                matchLabels:
                  app: {egressTo}
            ports:
            - port: {egressPort}
        ---

        """;

    private static ClusterBuilder Pods() => new ClusterBuilder()
        .Pod("x/web", "10.0.1.3", "app=web", "https=443/TCP")
        .Pod("x/a", "10.0.1.1", "app=a")
        .Pod("x/b", "10.0.1.2", "app=b", "dns=53/UDP")
        .Pod("x/c", "10.0.1.4", "app=c", "http=8080/TCP");

    [Fact]
    public void PolicyId_OfTwoPoliciesWithTheSameShortHash_IsMadeUnique()
    {
        // SHA-256 of "x/p1057839" and of "x/p338083" start with the same 40 bits (5524c4b021).
        Assert.Equal(RulePlanCompiler.PolicyId(new PolicyRef("x", "p1057839")), RulePlanCompiler.PolicyId(new PolicyRef("x", "p338083")));
        var snapshot = Pods()
            .Policies(Policy("p338083", "a", "80", "c", "http") + Policy("p1057839", "b", "443", "b", "53"))
            .Build();

        var plan = AssertAgreesWithMatcher(snapshot, digest: null);

        Assert.Equal(4, plan.Rules.Count);
        Assert.Equal(plan.Rules.Count, plan.Rules.Select(r => r.Id).Distinct().Count());
        // The policy that sorts first keeps the short id; the other gets a longer one.
        Assert.All(plan.Rules.Where(r => r.Source.Policy.Name == "p1057839"), r => Assert.StartsWith("5524c4b021-", r.Id, StringComparison.Ordinal));
        Assert.All(plan.Rules.Where(r => r.Source.Policy.Name == "p338083"), r => Assert.StartsWith("5524c4b021", r.Id, StringComparison.Ordinal));
        Assert.All(plan.Rules.Where(r => r.Source.Policy.Name == "p338083"), r => Assert.DoesNotContain("5524c4b021-", r.Id, StringComparison.Ordinal));
    }

    [Fact]
    public void Ids_WhenEveryHashCollides_AreStillUniqueAndThePlanIsRight()
    {
        var snapshot = Pods()
            .Policies(Policy("p1", "a", "80", "c", "http") + Policy("p2", "b", "https", "b", "53") + Policy("p3", "c", "443", "a", "80"))
            .Build();

        var plan = AssertAgreesWithMatcher(snapshot, _ => s_constantDigest);

        Assert.Equal(6, plan.Rules.Count);
        Assert.Equal(6, plan.Rules.Select(r => r.Id).Distinct().Count());
        Assert.All(plan.Rules, r => Assert.Matches("^[a-z0-9-]+$", r.Id));
        // Selector definitions {app: a}, {app: b}, {app: c}, and the named-port resolution of {app: c}: equal
        // definitions share a key, different ones never do.
        var keys = plan.Rules.GroupBy(r => r.HostsKey).ToList();
        Assert.Equal(4, keys.Count);
        Assert.All(keys, g => Assert.Single(g.Select(r => string.Join(",", r.Peers.Hosts)).Distinct()));
        Assert.All(plan.Rules, r => Assert.Matches("^[a-z0-9]{1,32}$", r.HostsKey));
    }

    [Fact]
    public void ShortKeys_GiveEachDefinitionItsOwnKey()
    {
        var keys = new ShortKeys(12, _ => s_constantDigest);

        var assigned = Enumerable.Range(0, 6).Select(i => keys.Get("definition " + i)).ToList();

        Assert.Equal(6, assigned.Distinct().Count());
        Assert.Equal("000000000000", assigned[0]);
        Assert.Equal(assigned, Enumerable.Range(0, 6).Select(i => keys.Get("definition " + i)));
        Assert.All(assigned, k => Assert.Matches("^[0-9a-z]{12,32}$", k));
    }

    [Fact]
    public void ShortKeys_WithoutCollisions_AreThePrefixOfTheDigest()
    {
        var keys = new ShortKeys(10);

        Assert.Equal(RulePlanCompiler.PolicyId(new PolicyRef("x", "web")), keys.Get("x/web"));
    }

    [Fact]
    public void ShortKeys_LengthenedWithinTheLimit_ThenCounted()
    {
        var keys = new ShortKeys(10, _ => s_constantDigest, maxDigits: 20);

        var assigned = Enumerable.Range(0, 4).Select(i => keys.Get("definition " + i)).ToList();

        Assert.Equal([new string('0', 10), new string('0', 18), new string('0', 20), new string('0', 10) + "x2"], assigned);
    }

    [Fact]
    public void ShortKeys_PreferredKey_IsUsedWhileFree()
    {
        var keys = new ShortKeys(10);

        Assert.Equal("web", keys.Get("a", "web"));
        Assert.Equal("web", keys.Get("a", "other"));
        Assert.Equal(ShortKeys.Hash("b", 10), keys.Get("b", "web"));
        Assert.Equal(ShortKeys.Sha256Hex("c")[..10], keys.Get("c"));
    }

    private static RulePlan AssertAgreesWithMatcher(ClusterSnapshot snapshot, Func<string, string>? digest)
    {
        var matcher = new PolicyMatcher(snapshot);
        var options = new RulePlanOptions { NodeName = "node-1" };
        var plan = digest is null ? RulePlanCompiler.Compile(matcher, options) : RulePlanCompiler.Compile(matcher, options, digest);
        string[] pods = ["x/web", "x/a", "x/b", "x/c"];
        (int Port, Protocol Protocol)[] probes = [(80, Protocol.Tcp), (443, Protocol.Tcp), (8080, Protocol.Tcp), (53, Protocol.Udp)];
        foreach (var from in pods)
        {
            foreach (var to in pods.Where(p => p != from))
            {
                foreach (var (port, protocol) in probes)
                {
                    Assert.True(FlowEndpoint.TryParse(from, out var source));
                    Assert.True(FlowEndpoint.TryParse(to, out var destination));
                    var expected = matcher.Decide(new Flow(source, destination, port, protocol)).Allowed;
                    var fromAddress = snapshot.FindPod("x", from[2..])!.IPs[0];
                    var toAddress = snapshot.FindPod("x", to[2..])!.IPs[0];
                    Assert.True(expected == plan.Evaluate(fromAddress, toAddress, protocol, port).Allowed, $"{from} -> {to} {port}/{protocol}: matcher says {expected}");
                }
            }
        }

        return plan;
    }
}
