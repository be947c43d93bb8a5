using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Backends;
using NetPolHost.Diagnostics;
using NetPolHost.Hosting.Sources;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Hosting.Agent;

/// <summary>
/// The node agent: sources feed snapshots, changes are debounced, compiled for this node and applied incrementally;
/// a periodic resync repairs drift. Rules stay in force when the agent stops (unless asked otherwise), an invalid new
/// state is reported while the last valid state stays enforced, and safe apply rolls back an apply that cuts the host off.
/// </summary>
public sealed partial class NodeAgent : BackgroundService, IAgentStatusProvider
{
    private readonly IFirewallBackend _backend;
    private readonly IReadOnlyList<IClusterSource> _sources;
    private readonly IOptions<NodeAgentOptions> _optionsAccessor;
    private readonly NetPolHostMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IConnectivityCheck _connectivity;
    private readonly TimeProvider _time;
    private readonly Channel<SourceUpdate> _updates = Channel.CreateUnbounded<SourceUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, SourceUpdate> _latest = new(StringComparer.Ordinal);
    private RulePlan? _applied;
    private RulePlan? _rejected;
    private AgentStatus _status = new();

    /// <summary>Creates the agent (normally through dependency injection).</summary>
    /// <param name="backend">The host firewall.</param>
    /// <param name="sources">Where the cluster's state comes from.</param>
    /// <param name="options">The agent's options.</param>
    /// <param name="metrics">Metrics.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="connectivity">The safe-apply connectivity check.</param>
    /// <param name="time">The clock.</param>
    public NodeAgent(
        IFirewallBackend backend,
        IEnumerable<IClusterSource> sources,
        IOptions<NodeAgentOptions> options,
        NetPolHostMetrics metrics,
        ILogger<NodeAgent> logger,
        IConnectivityCheck connectivity,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        _backend = backend;
        _sources = [.. sources];
        _optionsAccessor = options;
        _metrics = metrics;
        _logger = logger;
        _connectivity = connectivity;
        _time = time;
        if (_sources.Count == 0)
        {
            throw new InvalidOperationException("The node agent has no source: add one, e.g. AddFileSource(\"/etc/netpolhost\") or AddKubernetesSource().");
        }
    }

    /// <inheritdoc/>
    public AgentStatus Current => Volatile.Read(ref _status);

    // Read when the agent runs, not when it is built: start-up validation then reports every broken option first.
    private NodeAgentOptions Settings => _optionsAccessor.Value;

    /// <inheritdoc/>
    public event EventHandler<AgentStatus>? Changed;

    /// <summary>The plan in force, if any.</summary>
    public RulePlan? AppliedPlan => Volatile.Read(ref _applied);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Starting(_logger, Settings.NodeName, _backend.Name, string.Join(", ", _sources.Select(s => s.Name)));
        var sourceTasks = _sources.Select(source => Task.Run(() => RunSourceAsync(source, stoppingToken), stoppingToken)).ToList();
        var nextResync = _time.GetUtcNow() + Settings.ResyncInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var untilResync = nextResync - _time.GetUtcNow();
                if (untilResync <= TimeSpan.Zero)
                {
                    await ResyncAsync(stoppingToken).ConfigureAwait(false);
                    nextResync = _time.GetUtcNow() + Settings.ResyncInterval;
                    continue;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                wait.CancelAfter(untilResync);
                try
                {
                    await _updates.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    continue;
                }

                var changedAt = Drain();
                if (Settings.Debounce > TimeSpan.Zero)
                {
                    await Task.Delay(Settings.Debounce, _time, stoppingToken).ConfigureAwait(false);
                    var later = Drain();
                    if (later < changedAt)
                    {
                        changedAt = later;
                    }
                }

                await ReconcileAsync(changedAt, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(sourceTasks.Select(t => t.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default))).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (Settings.RemoveRulesOnStop)
        {
            await _backend.RemoveAllAsync(cancellationToken).ConfigureAwait(false);
            Log.Removed(_logger, _backend.Name);
        }
        else if (_applied is not null)
        {
            Log.LeftInPlace(_logger, _backend.Name);
        }
    }

