namespace NetPolHost.Nftables.Runtime;

/// <summary>The outcome of one nft command buffer.</summary>
/// <param name="Success">Whether nft accepted it (and, unless a dry run, committed it).</param>
/// <param name="Output">What nft printed (listings).</param>
/// <param name="Error">nft's error messages.</param>
internal sealed record NftResult(bool Success, string Output, string Error);

/// <summary>The one seam between the backend and nftables: runs a command buffer as one transaction.</summary>
internal interface INftRunner : IDisposable
{
    /// <summary>"libnftables" or "nft".</summary>
    string Kind { get; }

    /// <summary>Runs commands in one transaction; <paramref name="dryRun"/> has the kernel check them without committing.</summary>
    NftResult Run(string commands, bool dryRun = false);

    /// <summary>Runs a listing command with JSON output.</summary>
    NftResult ListJson(string command);

    /// <summary>Adds and deletes elements of the inet table <paramref name="table"/> in one transaction without nft, or
    /// returns <see langword="null"/> when this runner cannot (the caller then runs the same changes as a script).</summary>
    NftResult? RunElements(string table, IReadOnlyList<NftElementChange> changes) => null;
}
