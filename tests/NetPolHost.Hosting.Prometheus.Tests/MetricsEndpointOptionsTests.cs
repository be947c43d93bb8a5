using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NetPolHost.TestKit;

namespace NetPolHost.Hosting.Prometheus.Tests;

public sealed class MetricsEndpointOptionsTests
{
    [Theory]
    [InlineData("0.0.0.0:9940", "0.0.0.0:9940")]
    [InlineData("127.0.0.1:1", "127.0.0.1:1")]
    [InlineData("[::]:9940", "[::]:9940")]
    [InlineData("[fd00::1]:65535", "[fd00::1]:65535")]
    [InlineData("127.0.0.1:0", "127.0.0.1:0")]
    public void TryParseListen_AddressAndPort_Parses(string text, string expected)
    {
        Assert.True(MetricsEndpointOptions.TryParseListen(text, out var endpoint, out var error), error);
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("", "'' is not ADDRESS:PORT: give an IP address and a port, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("9940", "'9940' has no port: give ADDRESS:PORT, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("localhost:9940", "'localhost:9940' does not start with an IP address: give an IPv4 address or a bracketed IPv6 address (host names are not accepted), e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData(":9940", "':9940' does not start with an IP address: give an IPv4 address or a bracketed IPv6 address (host names are not accepted), e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("::1:9940", "'::1:9940' is ambiguous: put an IPv6 address in brackets before the port, e.g. [::]:9940 or [fd00::1]:9940.")]
    [InlineData("[::1]9940", "'[::1]9940' is not [IPv6]:PORT: give a bracketed IPv6 address, a colon and a port, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("[10.0.0.1]:9940", "'[10.0.0.1]:9940' does not start with an IP address: give an IPv4 address or a bracketed IPv6 address (host names are not accepted), e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("0.0.0.0:70000", "'0.0.0.0:70000' has port '70000': give a port from 1 to 65535, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("0.0.0.0:-1", "'0.0.0.0:-1' has port '-1': give a port from 1 to 65535, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("0.0.0.0:http", "'0.0.0.0:http' has port 'http': give a port from 1 to 65535, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    public void TryParseListen_Invalid_SaysWhatIsWrong(string text, string message)
    {
        Assert.False(MetricsEndpointOptions.TryParseListen(text, out var endpoint, out var error));
        Assert.Null(endpoint);
        Assert.Equal(message, error);
    }

    [Fact]
    public async Task Host_BadOptions_FailAtStart_WithEveryBrokenField()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost()
            .UseBackend("recording", _ => new RecordingFirewallBackend())
            .AddNodeAgent(o => o.NodeName = "node-1")
            .AddFileSource(Path.GetTempPath())
            .AddMetricsEndpoint(o =>
            {
                o.Listen = "localhost:9940";
                o.RuleCounterMaxAge = TimeSpan.FromSeconds(10);
            });
        using var host = builder.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));
        var failures = (error is AggregateException aggregate ? aggregate.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures) : ((OptionsValidationException)error).Failures).ToList();
        Assert.Contains("Listen: 'localhost:9940' does not start with an IP address: give an IPv4 address or a bracketed IPv6 address (host names are not accepted), e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.", failures);
        Assert.Contains("RuleCounterMaxAge must be between 0 and 5 seconds, found 00:00:10.", failures);
    }

    [Fact]
    public void AddMetricsEndpoint_WithoutTheAgent_SaysToAddIt()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNetPolHost().UseBackend("recording", _ => new RecordingFirewallBackend()).AddMetricsEndpoint("127.0.0.1:0");
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<MetricsEndpoint>());
        Assert.Equal("The metrics endpoint serves the node agent's metrics and health: add the agent too (AddNodeAgent()).", error.Message);
    }

    [Theory]
    [InlineData("netpolhost.applies", null, true, "netpolhost_applies_total")]
    [InlineData("netpolhost.apply.duration", "s", false, "netpolhost_apply_duration_seconds")]
    [InlineData("netpolhost.rule.bytes", "By", true, "netpolhost_rule_bytes_total")]
    [InlineData("netpolhost.rule.packets", "{packet}", true, "netpolhost_rule_packets_total")]
    [InlineData("netpolhost.owned-rules", null, false, "netpolhost_owned_rules")]
    public void PrometheusName_FollowsTheConventions(string name, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, MeterBridge.PrometheusName(name, unit, counter));
}
