using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Matching;

/// <summary>Properties over thousands of random policies and pods (fixed seeds; a failing seed is printed).</summary>
public sealed class MatcherPropertyTests
{
    private const int Runs = 300;
    private static readonly string[] s_pods = [.. RandomCluster.PodIPs.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void TruthTable_EqualsDecide_ForEveryCellOfEveryMatrix()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new RandomCluster(seed);
            var snapshot = random.Snapshot(1 + (seed % 6), mixedFamilies: seed % 2 == 1);
            var matcher = new PolicyMatcher(snapshot);
            var probes = new[] { new PortProbe(80), new PortProbe(81, Protocol.Udp), new PortProbe(81) };
            var table = matcher.BuildTruthTable(probes: probes);
            Assert.Equal(s_pods, table.Endpoints);
            foreach (var matrix in table.Probes)
            {
                for (var i = 0; i < s_pods.Length; i++)
                {
                    for (var j = 0; j < s_pods.Length; j++)
                    {
                        var verdict = matcher.Decide(new Flow(Endpoint(s_pods[i]), Endpoint(s_pods[j]), matrix.Probe.Port, matrix.Probe.Protocol));
                        var where = $"seed {seed}: {s_pods[i]} -> {s_pods[j]} {matrix.Probe}";
                        Assert.True(verdict.Allowed == matrix.Allowed[i, j], where + " (combined)");
                        Assert.True(verdict.Ingress.Allowed == matrix.Ingress[i, j], where + " (ingress)");
                        Assert.True(verdict.Egress.Allowed == matrix.Egress[i, j], where + " (egress)");
                    }
                }
            }
        }
    }

    [Fact]
    public void PolicyOrder_NeverChangesAVerdict()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new RandomCluster(seed);
            var snapshot = random.Snapshot(2 + (seed % 5));

            // Renaming the policies in reverse changes the order in which they are indexed and evaluated.
            var renamed = snapshot.Policies.Reverse().Select((p, i) => p with { Name = "q" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToList();
            var shuffled = ClusterSnapshot.Create(snapshot.Namespaces, snapshot.Pods, policies: renamed);
            var a = new PolicyMatcher(snapshot);
            var b = new PolicyMatcher(shuffled);
            foreach (var (from, to, port, protocol) in Flows(random, 40))
            {
                Assert.True(
                    a.Decide(new Flow(from, to, port, protocol)).Allowed == b.Decide(new Flow(from, to, port, protocol)).Allowed,
                    $"seed {seed}: {from} -> {to} {port}/{protocol}");
            }
        }
    }

    [Fact]
    public void AddingAPolicy_NeverDeniesWhatAnIsolatedDirectionAllowed()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new RandomCluster(seed);
            var snapshot = random.Snapshot(1 + (seed % 4));
            var extra = random.Policy("extra", random.Pick(["x", "y", "z"]));
            var before = new PolicyMatcher(snapshot);
            var after = new PolicyMatcher(snapshot.With(policies: [extra]));
            foreach (var (from, to, port, protocol) in Flows(random, 40))
            {
                var flow = new Flow(from, to, port, protocol);
                var old = before.Decide(flow);
                var now = after.Decide(flow);
                if (old.Ingress.Isolated && old.Ingress.Allowed)
                {
                    Assert.True(now.Ingress.Allowed, $"seed {seed}: ingress {flow}");
                }

                if (old.Egress.Isolated && old.Egress.Allowed)
                {
                    Assert.True(now.Egress.Allowed, $"seed {seed}: egress {flow}");
                }
            }
        }
    }

    [Fact]
    public void ADirectionNoPolicySelects_IsOpen()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new RandomCluster(seed);
            var snapshot = random.Snapshot(1 + (seed % 5));
            var matcher = new PolicyMatcher(snapshot);
            foreach (var (from, to, port, protocol) in Flows(random, 40))
            {
                var verdict = matcher.Decide(new Flow(from, to, port, protocol));
                var destination = snapshot.FindPod(to.Namespace!, to.Name!)!;
                var source = snapshot.FindPod(from.Namespace!, from.Name!)!;
                if (!snapshot.Policies.Any(p => p.Namespace == destination.Namespace && p.Applies(Direction.Ingress) && p.PodSelector.Matches(destination.Labels)))
                {
                    Assert.True(verdict.Ingress.Allowed && !verdict.Ingress.Isolated, $"seed {seed}: ingress {from} -> {to}");
                }

                if (!snapshot.Policies.Any(p => p.Namespace == source.Namespace && p.Applies(Direction.Egress) && p.PodSelector.Matches(source.Labels)))
                {
                    Assert.True(verdict.Egress.Allowed && !verdict.Egress.Isolated, $"seed {seed}: egress {from} -> {to}");
                }
            }
        }
    }

    [Fact]
    public void IsolatedDirection_WithNoMatchingRule_IsDenied()
    {
        for (var seed = 0; seed < Runs; seed++)
        {
            var random = new RandomCluster(seed);
            var matcher = new PolicyMatcher(random.Snapshot(1 + (seed % 5)));
            foreach (var (from, to, port, protocol) in Flows(random, 40))
            {
                var verdict = matcher.Decide(new Flow(from, to, port, protocol));
                if (from.ToString() == to.ToString())
                {
                    continue;
                }

                foreach (var direction in new[] { verdict.Ingress, verdict.Egress })
                {
                    Assert.Equal(direction.Allowed, !direction.Isolated || direction.MatchedRules.Count > 0);
                }
            }
        }
    }

    private static FlowEndpoint Endpoint(string pod) => FlowEndpoint.ForPod(pod.Split('/')[0], pod.Split('/')[1]);

    private static IEnumerable<(FlowEndpoint From, FlowEndpoint To, int Port, Protocol Protocol)> Flows(RandomCluster random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var (port, protocol) = random.Probe();
            yield return (Endpoint(random.Pick(s_pods)), Endpoint(random.Pick(s_pods)), port, protocol);
        }
    }
}
