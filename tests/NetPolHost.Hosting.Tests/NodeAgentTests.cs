using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetPolHost.Hosting.Diagnostics;
using NetPolHost.Hosting.Agent;
using NetPolHost.Sources;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.TestKit;

namespace NetPolHost.Hosting.Tests;

public sealed class NodeAgentTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static ClusterSnapshot Snapshot(bool denyY = false)
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

    private static SourceUpdate Valid(string source, ClusterSnapshot snapshot) => new(source, snapshot, [], DateTimeOffset.UtcNow);

    private static SourceUpdate Invalid(string source) =>
        new(source, null, [new ManifestDiagnostic(DiagnosticSeverity.Error, "bad.yaml", 3, 5, "spec.ingress[0].ports[0].port", "expected a port number between 1 and 65535, found 70000")], DateTimeOffset.UtcNow);

    private sealed class ScriptedSource(string name) : IClusterSource
    {
        private readonly Channel<SourceUpdate> _updates = Channel.CreateUnbounded<SourceUpdate>();

        public string Name => name;

        public void Send(SourceUpdate update) => _updates.Writer.TryWrite(update);

        public async Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken)
        {
            await foreach (var update in _updates.Reader.ReadAllAsync(cancellationToken))
            {
                await report(update, cancellationToken);
            }
        }
    }

    private sealed class FixedConnectivity(bool result) : IConnectivityCheck
    {
        public int Checks { get; private set; }

        public Task<bool> CheckAsync(IReadOnlyList<string> targets, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Checks++;
            return Task.FromResult(result);
        }
    }

    private sealed class CallbackConnectivity(Func<bool> check) : IConnectivityCheck
    {
        public Func<bool> Check { get; set; } = check;

        public Task<bool> CheckAsync(IReadOnlyList<string> targets, TimeSpan timeout, CancellationToken cancellationToken) => Task.FromResult(Check());
    }

    /// <summary>Fails its first run, as a watch that breaks; later runs work.</summary>
    private sealed class FailingOnceSource(string name) : IClusterSource
    {
        private readonly ScriptedSource _inner = new(name);
        private int _runs;

        public string Name => name;

        public int Runs => Volatile.Read(ref _runs);

        public void Send(SourceUpdate update) => _inner.Send(update);

        public Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _runs) == 1 ? throw new IOException("the watch broke") : _inner.RunAsync(report, cancellationToken);
    }

    /// <summary>Counts netpolhost.errors by stage.</summary>
    private sealed class ErrorCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly List<string> _stages = [];

        public ErrorCounter()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == NetPolHostMetrics.MeterName && instrument.Name == "netpolhost.errors")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "stage")
                    {
                        lock (_stages)
                        {
                            _stages.Add((string)tag.Value!);
                        }
                    }
                }
            });
            _listener.Start();
        }

        public int Count(string stage)
        {
            lock (_stages)
            {
                return _stages.Count(s => s == stage);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    private static NodeAgent Agent(RecordingFirewallBackend backend, IEnumerable<IClusterSource> sources, Action<NodeAgentOptions>? configure = null, IConnectivityCheck? connectivity = null)
    {
        var options = new NodeAgentOptions { NodeName = "node-1", Debounce = TimeSpan.FromMilliseconds(50) };
        configure?.Invoke(options);
        return new NodeAgent(backend, sources, Options.Create(options), new NetPolHostMetrics(), NullLogger<NodeAgent>.Instance, connectivity ?? new FixedConnectivity(true), TimeProvider.System);
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Agent_WaitsForEverySource_ThenApplies()
    {
        var backend = new RecordingFirewallBackend();
        var files = new ScriptedSource("files");
        var api = new ScriptedSource("kubernetes");
        using var agent = Agent(backend, [files, api]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        files.Send(Valid("files", ClusterSnapshot.Create(policies: Snapshot().Policies)));
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(backend.Applies); // the API source has not spoken yet
        api.Send(Valid("kubernetes", ClusterSnapshot.Create(Snapshot().Namespaces, Snapshot().Pods)));
        await Until(() => backend.Applies.Count == 1, "the first apply");
        Assert.Equal(["x/a"], backend.Current!.Endpoints.Select(e => e.Name)); // merged: policies from files, pods from the API
        Assert.True(agent.Current.Ready);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_BurstOfChanges_IsAppliedOnce()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source], o => o.Debounce = TimeSpan.FromMilliseconds(300));
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        source.Send(Valid("files", Snapshot(denyY: true)));
        source.Send(Valid("files", Snapshot()));
        source.Send(Valid("files", Snapshot(denyY: true)));
        await Until(() => backend.Applies.Count == 1, "one apply");
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.Single(backend.Applies);
        Assert.Equal(["x/a", "y/b"], backend.Current!.Endpoints.Select(e => e.Name)); // the last state of the burst
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_NodeNothingNames_AppliesNothing_AndSaysWhy()
    {
        // A mistyped node name would compile an empty plan and lift enforcement: the agent refuses it.
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source], o => o.NodeName = "node-l");
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => agent.Current.LastError is not null, "the error");
        Assert.Equal(
            "node 'node-l' is unknown: no Node object, pod (spec.nodeName) or host endpoint in the sources names it; the last valid state stays in force",
            agent.Current.LastError);
        Assert.Empty(backend.Applies);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_InvalidUpdate_KeepsTheLastValidStateAndSaysWhy()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => backend.Applies.Count == 1, "the first apply");
        source.Send(Invalid("files"));
        await Until(() => agent.Current.LastError is not null, "the error");
        Assert.Equal(
            "1 error(s) in the sources; the last valid state stays in force. First: bad.yaml:3:5: spec.ingress[0].ports[0].port: expected a port number between 1 and 65535, found 70000",
            agent.Current.LastError);
        Assert.Single(backend.Applies);
        source.Send(Valid("files", Snapshot(denyY: true)));
        await Until(() => backend.Applies.Count == 2, "the fixed state");
        Assert.Null(agent.Current.LastError);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_Resync_RepairsDrift()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source], o => o.ResyncInterval = TimeSpan.FromMilliseconds(300));
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => backend.Applies.Count == 1, "the first apply");
        backend.NextDrift = "set h4_x: 1 element(s) missing, 0 unexpected";
        await Until(() => backend.Applies.Count == 2, "the repair");
        Assert.True(backend.Applies[1].Options.Full);
        Assert.Equal(1, agent.Current.DriftRepairs);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_SafeApply_RollsBackWhenConnectivityIsLost()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        var connectivity = new FixedConnectivity(true);
        using var agent = Agent(backend, [source], o =>
        {
            o.SafeApply.Enabled = true;
            o.SafeApply.Targets.Add("127.0.0.1:6443");
            o.SafeApply.Timeout = TimeSpan.FromMilliseconds(200);
        }, connectivity);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => backend.Applies.Count == 1, "the first apply");
        var good = backend.Current;
        await agent.StopAsync(TestContext.Current.CancellationToken);

        var failing = new FixedConnectivity(false);
        using var second = Agent(backend, [source], o =>
        {
            o.SafeApply.Enabled = true;
            o.SafeApply.Targets.Add("127.0.0.1:6443");
        }, failing);
        await second.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => second.Current.Ready, "the first apply of the second agent");
        source.Send(Valid("files", Snapshot(denyY: true)));
        await Until(() => second.Current.LastError is not null, "the rollback");
        Assert.Equal("safe apply: no connectivity within 10 s after the change; rolled back to the previous state", second.Current.LastError);
        Assert.Equal(good, backend.Current);
        var applies = backend.Applies.Count;
        source.Send(Valid("files", Snapshot(denyY: true))); // the same rejected state is not tried again
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(applies, backend.Applies.Count);
        await second.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(connectivity.Checks >= 1);
    }

    [Fact]
    public async Task Agent_Stop_LeavesTheRulesInForceUnlessAsked()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using (var agent = Agent(backend, [source]))
        {
            await agent.StartAsync(TestContext.Current.CancellationToken);
            source.Send(Valid("files", Snapshot()));
            await Until(() => backend.Applies.Count == 1, "the first apply");
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        Assert.False(backend.Removed);
        Assert.NotNull(backend.Current);

        var other = new ScriptedSource("files");
        using var removing = Agent(backend, [other], o => o.RemoveRulesOnStop = true);
        await removing.StartAsync(TestContext.Current.CancellationToken);
        await removing.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(backend.Removed);
    }

    [Fact]
    public async Task Agent_RefusedApply_IsReportedAndTheNextChangeIsApplied()
    {
        var backend = new RecordingFirewallBackend { FailWith = new BackendApplyException("recording", "kernel said no") };
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => agent.Current.LastError is not null, "the error");
        Assert.Equal("Backend 'recording' could not apply the plan: kernel said no", agent.Current.LastError);
        backend.FailWith = null;
        source.Send(Valid("files", Snapshot(denyY: true)));
        await Until(() => backend.Applies.Count == 1, "the apply");
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_FailedApply_IsRetriedInFull_AndTheSuccessClearsTheError()
    {
        var backend = new RecordingFirewallBackend { FailWith = new BackendApplyException("recording", "nft: resource busy") };
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => agent.Current.LastError is not null, "the error");
        Assert.Equal("Backend 'recording' could not apply the plan: nft: resource busy", agent.Current.LastError);
        Assert.False(agent.Current.Ready);

        backend.FailWith = null; // no new state comes: the retry alone applies it
        await Until(() => backend.Applies.Count == 1, "the retry");
        Assert.True(backend.Applies[0].Options.Full); // the backend may hold anything after a failure
        await Until(() => agent.Current.Ready, "the status");
        Assert.Null(agent.Current.LastError);
        Assert.Equal(["x/a"], backend.Current!.Endpoints.Select(e => e.Name));
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void RetryDelay_DoublesFromOneSecond_UpToOneMinute()
    {
        var backoff = NodeAgent.NewRetryBackoff();
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], Enumerable.Range(1, 8).Select(_ => backoff.Next().TotalSeconds));
        Assert.Equal(TimeSpan.FromMinutes(1), Enumerable.Range(0, 1000).Select(_ => backoff.Next()).Last());
    }

    [Fact]
    public async Task Agent_UnexpectedBackendException_IsCountedAndRetried_AndTheAgentKeepsRunning()
    {
        using var errors = new ErrorCounter();
        var backend = new RecordingFirewallBackend { FailWith = new InvalidOperationException("the nft process died") };
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => agent.Current.LastError is not null, "the error");
        Assert.Equal("backend recording failed: the nft process died", agent.Current.LastError);
        Assert.False(agent.ExecuteTask!.IsCompleted);
        Assert.True(errors.Count("apply") >= 1);

        backend.FailWith = null;
        await Until(() => backend.Applies.Count == 1, "the retry");
        source.Send(Valid("files", Snapshot(denyY: true)));
        await Until(() => backend.Applies.Count == 2, "the next change");
        Assert.Equal(["x/a", "y/b"], backend.Current!.Endpoints.Select(e => e.Name));
        await Until(() => agent.Current.LastError is null, "the error to clear");
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_FailedRollback_IsRetriedUntilThePreviousStateIsBack()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        var connectivity = new CallbackConnectivity(() => true);
        using var agent = Agent(backend, [source], o =>
        {
            o.SafeApply.Enabled = true;
            o.SafeApply.Targets.Add("127.0.0.1:6443");
        }, connectivity);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => agent.Current.Ready, "the first apply");
        var good = backend.Current;

        // The new state cuts the host off, and the backend fails the rollback too.
        connectivity.Check = () =>
        {
            backend.FailWith = new IOException("netlink: connection reset");
            return false;
        };
        source.Send(Valid("files", Snapshot(denyY: true)));
        await Until(() => agent.Current.LastError is not null, "the failed rollback");
        Assert.Equal("safe apply: no connectivity within 10 s after the change; the rollback to the previous state failed: netlink: connection reset", agent.Current.LastError);
        Assert.NotEqual(good, backend.Current); // the rejected state is still in force
        Assert.False(agent.ExecuteTask!.IsCompleted);

        backend.FailWith = null;
        await Until(() => Equals(good, backend.Current), "the retried rollback");
        Assert.True(backend.Applies[^1].Options.Full);
        await Until(() => agent.Current.LastError == "safe apply: no connectivity within 10 s after the change; rolled back to the previous state", "the status");
        Assert.Equal(good, agent.AppliedPlan);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_FailedDriftRepair_IsRetried()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source], o => o.ResyncInterval = TimeSpan.FromMilliseconds(300));
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => backend.Applies.Count == 1, "the first apply");
        backend.FailWith = new IOException("nft: table busy");
        backend.NextDrift = "set h4_x: 1 element(s) missing, 0 unexpected";
        await Until(() => agent.Current.LastError is not null, "the failed repair");
        Assert.Equal("resync failed: nft: table busy", agent.Current.LastError);

        backend.FailWith = null;
        await Until(() => backend.Applies.Count == 2, "the retried repair");
        Assert.True(backend.Applies[1].Options.Full);
        await Until(() => agent.Current.LastError is null, "the error to clear");
        Assert.False(agent.ExecuteTask!.IsCompleted);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_FailedSource_IsRestarted_AndTheNextApplyClearsItsError()
    {
        var backend = new RecordingFirewallBackend();
        var source = new FailingOnceSource("files");
        using var agent = Agent(backend, [source]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        await Until(() => agent.Current.LastError is not null, "the error");
        Assert.Equal("source files failed: the watch broke", agent.Current.LastError);
        await Until(() => source.Runs == 2, "the restart");
        source.Send(Valid("files", Snapshot()));
        await Until(() => backend.Applies.Count == 1, "the apply");
        await Until(() => agent.Current.LastError is null, "the error to clear");
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_StatusListenerThatThrows_DoesNotStopTheAgent()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source]);
        var seen = 0;
        agent.Changed += (_, _) =>
        {
            Interlocked.Increment(ref seen);
            throw new InvalidOperationException("a buggy health endpoint");
        };
        await agent.StartAsync(TestContext.Current.CancellationToken);
        source.Send(Valid("files", Snapshot()));
        await Until(() => backend.Applies.Count == 1, "the first apply");
        source.Send(Valid("files", Snapshot(denyY: true)));
        await Until(() => backend.Applies.Count == 2, "the second apply");
        Assert.True(Volatile.Read(ref seen) >= 2);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Options_UpperBounds_AreValidated_WithClearMessages()
    {
        var options = new NodeAgentOptions { NodeName = "node-1", Debounce = TimeSpan.FromMinutes(2), ResyncInterval = TimeSpan.FromHours(25) };
        options.SafeApply.Timeout = TimeSpan.FromMinutes(10);
        var result = new NodeAgentOptionsValidator().Validate(null, options);
        Assert.Equal(
            [
                "Debounce must be between 0 and 1 minute, found 00:02:00.",
                "ResyncInterval must be between 1 second and 24 hours, found 1.01:00:00.",
                "SafeApply.Timeout must be more than 0 and at most 5 minutes, found 00:10:00.",
            ],
            result.Failures);

        var limits = new NodeAgentOptions { NodeName = "node-1", Debounce = TimeSpan.FromMinutes(1), ResyncInterval = TimeSpan.FromHours(24) };
        limits.SafeApply.Timeout = TimeSpan.FromMinutes(5);
        Assert.True(new NodeAgentOptionsValidator().Validate(null, limits).Succeeded);
        Assert.True(new NodeAgentOptionsValidator().Validate(null, new NodeAgentOptions { NodeName = "node-1" }).Succeeded);
    }
}
