using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetPolHost.Diagnostics;
using NetPolHost.Hosting.Agent;
using NetPolHost.Hosting.Sources;
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
}
