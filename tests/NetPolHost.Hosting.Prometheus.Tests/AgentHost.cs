using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using NetPolHost.Backends;
using NetPolHost.Hosting.Agent;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.Sources;
using NetPolHost.TestKit;

namespace NetPolHost.Hosting.Prometheus.Tests;

/// <summary>A generic host with the real node agent (on a fake clock), a source the test feeds, a recording backend
/// (with rule counters when asked) and the metrics endpoint on 127.0.0.1 with a free port, reached over real HTTP.</summary>
internal sealed class AgentHost : IAsyncDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly IHost _host;

    private AgentHost(IHost host, TestBackend backend, ScriptedSource source, FakeTimeProvider clock)
    {
        _host = host;
        Backend = backend;
        Source = source;
        Clock = clock;
        Endpoint = host.Services.GetRequiredService<MetricsEndpoint>();
        Agent = host.Services.GetRequiredService<IAgentStatusProvider>();
        Client = new HttpClient { BaseAddress = new Uri($"http://{Endpoint.LocalEndPoint}/"), Timeout = s_wait };
    }

    public TestBackend Backend { get; }

    public ScriptedSource Source { get; }

    public FakeTimeProvider Clock { get; }

    public MetricsEndpoint Endpoint { get; }

    public IAgentStatusProvider Agent { get; }

    public HttpClient Client { get; }

    public static async Task<AgentHost> StartAsync(TestBackend backend, Action<MetricsEndpointOptions>? configure = null)
    {
        var clock = new FakeTimeProvider();
        var source = new ScriptedSource("files");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<IClusterSource>(source);
        builder.Services.AddNetPolHost()
            .UseBackend(backend.Name, _ => backend)
            .AddNodeAgent(o =>
            {
                o.NodeName = "node-1";
                o.Debounce = TimeSpan.Zero;
                o.ResyncInterval = TimeSpan.FromHours(24);
            })
            .AddMetricsEndpoint(o =>
            {
                o.Listen = "127.0.0.1:0";
                configure?.Invoke(o);
            });
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new AgentHost(host, backend, source, clock);
    }

    /// <summary>Sends a snapshot and waits until the agent has tried to apply it (applied, or failed once more).</summary>
    public async Task SendAsync(ClusterSnapshot snapshot)
    {
        var before = (Agent.Current.Applies, Agent.Current.ConsecutiveFailures);
        await Source.SendAsync(new SourceUpdate(Source.Name, snapshot, [], Clock.GetUtcNow()));
        await UntilAsync(() => (Agent.Current.Applies, Agent.Current.ConsecutiveFailures) != before, "the agent to handle the snapshot");
    }

    public async Task<(HttpStatusCode Status, string ContentType, string Body)> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", body);
    }

    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }

    public static ClusterSnapshot Snapshot(bool denyY = false)
    {
        var builder = new ClusterBuilder().Namespace("x").Namespace("y")
            .Pod("x/a", "10.0.0.1", "app=a", node: "node-1")
            .Pod("y/b", "10.0.0.2", "app=b", node: "node-1")
            .Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny, namespace: x}
                spec: {podSelector: {}, policyTypes: [Ingress]}
                """);
        if (denyY)
        {
            builder.Policies("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny, namespace: "y"}
                spec: {podSelector: {}, policyTypes: [Ingress]}
                """);
        }

        return builder.Build();
    }
}

/// <summary>A source whose updates the test sends; sending returns once the agent has been given the update.</summary>
internal sealed class ScriptedSource(string name) : IClusterSource
{
    private readonly Channel<(SourceUpdate Update, TaskCompletionSource Reported)> _updates = Channel.CreateUnbounded<(SourceUpdate, TaskCompletionSource)>();

    public string Name => name;

    public async Task SendAsync(SourceUpdate update)
    {
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _updates.Writer.TryWrite((update, reported));
        await reported.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    public async Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken)
    {
        await foreach (var (update, reported) in _updates.Reader.ReadAllAsync(cancellationToken))
        {
            await report(update, cancellationToken);
            reported.SetResult();
        }
    }
}

/// <summary>The recording backend, and optionally a keeper of rule counters (<see cref="IRuleCounterReader"/>).</summary>
internal class TestBackend(string name = "recording") : IFirewallBackend
{
    private readonly RecordingFirewallBackend _inner = new();

    public string Name => name;

    public BackendCapabilities Capabilities => _inner.Capabilities;

    /// <summary>When set, applies throw this.</summary>
    public Exception? FailWith
    {
        get => _inner.FailWith;
        set => _inner.FailWith = value;
    }

    public Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default) =>
        _inner.ApplyAsync(plan, options, cancellationToken);

    public Task RemoveAllAsync(CancellationToken cancellationToken = default) => _inner.RemoveAllAsync(cancellationToken);

    public Task<BackendStatus> GetStatusAsync(RulePlan? desired = null, CancellationToken cancellationToken = default) =>
        _inner.GetStatusAsync(desired, cancellationToken);

    public string RenderNative(RulePlan plan) => _inner.RenderNative(plan);
}

/// <summary>A backend that keeps rule counters: it returns <see cref="Counters"/> and counts the reads.</summary>
internal sealed class CountingBackend() : TestBackend("counting"), IRuleCounterReader
{
    private int _reads;

    public IReadOnlyList<RuleCounter> Counters { get; set; } = [];

    public Exception? ReadFailsWith { get; set; }

    public int Reads => Volatile.Read(ref _reads);

    public Task<IReadOnlyList<RuleCounter>> ReadCountersAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        return ReadFailsWith is { } error ? Task.FromException<IReadOnlyList<RuleCounter>>(error) : Task.FromResult(Counters);
    }
}
