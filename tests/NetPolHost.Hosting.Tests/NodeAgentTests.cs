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

/// <summary>The agent's behaviour on a fake clock: a test moves time itself, so what must not happen yet is shown by
/// moving the clock to just before it is due, never by sleeping.</summary>
public sealed class NodeAgentTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DebounceWindow = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private readonly TimerTrackingClock _clock = new();

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

    private SourceUpdate Valid(string source, ClusterSnapshot snapshot) => new(source, snapshot, [], _clock.GetUtcNow());

    private SourceUpdate Invalid(string source) =>
        new(source, null, [new ManifestDiagnostic(DiagnosticSeverity.Error, "bad.yaml", 3, 5, "spec.ingress[0].ports[0].port", "expected a port number between 1 and 65535, found 70000")], _clock.GetUtcNow());

    /// <summary>A source whose updates the test sends; sending returns once the agent has been given the update.</summary>
    private sealed class ScriptedSource(string name) : IClusterSource
    {
        private readonly Channel<(SourceUpdate Update, TaskCompletionSource Reported)> _updates = Channel.CreateUnbounded<(SourceUpdate, TaskCompletionSource)>();

        public string Name => name;

        public async Task SendAsync(SourceUpdate update)
        {
            var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _updates.Writer.TryWrite((update, reported));
            await reported.Task.WaitAsync(Wait, TestContext.Current.CancellationToken);
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

        public Task SendAsync(SourceUpdate update) => _inner.SendAsync(update);

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

    private NodeAgent Agent(RecordingFirewallBackend backend, IEnumerable<IClusterSource> sources, Action<NodeAgentOptions>? configure = null, IConnectivityCheck? connectivity = null)
    {
        var options = new NodeAgentOptions { NodeName = "node-1", Debounce = DebounceWindow };
        configure?.Invoke(options);
        return new NodeAgent(backend, sources, Options.Create(options), new NetPolHostMetrics(), NullLogger<NodeAgent>.Instance, connectivity ?? new FixedConnectivity(true), _clock);
    }

    /// <summary>Waits until the agent debounces what was sent, lets the window pass, and waits until the agent has handled
    /// it and waits again (for an update or a timer): what it did is then done, and it does nothing more until the clock
    /// moves or an update comes.</summary>
    /// <returns>The timer the agent waits on now (the next resync or retry).</returns>
    private async Task<TimerTrackingClock.PendingTimer> PassDebounceAsync()
    {
        var debounce = await _clock.UntilPendingAsync(DebounceWindow, "the agent to debounce the update");
        _clock.Advance(DebounceWindow);
        return await _clock.UntilPendingAfterAsync(debounce, "the agent to handle the update and wait again");
    }

    /// <summary>Moves the clock to just before <paramref name="timer"/> is due: the agent, blocked on it, is still
    /// waiting.</summary>
    private void AdvanceToJustBefore(TimerTrackingClock.PendingTimer timer) => _clock.Advance(timer.Due - _clock.GetUtcNow() - Tick);

    /// <summary>Moves the clock to when <paramref name="timer"/> is due and waits until the agent has done what was due
    /// and waits again.</summary>
    private async Task<TimerTrackingClock.PendingTimer> FireAsync(TimerTrackingClock.PendingTimer timer, string what)
    {
        _clock.Advance(timer.Due - _clock.GetUtcNow());
        return await _clock.UntilPendingAfterAsync(timer, what);
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
        await files.SendAsync(Valid("files", ClusterSnapshot.Create(policies: Snapshot().Policies)));
        await PassDebounceAsync();
        Assert.Empty(backend.Applies); // the API source has not spoken yet
        Assert.False(agent.Current.Ready);
        await api.SendAsync(Valid("kubernetes", ClusterSnapshot.Create(Snapshot().Namespaces, Snapshot().Pods)));
        await PassDebounceAsync();
        Assert.Single(backend.Applies);
        Assert.Equal(["x/a"], backend.Current!.Endpoints.Select(e => e.Name)); // merged: policies from files, pods from the API
        Assert.True(agent.Current.Ready);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_BurstOfChanges_IsAppliedOnce()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        await source.SendAsync(Valid("files", Snapshot()));
        var debounce = await _clock.UntilPendingAsync(DebounceWindow, "the agent to debounce the first change");
        await source.SendAsync(Valid("files", Snapshot(denyY: true)));
        await source.SendAsync(Valid("files", Snapshot()));
        await source.SendAsync(Valid("files", Snapshot(denyY: true)));
        AdvanceToJustBefore(debounce);
        Assert.Empty(backend.Applies); // nothing within the window
        var waiting = await FireAsync(debounce, "the apply");
        Assert.Single(backend.Applies);
        Assert.Equal(["x/a", "y/b"], backend.Current!.Endpoints.Select(e => e.Name)); // the last state of the burst
        AdvanceToJustBefore(waiting); // until the next resync: nothing else comes of the burst
        Assert.Single(backend.Applies);
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
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
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
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
        Assert.Single(backend.Applies);
        await source.SendAsync(Invalid("files"));
        await PassDebounceAsync();
        Assert.Equal(
            "1 error(s) in the sources; the last valid state stays in force. First: bad.yaml:3:5: spec.ingress[0].ports[0].port: expected a port number between 1 and 65535, found 70000",
            agent.Current.LastError);
        Assert.Single(backend.Applies);
        await source.SendAsync(Valid("files", Snapshot(denyY: true)));
        await PassDebounceAsync();
        Assert.Equal(2, backend.Applies.Count);
        Assert.Null(agent.Current.LastError);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_Resync_RepairsDrift()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source], o => o.ResyncInterval = TimeSpan.FromMinutes(1));
        var started = _clock.GetUtcNow();
        await agent.StartAsync(TestContext.Current.CancellationToken);
        await source.SendAsync(Valid("files", Snapshot()));
        var resync = await PassDebounceAsync();
        Assert.Single(backend.Applies);
        Assert.Equal(started + TimeSpan.FromMinutes(1), resync.Due);
        backend.NextDrift = "set h4_x: 1 element(s) missing, 0 unexpected";
        AdvanceToJustBefore(resync);
        Assert.Single(backend.Applies); // no resync before the interval
        await FireAsync(resync, "the repair");
        Assert.Equal(2, backend.Applies.Count);
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
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
        Assert.Single(backend.Applies);
        var good = backend.Current;
        await agent.StopAsync(TestContext.Current.CancellationToken);

        var failing = new FixedConnectivity(false);
        using var second = Agent(backend, [source], o =>
        {
            o.SafeApply.Enabled = true;
            o.SafeApply.Targets.Add("127.0.0.1:6443");
        }, failing);
        await second.StartAsync(TestContext.Current.CancellationToken);
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
        Assert.True(second.Current.Ready, "the first apply of the second agent");
        await source.SendAsync(Valid("files", Snapshot(denyY: true)));
        await PassDebounceAsync();
        Assert.Equal("safe apply: no connectivity within 10 s after the change; rolled back to the previous state", second.Current.LastError);
        Assert.Equal(good, backend.Current);
        var applies = backend.Applies.Count;
        await source.SendAsync(Valid("files", Snapshot(denyY: true))); // the same rejected state is not tried again
        await PassDebounceAsync();
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
            await source.SendAsync(Valid("files", Snapshot()));
            await PassDebounceAsync();
            Assert.Single(backend.Applies);
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
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
        Assert.Equal("Backend 'recording' could not apply the plan: kernel said no", agent.Current.LastError);
        backend.FailWith = null;
        await source.SendAsync(Valid("files", Snapshot(denyY: true))); // before the retry is due
        await PassDebounceAsync();
        Assert.Single(backend.Applies);
        Assert.Equal(["x/a", "y/b"], backend.Current!.Endpoints.Select(e => e.Name)); // the next change
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_FailedApply_IsRetriedInFull_AndTheSuccessClearsTheError()
    {
        var backend = new RecordingFirewallBackend { FailWith = new BackendApplyException("recording", "nft: resource busy") };
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source]);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        await source.SendAsync(Valid("files", Snapshot()));
        var retry = await PassDebounceAsync();
        Assert.Equal("Backend 'recording' could not apply the plan: nft: resource busy", agent.Current.LastError);
        Assert.False(agent.Current.Ready);
        Assert.Equal(_clock.GetUtcNow() + FirstRetry, retry.Due);

        backend.FailWith = null; // no new state comes: the retry alone applies it
        AdvanceToJustBefore(retry);
        Assert.Empty(backend.Applies); // not before the backoff
        await FireAsync(retry, "the retry");
        Assert.Single(backend.Applies);
        Assert.True(backend.Applies[0].Options.Full); // the backend may hold anything after a failure
        Assert.True(agent.Current.Ready);
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
        await source.SendAsync(Valid("files", Snapshot()));
        var retry = await PassDebounceAsync();
        Assert.Equal("backend recording failed: the nft process died", agent.Current.LastError);
        Assert.False(agent.ExecuteTask!.IsCompleted);
        Assert.True(errors.Count("apply") >= 1);

        backend.FailWith = null;
        AdvanceToJustBefore(retry);
        Assert.Empty(backend.Applies);
        await FireAsync(retry, "the retry");
        Assert.Single(backend.Applies);
        await source.SendAsync(Valid("files", Snapshot(denyY: true)));
        await PassDebounceAsync();
        Assert.Equal(2, backend.Applies.Count);
        Assert.Equal(["x/a", "y/b"], backend.Current!.Endpoints.Select(e => e.Name));
        Assert.Null(agent.Current.LastError);
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
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
        Assert.True(agent.Current.Ready, "the first apply");
        var good = backend.Current;

        // The new state cuts the host off, and the backend fails the rollback too.
        connectivity.Check = () =>
        {
            backend.FailWith = new IOException("netlink: connection reset");
            return false;
        };
        await source.SendAsync(Valid("files", Snapshot(denyY: true)));
        var retry = await PassDebounceAsync();
        Assert.Equal("safe apply: no connectivity within 10 s after the change; the rollback to the previous state failed: netlink: connection reset", agent.Current.LastError);
        Assert.NotEqual(good, backend.Current); // the rejected state is still in force
        Assert.False(agent.ExecuteTask!.IsCompleted);
        Assert.Equal(_clock.GetUtcNow() + FirstRetry, retry.Due);

        backend.FailWith = null;
        AdvanceToJustBefore(retry);
        Assert.NotEqual(good, backend.Current); // not before the backoff
        await FireAsync(retry, "the retried rollback");
        Assert.Equal(good, backend.Current);
        Assert.True(backend.Applies[^1].Options.Full);
        Assert.Equal("safe apply: no connectivity within 10 s after the change; rolled back to the previous state", agent.Current.LastError);
        Assert.Equal(good, agent.AppliedPlan);
        await agent.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Agent_FailedDriftRepair_IsRetried()
    {
        var backend = new RecordingFirewallBackend();
        var source = new ScriptedSource("files");
        using var agent = Agent(backend, [source], o => o.ResyncInterval = TimeSpan.FromMinutes(1));
        await agent.StartAsync(TestContext.Current.CancellationToken);
        await source.SendAsync(Valid("files", Snapshot()));
        var resync = await PassDebounceAsync();
        Assert.Single(backend.Applies);
        backend.FailWith = new IOException("nft: table busy");
        backend.NextDrift = "set h4_x: 1 element(s) missing, 0 unexpected";
        var retry = await FireAsync(resync, "the failed repair");
        Assert.Equal("resync failed: nft: table busy", agent.Current.LastError);
        Assert.Equal(_clock.GetUtcNow() + FirstRetry, retry.Due);

        backend.FailWith = null;
        AdvanceToJustBefore(retry);
        Assert.Single(backend.Applies); // not before the backoff
        await FireAsync(retry, "the retried repair");
        Assert.Equal(2, backend.Applies.Count);
        Assert.True(backend.Applies[1].Options.Full);
        Assert.Null(agent.Current.LastError);
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
        var restart = await _clock.UntilPendingAsync(FirstRetry, "the source's restart to be scheduled");
        AdvanceToJustBefore(restart);
        Assert.Equal(1, source.Runs); // not before the backoff
        _clock.Advance(Tick);
        await Until(() => source.Runs == 2, "the restart");
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
        Assert.Single(backend.Applies);
        Assert.Null(agent.Current.LastError);
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
        await source.SendAsync(Valid("files", Snapshot()));
        await PassDebounceAsync();
        Assert.Single(backend.Applies);
        await source.SendAsync(Valid("files", Snapshot(denyY: true)));
        await PassDebounceAsync();
        Assert.Equal(2, backend.Applies.Count);
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
