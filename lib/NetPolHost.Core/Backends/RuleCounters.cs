namespace NetPolHost.Backends;

/// <summary>The packet and byte counts of one rule a backend owns, named by the provenance the backend recorded with
/// the rule (so no manifests are needed to read them).</summary>
public sealed record RuleCounter
{
    /// <summary>The endpoint the rule belongs to: <c>namespace/pod</c>, a host endpoint's name, or a shared chain's name
    /// when the rule serves several endpoints.</summary>
    public required string Endpoint { get; init; }

    /// <summary><c>ingress</c> or <c>egress</c>.</summary>
    public required string Direction { get; init; }

    /// <summary><c>Admin</c>, <c>NetworkPolicy</c> or <c>Baseline</c>.</summary>
    public required string Tier { get; init; }

    /// <summary>The policy, as <c>namespace/name</c> for a NetworkPolicy or the name of a ClusterNetworkPolicy;
    /// <see langword="null"/> for an isolation drop (which belongs to no one policy).</summary>
    public string? Policy { get; init; }

    /// <summary>The rule's index in its policy's list for that direction, counting from 0 as <c>check</c> does;
    /// <see langword="null"/> for an isolation drop.</summary>
    public int? Rule { get; init; }

    /// <summary>What the rule does: <c>allow</c>, <c>deny</c>, <c>pass</c>, or <c>drop</c> for an isolation drop
    /// (<c>would-deny</c> in audit mode).</summary>
    public required string Action { get; init; }

    /// <summary>Packets counted.</summary>
    public long Packets { get; init; }

    /// <summary>Bytes counted.</summary>
    public long Bytes { get; init; }
}

/// <summary>Implemented by a backend that keeps a counter on every rule it owns (a capability of its own, tested for
/// with <c>backend is IRuleCounterReader</c>).</summary>
public interface IRuleCounterReader
{
    /// <summary>Reads the counters of every rule the backend owns, from the firewall itself.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counters, in the backend's order; empty when nothing is applied.</returns>
    Task<IReadOnlyList<RuleCounter>> ReadCountersAsync(CancellationToken cancellationToken = default);
}
