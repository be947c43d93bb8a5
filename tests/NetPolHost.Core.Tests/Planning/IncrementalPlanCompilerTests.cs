using System.Globalization;
using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>The incremental compiler gives, after every change of a random sequence, the plan a full compile gives.</summary>
public sealed class IncrementalPlanCompilerTests
{
    private static readonly string[] s_nodes = ["node-1", "node-2"];

    [Fact]
    public void Compile_AfterEveryRandomChange_EqualsAFullCompile()
    {
        var steps = 0;
        var reused = 0;
        var incremental = 0;
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var seed = 0; seed < 120; seed++)
        {
            var random = new RandomCluster(seed, sctp: seed % 4 == 0);
            var snapshot = random.Snapshot(2 + (seed % 6), pod => pod[0] == 'x' || pod == "y/a" ? "node-1" : "node-2", mixedFamilies: seed % 3 == 2)
                .With(nodes: [
                    new Node { Name = "node-1", Addresses = [IPAddress.Parse("192.168.56.11")], Labels = RandomCluster.NodeLabels("a") },
                    new Node { Name = "node-2", Addresses = [IPAddress.Parse("192.168.56.12")], Labels = RandomCluster.NodeLabels("b") },
                ]);
            if (seed % 5 == 1)
            {
                snapshot = snapshot.With(clusterPolicies: random.ClusterPolicies(1 + random.Next(3)));
            }

            if (seed % 7 == 3)
            {
                snapshot = snapshot.With(hostEndpoints: [HostEndpoint("node-1", "192.168.56.11", "app", "web")]);
            }

            var compilers = s_nodes.ToDictionary(n => n, n => new IncrementalPlanCompiler(new RulePlanOptions { NodeName = n }), StringComparer.Ordinal);
            for (var step = 0; step < 14; step++)
            {
                if (step > 0)
                {
                    var (next, kind) = Change(random, snapshot, step);
                    snapshot = next;
                    kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                }

                foreach (var (node, compiler) in compilers)
                {
                    var full = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = node });
                    var plan = compiler.Compile(snapshot);
                    Assert.True(full.Equals(plan), $"seed {seed} step {step} {node}: the incremental plan differs from the full one\nfull:\n{full.Describe()}\nincremental:\n{plan.Describe()}\nfull rules: {string.Join("\n", full.Rules)}\nincremental rules: {string.Join("\n", plan.Rules)}");
                    Assert.Equal(full.Rules.Select(r => r.HostsKey), plan.Rules.Select(r => r.HostsKey));
                    reused += compiler.LastPeerSets.Reused;
                    incremental += compiler.LastWasFull ? 0 : 1;
                }

