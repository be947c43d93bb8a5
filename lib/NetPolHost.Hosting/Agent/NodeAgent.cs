using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Backends;
using NetPolHost.Hosting.Diagnostics;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.Sources;
using NetPolHost.Timing;

namespace NetPolHost.Hosting.Agent;

/// <summary>
/// The node agent: sources feed snapshots, changes are debounced, compiled for this node and applied incrementally;
/// a periodic resync repairs drift. Rules stay in force when the agent stops (unless asked otherwise), an invalid new
/// state is reported while the last valid state stays enforced, and safe apply rolls back an apply that cuts the host off.
/// </summary>
/// <remarks>
/// A failure of the backend, of the connectivity check or of a source never stops the agent: it is logged, counted in
/// <c>netpolhost.errors</c> and shown in <see cref="AgentStatus.LastError"/>, and a failed apply, rollback or drift
/// repair is tried again after 1 s, then 2 s, 4 s… up to once a minute, in full (<see cref="ApplyOptions.Full"/>), since
/// the backend may hold anything after a failure. The next successful apply clears the error.
/// <para>With <see cref="NodeAgentOptions.FlowLog"/> enabled and a backend that implements <see cref="IFlowLogReader"/>,
/// the agent reads the flow log for its whole lifetime: each record goes to the logger (at Information, with the
/// properties Verdict, Direction, Protocol, Source, Destination and Policy), to the <c>netpolhost.flows</c> counter and,
/// with <see cref="FlowLogOptions.Path"/>, as a JSON line to that file. A failing reader is logged, counted (stage
/// <c>flows</c>) and started again with the same backoff as a source; it never stops the agent.</para>
/// </remarks>
public sealed partial class NodeAgent : BackgroundService, IAgentStatusProvider
{
    private static readonly TimeSpan s_maxRetryDelay = TimeSpan.FromSeconds(60);
    private readonly IFirewallBackend _backend;
    private readonly IReadOnlyList<IClusterSource> _sources;
    private readonly IOptions<NodeAgentOptions> _optionsAccessor;
    private readonly NetPolHostMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IConnectivityCheck _connectivity;
    private readonly TimeProvider _time;
    private readonly Channel<SourceUpdate> _updates = Channel.CreateUnbounded<SourceUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, SourceUpdate> _latest = new(StringComparer.Ordinal);
    private readonly Lock _statusGate = new();
    private RulePlan? _applied;
    private RulePlan? _rejected;
    private AgentStatus _status = new();

    // Owned by the agent's loop (ExecuteAsync and what it calls), never touched by the sources' tasks.
    private bool _dirty; // a failed apply, rollback or repair: the backend may hold something other than _applied
    private readonly Backoff _retry = NewRetryBackoff(); // failures in a row, for the retry delay
    private DateTimeOffset? _retryAt;
    private DateTimeOffset _pendingChangedAt = DateTimeOffset.MaxValue; // the earliest change not yet in force
    private IncrementalPlanCompiler? _compiler; // the plan's compiler, keeping its work between changes

