using System.Net;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Firewalld.Tests.Integration;

/// <summary>ClusterNetworkPolicy tiers enforced by a real firewalld, with real connections between the nine pods of the
/// fixture (x/a … z/c on one node, TCP and UDP 80 and 81). Each scenario states the connections its tiers decide, and
/// every other connection of the matrix is compared with the reference matcher.</summary>
[Trait("Category", "Integration")]
public sealed class FirewalldTierIntegrationTests(FirewalldFixture fixture) : IClassFixture<FirewalldFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminDeny_BeatsANetworkPolicyAllow()
    {
        // x allows all ingress; the Admin tier denies TCP 80 from y to x.
        var snapshot = await ApplyAsync("""
            kind: NetworkPolicy
            apiVersion: networking.k8s.io/v1
            metadata: {name: allow-all, namespace: x}
            spec:
              podSelector: {}
              ingress: [{}]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: no-y-to-x-web}
            spec:
              tier: Admin
              priority: 10
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}
              ingress:
              - name: deny-y
                action: Deny
                from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]
                protocols: [{tcp: {destinationPort: {number: 80}}}]
            """);

        await ExpectAsync(snapshot, [("y/a", "x/b", 80, Protocol.Tcp, false), ("y/c", "x/a", 80, Protocol.Tcp, false), ("y/a", "x/b", 81, Protocol.Tcp, true), ("y/a", "x/b", 80, Protocol.Udp, true), ("z/a", "x/b", 80, Protocol.Tcp, true)]);
    }

    [Fact]
    public async Task AdminAccept_BeatsNetworkPolicyIsolation_ButAnEgressAcceptDoesNotLiftTheDestinationsIngress()
    {
        // x denies all ingress; the Admin tier accepts TCP 81 from z into x, and y's egress to x on TCP 80.
        var snapshot = await ApplyAsync("""
            kind: NetworkPolicy
            apiVersion: networking.k8s.io/v1
            metadata: {name: deny-all, namespace: x}
            spec: {podSelector: {}, policyTypes: [Ingress]}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: operators}
            spec:
              tier: Admin
              priority: 5
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}
              ingress:
              - name: monitoring
                action: Accept
                from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: z}}}]
                protocols: [{tcp: {destinationPort: {number: 81}}}]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: y-egress}
            spec:
              tier: Admin
              priority: 6
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}
              egress:
              - name: to-x
                action: Accept
                to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}]
                protocols: [{tcp: {destinationPort: {number: 80}}}]
            """);

        await ExpectAsync(snapshot, [("z/a", "x/b", 81, Protocol.Tcp, true), ("z/c", "x/c", 81, Protocol.Tcp, true), ("z/a", "x/b", 80, Protocol.Tcp, false), ("y/a", "x/b", 81, Protocol.Tcp, false), ("y/a", "x/b", 80, Protocol.Tcp, false), ("y/a", "z/b", 80, Protocol.Tcp, true)]);
    }

    [Fact]
    public async Task BaselineDeny_AppliesOnlyWhereNoNetworkPolicyIsolates()
    {
        // Baseline: ingress from x accepted, everything else denied. z is isolated by a NetworkPolicy allowing y only:
        // there the Baseline tier is never reached.
        var snapshot = await ApplyAsync("""
            kind: NetworkPolicy
            apiVersion: networking.k8s.io/v1
            metadata: {name: from-y, namespace: z}
            spec:
              podSelector: {}
              ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]}]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: default}
            spec:
              tier: Baseline
              priority: 0
              subject: {namespaces: {}}
              ingress:
              - name: from-x
                action: Accept
                from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}]
              - name: deny-rest
                action: Deny
                from: [{namespaces: {}}]
            """);

        await ExpectAsync(snapshot, [("x/a", "y/b", 80, Protocol.Tcp, true), ("z/a", "y/b", 80, Protocol.Tcp, false), ("y/a", "x/b", 81, Protocol.Udp, false), ("y/a", "z/b", 80, Protocol.Tcp, true), ("x/a", "z/b", 80, Protocol.Tcp, false)]);
    }

    [Fact]
    public async Task AdminPass_HandsTheConnectionToTheNetworkPolicies()
    {
        // Admin: Pass TCP 80 from y, then Deny TCP 80 from every namespace. x allows ingress from y and z.
        var snapshot = await ApplyAsync("""
            kind: NetworkPolicy
            apiVersion: networking.k8s.io/v1
            metadata: {name: from-y-and-z, namespace: x}
            spec:
              podSelector: {}
              ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: ["y", z]}]}}]}]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: web-gate}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}
              ingress:
              - name: y-decides-itself
                action: Pass
                from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]
                protocols: [{tcp: {destinationPort: {number: 80}}}]
              - name: nobody-else
                action: Deny
                from: [{namespaces: {}}]
                protocols: [{tcp: {destinationPort: {number: 80}}}]
            """);

        await ExpectAsync(snapshot, [("y/a", "x/b", 80, Protocol.Tcp, true), ("z/a", "x/b", 80, Protocol.Tcp, false), ("z/a", "x/b", 81, Protocol.Tcp, true), ("x/a", "x/b", 80, Protocol.Tcp, false)]);
    }

    /// <summary>The node is host endpoint hosts/node-1 (169.254.1.1, the pods' gateway, from which the node reaches its
    /// pods); x's Admin tier denies it TCP 80. Connections from the node itself, through firewalld's output policy.</summary>
    [Fact]
    public async Task AdminDeny_OfTheNode_HoldsForTheNodesOwnConnections()
    {
        await ApplyAsync("""
            apiVersion: netpolhost.io/v1alpha1
            kind: HostEndpoint
            metadata: {name: node-1, namespace: hosts}
            spec: {nodeName: node-1, ips: [169.254.1.1]}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: not-from-the-node}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}
              ingress:
              - {name: no-node-web, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: hosts}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
            """);

        foreach (var (to, port, expected) in new[] { ("x/a", 80, false), ("x/b", 80, false), ("x/a", 81, true), ("y/a", 80, true) })
        {
            var allowed = await fixture.Lab.ProbeAsync(fixture.Node, ConformanceData.PodIPs[to], port, Protocol.Tcp) || (expected && await fixture.Lab.ProbeAsync(fixture.Node, ConformanceData.PodIPs[to], port, Protocol.Tcp, TimeSpan.FromSeconds(2)));
            Assert.True(allowed == expected, $"node -> {to} {port}/TCP: expected {(expected ? "allowed" : "denied")}, firewalld {(allowed ? "allowed" : "denied")}");
        }
    }

    [Fact]
    public async Task InexpressibleTier_IsRefusedBeforeAnythingChanges()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var before = await ApplyAsync("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: no-y-to-x-web}
            spec:
              tier: Admin
              priority: 10
              subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: x}}}
              ingress:
              - {name: deny-y, action: Deny, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]}
            """);
        var plan = Plan(before);

        // The pods may reach TCP 80 of the 10.0.0.0/8 addresses and nothing else of any address: between a pod and its
        // node, firewalld could tell ICMP from TCP only by accepting TCP, which would bypass its zones.
        var refused = Plan(Snapshot("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: web-only}
            spec:
              tier: Admin
              priority: 10
              subject: {namespaces: {}}
              egress:
              - {name: web, action: Accept, to: [{networks: [10.0.0.0/8]}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
              - {name: nothing-else, action: Deny, to: [{networks: [0.0.0.0/0]}]}
            """));
        await using var backend = NewBackend();
        var error = await Assert.ThrowsAsync<UnsupportedPolicyFeatureException>(() => backend.ApplyAsync(refused, cancellationToken: Token));
        Assert.Equal("ClusterNetworkPolicy web-only", error.Policy);
        Assert.Contains("protocols without ports", error.Message, StringComparison.Ordinal);
        Assert.Contains("bypass its zones", error.Message, StringComparison.Ordinal);
        Assert.Throws<UnsupportedPolicyFeatureException>(() => backend.RenderNative(refused));
        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);
        await ExpectAsync(before, [("y/a", "x/b", 80, Protocol.Tcp, false), ("z/a", "x/b", 80, Protocol.Tcp, true)]);
    }

    private async Task<ClusterSnapshot> ApplyAsync(string manifests)
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var snapshot = Snapshot(manifests);
        var plan = Plan(snapshot);
        Assert.True(plan.HasTiers, plan.Describe());
        await using var backend = NewBackend();
        await backend.ApplyAsync(plan, cancellationToken: Token);
        Assert.False((await backend.ApplyAsync(plan, cancellationToken: Token)).Changed);
        Assert.Empty((await backend.GetStatusAsync(plan, Token)).Drift);
        return snapshot;
    }

    /// <summary>The stated connections must behave as stated (and as the matcher says); every other ordered pair of pods
    /// on TCP 80, TCP 81 and UDP 80 as the matcher says.</summary>
    private async Task ExpectAsync(ClusterSnapshot snapshot, (string From, string To, int Port, Protocol Protocol, bool Allowed)[] stated)
    {
        var matcher = new PolicyMatcher(snapshot);
        var probes = new List<(string From, string To, int Port, Protocol Protocol, bool Allowed)>(stated);
        foreach (var (from, to, port, protocol, expected) in stated)
        {
            Assert.True(Decide(matcher, from, to, port, protocol) == expected, $"the matcher disagrees with the scenario on {from} -> {to} {port}/{protocol}");
        }

        var pods = ConformanceData.PodIPs.Keys.Order(StringComparer.Ordinal).ToList();
        foreach (var (port, protocol) in new[] { (80, Protocol.Tcp), (81, Protocol.Tcp), (80, Protocol.Udp) })
        {
            foreach (var from in pods)
            {
                foreach (var to in pods.Where(p => p != from))
                {
                    if (!stated.Any(s => s.From == from && s.To == to && s.Port == port && s.Protocol == protocol))
                    {
                        probes.Add((from, to, port, protocol, Decide(matcher, from, to, port, protocol)));
                    }
                }
            }
        }

        var results = probes.Select(p => (Probe: p, Result: fixture.Lab.ProbeAsync(p.From, ConformanceData.PodIPs[p.To], p.Port, p.Protocol))).ToList();
        var mismatches = new List<string>();
        foreach (var (probe, result) in results)
        {
            var allowed = await result;
            if (!allowed && probe.Allowed)
            {
                // A quick probe can lose a race on a loaded machine: confirm a denial slowly.
                allowed = await fixture.Lab.ProbeAsync(probe.From, ConformanceData.PodIPs[probe.To], probe.Port, probe.Protocol, TimeSpan.FromSeconds(2));
            }

            if (allowed != probe.Allowed)
            {
                mismatches.Add($"{probe.From} -> {probe.To} {probe.Port}/{probe.Protocol}: expected {(probe.Allowed ? "allowed" : "denied")}, firewalld {(allowed ? "allowed" : "denied")}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches) + "\n" + Plan(snapshot).Describe());
    }

    private static bool Decide(PolicyMatcher matcher, string from, string to, int port, Protocol protocol) =>
        matcher.Decide(new Flow(FlowEndpoint.ForPod(from.Split('/')[0], from.Split('/')[1]), FlowEndpoint.ForPod(to.Split('/')[0], to.Split('/')[1]), port, protocol)).Allowed;

    private static ClusterSnapshot Snapshot(string manifests)
    {
        var load = ManifestLoader.LoadText(manifests, "scenario.yaml");
        Assert.True(load.IsValid, string.Join("\n", load.Errors));
        var model = ConformanceData.Get("e2e-01").Snapshot;
        return ClusterSnapshot.Create(model.Namespaces, model.Pods, hostEndpoints: load.Snapshot.HostEndpoints, policies: load.Snapshot.Policies, clusterPolicies: load.Snapshot.ClusterPolicies);
    }

    private static RulePlan Plan(ClusterSnapshot snapshot) => RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" });

    private FirewalldFirewallBackend NewBackend() =>
        new(new FirewalldOptions { BusAddress = fixture.BusAddress, Prefix = "nph", ReapplyOnReload = false });
}
