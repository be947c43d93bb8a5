using Microsoft.Extensions.Time.Testing;

namespace NetPolHost.Hosting.Tests;

/// <summary>A <see cref="FakeTimeProvider"/> that also knows which of its timers are pending and when they are due, so
/// that a test can wait until the code under test is blocked on one (it then cannot go on before the clock reaches that
/// time) before it moves the clock.</summary>
/// <remarks>Only waits for what did happen are bounded in real time; nothing here sleeps to show that something did
/// not happen.</remarks>
internal sealed class TimerTrackingClock : FakeTimeProvider
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private readonly List<PendingTimer> _timers = [];
    private long _lastId;

    /// <summary>A timer as seen by the clock.</summary>
    /// <param name="Id">Increases with every timer made: a larger one was made later.</param>
    /// <param name="Due">When it fires.</param>
    internal sealed record PendingTimer(long Id, DateTimeOffset Due);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Tracked? tracked = null;
        var inner = base.CreateTimer(
            s =>
            {
                tracked?.Fired();
                callback(s);
            },
            state,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        lock (_gate)
        {
            tracked = new Tracked(this, inner, ++_lastId);
        }

        // Started only once tracked, so that a timer due at once is seen as fired, never as pending.
        tracked.Change(dueTime, period);
        return tracked;
    }

    /// <summary>Waits until a timer due <paramref name="dueIn"/> from now is pending.</summary>
    /// <param name="dueIn">How long from now.</param>
    /// <param name="what">What the timer is, for the failure message.</param>
    /// <returns>The timer.</returns>
    public Task<PendingTimer> UntilPendingAsync(TimeSpan dueIn, string what) =>
        UntilAsync(t => t.Due == GetUtcNow() + dueIn, what);

    /// <summary>Waits until a timer made after <paramref name="after"/> is pending: whatever was woken then has run
    /// and now waits again.</summary>
    /// <param name="after">A timer before.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <returns>The new timer.</returns>
    public Task<PendingTimer> UntilPendingAfterAsync(PendingTimer after, string what) =>
        UntilAsync(t => t.Id > after.Id, what);

    private async Task<PendingTimer> UntilAsync(Func<PendingTimer, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (true)
        {
            lock (_gate)
            {
                if (_timers.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what} (clock at {this})");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    private void Set(long id, DateTimeOffset? due)
    {
        lock (_gate)
        {
            _timers.RemoveAll(t => t.Id == id);
            if (due is { } at)
            {
                _timers.Add(new PendingTimer(id, at));
            }
        }
    }

    private sealed class Tracked(TimerTrackingClock clock, ITimer inner, long id) : ITimer
    {
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                if (_disposed)
                {
                    return false;
                }

                _period = period;
                clock.Set(id, dueTime == Timeout.InfiniteTimeSpan ? null : clock.GetUtcNow() + dueTime);
            }

            return inner.Change(dueTime, period);
        }

        public void Fired()
        {
            lock (clock._gate)
            {
                if (!_disposed)
                {
                    clock.Set(id, _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? null : clock.GetUtcNow() + _period);
                }
            }
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                _disposed = true;
                clock.Set(id, null);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
