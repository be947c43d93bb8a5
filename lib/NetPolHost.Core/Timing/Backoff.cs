namespace NetPolHost.Timing;

/// <summary>
/// Exponential backoff: the waits between tries after failures in a row. The nominal wait starts at
/// <see cref="Initial"/> and doubles after each failure up to <see cref="Maximum"/>; with a <see cref="Random"/>, each
/// wait is a random 50–100 % of the nominal one ("equal jitter"), so it never exceeds the maximum and agents on many
/// nodes do not retry in step. <see cref="Reset"/> (after a success) starts again from the initial wait.
/// </summary>
/// <remarks>
/// The class only computes waits; the caller waits them, with its own <see cref="TimeProvider"/>
/// (<c>Task.Delay(backoff.Next(), time, cancellationToken)</c>) or by scheduling a retry at
/// <c>time.GetUtcNow() + backoff.Next()</c>. Not thread-safe: one per retry loop.
/// </remarks>
public sealed class Backoff
{
    private readonly Random? _random;
    private TimeSpan _nominal;

    /// <summary>Creates a backoff.</summary>
    /// <param name="initial">The first wait (nominal).</param>
    /// <param name="maximum">The longest wait (nominal).</param>
    /// <param name="jitter">A source of randomness for jitter, or <see langword="null"/> for the nominal waits
    /// exactly.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initial"/> or <paramref name="maximum"/> is
    /// negative.</exception>
    public Backoff(TimeSpan initial, TimeSpan maximum, Random? jitter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximum, TimeSpan.Zero);
        Initial = initial;
        Maximum = maximum;
        _random = jitter;
        _nominal = initial;
    }

    /// <summary>The first wait (nominal).</summary>
    public TimeSpan Initial { get; }

    /// <summary>The longest wait (nominal).</summary>
    public TimeSpan Maximum { get; }

    /// <summary>The failures counted since the start or the last <see cref="Reset"/> (calls of
    /// <see cref="Next"/>).</summary>
    public int Failures { get; private set; }

    /// <summary>Counts a failure and returns the wait before the next try; the one after it is twice as long
    /// (nominally), up to <see cref="Maximum"/>.</summary>
    /// <returns>The wait.</returns>
    public TimeSpan Next()
    {
        Failures = Failures == int.MaxValue ? int.MaxValue : Failures + 1;
        var nominal = _nominal;
        _nominal = nominal.Ticks > Maximum.Ticks / 2 ? Maximum : nominal * 2;
        if (_random is null)
        {
            return nominal;
        }

#pragma warning disable CA5394 // Jitter, not security.
        return nominal * (0.5 + (_random.NextDouble() * 0.5));
#pragma warning restore CA5394
    }

    /// <summary>Starts again from the initial wait (after a success).</summary>
    public void Reset()
    {
        _nominal = Initial;
        Failures = 0;
    }
}
