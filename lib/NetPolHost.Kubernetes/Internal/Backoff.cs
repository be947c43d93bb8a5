namespace NetPolHost.Kubernetes.Internal;

/// <summary>Exponential backoff with jitter: the nominal wait starts at the initial value and doubles after each failure
/// up to the maximum; each wait is a random 50–100 % of the nominal one ("equal jitter"), so it never exceeds the
/// maximum and agents on many nodes do not retry in step.</summary>
internal sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private TimeSpan _nominal;

    public Backoff(TimeSpan initial, TimeSpan max, Random random)
    {
        _initial = initial;
        _max = max;
        _random = random;
        _nominal = initial;
    }

    /// <summary>The next wait; the one after it is twice as long (nominally).</summary>
    public TimeSpan Next()
    {
        var nominal = _nominal;
        _nominal = nominal * 2 > _max ? _max : nominal * 2;
#pragma warning disable CA5394 // Jitter, not security.
        return nominal * (0.5 + (_random.NextDouble() * 0.5));
#pragma warning restore CA5394
    }

    /// <summary>Starts again from the initial wait (after a success).</summary>
    public void Reset() => _nominal = _initial;
}
