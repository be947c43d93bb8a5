using NetPolHost.Backends;
using NetPolHost.Planning;

namespace NetPolHost.TestKit;

/// <summary>A backend that keeps applied plans in memory; drift and failures can be scripted.</summary>
public sealed class RecordingFirewallBackend : IFirewallBackend
{
    private readonly Lock _gate = new();
    private readonly List<(RulePlan Plan, ApplyOptions Options)> _applies = [];

    /// <inheritdoc/>
    public string Name => "recording";

    /// <inheritdoc/>
    public BackendCapabilities Capabilities => BackendCapabilities.IPv4 | BackendCapabilities.IPv6 | BackendCapabilities.AtomicApply;

    /// <summary>The plan in force.</summary>
    public RulePlan? Current { get; private set; }

    /// <summary>Every apply, in order.</summary>
    public IReadOnlyList<(RulePlan Plan, ApplyOptions Options)> Applies
    {
        get
        {
            lock (_gate)
            {
                return [.. _applies];
            }
        }
    }

    /// <summary>Whether RemoveAllAsync was called.</summary>
    public bool Removed { get; private set; }

    /// <summary>When set, the next status reports this drift (once).</summary>
    public string? NextDrift { get; set; }

    /// <summary>When set, applies throw this.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>Raised after each apply.</summary>
    public event EventHandler<RulePlan>? Applied;

    /// <inheritdoc/>
    public Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (FailWith is { } error)
        {
            throw error;
        }

        bool changed;
        lock (_gate)
        {
            changed = !plan.Equals(Current) || options?.Full == true;
            _applies.Add((plan, options ?? new ApplyOptions()));
            Current = plan;
        }

        Applied?.Invoke(this, plan);
        return Task.FromResult(new ApplyResult { Changed = changed, Duration = TimeSpan.FromMilliseconds(1) });
    }

    /// <inheritdoc/>
    public Task RemoveAllAsync(CancellationToken cancellationToken = default)
    {
        Removed = true;
        Current = null;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<BackendStatus> GetStatusAsync(RulePlan? desired = null, CancellationToken cancellationToken = default)
    {
        var drift = NextDrift;
        NextDrift = null;
        return Task.FromResult(new BackendStatus { Present = Current is not null, Drift = drift is null ? [] : [drift] });
    }

    /// <inheritdoc/>
    public string RenderNative(RulePlan plan) => plan.Describe();
}
