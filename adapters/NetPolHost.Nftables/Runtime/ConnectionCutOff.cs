using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using NetPolHost.Planning;

namespace NetPolHost.Nftables.Runtime;

/// <summary>Cuts established connections that newly applied plans deny, off the apply's path: applies queue their plan
/// change and return; one background pass at a time handles every change queued so far (the union of their affected
/// addresses, judged by the newest plan), so a long cut-off never delays the next apply.</summary>
internal sealed partial class ConnectionCutOff : IDisposable
{
    private readonly Func<IConntrack> _open;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<(RulePlan? Previous, RulePlan Next)> _pending = [];
    private Task _running = Task.CompletedTask;
    private bool _active;
    private bool _disposed;
    private IConntrack? _conntrack;
    private string? _openError;
    private ConnectionCutOffReport _report = new(0, 0, 0, TimeSpan.Zero, []);

    /// <param name="open">Opens the conntrack access on first use (throws <see cref="IOException"/> when it cannot).</param>
    /// <param name="logger">Where passes are logged.</param>
    public ConnectionCutOff(Func<IConntrack> open, ILogger logger)
    {
        _open = open;
        _logger = logger;
    }

    /// <summary>What the passes have done so far.</summary>
    public ConnectionCutOffReport Report
    {
        get
        {
            lock (_lock)
            {
                return _report;
            }
        }
    }

    /// <summary>Queues the change from <paramref name="previous"/> to <paramref name="next"/> (now in the kernel).</summary>
    public void Enqueue(RulePlan? previous, RulePlan next)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pending.Add((previous, next));
            if (!_active)
            {
                _active = true;
                // A thread of its own, not the thread pool: a pass blocks on netlink answers, and with applies waiting on
                // the nft thread it would starve the pool (on 2 cores, other work then waited half a second or more).
                _running = Task.Factory.StartNew(Drain, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Completes when every change queued before the call has been handled.</summary>
    public async Task<ConnectionCutOffReport> WaitAsync(CancellationToken cancellationToken)
    {
        Task running;
        lock (_lock)
        {
            running = _running;
        }

        await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Report;
    }

    /// <summary>Waits for a running pass (it may still delete what the applied plan denies), then closes the sockets.</summary>
    public void Dispose()
    {
        Task running;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            running = _running;
        }

        running.Wait(TimeSpan.FromSeconds(30));
        (_conntrack as IDisposable)?.Dispose();
    }

    private void Drain()
    {
        while (true)
        {
            List<(RulePlan? Previous, RulePlan Next)> changes;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _active = false;
                    return;
                }

                changes = [.. _pending];
                _pending.Clear();
            }

            var stopwatch = Stopwatch.StartNew();
            int deleted;
            IReadOnlyList<string> warnings;
            try
            {
                (deleted, warnings) = Pass(changes);
            }
            catch (Exception ex)
            {
                // The pass runs in the background: whatever fails is reported, and later passes still run.
                (deleted, warnings) = (0, [$"the connection cut-off failed ({ex.GetType().Name}: {ex.Message}); established connections the new plan denies keep flowing until they end"]);
            }

            stopwatch.Stop();
            foreach (var warning in warnings)
            {
                Log.Warning(_logger, warning);
            }

            if (deleted > 0)
            {
                Log.Deleted(_logger, deleted, changes.Count, stopwatch.Elapsed.TotalMilliseconds);
            }

            lock (_lock)
            {
                _report = new ConnectionCutOffReport(_report.Passes + 1, _report.EntriesDeleted + deleted, deleted, stopwatch.Elapsed, warnings);
            }
        }
    }

    private (int Deleted, IReadOnlyList<string> Warnings) Pass(List<(RulePlan? Previous, RulePlan Next)> changes)
    {
        var affected = new HashSet<IPAddress>();
        foreach (var (previous, next) in changes)
        {
            affected.UnionWith(ConntrackCleanup.AffectedAddresses(previous, next));
        }

        if (affected.Count == 0)
        {
            return (0, []);
        }

        if (_conntrack is null && _openError is null)
        {
            try
            {
                _conntrack = _open();
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or PlatformNotSupportedException)
            {
                _openError = ex.Message;
            }
        }

        if (_conntrack is null)
        {
            return (0, [$"connection tracking cannot be read ({_openError}): established connections that the new plan denies keep flowing until they end"]);
        }

        try
        {
            var plan = changes[^1].Next;
            var denied = ConntrackCleanup.Denied(plan, _conntrack.List(), affected, _conntrack.LocalAddresses());
            return (_conntrack.Delete(denied), []);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
        {
            return (0, [$"the plan is applied, but established connections it denies could not be cut ({ex.Message}); they keep flowing until they end"]);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "deleted {Count} connection tracking entries of flows the new plan denies ({Changes} change(s), {Milliseconds:F1} ms)")]
        public static partial void Deleted(ILogger logger, int count, int changes, double milliseconds);

        [LoggerMessage(11, LogLevel.Warning, "{Warning}")]
        public static partial void Warning(ILogger logger, string warning);
    }
}
