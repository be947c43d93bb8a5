using Microsoft.Extensions.Logging;

namespace NetPolHost.Firewalld;

/// <summary>Watches firewalld's reloads and restarts, which discard its runtime state, and asks for the last plan to be
/// applied again after each one that NetPolHost did not cause itself; the re-applies run one after another.</summary>
/// <param name="logger">The backend's logger.</param>
/// <param name="wanted">Whether there is a plan to apply again (and the backend is not disposed).</param>
/// <param name="reapply">Applies the last plan again; given the reason ("reload", "restart").</param>
/// <param name="lifetime">Ends with the backend.</param>
internal sealed partial class FirewalldReloadWatcher(ILogger logger, Func<bool> wanted, Func<string, CancellationToken, Task> reapply, CancellationToken lifetime)
{
    private readonly Lock _lock = new();
    private int _expectedReloads;
    private Task _pending = Task.CompletedTask;

    /// <summary>The re-applies asked for so far (completes when the last one has run).</summary>
    public Task Pending
    {
        get
        {
            lock (_lock)
            {
                return _pending;
            }
        }
    }

    /// <summary>Notes that NetPolHost is about to reload firewalld itself: the next <c>Reloaded</c> signal is its own.</summary>
    public void ExpectReload() => Interlocked.Increment(ref _expectedReloads);

    /// <summary>Takes back <see cref="ExpectReload"/> when the reload call failed.</summary>
    public void ReloadNotSent() => Interlocked.Decrement(ref _expectedReloads);

    /// <summary>Handles firewalld's <c>Reloaded</c> signal.</summary>
    public void OnReloaded()
    {
        while (true)
        {
            var expected = Volatile.Read(ref _expectedReloads);
            if (expected <= 0)
            {
                break;
            }

            if (Interlocked.CompareExchange(ref _expectedReloads, expected - 1, expected) == expected)
            {
                return;
            }
        }

        Log.ReloadSeen(logger);
        Schedule("reload");
    }

    /// <summary>Handles firewalld appearing on the bus (<paramref name="started"/>) or leaving it.</summary>
    public void OnOwnerChanged(bool started)
    {
        if (started)
        {
            Log.Restarted(logger);
            Schedule("restart");
        }
        else
        {
            Log.Stopped(logger);
        }
    }

    private void Schedule(string reason)
    {
        if (!wanted())
        {
            return;
        }

        lock (_lock)
        {
            _pending = _pending.ContinueWith(_ => reapply(reason, lifetime), lifetime, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3, LogLevel.Information, "firewalld reloaded (not by NetPolHost): its runtime state is gone, applying the last plan again")]
        public static partial void ReloadSeen(ILogger logger);

        [LoggerMessage(6, LogLevel.Warning, "firewalld left the bus (stopped): nothing is enforced until it starts again")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(7, LogLevel.Information, "firewalld appeared on the bus (started or restarted): applying the last plan again")]
        public static partial void Restarted(ILogger logger);
    }
}
