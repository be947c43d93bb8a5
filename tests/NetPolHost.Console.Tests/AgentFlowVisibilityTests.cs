namespace NetPolHost.Console.Tests;

/// <summary><c>agent --audit</c> and <c>agent --flow-log</c> on a backend without them: one line and exit code 2, before
/// anything starts, as <c>apply --audit</c> and <c>flows</c> say.</summary>
public sealed class AgentFlowVisibilityTests
{
    [Theory]
    [InlineData("firewalld", "--audit")]
    [InlineData("windows-firewall", "--audit")]
    [InlineData("wfp", "--audit")]
    [InlineData("firewalld", "--flow-log")]
    [InlineData("wfp", "--flow-log")]
    public async Task Agent_AuditOrFlowLog_OnABackendWithout_IsExitCode2WithTheReason(string backend, string option)
    {
        string[] args = option == "--audit" ? ["--audit"] : ["--flow-log", Path.Combine(Path.GetTempPath(), "netpolhost-never-written.jsonl")];
        var (exit, output, error) = await Cli.RunAsync(["agent", "-f", Cli.Sample, "--node", "node-1", "--backend", backend, .. args]);
        Assert.Equal(2, exit);
        Assert.Empty(output);
        var feature = option == "--audit" ? "--audit (audit mode)" : "--flow-log (flow logs)";
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"error: {feature} is not supported by the {backend} backend yet; ", line, StringComparison.Ordinal);
        Assert.Contains(backend == "firewalld" ? "firewall-cmd --set-log-denied=all" : "auditpol", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_EmptyFlowLog_IsExitCode2()
    {
        var (exit, _, error) = await Cli.RunAsync("agent", "-f", Cli.Sample, "--node", "node-1", "--backend", "nftables", "--flow-log", " ");
        Assert.Equal(2, exit);
        Assert.Equal("error: --flow-log needs a file to append the flow records to, e.g. /var/log/netpolhost-flows.jsonl.", error.Trim());
    }
}
