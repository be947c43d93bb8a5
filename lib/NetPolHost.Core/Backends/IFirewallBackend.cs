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

    /// <summary>ClusterNetworkPolicy tiers: ordered entries with Accept, Deny and Pass decided before (Admin) and after
    /// (Baseline) the NetworkPolicy stage, first match wins (see <see cref="Planning.DirectionPlan"/>). Backends without
    /// jumps between ordered rules enforce them flattened (<see cref="Planning.DirectionDecisions"/>). A backend that
    /// declares it may still refuse one shape of tier it cannot write exactly, before anything changes: the
    /// <see cref="UnsupportedPolicyFeatureException"/> then names the policy and says why, with
    /// <see cref="UnsupportedPolicyFeatureException.MissingCapability"/> <see cref="None"/> (firewalld: a tier that denies
    /// protocols without ports to a peer whose TCP, UDP or SCTP ports it allows, where accepting would bypass the
    /// zones).</summary>
    ClusterPolicyTiers = 256,

    /// <summary>ClusterNetworkPolicy <c>domainNames</c> peers: the backend resolves names to addresses while it enforces
    /// (a plan cannot carry their addresses). No backend of this library declares it yet.</summary>
    DomainNames = 512,
}

/// <summary>Options of one apply.</summary>
public sealed record ApplyOptions
{
    /// <summary>Commit nothing: report what would change, having the operating system check the change where it can.</summary>
    public bool DryRun { get; init; }

    /// <summary>Do not trust the state applied last: make everything the backend owns equal to the plan whatever the
    /// firewall holds now (repairs drift). Backends that can read their state back change only what differs from it
    /// (nftables); others replace everything they own.</summary>
    public bool Full { get; init; }
}

/// <summary>What an apply changed.</summary>
public sealed record ApplyResult
{
    /// <summary>Whether anything changed (false for a repeated apply of the same plan); in a dry run, whether a real
    /// apply would change anything.</summary>
    public required bool Changed { get; init; }

    /// <summary>Whether this was a dry run (nothing committed; the rest of the result says what would change).</summary>
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

/// <summary>A host firewall that enforces <see cref="RulePlan"/>s. This is the one contract every backend keeps; the
/// contract test suite in the test kit (<c>BackendContractSuite</c>) runs every backend through it.</summary>
/// <remarks>
/// <para><b>Ownership.</b> A backend owns one named slice of host state (an nft table, firewalld objects with a prefix,
/// a Windows Firewall rule group, a WFP provider and sublayer) and never creates, changes or removes anything else.</para>
/// <para><b>Capabilities.</b> <see cref="Capabilities"/> is what the backend can express. A plan that needs a capability
/// it lacks is refused with <see cref="UnsupportedPolicyFeatureException"/> naming the capability, before anything
/// changes (see <see cref="BackendContract"/>, which callers also use where they make plans). Endpoints outside the
/// backend's scope (<see cref="BackendCapabilities.PodTraffic"/>, <see cref="BackendCapabilities.HostTraffic"/>) are
/// left alone and reported in <see cref="ApplyResult.Warnings"/>.</para>
/// <para><b>Idempotence.</b> Applying the plan that is in force changes nothing and returns
/// <see cref="ApplyResult.Changed"/> = <see langword="false"/>.</para>
/// <para><b>Atomicity</b> only where declared. With <see cref="BackendCapabilities.AtomicApply"/> an apply commits the
/// whole plan or nothing (a failed apply leaves the previous state). Without it (firewalld, Windows Firewall) an apply is
/// a sequence of changes: a failure may leave part of the change in force, the exception says so, and applying again
/// completes it.</para>
/// <para><b>Dry run.</b> <see cref="ApplyOptions.DryRun"/> commits nothing. The result has
/// <see cref="ApplyResult.DryRun"/> set, and <see cref="ApplyResult.Changed"/>, the counts and
/// <see cref="ApplyResult.Changes"/> describe what a real apply of the same plan would change now. Where the firewall
/// can check a change without committing it (nftables), it does; elsewhere the backend computes the change and a
/// warning says that nothing was sent.</para>
/// <para><b>Remove.</b> <see cref="RemoveAllAsync"/> deletes every object the backend owns and nothing else; afterwards
/// <see cref="GetStatusAsync"/> reports <see cref="BackendStatus.Present"/> = <see langword="false"/>, and removing
/// again (or when nothing is owned) succeeds and changes nothing.</para>
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
    /// <returns>What changed (in a dry run: what would change).</returns>
    /// <exception cref="BackendUnavailableException">The backend cannot be used here.</exception>
    /// <exception cref="BackendApplyException">The operating system refused the change. With
    /// <see cref="BackendCapabilities.AtomicApply"/> nothing was changed; without it, part of the change may be in force
    /// and the message says so.</exception>
    /// <exception cref="UnsupportedPolicyFeatureException">The plan needs a capability the backend lacks; nothing was
    /// changed.</exception>
    Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Removes everything the backend owns, and nothing else. Succeeds, changing nothing, when nothing is owned.</summary>
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
