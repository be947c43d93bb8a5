namespace NetPolHost.Hosting.Agent;

/// <summary>What the node agent last did, for health endpoints and tests.</summary>
public sealed record AgentStatus
{
    /// <summary>Whether the first valid state has been enforced.</summary>
    public bool Ready { get; init; }

    /// <summary>Applies that changed the host firewall.</summary>
    public long Applies { get; init; }

    /// <summary>When the last change was applied.</summary>
    public DateTimeOffset? LastAppliedAt { get; init; }

    /// <summary>Time from the change being seen by a source to its rules being in force, for the last apply.</summary>
    public TimeSpan? LastLatency { get; init; }

    /// <summary>The last error (invalid manifests, a refused apply, a failed safe apply), or <see langword="null"/>.</summary>
    public string? LastError { get; init; }

    /// <summary>Isolated endpoints and rules of the plan in force.</summary>
    public string PlanSummary { get; init; } = string.Empty;

    /// <summary>Drift repairs since start.</summary>
    public long DriftRepairs { get; init; }

    /// <summary>Failed applies, rollbacks and drift repairs in a row (each tried again after 1 s, 2 s, 4 s… up to once a
    /// minute); 0 again once one succeeds. <see cref="AgentReadiness"/> reads it.</summary>
    public int ConsecutiveFailures { get; init; }
}

/// <summary>Reads the node agent's status.</summary>
public interface IAgentStatusProvider
{
    /// <summary>The current status.</summary>
    AgentStatus Current { get; }

    /// <summary>Raised after every apply attempt, resync and error.</summary>
    event EventHandler<AgentStatus>? Changed;
}
