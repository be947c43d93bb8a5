namespace NetPolHost.Parsing;

/// <summary>Files parsed by earlier loads, so a later load reads again only the files that changed (by size and write
/// time). Not thread-safe: one per loader (<see cref="ManifestLoaderOptions.ReuseUnchangedFiles"/>).</summary>
internal sealed class ManifestFileCache
{
    private readonly Dictionary<string, Entry> _files = new(StringComparer.Ordinal);

    /// <summary>The number of files held.</summary>
    internal int Count => _files.Count;

    internal bool TryGet(string file, (long Length, DateTime WriteTime) stamp, out Entry entry) =>
        _files.TryGetValue(file, out entry!) && entry.Length == stamp.Length && entry.WriteTime == stamp.WriteTime;

    internal void Set(string file, Entry entry) => _files[file] = entry;

    internal void Retain(HashSet<string> files)
    {
        foreach (var gone in _files.Keys.Where(f => !files.Contains(f)).ToList())
        {
            _files.Remove(gone);
        }
    }

    internal sealed record Entry(long Length, DateTime WriteTime, IReadOnlyList<BoundObject> Objects, IReadOnlyList<ManifestDiagnostic> Diagnostics);
}
