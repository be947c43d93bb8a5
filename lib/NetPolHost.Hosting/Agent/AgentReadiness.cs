using System.Globalization;

namespace NetPolHost.Hosting.Agent;

/// <summary>Whether the node agent is ready, for a readiness probe (<c>/readyz</c>): its first plan is in force, and the
/// last apply succeeded or is being retried within bounds.</summary>
/// <remarks>
/// The agent tries a failed apply, rollback or drift repair again after 1 s, then 2 s, 4 s, 8 s… up to once a minute
/// (see <see cref="NodeAgent"/>). It stays ready through <see cref="MaxConsecutiveFailures"/> failures in a row: a
/// backend that fails once or twice and recovers on a retry never makes it unready. The next failure, that of the retry
/// 8 s after the fourth (about 15 s after the first failure), makes it unready, until an apply or drift repair succeeds.
/// Invalid manifests and failing sources do not make it unready: the last valid state stays in force and is enforced.
/// </remarks>
public static class AgentReadiness
{
    /// <summary>The failures in a row (<see cref="AgentStatus.ConsecutiveFailures"/>) the agent stays ready through: 4,
    /// the first try and the retries after 1, 2 and 4 s.</summary>
    public const int MaxConsecutiveFailures = 4;

    /// <summary>Whether <paramref name="status"/> is that of a ready agent, and why.</summary>
    /// <param name="status">The agent's status.</param>
    /// <param name="reason">A short line saying why: <c>ready</c> (with the failures being retried, if any), or what is
    /// missing.</param>
    /// <returns><see langword="true"/> when ready.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="status"/> is <see langword="null"/>.</exception>
    public static bool IsReady(AgentStatus status, out string reason)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!status.Ready)
        {
            reason = status.LastError is { } error ? "no plan applied yet: " + error : "no plan applied yet";
            return false;
        }

        if (status.ConsecutiveFailures > MaxConsecutiveFailures)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"{status.ConsecutiveFailures} failures in a row (at most {MaxConsecutiveFailures} are retried while ready): {status.LastError}");
            return false;
        }

        reason = status.ConsecutiveFailures == 0
            ? "ready"
            : string.Create(CultureInfo.InvariantCulture, $"ready; retrying after {status.ConsecutiveFailures} failure(s): {status.LastError}");
        return true;
    }
}
