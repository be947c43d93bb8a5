using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Random policies and pods: the matcher, the compiled plan evaluated in memory, and the kernel agree.</summary>
[Trait("Category", "Integration")]
public sealed class DifferentialKernelTests(LabFixture fixture) : IClassFixture<LabFixture>
{
    private static readonly string[] s_pods = [.. ConformanceData.PodIPs.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public async Task RandomCases_MatcherPlanAndKernelAgree()
    {
        Assert.SkipWhen(fixture.SkipReason is not null, fixture.SkipReason ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        const int Cases = 120;
        var flows = 0;
        var mismatches = new List<string>();
        for (var seed = 1000; seed < 1000 + Cases; seed++)
        {
            var random = new RandomCluster(seed);
            var snapshot = random.Snapshot(1 + (seed % 5));
            var matcher = new PolicyMatcher(snapshot);
            var plan = RulePlanCompiler.Compile(matcher, new RulePlanOptions { NodeName = "node-1" });
            await fixture.Backend.ApplyAsync(plan, cancellationToken: token);

            var probes = new List<(string From, string To, int Port, Protocol Protocol, bool Expected, bool Planned, Task<bool> Kernel)>();
            for (var n = 0; n < 12; n++)
            {
                var from = random.Pick(s_pods);
                var to = random.Pick(s_pods);
                if (from == to)
                {
                    continue;
                }

                var (port, protocol) = random.Probe();
                var expected = matcher.IsAllowed(from, to, port, protocol);
                var planned = plan.Evaluate(LabFixture.Ip(from), LabFixture.Ip(to), protocol, port).Allowed;
                probes.Add((from, to, port, protocol, expected, planned, fixture.Lab.ProbeAsync(from, LabFixture.Ip(to), port, protocol)));
            }

            foreach (var (from, to, port, protocol, expected, planned, kernelTask) in probes)
            {
                var kernel = await kernelTask || (expected && await fixture.Lab.ProbeAsync(from, LabFixture.Ip(to), port, protocol, TimeSpan.FromSeconds(2)));
                flows++;
                if (expected != planned || expected != kernel)
                {
                    mismatches.Add($"seed {seed}: {from} -> {to} {port}/{protocol}: matcher {expected}, plan {planned}, kernel {kernel}");
                }
            }
        }

        Assert.Empty(mismatches);
        Assert.True(flows > Cases * 8, $"only {flows} flows probed");
    }
}
