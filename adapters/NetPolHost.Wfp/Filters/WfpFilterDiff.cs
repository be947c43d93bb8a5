namespace NetPolHost.Wfp.Filters;

/// <summary>Which filters to delete and add, by key: an unchanged filter keeps its key and is not touched.</summary>
/// <param name="Delete">Keys of owned filters the plan no longer has.</param>
/// <param name="Add">Filters the engine does not have yet.</param>
/// <param name="Unchanged">How many filters are already in place.</param>
internal sealed record WfpFilterDiff(IReadOnlyList<WfpFilterInfo> Delete, IReadOnlyList<WfpFilter> Add, int Unchanged)
{
    /// <summary>Whether nothing differs.</summary>
    public bool IsEmpty => Delete.Count == 0 && Add.Count == 0;

    /// <summary>Compares desired filters with the owned filters the engine lists.</summary>
    /// <param name="desired">The filters of the plan.</param>
    /// <param name="actual">The filters of the provider.</param>
    /// <returns>The diff (deletions sorted by key, additions in plan order).</returns>
    public static WfpFilterDiff Compute(IReadOnlyList<WfpFilter> desired, IReadOnlyList<WfpFilterInfo> actual)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        var wanted = desired.Select(f => f.Key).ToHashSet();
        var present = actual.Select(f => f.Key).ToHashSet();
        var delete = actual.Where(f => !wanted.Contains(f.Key)).OrderBy(f => f.Key).ToList();
        var add = desired.Where(f => !present.Contains(f.Key)).ToList();
        return new WfpFilterDiff(delete, add, desired.Count - add.Count);
    }

    /// <summary>One line per change, for people.</summary>
    /// <returns>The lines.</returns>
    public IReadOnlyList<string> Describe() =>
        [.. Delete.Select(f => $"- filter {f.Key} ({f.Name}, {WfpConstants.LayerName(f.Layer)})"),
         .. Add.Select(f => $"+ filter {f.Key} ({f.Name}: {f.Description}, {WfpConstants.LayerName(f.Layer)})")];
}