    private async Task RunSourceAsync(IClusterSource source, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await source.RunAsync((update, _) => _updates.Writer.WriteAsync(update, cancellationToken), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _metrics.Error("source");
                Log.SourceFailed(_logger, source.Name, ex.Message, delay.TotalSeconds);
                SetStatus(Current with { LastError = $"source {source.Name} failed: {ex.Message}" });
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 60));
            }
        }
    }

    /// <summary>Takes every pending update; returns the earliest change time among them.</summary>
    private DateTimeOffset Drain()
    {
        var earliest = DateTimeOffset.MaxValue;
        while (_updates.Reader.TryRead(out var update))
        {
            _latest[update.Source] = update;
            if (update.ChangedAt < earliest)
            {
                earliest = update.ChangedAt;
            }
        }

        return earliest;
    }

    private async Task ReconcileAsync(DateTimeOffset changedAt, CancellationToken cancellationToken)
    {
        if (_sources.Any(s => !_latest.ContainsKey(s.Name)))
        {
            return; // Enforce nothing until every source has given a first view.
        }

        var invalid = _latest.Values.Where(u => !u.IsValid).ToList();
        if (invalid.Count > 0)
        {
            var first = invalid[0].Errors.Count > 0 ? invalid[0].Errors[0].ToString() : "no snapshot";
            var count = invalid.Sum(u => Math.Max(1, u.Errors.Count));
            _metrics.Error("source");
            Log.KeepingLastGood(_logger, count, first);
            SetStatus(Current with { LastError = $"{count} error(s) in the sources; the last valid state stays in force. First: {first}" });
            return;
        }

        RulePlan plan;
        try
        {
            var merged = Merge(_latest.Values.Select(u => u.Snapshot!));
            plan = RulePlanCompiler.Compile(new PolicyMatcher(merged), new RulePlanOptions
            {
                NodeName = Settings.NodeName,
                NodeAddresses = Settings.NodeAddresses.Count == 0 ? null : [.. Settings.NodeAddresses.Select(IPAddress.Parse)],
                HostEndpoints = [.. Settings.HostEndpoints],
            });
        }
        catch (Exception ex) when (ex is NetPolHostException or ArgumentException)
        {
            _metrics.Error("compile");
            Log.CompileFailed(_logger, ex.Message);
            SetStatus(Current with { LastError = "compile failed: " + ex.Message });
            return;
        }

        if (plan.Equals(_applied) || plan.Equals(_rejected))
        {
            return;
        }

        await ApplyAsync(plan, changedAt, cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyAsync(RulePlan plan, DateTimeOffset changedAt, CancellationToken cancellationToken)
    {
        ApplyResult result;
        try
        {
            result = await _backend.ApplyAsync(plan, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NetPolHostException ex)
        {
            _metrics.Error("apply");
            Log.ApplyFailed(_logger, _backend.Name, ex.Message);
            SetStatus(Current with { LastError = ex.Message });
            return;
        }

        _metrics.Applied(_backend.Name, result.Changed, result.Duration);
        foreach (var warning in result.Warnings)
        {
            Log.BackendWarning(_logger, warning);
        }

        if (result.Changed && Settings.SafeApply.Enabled && !await ConnectivityConfirmedAsync(cancellationToken).ConfigureAwait(false))
        {
            _metrics.Error("safe-apply");
            var previous = _applied;
            if (previous is not null)
            {
                await _backend.ApplyAsync(previous, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _backend.RemoveAllAsync(cancellationToken).ConfigureAwait(false);
            }

            _rejected = plan;
            Log.RolledBack(_logger, Settings.SafeApply.Timeout.TotalSeconds);
            SetStatus(Current with { LastError = $"safe apply: no connectivity within {Settings.SafeApply.Timeout.TotalSeconds:F0} s after the change; rolled back to the previous state" });
            return;
        }

        Volatile.Write(ref _applied, plan);
        _rejected = null;
        _metrics.Owned(plan.Rules.Count, plan.Rules.Sum(r => (long)r.Peers.Hosts.Count + r.Peers.Ranges.Count + r.Ports.Ranges.Count));
        var now = _time.GetUtcNow();
        var latency = changedAt == DateTimeOffset.MaxValue ? (TimeSpan?)null : now - changedAt;
        if (result.Changed)
        {
            Log.Applied(_logger, plan.Endpoints.Count, plan.Rules.Count, result.Duration.TotalMilliseconds, latency?.TotalMilliseconds ?? 0);
        }

        SetStatus(Current with
        {
            Ready = true,
            Applies = Current.Applies + (result.Changed ? 1 : 0),
            LastAppliedAt = result.Changed ? now : Current.LastAppliedAt,
            LastLatency = result.Changed ? latency : Current.LastLatency,
            LastError = null,
            PlanSummary = string.Create(CultureInfo.InvariantCulture, $"{plan.Endpoints.Count} isolated endpoints, {plan.Rules.Count} rules"),
        });
    }

    private async Task<bool> ConnectivityConfirmedAsync(CancellationToken cancellationToken)
    {
        var targets = Settings.SafeApply.Targets.ToList();
        if (targets.Count == 0 && Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 } host)
        {
            targets.Add($"{host}:{Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443"}");
        }

        if (targets.Count == 0)
        {
            Log.NoSafeApplyTarget(_logger);
            return true;
        }

        return await _connectivity.CheckAsync(targets, Settings.SafeApply.Timeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        var plan = _applied;
        if (plan is null)
        {
            return;
        }

        try
        {
            var status = await _backend.GetStatusAsync(plan, cancellationToken).ConfigureAwait(false);
            if (status.Drift.Count == 0)
            {
                return;
            }

            Log.DriftFound(_logger, status.Drift.Count, status.Drift[0]);
            await _backend.ApplyAsync(plan, new ApplyOptions { Full = true }, cancellationToken).ConfigureAwait(false);
            _metrics.DriftRepaired(_backend.Name);
            SetStatus(Current with { DriftRepairs = Current.DriftRepairs + 1 });
        }
        catch (NetPolHostException ex)
        {
            _metrics.Error("resync");
            Log.ResyncFailed(_logger, ex.Message);
            SetStatus(Current with { LastError = "resync failed: " + ex.Message });
        }
    }

    private static ClusterSnapshot Merge(IEnumerable<ClusterSnapshot> snapshots)
    {
        var list = snapshots.ToList();
        return list.Count == 1
            ? list[0]
            : ClusterSnapshot.Create(
                list.SelectMany(s => s.Namespaces),
                list.SelectMany(s => s.Pods),
                list.SelectMany(s => s.Nodes),
                list.SelectMany(s => s.HostEndpoints),
                list.SelectMany(s => s.Policies));
    }

    private void SetStatus(AgentStatus status)
    {
        Volatile.Write(ref _status, status);
        Changed?.Invoke(this, status);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "node agent for {Node} starting: backend {Backend}, sources {Sources}")]
        public static partial void Starting(ILogger logger, string node, string backend, string sources);

        [LoggerMessage(2, LogLevel.Information, "applied: {Endpoints} isolated endpoints, {Rules} rules in {Milliseconds:F1} ms ({Latency:F0} ms after the change was seen)")]
        public static partial void Applied(ILogger logger, int endpoints, int rules, double milliseconds, double latency);

        [LoggerMessage(3, LogLevel.Error, "{Count} error(s) in the sources; the last valid state stays in force. First: {First}")]
        public static partial void KeepingLastGood(ILogger logger, int count, string first);

        [LoggerMessage(4, LogLevel.Error, "backend {Backend} refused the plan: {Error}")]
        public static partial void ApplyFailed(ILogger logger, string backend, string error);

        [LoggerMessage(5, LogLevel.Warning, "{Warning}")]
        public static partial void BackendWarning(ILogger logger, string warning);

        [LoggerMessage(6, LogLevel.Error, "safe apply: no connectivity within {Seconds:F0} s after the change; rolled back to the previous state")]
        public static partial void RolledBack(ILogger logger, double seconds);

        [LoggerMessage(7, LogLevel.Warning, "drift: {Count} difference(s) between the host firewall and the plan (first: {First}); repairing")]
        public static partial void DriftFound(ILogger logger, int count, string first);

        [LoggerMessage(8, LogLevel.Error, "resync failed: {Error}")]
        public static partial void ResyncFailed(ILogger logger, string error);

        [LoggerMessage(9, LogLevel.Error, "source {Source} failed: {Error}; restarting it in {Seconds:F0} s")]
        public static partial void SourceFailed(ILogger logger, string source, string error, double seconds);

        [LoggerMessage(10, LogLevel.Information, "stopped; {Backend} rules stay in force")]
        public static partial void LeftInPlace(ILogger logger, string backend);

        [LoggerMessage(11, LogLevel.Information, "stopped; removed everything {Backend} owned")]
        public static partial void Removed(ILogger logger, string backend);

        [LoggerMessage(12, LogLevel.Error, "compile failed: {Error}")]
        public static partial void CompileFailed(ILogger logger, string error);

        [LoggerMessage(13, LogLevel.Warning, "safe apply is on but has no target (set SafeApply.Targets, or run in a pod where KUBERNETES_SERVICE_HOST is set); the apply is kept")]
        public static partial void NoSafeApplyTarget(ILogger logger);
    }
}