    /// <summary>Creates the agent (normally through dependency injection: <c>AddNodeAgent()</c>).</summary>
    /// <param name="backend">The host firewall.</param>
    /// <param name="sources">Where the cluster's state comes from.</param>
    /// <param name="options">The agent's options.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="connectivity">The safe-apply connectivity check.</param>
    /// <param name="time">The clock.</param>
    /// <param name="meterFactory">Creates the meter <see cref="NetPolHost.Diagnostics.NetPolHostMeter.Name"/>, or
    /// <see langword="null"/> for a meter of its own.</param>
    public NodeAgent(
        IFirewallBackend backend,
        IEnumerable<IClusterSource> sources,
        IOptions<NodeAgentOptions> options,
        ILogger<NodeAgent> logger,
        IConnectivityCheck connectivity,
        TimeProvider time,
        System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
        : this(backend, sources, options, new NetPolHostMetrics(meterFactory), logger, connectivity, time)
    {
    }

    internal NodeAgent(
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
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(connectivity);
        ArgumentNullException.ThrowIfNull(time);
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

    /// <summary>The waits before the next try after failures in a row (of applies, and of each source): 1 s, doubling,
    /// at most one minute.</summary>
    /// <returns>A new backoff.</returns>
    internal static Backoff NewRetryBackoff() => new(TimeSpan.FromSeconds(1), s_maxRetryDelay);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Starting(_logger, Settings.NodeName, _backend.Name, string.Join(", ", _sources.Select(s => s.Name)));
        var sourceTasks = _sources.Select(source => Task.Run(() => RunSourceAsync(source, stoppingToken), stoppingToken)).ToList();
        if (Settings.FlowLog.Enabled)
        {
            if (_backend is IFlowLogReader reader)
            {
                var flowLog = Settings.FlowLog;
                sourceTasks.Add(Task.Run(() => RunFlowLogAsync(reader, flowLog, stoppingToken), stoppingToken));
            }
            else
            {
                Log.NoFlowLog(_logger, _backend.Name);
            }
        }

        var nextResync = _time.GetUtcNow() + Settings.ResyncInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                nextResync = await StepAsync(nextResync, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Every step handles the failures it expects; this keeps the agent alive through the others.
                Failed("agent", "unexpected error: " + ex.Message, ex);
            }
        }

        await Task.WhenAll(sourceTasks).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>One turn of the loop: a due retry, a due resync, or waiting for updates and applying them.</summary>
    /// <returns>When the next resync is due.</returns>
    private async Task<DateTimeOffset> StepAsync(DateTimeOffset nextResync, CancellationToken stoppingToken)
    {
        var now = _time.GetUtcNow();
        if (_retryAt is { } retryAt && retryAt <= now)
        {
            _retryAt = null;
            if (_dirty)
            {
                await ReconcileAsync(DateTimeOffset.MaxValue, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                await ResyncAsync(stoppingToken).ConfigureAwait(false);
            }

            return nextResync;
        }

        if (nextResync <= now)
        {
            await ResyncAsync(stoppingToken).ConfigureAwait(false);
            return _time.GetUtcNow() + Settings.ResyncInterval;
        }

        var wake = _retryAt is { } retry && retry < nextResync ? retry : nextResync;
        var timeout = wake - now < TimeSpan.FromDays(1) ? wake - now : TimeSpan.FromDays(1); // within a timer's range
        using (var timer = new CancellationTokenSource(timeout, _time))
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token))
        {
            try
            {
                await _updates.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return nextResync;
            }
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
        return nextResync;
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (Settings.RemoveRulesOnStop)
        {
            try
            {
                await _backend.RemoveAllAsync(cancellationToken).ConfigureAwait(false);
                Log.Removed(_logger, _backend.Name);
            }
            catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
            {
                _metrics.Error("stop");
                Log.RemoveFailed(_logger, ex, _backend.Name, ex.Message);
                UpdateStatus(s => s with { LastError = $"removing the rules of {_backend.Name} at stop failed: {ex.Message}" });
            }
        }
        else if (_applied is not null)
        {
            Log.LeftInPlace(_logger, _backend.Name);
        }
    }

    private async Task RunSourceAsync(IClusterSource source, CancellationToken cancellationToken)
    {
        var backoff = NewRetryBackoff();
        while (!cancellationToken.IsCancellationRequested)
        {
            var reported = false;
            TimeSpan delay;
            try
            {
                await source.RunAsync(
                    (update, _) =>
                    {
                        reported = true;
                        return _updates.Writer.WriteAsync(update, cancellationToken);
                    },
                    cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (reported)
                {
                    backoff.Reset(); // it worked for a while: start the backoff again
                }

                delay = backoff.Next();
                _metrics.Error("source");
                Log.SourceFailed(_logger, ex, source.Name, ex.Message, delay.TotalSeconds);
                UpdateStatus(s => s with { LastError = $"source {source.Name} failed: {ex.Message}" });
            }

            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Reads the backend's flow log until the agent stops, writing each record to the log, the meter and the
    /// file; a failure is logged and the reader started again after the retry backoff.</summary>
    private async Task RunFlowLogAsync(IFlowLogReader reader, FlowLogOptions options, CancellationToken cancellationToken)
    {
        var backoff = NewRetryBackoff();
        while (!cancellationToken.IsCancellationRequested)
        {
            var read = false;
            TimeSpan delay;
            try
            {
                StreamWriter? file = null;
                try
                {
                    if (options.Path is { } path)
                    {
                        file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new System.Text.UTF8Encoding(false));
                    }

                    await foreach (var record in reader.ReadFlowsAsync(options.IncludeAllowed, cancellationToken).ConfigureAwait(false))
                    {
                        read = true;
                        _metrics.Flow(record);
                        Log.Flow(_logger, record.Verdict, record.Direction, record.Protocol, FlowEnd(record.SourceEndpoint, record.Source, record.SourcePort), FlowEnd(record.DestinationEndpoint, record.Destination, record.DestinationPort), record.Policy ?? "(isolation)");
                        if (file is not null)
                        {
                            await file.WriteLineAsync(record.ToJson().AsMemory(), cancellationToken).ConfigureAwait(false);
                            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    if (file is not null)
                    {
                        await file.DisposeAsync().ConfigureAwait(false);
                    }
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                throw new InvalidOperationException("the flow log ended");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (read)
                {
                    backoff.Reset(); // it worked for a while: start the backoff again
                }

                delay = backoff.Next();
                _metrics.Error("flows");
                Log.FlowLogFailed(_logger, ex, _backend.Name, ex.Message, delay.TotalSeconds);
            }

            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static string FlowEnd(string? endpoint, IPAddress address, int? port)
    {
        var at = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        var text = port is { } p ? string.Create(CultureInfo.InvariantCulture, $"{at}:{p}") : at;
        return endpoint is null ? text : $"{endpoint}({text})";
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

        var plan = Compile();
        if (plan is null || plan.Equals(_rejected))
        {
            // Nothing new to enforce: the last valid state stays. After a failure the backend may not hold it; restore it
            // (for a rejected plan with nothing before it, that is removing everything, as the rollback did).
            if (_dirty && (plan is not null || _applied is not null))
            {
                await RestoreAsync(plan is null ? null : SafeApplyMessage(null), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (plan.Equals(_applied) && !_dirty)
        {
            return;
        }

        await ApplyAsync(plan, changedAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The plan for the sources' latest views, or <see langword="null"/> (reported) when they are invalid or it
    /// cannot be compiled.</summary>
    private RulePlan? Compile()
    {
        var invalid = _latest.Values.Where(u => !u.IsValid).ToList();
        if (invalid.Count > 0)
        {
            var first = invalid[0].Errors.Count > 0 ? invalid[0].Errors[0].ToString() : "the source gave no cluster view";
            var count = invalid.Sum(u => Math.Max(1, u.Errors.Count));
            _metrics.Error("source");
            Log.KeepingLastGood(_logger, count, first);
            UpdateStatus(s => s with { LastError = $"{count} error(s) in the sources; the last valid state stays in force. First: {first}" });
            return null;
        }

        try
        {
            var merged = Merge(_latest.Values.Select(u => u.Snapshot!));
            if (!merged.NamesNode(Settings.NodeName) && Settings.HostEndpoints.Count == 0)
            {
                // An empty plan for a node nothing names is most likely a mistyped --node: never lift enforcement for it.
                var message = $"node '{Settings.NodeName}' is unknown: no Node object, pod (spec.nodeName) or host endpoint in the sources names it; the last valid state stays in force";
                _metrics.Error("source");
                Log.UnknownNode(_logger, message);
                UpdateStatus(s => s with { LastError = message });
                return null;
            }

            // The compiler keeps what it computed for the last views and recompiles only what the change touches.
            _compiler ??= new IncrementalPlanCompiler(new RulePlanOptions
            {
                NodeName = Settings.NodeName,
                NodeAddresses = Settings.NodeAddresses.Count == 0 ? null : [.. Settings.NodeAddresses.Select(IPAddress.Parse)],
                HostEndpoints = [.. Settings.HostEndpoints],
            });
            var plan = _compiler.Compile(merged);

            // A plan the backend cannot express is refused here, before anything is applied.
            _backend.EnsureCanExpress(plan);
            return plan;
        }
        catch (UnsupportedPolicyFeatureException ex)
        {
            _metrics.Error("unsupported");
            Log.CompileFailed(_logger, ex, ex.Message);
            UpdateStatus(s => s with { LastError = ex.Message + " The last valid state stays in force." });
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Retrying the same views gives the same outcome: wait for the next change.
            _metrics.Error("compile");
            Log.CompileFailed(_logger, ex, ex.Message);
            UpdateStatus(s => s with { LastError = "compile failed: " + ex.Message });
            return null;
        }
    }

    private async Task ApplyAsync(RulePlan plan, DateTimeOffset changedAt, CancellationToken cancellationToken)
    {
        if (_pendingChangedAt < changedAt)
        {
            changedAt = _pendingChangedAt;
        }

        ApplyResult result;
        try
        {
            result = await _backend.ApplyAsync(plan, _dirty ? new ApplyOptions { Full = true } : null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
        {
            _dirty = true;
            if (changedAt < _pendingChangedAt)
            {
                _pendingChangedAt = changedAt;
            }

            Failed("apply", ex is NetPolHostException ? ex.Message : $"backend {_backend.Name} failed: {ex.Message}", ex);
            return;
        }

        _metrics.Applied(_backend.Name, result.Changed, result.Duration);
        foreach (var warning in result.Warnings)
        {
            Log.BackendWarning(_logger, warning);
        }

        // Safe apply judges changes of policy, not repairs of the plan already in force.
        if (result.Changed && Settings.SafeApply.Enabled && !plan.Equals(_applied) && !await ConnectivityConfirmedAsync(cancellationToken).ConfigureAwait(false))
        {
            _metrics.Error("safe-apply");
            _rejected = plan;
            _pendingChangedAt = DateTimeOffset.MaxValue;
            if (await RestoreAsync(SafeApplyMessage(null), cancellationToken, full: false).ConfigureAwait(false))
            {
                Log.RolledBack(_logger, Settings.SafeApply.Timeout.TotalSeconds);
            }

            return;
        }

        Volatile.Write(ref _applied, plan);
        _rejected = null;
        _dirty = false;
        _pendingChangedAt = DateTimeOffset.MaxValue;
        Recovered();
        _metrics.Owned(plan.Rules.Count, plan.Rules.Sum(r => (long)r.Peers.Hosts.Count + r.Peers.Ranges.Count + r.Ports.Ranges.Count));
        var now = _time.GetUtcNow();
        var latency = changedAt == DateTimeOffset.MaxValue ? (TimeSpan?)null : now - changedAt;
        if (result.Changed)
        {
            Log.Applied(_logger, plan.DescribeEndpointCount(), plan.Rules.Count, result.Duration.TotalMilliseconds, latency?.TotalMilliseconds ?? 0);
        }

        UpdateStatus(s => s with
        {
            Ready = true,
            Applies = s.Applies + (result.Changed ? 1 : 0),
            LastAppliedAt = result.Changed ? now : s.LastAppliedAt,
            LastLatency = result.Changed ? latency : s.LastLatency,
            LastError = null,
            PlanSummary = string.Create(CultureInfo.InvariantCulture, $"{plan.DescribeEndpointCount()}, {plan.Rules.Count} rules"),
        });
    }

    /// <summary>Puts the last plan in force back (or removes everything when there was none): the rollback of safe apply,
    /// and its retry.</summary>
    /// <param name="message">Why: the safe-apply message to show once restored, or <see langword="null"/> (after a failed
    /// apply) to leave the status as it is.</param>
    /// <param name="cancellationToken">Stops the agent.</param>
    /// <param name="full">Whether to ignore what the backend believes it holds (after a failure).</param>
    /// <returns>Whether the previous state is back.</returns>
    private async Task<bool> RestoreAsync(string? message, CancellationToken cancellationToken, bool full = true)
    {
        var previous = _applied;
        try
        {
            if (previous is not null)
            {
                await _backend.ApplyAsync(previous, full ? new ApplyOptions { Full = true } : null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _backend.RemoveAllAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
        {
            _dirty = true;
            Failed("rollback", message is null ? "restoring the last valid state failed: " + ex.Message : SafeApplyMessage(ex.Message), ex);
            return false;
        }

        _dirty = false;
        Recovered();
        if (message is not null)
        {
            UpdateStatus(s => s with { LastError = message });
        }

        return true;
    }

    private string SafeApplyMessage(string? rollbackError) =>
        $"safe apply: no connectivity within {Settings.SafeApply.Timeout.TotalSeconds:F0} s after the change; " +
        (rollbackError is null ? "rolled back to the previous state" : "the rollback to the previous state failed: " + rollbackError);

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

        try
        {
            return await _connectivity.CheckAsync(targets, Settings.SafeApply.Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
        {
            // A check that cannot tell is no confirmation.
            Log.ConnectivityCheckFailed(_logger, ex, ex.Message);
            return false;
        }
    }

    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        var plan = _applied;
        if (plan is null || _dirty)
        {
            return; // nothing to compare with, or a retry in full is already due
        }

        try
        {
            var status = await _backend.GetStatusAsync(plan, cancellationToken).ConfigureAwait(false);
            if (status.Drift.Count > 0)
            {
                Log.DriftFound(_logger, status.Drift.Count, status.Drift[0]);
                _dirty = true; // until the repair is done
                await _backend.ApplyAsync(plan, new ApplyOptions { Full = true }, cancellationToken).ConfigureAwait(false);
                _dirty = false;
                _metrics.DriftRepaired(_backend.Name);
                UpdateStatus(s => s with { DriftRepairs = s.DriftRepairs + 1 });
            }
        }
        catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
        {
            Failed("resync", "resync failed: " + ex.Message, ex);
            return;
        }

        if (_retry.Failures > 0)
        {
            Recovered();
            UpdateStatus(s => s with { LastError = null });
        }
    }

    /// <summary>Records a failure (log, metric, status) and schedules a retry with a growing delay.</summary>
    private void Failed(string stage, string message, Exception exception)
    {
        var delay = _retry.Next();
        _retryAt = _time.GetUtcNow() + delay;
        _metrics.Error(stage);
        Log.Failed(_logger, exception, stage, message, delay.TotalSeconds);
        var failures = _retry.Failures;
        UpdateStatus(s => s with { LastError = message, ConsecutiveFailures = failures });
    }

    private void Recovered()
    {
        var failed = _retry.Failures > 0;
        _retry.Reset();
        _retryAt = null;
        if (failed)
        {
            UpdateStatus(s => s with { ConsecutiveFailures = 0 });
        }
    }

    private static bool IsCancellation(Exception exception, CancellationToken cancellationToken) =>
        exception is OperationCanceledException && cancellationToken.IsCancellationRequested;

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

    /// <summary>Changes the status atomically (sources report from their own tasks) and tells the listeners.</summary>
    private void UpdateStatus(Func<AgentStatus, AgentStatus> change)
    {
        AgentStatus next;
        lock (_statusGate)
        {
            next = change(_status);
            Volatile.Write(ref _status, next);
        }

        try
        {
            Changed?.Invoke(this, next);
        }
        catch (Exception ex)
        {
            Log.ListenerFailed(_logger, ex, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "node agent for {Node} starting: backend {Backend}, sources {Sources}")]
        public static partial void Starting(ILogger logger, string node, string backend, string sources);

        [LoggerMessage(2, LogLevel.Information, "applied: {Endpoints}, {Rules} rules in {Milliseconds:F1} ms ({Latency:F0} ms after the change was seen)")]
        public static partial void Applied(ILogger logger, string endpoints, int rules, double milliseconds, double latency);

        [LoggerMessage(3, LogLevel.Error, "{Count} error(s) in the sources; the last valid state stays in force. First: {First}")]
        public static partial void KeepingLastGood(ILogger logger, int count, string first);

        [LoggerMessage(16, LogLevel.Error, "{Stage}: {Error}; trying again in {Seconds:F0} s")]
        public static partial void Failed(ILogger logger, Exception exception, string stage, string error, double seconds);

        [LoggerMessage(5, LogLevel.Warning, "{Warning}")]
        public static partial void BackendWarning(ILogger logger, string warning);

        [LoggerMessage(6, LogLevel.Error, "safe apply: no connectivity within {Seconds:F0} s after the change; rolled back to the previous state")]
        public static partial void RolledBack(ILogger logger, double seconds);

        [LoggerMessage(7, LogLevel.Warning, "drift: {Count} difference(s) between the host firewall and the plan (first: {First}); repairing")]
        public static partial void DriftFound(ILogger logger, int count, string first);

        [LoggerMessage(17, LogLevel.Error, "removing the rules of {Backend} at stop failed: {Error}")]
        public static partial void RemoveFailed(ILogger logger, Exception exception, string backend, string error);

        [LoggerMessage(9, LogLevel.Error, "source {Source} failed: {Error}; restarting it in {Seconds:F0} s")]
        public static partial void SourceFailed(ILogger logger, Exception exception, string source, string error, double seconds);

        [LoggerMessage(10, LogLevel.Information, "stopped; {Backend} rules stay in force")]
        public static partial void LeftInPlace(ILogger logger, string backend);

        [LoggerMessage(11, LogLevel.Information, "stopped; removed everything {Backend} owned")]
        public static partial void Removed(ILogger logger, string backend);

        [LoggerMessage(12, LogLevel.Error, "compile failed: {Error}")]
        public static partial void CompileFailed(ILogger logger, Exception exception, string error);

        [LoggerMessage(18, LogLevel.Error, "{Message}")]
        public static partial void UnknownNode(ILogger logger, string message);

        [LoggerMessage(13, LogLevel.Warning, "safe apply is on but has no target (set SafeApply.Targets, or run in a pod where KUBERNETES_SERVICE_HOST is set); the apply is kept")]
        public static partial void NoSafeApplyTarget(ILogger logger);

        [LoggerMessage(14, LogLevel.Error, "safe apply: the connectivity check failed ({Error}); taken as no connectivity")]
        public static partial void ConnectivityCheckFailed(ILogger logger, Exception exception, string error);

        [LoggerMessage(19, LogLevel.Information, "flow {Verdict} {Direction} {Protocol} {Source} -> {Destination} policy {Policy}")]
        public static partial void Flow(ILogger logger, string verdict, string direction, string protocol, string source, string destination, string policy);

        [LoggerMessage(20, LogLevel.Error, "flow log of {Backend} failed: {Error}; reading it again in {Seconds:F0} s")]
        public static partial void FlowLogFailed(ILogger logger, Exception exception, string backend, string error, double seconds);

        [LoggerMessage(21, LogLevel.Warning, "the flow log is on, but the {Backend} backend has none (nftables has); no flows are read")]
        public static partial void NoFlowLog(ILogger logger, string backend);

        [LoggerMessage(15, LogLevel.Error, "a listener of the agent's status failed: {Error}")]
        public static partial void ListenerFailed(ILogger logger, Exception exception, string error);
    }
}
