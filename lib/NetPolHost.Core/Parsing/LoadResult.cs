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

    /// <summary>Whether there were no errors.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>Returns the snapshot, or throws when any error was found.</summary>
    /// <returns>The snapshot.</returns>
    /// <exception cref="PolicyValidationException">At least one error was found; the exception lists them all.</exception>
    public ClusterSnapshot GetSnapshotOrThrow() => IsValid ? Snapshot : throw new PolicyValidationException(Errors);
}
