using NetPolHost.Matching;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Conformance;

/// <summary>The upstream ClusterNetworkPolicy conformance suite (network-policy-api v0.2.0, core and experimental)
/// against the matcher and the truth tables: every probe's expected verdict.</summary>
public sealed class CnpConformanceTests
{
    public static TheoryData<int> StepIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < CnpConformance.Steps.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void TheSuite_HasEveryUpstreamTestAndProbe()
    {
        var steps = CnpConformance.Steps;
        Assert.Equal(92, steps.Select(s => s.Case).Distinct().Count());
        Assert.Equal(301, steps.Sum(s => s.Probes.Count));
        Assert.Equal(9, steps.Where(s => s.Profile == "experimental").Select(s => s.Case).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(StepIndexes))]
    public void Matcher_DecidesEveryProbeAsUpstreamExpects(int index)
    {
        var step = CnpConformance.Steps[index];
        var matcher = new PolicyMatcher(step.Snapshot);
        var wrong = new List<string>();
        foreach (var probe in step.Probes)
        {
            var (fromNs, fromName) = Split(probe.From);
            var (toNs, toName) = Split(probe.To);
            var verdict = matcher.Decide(new Flow(FlowEndpoint.ForPod(fromNs, fromName), FlowEndpoint.ForPod(toNs, toName), probe.Port, probe.Protocol));
            Assert.True(verdict.Decidable);
            if (verdict.Allowed != probe.Expected)
            {
                wrong.Add(probe + ":\n    " + string.Join("\n    ", verdict.Explain()));
            }
        }

        Assert.True(wrong.Count == 0, $"{step}: {wrong.Count} of {step.Probes.Count} probes differ:\n" + string.Join("\n", wrong));
    }

    [Theory]
    [MemberData(nameof(StepIndexes))]
    public void TruthTable_AgreesWithEveryProbe(int index)
    {
        var step = CnpConformance.Steps[index];
        var matcher = new PolicyMatcher(step.Snapshot);
        var ports = step.Probes.Select(p => new PortProbe(p.Port, p.Protocol)).Distinct().ToList();
        var table = matcher.BuildTruthTable(probes: ports);
        var wrong = new List<string>();
        foreach (var probe in step.Probes)
        {
            var matrix = table.Probes.Single(m => m.Probe == new PortProbe(probe.Port, probe.Protocol));
            var row = IndexOf(table, probe.From);
            var column = IndexOf(table, probe.To);
            if (matrix.Allowed[row, column] != probe.Expected)
            {
                wrong.Add(probe.ToString());
            }
        }

        Assert.True(wrong.Count == 0, $"{step}: {wrong.Count} of {step.Probes.Count} cells differ:\n" + string.Join("\n", wrong));
    }

    private static int IndexOf(TruthTable table, string endpoint)
    {
        for (var i = 0; i < table.Endpoints.Count; i++)
        {
            if (table.Endpoints[i] == endpoint)
            {
                return i;
            }
        }

        throw new InvalidOperationException(endpoint + " is not in the table");
    }

    private static (string Namespace, string Name) Split(string text) => (text[..text.IndexOf('/', StringComparison.Ordinal)], text[(text.IndexOf('/', StringComparison.Ordinal) + 1)..]);
}
