using NetPolHost.Planning;

namespace NetPolHost.Backends;

/// <summary>What a backend can enforce.</summary>
[Flags]
public enum BackendCapabilities
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>IPv4 addresses.</summary>
    IPv4 = 1,

    /// <summary>IPv6 addresses.</summary>
    IPv6 = 2,

    /// <summary>SCTP ports.</summary>
    Sctp = 4,

    /// <summary>Port ranges (<c>endPort</c>).</summary>
    PortRanges = 8,

    /// <summary>Pod traffic forwarded by the node.</summary>
    PodTraffic = 16,

    /// <summary>The host's own input and output (host endpoints).</summary>
    HostTraffic = 32,

    /// <summary>Applies a whole plan in one atomic transaction.</summary>
    AtomicApply = 64,

    /// <summary>Applies changes in proportion to what changed.</summary>
    Incremental = 128,
}

/// <summary>Options of one apply.</summary>
public sealed record ApplyOptions
{
    /// <summary>Have the operating system check the change without committing it.</summary>
    public bool DryRun { get; init; }

    /// <summary>Do not trust the state applied last: make everything the backend owns equal to the plan whatever the
    /// firewall holds now (repairs drift). Backends that can read their state back change only what differs from it
    /// (nftables); others replace everything they own.</summary>
    public bool Full { get; init; }
}

/// <summary>What an apply changed.</summary>
public sealed record ApplyResult
{
    /// <summary>Whether anything changed (false for a repeated apply of the same plan).</summary>
    public required bool Changed { get; init; }

    /// <summary>Whether this was a dry run (nothing committed).</summary>
    public bool DryRun { get; init; }

    /// <summary>Objects added (tables, chains, sets, rules, policies, filters…).</summary>
    public int ObjectsAdded { get; init; }

    /// <summary>Objects removed.</summary>
    public int ObjectsRemoved { get; init; }

    /// <summary>Set elements (addresses, ports) added.</summary>
    public int ElementsAdded { get; init; }

    /// <summary>Set elements removed.</summary>
    public int ElementsRemoved { get; init; }

    /// <summary>A line per change, for people.</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>Time spent applying.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Warnings (e.g. another firewall on the same hooks can still drop what this plan accepts).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>What a backend owns on this host, and how it differs from a plan.</summary>
public sealed record BackendStatus
{
    /// <summary>Whether any object of the backend is present.</summary>
    public required bool Present { get; init; }

    /// <summary>The owned objects, one line each.</summary>
    public IReadOnlyList<string> OwnedObjects { get; init; } = [];

    /// <summary>Differences between the host and the plan given, one line each; empty when in sync or no plan was given.</summary>
    public IReadOnlyList<string> Drift { get; init; } = [];

    /// <summary>Warnings (coexistence with other firewalls, missing features).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>A host firewall that enforces <see cref="RulePlan"/>s.</summary>
/// <remarks>
/// Each backend owns one named slice of host state (an nft table, firewalld objects with a prefix, a Windows Firewall
/// rule group, a WFP provider and sublayer) and never touches anything else. <see cref="ApplyAsync"/> is atomic and
/// idempotent: it replaces the whole plan or changes nothing.
/// </remarks>
public interface IFirewallBackend
{
    /// <summary>The backend's name, e.g. <c>nftables</c>.</summary>
    string Name { get; }

    /// <summary>What the backend can enforce.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>Makes the host enforce <paramref name="plan"/>.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="options">Options, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels before the change is committed.</param>
    /// <returns>What changed.</returns>
    /// <exception cref="BackendUnavailableException">The backend cannot be used here.</exception>
    /// <exception cref="BackendApplyException">The operating system refused the change; nothing was changed.</exception>
    /// <exception cref="UnsupportedPolicyFeatureException">The plan uses a feature the backend cannot enforce.</exception>
    Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes everything the backend owns, and nothing else.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="BackendUnavailableException">The backend cannot be used here.</exception>
    Task RemoveAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads what the backend owns and compares it with <paramref name="desired"/> when given.</summary>
    /// <param name="desired">The plan to compare with, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The status.</returns>
    Task<BackendStatus> GetStatusAsync(RulePlan? desired = null, CancellationToken cancellationToken = default);

    /// <summary>The backend's native form of a full apply of <paramref name="plan"/> (an nft script, a PowerShell script…).</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The text.</returns>
    string RenderNative(RulePlan plan);
}

/// <summary>A backend that can show its translation of a plan as JSON (for reviews and golden files).</summary>
public interface IBackendJsonRenderer
{
    /// <summary>The backend's translation of <paramref name="plan"/> as indented JSON.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The JSON text.</returns>
    string RenderJson(RulePlan plan);
}
