using System.Net;
using NetPolHost.Core.Tests.Planning;
using NetPolHost.Linting;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Linting;

/// <summary>Findings are facts: the label logic agrees with brute force over every label set that matters, and a rule
/// that NPH007 or NPH011 says adds nothing or never matches changes no verdict of the matcher when deleted.</summary>
public sealed class LintExactnessTests
{
    private static readonly string[] s_keys = ["a", "b", "c"];
    private static readonly string[] s_values = ["x", "y", ""];

    /// <summary>Every label map over the keys where each key is absent, one of the values, or a value no selector names:
    /// a selector over these keys and values cannot tell apart two maps that agree here.</summary>
    private static readonly List<LabelMap> s_universe = Universe();

    private static List<LabelMap> Universe()
    {
        var choices = s_values.Append("other").Prepend(null).ToArray();
        var maps = new List<LabelMap> { LabelMap.Empty };
        foreach (var key in s_keys)
        {
            maps = [.. maps.SelectMany(m => choices.Select(v => v is null ? m : m.With(key, v)))];
        }

        return maps;
    }

    private static LabelSelector RandomSelector(Random random)
    {
        var labels = new List<string>();
        var expressions = new List<LabelSelectorRequirement>();
        foreach (var key in s_keys)
        {
            switch (random.Next(6))
            {
                case 0:
                    labels.Add(key);
                    labels.Add(s_values[random.Next(s_values.Length)]);
                    break;
                case 1:
                case 2:
                    var op = (SelectorOperator)random.Next(4);
                    var values = op is SelectorOperator.In or SelectorOperator.NotIn
                        ? s_values.Where(_ => random.Next(2) == 0).DefaultIfEmpty(s_values[random.Next(s_values.Length)]).ToValueList()
                        : default;
                    expressions.Add(new LabelSelectorRequirement(key, op, values));
                    break;
            }
        }

        return new LabelSelector { MatchLabels = LabelMap.Of([.. labels]), MatchExpressions = expressions.ToValueList() };
    }

    [Fact]
    public void LabelLogic_AgreesWithBruteForce()
    {
        var random = new Random(12);
        var logic = new LabelLogic(1_000_000);
        var (covered, overlapping) = (0, 0);
        for (var n = 0; n < 3000; n++)
        {
            var set = RandomSelector(random);
            var union = Enumerable.Range(0, random.Next(4)).Select(_ => RandomSelector(random)).ToList();
            var other = RandomSelector(random);
            static LabelSet Of(LabelSelector s) => LabelSet.InNamespaces(LabelSelector.Everything, s);

            var expectCovered = s_universe.Where(set.Matches).All(m => union.Any(u => u.Matches(m)));
            Assert.Equal(expectCovered, logic.Covers([.. union.Select(Of)], Of(set)));
            Assert.Equal(!expectCovered, logic.SomeOutside(Of(set), [.. union.Select(Of)]));
            var expectOverlap = s_universe.Any(m => set.Matches(m) && other.Matches(m));
            Assert.Equal(expectOverlap, logic.Overlaps(Of(set), Of(other)));
            covered += expectCovered ? 1 : 0;
            overlapping += expectOverlap ? 1 : 0;
        }

        // Both answers came up often enough to mean something.
        Assert.InRange(covered, 300, 2700);
        Assert.InRange(overlapping, 300, 2700);
    }

    [Fact]
    public void LabelLogic_OutOfSteps_IsUndecided()
    {
        var logic = new LabelLogic(3);
        var set = LabelSet.InNamespaces(LabelSelector.Everything, LabelSelector.Everything);
        var union = Enumerable.Range(0, 6).Select(i => LabelSet.InNamespaces(LabelSelector.Everything, LabelSelector.ForLabels("k", "v" + i, "j", "w" + i))).ToList();
        Assert.Null(logic.Covers(union, set));
    }

