using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>ClusterNetworkPolicy tiers on one node in a real kernel: dual-stack pods with real IPv6 (and IPv4)
/// connections through Admin Accept, Pass and Deny entries and a Baseline Deny; and a host endpoint bound to an
/// interface, whose tiers meet the node's pods.</summary>
[Trait("Category", "Integration")]
public sealed class ClusterPolicySmallLabKernelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>x/b is isolated by a NetworkPolicy allowing TCP 80 from x/a. Admin tier for pods labelled pod=b: Accept
    /// TCP 81 from namespace y, Pass TCP 80 from pods labelled pod=a, Deny TCP 80 from everyone else; Admin tier for
    /// namespace y: Deny egress to x/a's IPv6 address on UDP 80. Baseline tier for pods labelled pod=a: Deny ingress on
    /// UDP 81, and Deny egress to every IPv6 address (::/0) on TCP 81. Every ordered pair of the three pods, both families,
    /// TCP and UDP 80 and 81, against the matcher; the stated IPv6 connections decided by each kind of entry.</summary>
    [Fact]
    public async Task Tiers_DecideIPv6ConnectionsAsTheMatcher()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        var xa6 = RandomCluster.PodIPv6("x/a");
        var load = ManifestLoader.LoadText("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: admin-gate}
            spec:
              tier: Admin
              priority: 1
              subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}}
              ingress:
              - {name: y-monitoring, action: Accept, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}], protocols: [{tcp: {destinationPort: {number: 81}}}]}
              - {name: a-decides, action: Pass, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
              - {name: nobody-else, action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: admin-v6-egress}
            spec:
              tier: Admin
              priority: 2
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}
              egress:
              - {name: no-udp-to-xa-v6, action: Deny, to: [{networks: ["XA6/128"]}], protocols: [{udp: {destinationPort: {number: 80}}}]}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: baseline}
            spec:
              tier: Baseline
              priority: 0
              subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}
              ingress:
              - {name: no-udp-81, action: Deny, from: [{namespaces: {}}], protocols: [{udp: {destinationPort: {number: 81}}}]}
              egress:
              - {name: no-v6-tcp-81, action: Deny, to: [{networks: ["::/0"]}], protocols: [{tcp: {destinationPort: {number: 81}}}]}
            """.Replace("XA6", xa6.ToString(), StringComparison.Ordinal), "tiers.yaml");
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        var snapshot = SmallLab.Snapshot(SmallLab.AllowXaToXb()).With(clusterPolicies: load.Snapshot.ClusterPolicies);
        await using var lab = SmallLab.Create(dualStack: true);
        using var backend = lab.Backend();
        var plan = SmallLab.Plan(snapshot);
        await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);

        var matcher = new PolicyMatcher(snapshot);
        var mismatches = new List<string>();
        var decidedBy = new HashSet<string>(StringComparer.Ordinal);
        foreach (var from in SmallLab.PodNames)
        {
            foreach (var to in SmallLab.PodNames.Where(p => p != from))
            {
                foreach (var v6 in new[] { true, false })
                {
                    foreach (var (port, protocol) in new[] { (80, Protocol.Tcp), (81, Protocol.Tcp), (80, Protocol.Udp), (81, Protocol.Udp) })
                    {
                        var source = v6 ? RandomCluster.PodIPv6(from) : SmallLab.Ip(from);
                        var target = v6 ? RandomCluster.PodIPv6(to) : SmallLab.Ip(to);
                        var verdict = matcher.Decide(new Flow(FlowEndpoint.ForPod(from.Split('/')[0], from.Split('/')[1], source), FlowEndpoint.ForPod(to.Split('/')[0], to.Split('/')[1], target), port, protocol));
                        var actual = await lab.Lab.ProbeAsync(from, target, port, protocol) || (verdict.Allowed && await lab.Lab.ProbeAsync(from, target, port, protocol, TimeSpan.FromSeconds(2)));
                        if (actual != verdict.Allowed)
                        {
                            mismatches.Add($"{from} -> {to} [{target}]:{port}/{protocol}: matcher {verdict.Allowed}, kernel {actual}");
                        }

                        if (v6)
                        {
                            foreach (var direction in new[] { verdict.Egress, verdict.Ingress })
                            {
                                if (direction.DecidedBy is { } rule && direction.Tier is DecisionTier.Admin or DecisionTier.Baseline)
                                {
                                    decidedBy.Add($"{direction.Tier} {rule.Action}");
                                }
                            }

                            if (!verdict.Egress.Passed.IsEmpty || !verdict.Ingress.Passed.IsEmpty)
                            {
                                decidedBy.Add("Admin Pass");
                            }
                        }
                    }
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches) + "\n" + plan.Describe());
        Assert.Equal(["Admin Accept", "Admin Deny", "Admin Pass", "Baseline Deny"], decidedBy.Order(StringComparer.Ordinal));

        // The IPv6-only entries: y/a's UDP 80 to x/a is denied over IPv6 and allowed over IPv4; x/a's TCP 81 to y/a likewise.
        Assert.False(await lab.Lab.ProbeAsync("y/a", xa6, 80, Protocol.Udp));
        Assert.True(await lab.Lab.ProbeAsync("y/a", SmallLab.Ip("x/a"), 80, Protocol.Udp, TimeSpan.FromSeconds(2)));
        Assert.False(await lab.Lab.ProbeAsync("x/a", RandomCluster.PodIPv6("y/a"), 81, Protocol.Tcp));
        Assert.True(await lab.Lab.ProbeAsync("x/a", SmallLab.Ip("y/a"), 81, Protocol.Tcp, TimeSpan.FromSeconds(2)));
    }

    /// <summary>A host endpoint of the node bound to an interface (not the pods' side) whose ingress an Admin-tier Deny
    /// guards against the pods of namespace x on TCP 80: traffic between a pod and its node meets the host endpoint's
    /// tiers whatever the interface, as the plan (<see cref="Planning.RulePlan.Evaluate(System.Net.IPAddress, System.Net.IPAddress, Protocol, int, IReadOnlySet{System.Net.IPAddress})"/>)
    /// decides it; traffic from y and on TCP 81 is allowed.</summary>
    [Fact]
    public async Task InterfaceBoundHostEndpoint_TiersDecideTrafficWithTheNodesPods()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        var load = ManifestLoader.LoadText("""
            apiVersion: netpolhost.io/v1alpha1
            kind: HostEndpoint
            metadata: {name: node-1, namespace: hosts, labels: {role: node}}
            spec: {nodeName: node-1, interfaceName: ext0, ips: [169.254.1.1]}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: protect-node}
            spec:
              tier: Admin
              priority: 1
              subject: {pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: hosts}}, podSelector: {}}}
              ingress:
              - {name: no-x-web, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
            """, "host.yaml");
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        var snapshot = SmallLab.Snapshot().With(hostEndpoints: load.Snapshot.HostEndpoints, clusterPolicies: load.Snapshot.ClusterPolicies);
        await using var lab = SmallLab.Create();
        lab.Lab.ServeIn(lab.Node, [80, 81], [], dualStack: false);
        using var backend = lab.Backend();
        var plan = SmallLab.Plan(snapshot);
        Assert.Equal("ext0", Assert.Single(plan.Endpoints, e => e.Kind == Planning.PlanEndpointKind.HostEndpoint).InterfaceName);
        await backend.ApplyAsync(plan, cancellationToken: Token);

        var host = new HashSet<System.Net.IPAddress> { NetworkLab.Gateway, System.Net.IPAddress.Loopback };
        foreach (var (from, port, expected) in new[] { ("x/a", 80, false), ("x/b", 80, false), ("y/a", 80, true), ("x/a", 81, true) })
        {
            Assert.Equal(expected, plan.Evaluate(SmallLab.Ip(from), NetworkLab.Gateway, Protocol.Tcp, port, host).Allowed);
            var actual = await lab.Lab.ProbeAsync(from, NetworkLab.Gateway, port, Protocol.Tcp) || (expected && await lab.Lab.ProbeAsync(from, NetworkLab.Gateway, port, Protocol.Tcp, TimeSpan.FromSeconds(2)));
            Assert.True(expected == actual, $"{from} -> node {port}/TCP: plan {expected}, kernel {actual}\n{plan.Describe()}");
        }
    }
}
