using NetPolHost.Model;

namespace NetPolHost.Parsing;

/// <summary>The outcome of loading manifests: the valid objects as a snapshot, and every error and note.</summary>
public sealed class LoadResult
{
    internal LoadResult(ClusterSnapshot snapshot, IReadOnlyList<ManifestDiagnostic> errors, IReadOnlyList<ManifestDiagnostic> notes, IReadOnlyList<string> files)
    {
        Snapshot = snapshot;
        Errors = errors;
        Notes = notes;
        Files = files;
    }

    /// <summary>The objects that loaded without error.</summary>
    public ClusterSnapshot Snapshot { get; }

    /// <summary>Every error, ordered by file, line and column.</summary>
    public IReadOnlyList<ManifestDiagnostic> Errors { get; }

    /// <summary>Notes (skipped kinds, defaults that matter), ordered by file, line and column.</summary>
    public IReadOnlyList<ManifestDiagnostic> Notes { get; }

    /// <summary>The files read.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Where the fields of each NetworkPolicy and cluster policy are, by the object as diagnostics name it
    /// (<c>NetworkPolicy namespace/name</c>, <c>ClusterNetworkPolicy name</c>); empty unless the load was made with
    /// <see cref="ManifestLoaderOptions.RecordPolicyFieldLocations"/>.</summary>
    public IReadOnlyDictionary<string, FieldLocations> PolicyLocations { get; internal init; } = new Dictionary<string, FieldLocations>(StringComparer.Ordinal);

    /// <summary>Whether there were no errors.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>Returns the snapshot, or throws when any error was found.</summary>
    /// <returns>The snapshot.</returns>
    /// <exception cref="PolicyValidationException">At least one error was found; the exception lists them all.</exception>
    public ClusterSnapshot GetSnapshotOrThrow() => IsValid ? Snapshot : throw new PolicyValidationException(Errors);
}
