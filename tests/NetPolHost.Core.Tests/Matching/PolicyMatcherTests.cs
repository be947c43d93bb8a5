using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Matching;

/// <summary>One test per semantic rule of ARCHITECTURE.md "Normative semantics".</summary>
public sealed class PolicyMatcherTests
{
    private const string DenyAllIngress = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: x}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        """;

    private static ClusterBuilder Base() => new ClusterBuilder()
        .Namespace("x", "team=a")
        .Namespace("y", "team=b")
        .Pod("x/a", "10.0.1.1", "app=a", "http=80/TCP,dns=53/UDP")
        .Pod("x/b", "10.0.1.2", "app=b", "http=8080/TCP")
        .Pod("y/a", "10.0.2.1", "app=a", "http=80/TCP")
        .Pod("y/b", "10.0.2.2", "app=b", "80/TCP");

    private static FlowVerdict Decide(ClusterSnapshot snapshot, string from, string to, int port, Protocol protocol = Protocol.Tcp)
    {
        Assert.True(FlowEndpoint.TryParse(from, out var source));
        Assert.True(FlowEndpoint.TryParse(to, out var destination));
        return new PolicyMatcher(snapshot).Decide(new Flow(source, destination, port, protocol));
    }

    [Fact]
    public void Selection_PolicySelectsOnlyPodsOfItsOwnNamespace()
    {
        var snapshot = Base().Policies(DenyAllIngress).Build();
        Assert.False(Decide(snapshot, "y/a", "x/a", 80).Allowed);
        var other = Decide(snapshot, "x/a", "y/a", 80);
        Assert.True(other.Allowed);
        Assert.False(other.Ingress.Isolated);
        Assert.Equal(VerdictReason.NotIsolated, other.Ingress.Reason);
    }

    [Fact]
    public void Selection_EmptyPodSelectorSelectsEveryPodOfTheNamespace()
    {
        var verdict = Decide(Base().Policies(DenyAllIngress).Build(), "y/a", "x/b", 8080);
        Assert.True(verdict.Ingress.Isolated);
        Assert.Equal(["x/deny"], verdict.Ingress.Policies.Select(p => p.ToString()));
        Assert.Equal(VerdictReason.NoRuleMatched, verdict.Ingress.Reason);
    }

    [Fact]
    public void PolicyTypes_AbsentWithEgressRules_AppliesToBothDirections()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchLabels: {app: a}}
              egress:
              - to: [{podSelector: {matchLabels: {app: b}}}]
            """).Build();
        Assert.False(Decide(snapshot, "y/a", "x/a", 80).Allowed); // Ingress defaulted: no ingress rules → deny
        Assert.True(Decide(snapshot, "x/a", "x/b", 8080).Allowed);
        Assert.False(Decide(snapshot, "x/a", "y/a", 80).Allowed); // Egress applies
    }

    [Fact]
    public void PolicyTypes_AbsentWithoutEgressRules_LeavesEgressOpen()
    {
        var snapshot = Base().Policies(DenyAllIngress.Replace("policyTypes: [Ingress]", "policyTypes: []", StringComparison.Ordinal)).Build();
        var verdict = Decide(snapshot, "x/a", "y/a", 80);
        Assert.True(verdict.Allowed);
        Assert.False(verdict.Egress.Isolated);
        Assert.False(Decide(snapshot, "y/a", "x/a", 80).Allowed);
    }

    [Fact]
    public void PolicyTypes_ExplicitEgressWithoutRules_DeniesAllEgress()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec: {podSelector: {}, policyTypes: [Egress], egress: []}
            """).Build();
        var verdict = Decide(snapshot, "x/a", "x/b", 8080);
        Assert.False(verdict.Allowed);
        Assert.False(verdict.Egress.Allowed);
        Assert.True(verdict.Ingress.Allowed);
        Assert.True(Decide(snapshot, "y/a", "x/a", 80).Allowed); // ingress untouched
    }

    [Fact]
    public void Union_AnyRuleOfAnySelectingPolicyAllows()
    {
        var snapshot = Base().Policies(DenyAllIngress + """

            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: from-b, namespace: x}
            spec:
              podSelector: {}
              ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: from-y, namespace: x}
            spec:
              podSelector: {matchLabels: {app: a}}
              ingress: [{from: [{namespaceSelector: {matchLabels: {team: b}}}]}]
            """).Build();
        var fromB = Decide(snapshot, "x/b", "x/a", 80);
        Assert.True(fromB.Allowed);
        Assert.Equal(["x/from-b rule 0"], fromB.Ingress.MatchedRules.Select(r => r.ToString()));
        Assert.Equal(["x/deny", "x/from-b", "x/from-y"], fromB.Ingress.Policies.Select(p => p.ToString()));
        var fromY = Decide(snapshot, "y/a", "x/a", 80);
        Assert.Equal(["x/from-y rule 0"], fromY.Ingress.MatchedRules.Select(r => r.ToString()));
        Assert.False(Decide(snapshot, "y/a", "x/b", 8080).Allowed);
    }

    [Fact]
    public void Connection_NeedsEgressOfSourceAndIngressOfDestination()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: egress-to-y, namespace: x}
            spec:
              podSelector: {}
              policyTypes: [Egress]
              egress: [{to: [{namespaceSelector: {matchLabels: {team: b}}}]}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: "y"}
            spec: {podSelector: {matchLabels: {app: a}}, policyTypes: [Ingress]}
            """).Build();
        var verdict = Decide(snapshot, "x/a", "y/a", 80);
        Assert.True(verdict.Egress.Allowed);
        Assert.False(verdict.Ingress.Allowed);
        Assert.False(verdict.Allowed);
        Assert.True(Decide(snapshot, "x/a", "y/b", 80).Allowed);
    }

    [Theory]
    [InlineData("[{podSelector: {matchLabels: {app: a}}}]", "x/a", true)]
    [InlineData("[{podSelector: {matchLabels: {app: a}}}]", "y/a", false)] // podSelector alone: the policy's namespace only
    [InlineData("[{namespaceSelector: {matchLabels: {team: b}}}]", "y/b", true)] // namespaceSelector alone: every pod there
    [InlineData("[{namespaceSelector: {matchLabels: {team: b}}}]", "x/a", false)]
    [InlineData("[{namespaceSelector: {}}]", "y/b", true)] // {} = every namespace
    [InlineData("[{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: a}}}]", "y/a", true)] // both in one peer: AND
    [InlineData("[{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: a}}}]", "y/b", false)]
    [InlineData("[{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: a}}}]", "x/a", false)]
    [InlineData("[{namespaceSelector: {matchLabels: {team: b}}}, {podSelector: {matchLabels: {app: a}}}]", "x/a", true)] // separate peers: OR
    [InlineData("[{namespaceSelector: {matchLabels: {team: b}}}, {podSelector: {matchLabels: {app: a}}}]", "y/b", true)]
    public void Peers_SelectorsCombineAsKubernetesDefines(string from, string source, bool allowed)
    {
        var snapshot = Base().Policies($$$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchLabels: {app: b}}
              ingress:
              - from: {{{from}}}
            """).Build();
        Assert.Equal(allowed, Decide(snapshot, source, "x/b", 8080).Allowed);
    }

    [Fact]
    public void IpBlock_MatchesPodAddressesAndExternalAddresses_ExceptExcluded()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchLabels: {app: b}}
              ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.2.2/32]}}, {ipBlock: {cidr: 192.168.0.0/24}}]}]
            """).Build();
        Assert.True(Decide(snapshot, "y/a", "x/b", 8080).Allowed); // a pod IP inside the block
        Assert.False(Decide(snapshot, "y/b", "x/b", 8080).Allowed); // excepted
        Assert.True(Decide(snapshot, "192.168.0.7", "x/b", 8080).Allowed); // outside the cluster, in a block
        Assert.False(Decide(snapshot, "172.16.0.1", "x/b", 8080).Allowed);
    }

    [Fact]
    public void Selectors_NeverMatchAddressesOutsideTheCluster()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {}
              ingress: [{from: [{namespaceSelector: {}}]}]
            """).Build();
        var verdict = Decide(snapshot, "8.8.8.8", "x/a", 80);
        Assert.False(verdict.Allowed);
        Assert.Equal(VerdictReason.NotApplicable, verdict.Egress.Reason);
        Assert.True(Decide(snapshot, "y/a", "x/a", 80).Allowed);
    }

    [Fact]
    public void ExternalAddresses_AreNeverSubjectToPolicy()
    {
        var verdict = Decide(Base().Policies(DenyAllIngress).Build(), "1.1.1.1", "8.8.8.8", 443);
        Assert.True(verdict.Allowed);
        Assert.Equal(VerdictReason.NotApplicable, verdict.Egress.Reason);
        Assert.Equal(VerdictReason.NotApplicable, verdict.Ingress.Reason);
    }

    [Theory]
    [InlineData(80, Protocol.Tcp, true)]
    [InlineData(80, Protocol.Udp, false)] // protocol defaults to TCP
    [InlineData(8000, Protocol.Tcp, true)]
    [InlineData(8050, Protocol.Tcp, true)] // inside port..endPort
    [InlineData(8100, Protocol.Tcp, true)]
    [InlineData(8101, Protocol.Tcp, false)]
    [InlineData(53, Protocol.Udp, true)]
    [InlineData(53, Protocol.Tcp, false)]
    public void Ports_DefaultTcpRangesAndProtocols(int port, Protocol protocol, bool allowed)
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {}
              ingress:
              - ports: [{port: 80}, {port: 8000, endPort: 8100}, {port: 53, protocol: UDP}]
            """).Build();
        Assert.Equal(allowed, Decide(snapshot, "y/a", "x/a", port, protocol).Allowed);
    }

    [Fact]
    public void NamedPorts_ResolvePerDestinationPod()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {}
              ingress: [{ports: [{port: http}]}]
            """).Build();
        Assert.True(Decide(snapshot, "y/a", "x/a", 80).Allowed); // x/a: http=80
        Assert.False(Decide(snapshot, "y/a", "x/a", 8080).Allowed);
        Assert.True(Decide(snapshot, "y/a", "x/b", 8080).Allowed); // x/b: http=8080
        Assert.False(Decide(snapshot, "y/a", "x/b", 80).Allowed);
    }

    [Fact]
    public void NamedPorts_NeedTheSameProtocol()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {}
              ingress: [{ports: [{port: dns}]}]
            """).Build();
        Assert.False(Decide(snapshot, "y/a", "x/a", 53, Protocol.Udp).Allowed); // dns is UDP on x/a, the rule means TCP
        var udp = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {}
              ingress: [{ports: [{port: dns, protocol: UDP}]}]
            """).Build();
        Assert.True(Decide(udp, "y/a", "x/a", 53, Protocol.Udp).Allowed);
    }

    [Fact]
    public void NamedPorts_InEgress_ResolveOnTheDestinationAndNeverMatchAnAddressOutsideTheCluster()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchLabels: {app: a}}
              policyTypes: [Egress]
              egress:
              - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
                ports: [{port: http}]
            """).Build();
        Assert.True(Decide(snapshot, "x/a", "x/b", 8080).Allowed); // x/b's http
        Assert.False(Decide(snapshot, "x/a", "x/b", 80).Allowed);
        Assert.True(Decide(snapshot, "x/a", "y/a", 80).Allowed); // y/a's http
        Assert.False(Decide(snapshot, "x/a", "y/b", 80).Allowed); // y/b's 80 has no name
        Assert.False(Decide(snapshot, "x/a", "93.184.216.34", 80).Allowed);
    }

    [Fact]
    public void NodeLocal_TrafficBetweenAPodAndItsNodeIsAlwaysAllowed()
    {
        var snapshot = Base().Node("node-1", "192.168.0.1").Node("node-2", "192.168.0.2")
            .Policies(DenyAllIngress + """

                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny-egress, namespace: x}
                spec: {podSelector: {}, policyTypes: [Egress]}
                """).Build();
        var probe = Decide(snapshot, "node:node-1", "x/a", 80);
        Assert.True(probe.Allowed);
        Assert.Equal(VerdictReason.NodeLocal, probe.Ingress.Reason);
        var byAddress = Decide(snapshot, "192.168.0.1", "x/a", 80);
        Assert.True(byAddress.Allowed);
        Assert.Equal(["192.168.0.1 is an address of node node-1: evaluated as that node"], byAddress.Notes);
        Assert.True(Decide(snapshot, "x/a", "node:node-1", 10250).Allowed);
        Assert.False(Decide(snapshot, "node:node-2", "x/a", 80).Allowed);
        Assert.False(Decide(snapshot, "x/a", "node:node-2", 10250).Allowed);
    }

    [Fact]
    public void HostNetworkPods_AreNotSelectedAsWorkloadsAndAreMatchedOnlyByAddress()
    {
        var snapshot = Base().Node("node-1", "192.168.0.1").Node("node-2", "192.168.0.2")
            .Pod("x/exporter", "192.168.0.2", "app=a", "9100/TCP", node: "node-2", hostNetwork: true)
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}]}]
                """).Build();
        var toExporter = Decide(snapshot, "y/a", "x/exporter", 9100);
        Assert.True(toExporter.Allowed); // not selected by the policy of x
        Assert.False(toExporter.Ingress.Isolated);
        Assert.False(Decide(snapshot, "x/exporter", "x/b", 8080).Allowed); // its app=a label does not count
        var withBlock = Base().Node("node-2", "192.168.0.2")
            .Pod("x/exporter", "192.168.0.2", "app=a", "9100/TCP", node: "node-2", hostNetwork: true)
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/24}}]}]
                """).Build();
        Assert.True(Decide(withBlock, "x/exporter", "x/b", 8080).Allowed);
    }

    [Fact]
    public void HostNetworkPods_OnTheSameNodeAreNodeLocal()
    {
        var snapshot = Base().Pod("x/agent", "192.168.0.1", "app=agent", "", node: "node-1", hostNetwork: true).Policies(DenyAllIngress).Build();
        var verdict = Decide(snapshot, "x/agent", "x/a", 80);
        Assert.True(verdict.Allowed);
        Assert.Equal(VerdictReason.NodeLocal, verdict.Ingress.Reason);
    }

    [Fact]
    public void PodsWithoutAddresses_AreSelectedButNeverMatchedByAddress()
    {
        var snapshot = Base().Pod("x/pending", "", "app=a", "").Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchLabels: {app: b}}
              ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: q, namespace: x}
            spec:
              podSelector: {matchLabels: {app: a}}
              ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]
            """).Build();
        Assert.False(Decide(snapshot, "x/pending", "x/b", 8080).Allowed); // no address: the ipBlock cannot match
        var into = Decide(snapshot, "x/b", "x/pending", 80);
        Assert.True(into.Ingress.Isolated); // still selected
        Assert.True(into.Allowed);
        Assert.False(Decide(snapshot, "y/a", "x/pending", 80).Allowed);
    }

    [Fact]
    public void IPv6_BlocksMatchOnlyTheirFamily()
    {
        var snapshot = new ClusterBuilder()
            .Pod("x/a", "10.0.1.1,fd00::1", "app=a")
            .Pod("x/b", "10.0.1.2,fd00::2", "app=b")
            .Pod("x/c", "fd00::3", "app=c")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: b}}
                  ingress: [{from: [{ipBlock: {cidr: "fd00::/64"}}]}]
                """).Build();
        var matcher = new PolicyMatcher(snapshot);
        Assert.False(matcher.IsAllowed("x/a", "x/b", 80)); // both dual-stack: IPv4 is chosen, the IPv6 block does not match
        var v6 = matcher.Decide(new Flow(FlowEndpoint.ForPod("x", "a", IPAddress.Parse("fd00::1")), FlowEndpoint.ForPod("x", "b"), 80));
        Assert.True(v6.Allowed);
        Assert.Equal(IPAddress.Parse("fd00::2"), v6.DestinationAddress);
        Assert.True(matcher.IsAllowed("x/c", "x/b", 80)); // x/c has only IPv6: the flow is IPv6
        Assert.True(matcher.IsAllowed("fd00::99", "x/b", 80));
        Assert.False(matcher.IsAllowed("10.9.9.9", "x/b", 80));
    }

    [Fact]
    public void KnownBug_NotInMatchesWhenTheKeyIsAbsent()
    {
        var snapshot = Base().Pod("x/nolabel", "10.0.1.9", "").Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}
              policyTypes: [Ingress]
            """).Build();
        Assert.True(Decide(snapshot, "y/a", "x/nolabel", 80).Ingress.Isolated);
        Assert.True(Decide(snapshot, "y/a", "x/a", 80).Ingress.Isolated);
    }

    [Fact]
    public void KnownBug_DoesNotExistMatchesWhenTheKeyIsAbsent()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchExpressions: [{key: env, operator: DoesNotExist}]}
              policyTypes: [Ingress]
            """).Build();
        Assert.True(Decide(snapshot, "y/a", "x/a", 80).Ingress.Isolated);
    }

    [Fact]
    public void KnownBug_MatchLabelsWithEmptyValueNeedsTheKeyPresent()
    {
        var snapshot = Base().Pod("x/empty", "10.0.1.8", "canary=").Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchLabels: {canary: ""}}
              policyTypes: [Ingress]
            """).Build();
        Assert.True(Decide(snapshot, "y/a", "x/empty", 80).Ingress.Isolated);
        Assert.False(Decide(snapshot, "y/a", "x/a", 80).Ingress.Isolated); // x/a has no canary label
    }

    [Fact]
    public void KnownBug_IpBlockExceptDoesNotSkipThePolicysOtherRules()
    {
        var snapshot = Base().Policies("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: p, namespace: x}
            spec:
              podSelector: {matchLabels: {app: b}}
              ingress:
              - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.2.0/24]}}]
              - from: [{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: a}}}]
            """).Build();
        var verdict = Decide(snapshot, "y/a", "x/b", 8080);
        Assert.True(verdict.Allowed); // excepted by rule 0, allowed by rule 1
        Assert.Equal(["x/p rule 1"], verdict.Ingress.MatchedRules.Select(r => r.ToString()));
        Assert.False(Decide(snapshot, "y/b", "x/b", 8080).Allowed);
    }

    [Fact]
    public void Self_APodsTrafficToItselfIsAllowedAndSaysWhy()
    {
        var verdict = Decide(Base().Policies(DenyAllIngress).Build(), "x/a", "x/a", 80);
        Assert.True(verdict.Allowed);
        Assert.Equal(VerdictReason.Self, verdict.Ingress.Reason);
        Assert.True(verdict.Ingress.Isolated);
        Assert.Contains("a pod cannot block traffic to itself", string.Join("\n", verdict.Explain()), StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_DeniedVerdictNamesThePoliciesAndWhatToChange()
    {
        var verdict = Decide(Base().Policies(DenyAllIngress).Build(), "y/a", "x/a", 80);
        Assert.Equal(
            [
                "DENIED: pod y/a (10.0.2.1) -> pod x/a (10.0.1.1) port 80/TCP",
                "  egress of the source: allowed (no policy with Egress selects it)",
                "  ingress of the destination: denied (selected by x/deny; none of their ingress rules allows this flow)",
                "  to allow it: add an ingress rule from the source on port 80/TCP to one of the policies that select the destination (x/deny), or a new policy selecting the destination with such a rule",
            ],
            verdict.Explain());
    }

    [Fact]
    public void Addresses_OfPodsResolveToThePod()
    {
        var verdict = Decide(Base().Policies(DenyAllIngress).Build(), "10.0.2.1", "x/a", 80);
        Assert.Equal(["10.0.2.1 is the address of pod y/a: evaluated as that pod"], verdict.Notes);
        Assert.Equal("pod y/a (10.0.2.1)", verdict.SourceDescription);
    }

    [Fact]
    public void HostEndpoints_AreSelectedLikePodsAndTheirNodesPodsAreNodeLocal()
    {
        var snapshot = Base()
            .Host("legacy/db-vm", "192.168.10.5", "app=db", "postgres=5432/TCP")
            .Host("x/node-1-host", "192.168.0.1", "role=node", "", node: "node-1")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: db, namespace: legacy}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  ingress:
                  - from: [{namespaceSelector: {matchLabels: {team: a}}}]
                    ports: [{port: postgres}]
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: host, namespace: x}
                spec: {podSelector: {matchLabels: {role: node}}, policyTypes: [Ingress]}
                """).Build();
        Assert.True(Decide(snapshot, "x/a", "legacy/db-vm", 5432).Allowed);
        Assert.False(Decide(snapshot, "y/a", "legacy/db-vm", 5432).Allowed);
        Assert.False(Decide(snapshot, "x/a", "legacy/db-vm", 5433).Allowed);
        var local = Decide(snapshot, "x/a", "x/node-1-host", 22);
        Assert.True(local.Allowed);
        Assert.Equal(VerdictReason.NodeLocal, local.Ingress.Reason);
        Assert.False(Decide(snapshot, "legacy/db-vm", "x/node-1-host", 22).Allowed);
    }

    [Fact]
    public void Decide_UnknownPod_ThrowsWithItsName()
    {
        var matcher = new PolicyMatcher(Base().Build());
        var error = Assert.Throws<ArgumentException>(() => matcher.IsAllowed("x/nope", "x/a", 80));
        Assert.StartsWith("There is no pod or host endpoint x/nope; namespace x has a, b.", error.Message, StringComparison.Ordinal);
    }
}
