using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Every upstream e2e case, enforced by the nftables backend and probed with real connections.</summary>
[Trait("Category", "Integration")]
public sealed class ConformanceKernelTests(LabFixture fixture) : IClassFixture<LabFixture>
{
    public static TheoryData<string> Cases => new(ConformanceData.CaseIds());

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Kernel_AgreesWithUpstreamMatrix(string id)
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var testCase = ConformanceData.Get(id);
        var plan = RulePlanCompiler.Compile(testCase.Snapshot, new RulePlanOptions { NodeName = "node-1" });
        await fixture.Backend.ApplyAsync(plan, cancellationToken: TestContext.Current.CancellationToken);
        var status = await fixture.Backend.GetStatusAsync(plan, TestContext.Current.CancellationToken);
        Assert.Empty(status.Drift);

        var mismatches = new List<string>();
        foreach (var probe in testCase.Probes)
        {
            if (probe.Protocol == Protocol.Sctp)
            {
                // No SCTP sockets on this kernel: the kernel accepted the rendered rules above; check that every SCTP
                // port the plan allows is an element of the rendered port sets, and the plan's verdicts.
                var script = fixture.Backend.RenderNative(plan);
                foreach (var range in plan.Rules.SelectMany(r => r.Ports.Ranges).Where(r => r.Protocol == Protocol.Sctp))
                {
                    Assert.Contains(range.First == range.Last ? $"sctp . {range.First}" : $"sctp . {range.First}-{range.Last}", script, StringComparison.Ordinal);
                }

                for (var i = 0; i < probe.Order.Count; i++)
                {
                    for (var j = 0; j < probe.Order.Count; j++)
                    {
                        var verdict = plan.Evaluate(LabFixture.Ip(probe.Order[i]), LabFixture.Ip(probe.Order[j]), Protocol.Sctp, probe.Port);
                        if (i != j && verdict.Allowed != probe.Allowed[i][j])
                        {
                            mismatches.Add($"{probe.Order[i]} -> {probe.Order[j]} {probe.Port}/SCTP: expected {probe.Allowed[i][j]}, rendered plan {verdict.Allowed} ({verdict.Reason})");
                        }
                    }
                }

                continue;
            }

            var pairs = new List<(int I, int J, Task<bool> Result)>();
            for (var i = 0; i < probe.Order.Count; i++)
            {
                for (var j = 0; j < probe.Order.Count; j++)
                {
                    if (i != j)
                    {
                        pairs.Add((i, j, fixture.Lab.ProbeAsync(probe.Order[i], LabFixture.Ip(probe.Order[j]), probe.Port, probe.Protocol)));
                    }
                }
            }

            foreach (var (i, j, result) in pairs)
            {
                var allowed = await result;
                if (!allowed && probe.Allowed[i][j])
                {
                    // A quick probe can lose a race on a loaded machine: confirm a denial slowly before calling it one.
                    allowed = await fixture.Lab.ProbeAsync(probe.Order[i], LabFixture.Ip(probe.Order[j]), probe.Port, probe.Protocol, TimeSpan.FromSeconds(2));
                }

                if (allowed != probe.Allowed[i][j])
                {
                    mismatches.Add($"{probe.Order[i]} -> {probe.Order[j]} {probe.Port}/{probe.Protocol}: expected {(probe.Allowed[i][j] ? "allowed" : "denied")}, kernel {(allowed ? "allowed" : "denied")}");
                }
            }
        }

        Assert.Empty(mismatches);
    }
}
