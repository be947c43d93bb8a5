using NetPolHost.Matching;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Matching;

public sealed class ConformanceTests
{
    public static TheoryData<string> Cases => new(ConformanceData.CaseIds());

    [Fact]
    public void Data_HasAll58Cases() => Assert.Equal(58, ConformanceData.Cases.Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decide_AgreesWithUpstreamMatrix(string id)
    {
        var testCase = ConformanceData.Get(id);
        var matcher = new PolicyMatcher(testCase.Snapshot);
        var mismatches = new List<string>();
        foreach (var probe in testCase.Probes)
        {
            for (var i = 0; i < probe.Order.Count; i++)
            {
                for (var j = 0; j < probe.Order.Count; j++)
                {
                    if (i == j)
                    {
                        continue;
                    }

                    var allowed = matcher.IsAllowed(probe.Order[i], probe.Order[j], probe.Port, probe.Protocol);
                    if (allowed != probe.Allowed[i][j])
                    {
                        mismatches.Add($"{probe.Order[i]} -> {probe.Order[j]} {probe.Port}/{probe.Protocol}: expected {probe.Allowed[i][j]}, got {allowed}");
                    }
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TruthTable_AgreesWithUpstreamMatrix(string id)
    {
        var testCase = ConformanceData.Get(id);
        var matcher = new PolicyMatcher(testCase.Snapshot);
        var table = matcher.BuildTruthTable(probes: testCase.Probes.Select(p => new PortProbe(p.Port, p.Protocol)));
        foreach (var probe in testCase.Probes)
        {
            var matrix = table.Probes.Single(p => p.Probe == new PortProbe(probe.Port, probe.Protocol));
            for (var i = 0; i < probe.Order.Count; i++)
            {
                for (var j = 0; j < probe.Order.Count; j++)
                {
                    if (i == j)
                    {
                        continue;
                    }

                    var row = IndexOf(table, probe.Order[i]);
                    var column = IndexOf(table, probe.Order[j]);
                    Assert.True(probe.Allowed[i][j] == matrix.Allowed[row, column], $"{probe.Order[i]} -> {probe.Order[j]} {probe.Port}/{probe.Protocol}: expected {probe.Allowed[i][j]}");
                }
            }
        }
    }

    private static int IndexOf(TruthTable table, string name)
    {
        for (var i = 0; i < table.Endpoints.Count; i++)
        {
            if (table.Endpoints[i] == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException(name);
    }
}