    private static readonly PortProbe[] s_probes = [new(80), new(81), new(80, Protocol.Udp), new(81, Protocol.Udp), new(80, Protocol.Sctp)];
    private static readonly IPAddress[] s_outside = [IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.244.9.9"), IPAddress.Parse("fd00:10:244:9::9")];

    [Fact]
    public void RulesThatAddNothingOrNeverMatch_ChangeNoVerdictWhenDeleted()
    {
        var checkedRules = new Dictionary<string, int>(StringComparer.Ordinal) { ["NPH007"] = 0, ["NPH011"] = 0 };
        for (var seed = 0; seed < 150; seed++)
        {
            var (_, baseSnapshot) = ClusterPlanDifferentialTests.Cluster(seed);
            var random = new RandomCluster(seed + 1000, sctp: true);
            var extra = Enumerable.Range(0, 4).Select(i => random.Policy("extra" + i, random.Pick(["x", "y", "z"]))).ToList();
            var snapshot = baseSnapshot.With(policies: extra);
            var before = Verdicts(snapshot);
            foreach (var finding in PolicyLinter.Lint(snapshot).Findings.Where(f => f.RuleId is "NPH007" or "NPH011"))
            {
                var after = Verdicts(Without(snapshot, finding));
                Assert.True(before.SequenceEqual(after), $"seed {seed}: deleting {finding.Policy} {finding.Path} ({finding.Message}) changes a verdict");
                checkedRules[finding.RuleId]++;
            }
        }

        Assert.True(checkedRules["NPH007"] >= 20, $"only {checkedRules["NPH007"]} NPH007 findings");
        Assert.True(checkedRules["NPH011"] >= 20, $"only {checkedRules["NPH011"]} NPH011 findings");
    }

    [Fact]
    public void UndoneExcepts_HaveAWitness_InTheGivenCluster()
    {
        // For an NPH002 finding on an except entry with pods of the cluster: one of those pods, an excluded address and
        // a port such that the except rule would admit the flow without its except, and the rule the finding names does.
        var witnessed = 0;
        for (var seed = 0; seed < 400; seed++)
        {
            var (_, baseSnapshot) = ClusterPlanDifferentialTests.Cluster(seed);
            var random = new RandomCluster(seed + 2000, sctp: true);
            var snapshot = baseSnapshot.With(policies: Enumerable.Range(0, 6).Select(i => random.Policy("extra" + i, random.Pick(["x", "y", "z"]))));
            var matcher = new PolicyMatcher(snapshot);
            foreach (var finding in PolicyLinter.Lint(snapshot).Findings.Where(f => f.RuleId == "NPH002" && f.Path.Contains(".except[", StringComparison.Ordinal) && f.AffectedPodCount > 0))
            {
                var ingress = finding.Path.StartsWith("spec.ingress", StringComparison.Ordinal);
                var numbers = System.Text.RegularExpressions.Regex.Matches(finding.Path, @"\[(\d+)\]").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                var a = snapshot.Policies.Single(p => "NetworkPolicy " + p.Ref == finding.Policy);
                var rules = ingress ? a.Ingress : a.Egress;
                var block = rules[numbers[0]].Peers[numbers[1]].IPBlock!;
                var excluded = NetPolHost.Planning.AddressRange.FromCidr(block.Except[numbers[2]]);
                var opened = a with { PolicyTypes = a.PolicyTypes };
                var withoutExcept = rules.Select((r, i) => i != numbers[0] ? r : r with { Peers = r.Peers.Select((p, j) => j != numbers[1] ? p : p with { IPBlock = block with { Except = default } }).ToValueList() }).ToValueList();
                opened = ingress ? opened with { Ingress = withoutExcept } : opened with { Egress = withoutExcept };
                var openedMatcher = new PolicyMatcher(snapshot.With(policies: [opened]));

                var found = false;
                foreach (var related in finding.Related)
                {
                    var match = System.Text.RegularExpressions.Regex.Match(related, @"^NetworkPolicy (\S+)/(\S+) rule (ingress|egress)\[(\d+)\]$");
                    Assert.True(match.Success, related);
                    var b = new PolicyRef(match.Groups[1].Value, match.Groups[2].Value);
                    var k = int.Parse(match.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
                    var bRule = (ingress ? snapshot.Policies.Single(p => p.Ref == b).Ingress : snapshot.Policies.Single(p => p.Ref == b).Egress)[k];
                    var ranges = bRule.Peers.IsEmpty ? [excluded] : NetPolHost.Linting.AddressCover.Intersect([excluded], bRule.Peers.Where(p => p.IPBlock is not null).SelectMany(p => NetPolHost.Planning.AddressRange.FromBlock(p.IPBlock!)));
                    foreach (var pod in finding.AffectedPods.Select(n => n.Split('/')))
                    {
                        foreach (var address in ranges.SelectMany(r => new[] { r.FirstAddress, r.LastAddress }))
                        {
                            foreach (var (port, protocol) in s_probes.Select(p => (p.Port, p.Protocol)).Append((0, Protocol.Icmp)).Append((0, Protocol.IcmpV6)))
                            {
                                var podEnd = FlowEndpoint.ForPod(pod[0], pod[1]);
                                var flow = ingress ? new Flow(FlowEndpoint.ForAddress(address), podEnd, port, protocol) : new Flow(podEnd, FlowEndpoint.ForAddress(address), port, protocol);
                                try
                                {
                                    var side = (FlowVerdict v) => ingress ? v.Ingress : v.Egress;
                                    found |= side(matcher.Decide(flow)).MatchedRules.Contains(new RuleRef(b, k))
                                        && side(openedMatcher.Decide(flow)).MatchedRules.Contains(new RuleRef(a.Ref, numbers[0]));
                                }
                                catch (ArgumentException)
                                {
                                    // ICMP of the other family.
                                }
                            }
                        }
                    }
                }

                Assert.True(found, $"seed {seed}: no witness for {finding}");
                witnessed++;
            }
        }

        Assert.True(witnessed >= 10, $"only {witnessed} NPH002 findings with pods");
    }

    private static ClusterSnapshot Without(ClusterSnapshot snapshot, LintFinding finding)
    {
        var path = finding.Path;
        var ingress = path.StartsWith("spec.ingress[", StringComparison.Ordinal);
        var index = int.Parse(path[(path.IndexOf('[', StringComparison.Ordinal) + 1)..path.IndexOf(']', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        static ValueList<T> Cut<T>(ValueList<T> list, int i) => list.Where((_, n) => n != i).ToValueList();
        if (finding.Policy.StartsWith("NetworkPolicy ", StringComparison.Ordinal))
        {
            var policy = snapshot.Policies.Single(p => "NetworkPolicy " + p.Ref == finding.Policy);
            var changed = ingress
                ? policy with { Ingress = Cut(policy.Ingress, index), PolicyTypes = policy.PolicyTypes }
                : policy with { Egress = Cut(policy.Egress, index), PolicyTypes = policy.PolicyTypes };
            return ClusterSnapshot.Create(snapshot.Namespaces, snapshot.Pods, snapshot.Nodes, snapshot.HostEndpoints,
                snapshot.Policies.Select(p => ReferenceEquals(p, policy) ? changed : p), snapshot.ClusterPolicies, snapshot.Services);
        }

        var cluster = snapshot.ClusterPolicies.Single(p => p.SourceKind + " " + p.Name == finding.Policy);
        var changedCluster = ingress ? cluster with { Ingress = Cut(cluster.Ingress, index) } : cluster with { Egress = Cut(cluster.Egress, index) };
        return ClusterSnapshot.Create(snapshot.Namespaces, snapshot.Pods, snapshot.Nodes, snapshot.HostEndpoints,
            snapshot.Policies, snapshot.ClusterPolicies.Select(p => ReferenceEquals(p, cluster) ? changedCluster : p), snapshot.Services);
    }

    /// <summary>Every verdict of both directions between the endpoints, and between them and addresses outside, on the
    /// probed ports and ICMP.</summary>
    private static List<bool> Verdicts(ClusterSnapshot snapshot)
    {
        var matcher = new PolicyMatcher(snapshot);
        var verdicts = new List<bool>();
        var table = matcher.BuildTruthTable(probes: s_probes);
        foreach (var probe in table.Probes)
        {
            for (var r = 0; r < table.Endpoints.Count; r++)
            {
                for (var c = 0; c < table.Endpoints.Count; c++)
                {
                    verdicts.Add(probe.Ingress[r, c]);
                    verdicts.Add(probe.Egress[r, c]);
                }
            }
        }

        var ends = snapshot.Pods.Select(p => FlowEndpoint.ForPod(p.Namespace, p.Name)).ToList();
        foreach (var a in ends)
        {
            foreach (var b in ends.Concat(s_outside.Select(FlowEndpoint.ForAddress)))
            {
                foreach (var (from, to) in new[] { (a, b), (b, a) })
                {
                    foreach (var (port, protocol) in s_probes.Select(p => (p.Port, p.Protocol)).Append((0, Protocol.Icmp)))
                    {
                        try
                        {
                            var verdict = matcher.Decide(new Flow(from, to, port, protocol));
                            verdicts.Add(verdict.Ingress.Allowed);
                            verdicts.Add(verdict.Egress.Allowed);
                        }
                        catch (ArgumentException)
                        {
                            verdicts.Add(false);
                        }
                    }
                }
            }
        }

        return verdicts;
    }
}
