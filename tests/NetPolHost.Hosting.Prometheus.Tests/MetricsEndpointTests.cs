using System.Net;
using NetPolHost.Backends;
using NetPolHost.Hosting.Agent;

namespace NetPolHost.Hosting.Prometheus.Tests;

/// <summary>The endpoint over real HTTP on 127.0.0.1, in front of the real agent on a fake clock.</summary>
public sealed class MetricsEndpointTests
{
    private const string PrometheusText = "text/plain; version=0.0.4; charset=utf-8";

    [Fact]
    public async Task Endpoint_ServesHealth_ReadinessAfterTheFirstApply_AndTheAgentsMetrics()
    {
        await using var host = await AgentHost.StartAsync(new TestBackend());

        Assert.Equal((HttpStatusCode.OK, "ok\n"), Pick(await host.GetAsync("healthz")));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "no plan applied yet\n"), Pick(await host.GetAsync("readyz")));

        await host.SendAsync(AgentHost.Snapshot());
        Assert.True(host.Agent.Current.Ready);
        Assert.Equal((HttpStatusCode.OK, "ready\n"), Pick(await host.GetAsync("readyz")));
        Assert.Equal((HttpStatusCode.OK, "ok\n"), Pick(await host.GetAsync("healthz")));

        var (status, contentType, body) = await host.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(PrometheusText, contentType);
        var lines = body.Split('\n');
        Assert.Contains("# TYPE netpolhost_applies_total counter", lines);
        Assert.Contains("netpolhost_applies_total{backend=\"recording\",result=\"changed\"} 1", lines);
        Assert.Contains("# TYPE netpolhost_apply_duration_seconds histogram", lines);
        Assert.Contains("netpolhost_apply_duration_seconds_count{backend=\"recording\"} 1", lines);
        Assert.Contains("netpolhost_apply_duration_seconds_bucket{backend=\"recording\",le=\"+Inf\"} 1", lines);
        Assert.Contains("# TYPE netpolhost_owned_rules gauge", lines);
        Assert.Contains(lines, l => l.StartsWith("netpolhost_owned_rules ", StringComparison.Ordinal));
        Assert.DoesNotContain("netpolhost_rule_", body, StringComparison.Ordinal); // the backend keeps no counters
        Assert.DoesNotContain("prometheus_net", body, StringComparison.Ordinal); // a registry of its own, not the default one

        // The process's memory and CPU (prometheus-net's process and .NET figures), with values.
        Assert.Contains(lines, l => l.StartsWith("process_working_set_bytes ", StringComparison.Ordinal) && double.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains(lines, l => l.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal) && double.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains(lines, l => l.StartsWith("process_cpu_seconds_total ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Endpoint_UnknownPath_Is404_AndOtherMethods405()
    {
        await using var host = await AgentHost.StartAsync(new TestBackend());

        Assert.Equal((HttpStatusCode.NotFound, "not found: /nope (this endpoint serves /metrics, /healthz and /readyz)\n"), Pick(await host.GetAsync("nope")));
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync("metrics/x")).Status);
        using var post = await host.Client.PostAsync("metrics", new StringContent(""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var head = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "healthz"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task Readyz_StaysReadyThroughRetriesWithinTheBound_IsNotReadyBeyondIt_AndReadyAgainAfterRecovery()
    {
        var backend = new TestBackend();
        await using var host = await AgentHost.StartAsync(backend);
        await host.SendAsync(AgentHost.Snapshot());
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("readyz")).Status);

        backend.FailWith = new BackendApplyException("recording", "nft: Operation not permitted", null);
        await host.SendAsync(AgentHost.Snapshot(denyY: true));
        Assert.Equal(1, host.Agent.Current.ConsecutiveFailures);
        var error = host.Agent.Current.LastError;
        Assert.NotNull(error);
        Assert.Equal((HttpStatusCode.OK, $"ready; retrying after 1 failure(s): {error}\n"), Pick(await host.GetAsync("readyz")));

        // Each retry is due 1, 2, 4, 8 s after the failure before it: moving the clock a second at a time, every
        // failure count is seen.
        for (var failures = 2; failures <= AgentReadiness.MaxConsecutiveFailures + 1; failures++)
        {
            await NextRetryAsync(host, failures);
            var (status, _, body) = await host.GetAsync("readyz");
            if (failures <= AgentReadiness.MaxConsecutiveFailures)
            {
                Assert.Equal((HttpStatusCode.OK, $"ready; retrying after {failures} failure(s): {error}\n"), (status, body));
            }
            else
            {
                Assert.Equal((HttpStatusCode.ServiceUnavailable, $"5 failures in a row (at most 4 are retried while ready): {error}\n"), (status, body));
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("healthz")).Status); // alive all along

        backend.FailWith = null;
        await NextRetryAsync(host, 0);
        Assert.Equal((HttpStatusCode.OK, "ready\n"), Pick(await host.GetAsync("readyz")));
        var metrics = (await host.GetAsync("metrics")).Body;
        Assert.Contains("netpolhost_errors_total{stage=\"apply\"} 5\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_FirstApplyFailing_IsNotReady_WithTheError()
    {
        var backend = new TestBackend { FailWith = new BackendApplyException("recording", "nft: Operation not permitted", null) };
        await using var host = await AgentHost.StartAsync(backend);
        await host.SendAsync(AgentHost.Snapshot());
        Assert.Equal((HttpStatusCode.ServiceUnavailable, $"no plan applied yet: {host.Agent.Current.LastError}\n"), Pick(await host.GetAsync("readyz")));
    }

    [Fact]
    public async Task Metrics_RuleCounters_AreSummedPerPolicyRule_AndReadAtMostOncePerMaxAge()
    {
        var backend = new CountingBackend
        {
            Counters =
            [
                Counter("x/a", "ingress", "x/allow-web", 0, "allow", 10, 1000),
                Counter("x/c", "ingress", "x/allow-web", 0, "allow", 20, 2000),
                Counter("x/a", "ingress", null, null, "drop", 3, 180),
            ],
        };
        await using var host = await AgentHost.StartAsync(backend);
        await host.SendAsync(AgentHost.Snapshot());

        var first = (await host.GetAsync("metrics")).Body.Split('\n');
        Assert.Contains("# TYPE netpolhost_rule_packets_total counter", first);
        Assert.Contains("netpolhost_rule_packets_total{action=\"allow\",direction=\"ingress\",policy=\"x/allow-web\",rule=\"0\",tier=\"NetworkPolicy\"} 30", first);
        Assert.Contains("netpolhost_rule_bytes_total{action=\"allow\",direction=\"ingress\",policy=\"x/allow-web\",rule=\"0\",tier=\"NetworkPolicy\"} 3000", first);
        Assert.Contains("netpolhost_rule_packets_total{action=\"drop\",direction=\"ingress\",policy=\"\",rule=\"\",tier=\"NetworkPolicy\"} 3", first);
        Assert.Equal(1, backend.Reads);

        // Scrapes in a burst, and until 5 s have passed, reuse the read.
        backend.Counters = [Counter("x/a", "ingress", "x/allow-web", 0, "allow", 50, 5000)];
        for (var i = 0; i < 5; i++)
        {
            Assert.Contains("netpolhost_rule_packets_total{action=\"allow\",direction=\"ingress\",policy=\"x/allow-web\",rule=\"0\",tier=\"NetworkPolicy\"} 30\n", (await host.GetAsync("metrics")).Body, StringComparison.Ordinal);
        }

        host.Clock.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        await host.GetAsync("metrics");
        Assert.Equal(1, backend.Reads);

        host.Clock.Advance(TimeSpan.FromTicks(1));
        var later = (await host.GetAsync("metrics")).Body;
        Assert.Equal(2, backend.Reads);
        Assert.Contains("netpolhost_rule_packets_total{action=\"allow\",direction=\"ingress\",policy=\"x/allow-web\",rule=\"0\",tier=\"NetworkPolicy\"} 50\n", later, StringComparison.Ordinal);
        Assert.DoesNotContain("action=\"drop\"", later, StringComparison.Ordinal); // a rule the backend no longer has is gone
    }

    [Fact]
    public async Task Metrics_RuleCounterMaxAgeZero_ReadsOnEveryScrape_AndAFailedReadLeavesNoSeries()
    {
        var backend = new CountingBackend { Counters = [Counter("x/a", "egress", "x/allow-dns", 1, "allow", 7, 420)] };
        await using var host = await AgentHost.StartAsync(backend, o => o.RuleCounterMaxAge = TimeSpan.Zero);
        await host.GetAsync("metrics");
        var body = (await host.GetAsync("metrics")).Body;
        Assert.Equal(2, backend.Reads);
        Assert.Contains("netpolhost_rule_packets_total{action=\"allow\",direction=\"egress\",policy=\"x/allow-dns\",rule=\"1\",tier=\"NetworkPolicy\"} 7\n", body, StringComparison.Ordinal);

        backend.ReadFailsWith = new IOException("netlink: permission denied");
        var (status, _, failed) = await host.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, status); // the other metrics are still served
        Assert.DoesNotContain("netpolhost_rule_packets_total{", failed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoHosts_InOneProcess_DoNotSeeEachOthersMetrics()
    {
        await using var first = await AgentHost.StartAsync(new TestBackend("first"));
        await using var second = await AgentHost.StartAsync(new TestBackend("second"));
        await first.SendAsync(AgentHost.Snapshot());

        Assert.Contains("netpolhost_applies_total{backend=\"first\",result=\"changed\"} 1\n", (await first.GetAsync("metrics")).Body, StringComparison.Ordinal);
        Assert.DoesNotContain("netpolhost_applies_total{", (await second.GetAsync("metrics")).Body, StringComparison.Ordinal);
    }

    private static async Task NextRetryAsync(AgentHost host, int failures)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (host.Agent.Current.ConsecutiveFailures != failures)
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {failures} failure(s) in a row, at {host.Agent.Current.ConsecutiveFailures}");
            host.Clock.Advance(TimeSpan.FromSeconds(1));
            var step = DateTime.UtcNow + TimeSpan.FromMilliseconds(200);
            while (host.Agent.Current.ConsecutiveFailures != failures && DateTime.UtcNow < step)
            {
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }
        }
    }

    private static RuleCounter Counter(string endpoint, string direction, string? policy, int? rule, string action, long packets, long bytes) =>
        new() { Endpoint = endpoint, Direction = direction, Tier = "NetworkPolicy", Policy = policy, Rule = rule, Action = action, Packets = packets, Bytes = bytes };

    private static (HttpStatusCode, string) Pick((HttpStatusCode Status, string ContentType, string Body) response) => (response.Status, response.Body);
}
