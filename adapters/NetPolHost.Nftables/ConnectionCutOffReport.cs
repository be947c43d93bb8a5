namespace NetPolHost.Nftables;

/// <summary>What the nftables backend's connection cut-off has done: after an apply it deletes, in the background, the
/// connection tracking entries of established flows the new plan denies (see
/// <see cref="NftablesOptions.DeleteConntrackEntriesOfDeniedFlows"/>).</summary>
/// <param name="Passes">Cut-off passes finished so far. Applies that come while a pass runs are handled together by the
/// next pass.</param>
/// <param name="EntriesDeleted">Entries deleted by all passes.</param>
/// <param name="LastEntriesDeleted">Entries deleted by the last pass.</param>
/// <param name="LastDuration">How long the last pass took (listing, deciding and deleting).</param>
/// <param name="Warnings">Problems of the last pass (e.g. the kernel has no ctnetlink); empty when it cut what it had
/// to.</param>
public sealed record ConnectionCutOffReport(int Passes, long EntriesDeleted, int LastEntriesDeleted, TimeSpan LastDuration, IReadOnlyList<string> Warnings);