                steps++;
            }
        }

        // Guards against passing trivially: many steps, each kind of change, and peer sets really reused.
        Assert.True(steps > 1500, $"only {steps} steps");
        Assert.True(reused > 1000, $"only {reused} peer sets reused");
        Assert.True(incremental > steps, $"only {incremental} incremental compiles in {steps} steps");
        Assert.All(new[] { "pod added", "pod removed", "pod relabelled", "pod moved", "pod ports", "namespace relabelled", "namespace added or removed", "policy edited", "policy added", "policy removed", "cluster policy edited", "host endpoint changed" },
            kind => Assert.True(kinds.GetValueOrDefault(kind) > 10, $"{kind}: {kinds.GetValueOrDefault(kind)} times"));
    }

    [Fact]
    public void Compile_AfterAPodRelabel_PatchesThePeerSetsInsteadOfComputingThem()
    {
        var snapshot = new ClusterBuilder().Namespace("x").Namespace("y")
            .Pod("x/a", "10.0.0.1", "app=web", node: "n")
            .Pod("y/b", "10.0.0.2", "app=db", node: "m")
            .Pod("y/c", "10.0.0.3", "app=api", node: "m")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {}
                  ingress:
                  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}]
                  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: cache}}}]
                """).Build();
        var compiler = new IncrementalPlanCompiler(new RulePlanOptions { NodeName = "n" });
        compiler.Compile(snapshot);
        Assert.Equal((0, 2), compiler.LastPeerSets);

        var pod = snapshot.FindPod("y", "c")!;
        var next = snapshot.With(pods: [pod with { Labels = LabelMap.Of("app", "cache") }]);
        var plan = compiler.Compile(next);

        Assert.False(compiler.LastWasFull);
        Assert.Equal((2, 0), compiler.LastPeerSets); // app=db reused as it was; app=cache patched (y/c put in)
        Assert.Equal(RulePlanCompiler.Compile(next, new RulePlanOptions { NodeName = "n" }), plan);
        Assert.Contains(plan.Rules, r => r.Peers.Hosts.Contains(IPAddress.Parse("10.0.0.3")));

        // An address two workloads share cannot be patched: the sets the pod is in are computed again.
        var shared = next.With(pods: [next.FindPod("y", "b")! with { IPs = [IPAddress.Parse("10.0.0.3")] }]);
        Assert.Equal(RulePlanCompiler.Compile(shared, new RulePlanOptions { NodeName = "n" }), compiler.Compile(shared));
        Assert.Equal((1, 1), compiler.LastPeerSets); // app=cache untouched by y/b; app=db computed again
    }

    private static HostEndpoint HostEndpoint(string node, string address, string key, string value) => new()
    {
        Namespace = "hosts",
        Name = node,
        NodeName = node,
        Labels = LabelMap.Of(key, value),
        IPs = [IPAddress.Parse(address)],
        Ports = [new ContainerPort("ssh", 22)],
    };

    private static (ClusterSnapshot Snapshot, string Kind) Change(RandomCluster random, ClusterSnapshot s, int step)
    {
        var pods = s.Pods.ToList();
        var namespaces = s.Namespaces.ToList();
        var policies = s.Policies.ToList();
        var cluster = s.ClusterPolicies.ToList();
        var hosts = s.HostEndpoints.ToList();
        string kind;
        switch (random.Next(12))
        {
            case 0:
            {
                var template = pods.Count > 0 ? random.Pick(pods) : null;
                var ns = random.Pick(new[] { "x", "y", "z", "w" });
                var number = step + (random.Next(1000) * 16);
                IPAddress address = random.Next(3) == 0
                    ? IPAddress.Parse("fd00:9::" + number.ToString("x", CultureInfo.InvariantCulture))
                    : IPAddress.Parse("10.9." + (number >> 8 & 255).ToString(CultureInfo.InvariantCulture) + "." + (number & 255).ToString(CultureInfo.InvariantCulture));
                pods.Add(new Pod
                {
                    Namespace = ns,
                    Name = "new-" + number.ToString(CultureInfo.InvariantCulture),
                    Labels = template?.Labels ?? LabelMap.Of("app", "web"),
                    NodeName = random.Pick(s_nodes),
                    IPs = random.Next(5) == 0 ? default : [address],
                    Ports = template?.Ports ?? default,
                    HostNetwork = random.Next(8) == 0,
                });
                kind = "pod added";
                break;
            }

            case 1 when pods.Count > 3:
                pods.RemoveAt(random.Next(pods.Count));
                kind = "pod removed";
                break;
            case 2 when pods.Count > 0:
            {
                var i = random.Next(pods.Count);
                var other = random.Pick(pods);
                pods[i] = pods[i] with { Labels = random.Next(3) == 0 ? pods[i].Labels.Without(random.Pick(new[] { "app", "tier", "env" })) : other.Labels.With("pod", pods[i].Name) };
                kind = "pod relabelled";
                break;
            }

            case 3 when pods.Count > 0:
            {
                var i = random.Next(pods.Count);
                var other = random.Pick(pods);
                pods[i] = random.Next(3) switch
                {
                    0 => pods[i] with { NodeName = pods[i].NodeName == "node-1" ? "node-2" : "node-1" },
                    1 => pods[i] with { IPs = other.IPs },
                    _ => pods[i] with { HostNetwork = !pods[i].HostNetwork },
                };
                kind = "pod moved";
                break;
            }

            case 4 when pods.Count > 0:
            {
                var i = random.Next(pods.Count);
                pods[i] = pods[i] with { Ports = random.Pick(pods).Ports };
                kind = "pod ports";
                break;
            }

            case 5 when namespaces.Count > 0:
            {
                var i = random.Next(namespaces.Count);
                var other = random.Pick(namespaces);
                namespaces[i] = namespaces[i] with { Labels = other.Labels.Without(Namespace.NameLabel) };
                kind = "namespace relabelled";
                break;
            }

            case 6:
                if (namespaces.Count > 1 && random.Next(2) == 0)
                {
                    namespaces.RemoveAt(random.Next(namespaces.Count));
                }
                else
                {
                    namespaces.Add(new Namespace { Name = random.Pick(new[] { "x", "y", "z", "w" }), Labels = random.Pick(namespaces.Count > 0 ? namespaces : [new Namespace { Name = "v" }]).Labels.Without(Namespace.NameLabel) });
                }

                kind = "namespace added or removed";
                break;
            case 7 when policies.Count > 0:
            {
                var i = random.Next(policies.Count);
                policies[i] = random.Policy(policies[i].Name, policies[i].Namespace);
                kind = "policy edited";
                break;
            }

            case 8:
                policies.Add(random.Policy("q" + step.ToString(CultureInfo.InvariantCulture) + "-" + random.Next(1000).ToString(CultureInfo.InvariantCulture), random.Pick(new[] { "x", "y", "z" })));
                kind = "policy added";
                break;
            case 9 when policies.Count > 0:
                policies.RemoveAt(random.Next(policies.Count));
                kind = "policy removed";
                break;
            case 10:
                if (cluster.Count > 0 && random.Next(2) == 0)
                {
                    var i = random.Next(cluster.Count);
                    cluster[i] = random.ClusterPolicy(cluster[i].Name);
                }
                else
                {
                    cluster.Add(random.ClusterPolicy("k" + step.ToString(CultureInfo.InvariantCulture)));
                }

                kind = "cluster policy edited";
                break;
            default:
                if (hosts.Count > 0 && random.Next(2) == 0)
                {
                    hosts.RemoveAt(0);
                }
                else
                {
                    hosts.Add(HostEndpoint(random.Pick(s_nodes), "192.168.56." + (20 + random.Next(5)).ToString(CultureInfo.InvariantCulture), "app", random.Pick(new[] { "web", "db" })));
                }

                kind = "host endpoint changed";
                break;
        }

        return (ClusterSnapshot.Create(namespaces, pods, s.Nodes, hosts, policies, cluster, s.Services), kind);
    }
}
