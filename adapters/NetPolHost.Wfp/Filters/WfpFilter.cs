namespace NetPolHost.Wfp.Filters;

/// <summary>One filter as the backend adds it.</summary>
internal sealed record WfpFilter
{
    /// <summary>The filter key: a name-based GUID over the provider and the filter's whole content, so an unchanged
    /// filter keeps its key and a changed one gets a new one.</summary>
    public required Guid Key { get; init; }

    /// <summary>The display name.</summary>
    public required string Name { get; init; }

    /// <summary>The display description.</summary>
    public required string Description { get; init; }

    /// <summary>The layer.</summary>
    public required WfpLayer Layer { get; init; }

    /// <summary>Permit or block.</summary>
    public required WfpAction Action { get; init; }

    /// <summary>The weight (<c>FWP_UINT64</c>): permits are always above blocks.</summary>
    public required ulong Weight { get; init; }

    /// <summary><c>FWPM_FILTER_FLAG_*</c>.</summary>
    public required uint Flags { get; init; }

    /// <summary>The conditions, grouped by field.</summary>
    public required IReadOnlyList<WfpCondition> Conditions { get; init; }
}
