namespace NetPolHost.Parsing;

/// <summary>
/// Finds the manifest files in a directory: the one walk that both <see cref="ManifestLoader"/> and watchers of
/// manifest folders use, so a watcher looks at exactly the files a load reads.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Manifest files are those whose names end with <c>.yaml</c>, <c>.yml</c> or <c>.json</c>, in any case.</item>
/// <item>Entries (files and directories) whose names start with '.' are skipped, as in Kubernetes ConfigMap and Secret
/// volumes, whose <c>..data</c> and <c>..2026_…</c> folders would otherwise yield every file a second time.</item>
/// <item>Subdirectories are walked recursively. Symbolic links to directories are followed, each directory once: a
/// directory is known by its path with the links of its own name resolved (relative link targets against the
/// resolved parent), so a link back to a parent does not loop.</item>
/// <item>A directory that cannot be read is handed to the caller's callback and skipped; the walk goes on.</item>
/// </list>
/// </remarks>
public static class ManifestFiles
{
    private static readonly string[] s_extensions = [".yaml", ".yml", ".json"];

    /// <summary>The file name extensions of manifest files: <c>.yaml</c>, <c>.yml</c>, <c>.json</c> (compared
    /// ignoring case).</summary>
    public static IReadOnlyList<string> Extensions => s_extensions;

    /// <summary>Whether a file name ends with a manifest extension (<see cref="Extensions"/>, ignoring case).</summary>
    /// <param name="fileName">A file name or path.</param>
    /// <returns><see langword="true"/> for <c>a.yaml</c>, <c>b.YML</c>, <c>c.json</c>.</returns>
    public static bool HasManifestExtension(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return s_extensions.Any(e => fileName.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The manifest files below a directory, recursively, as described for <see cref="ManifestFiles"/>.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="unreadable">Called with each directory that cannot be read (the root included) and the
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> that said so; or
    /// <see langword="null"/> to skip such directories silently.</param>
    /// <returns>The paths of the files (the directory joined with the names found under it, links not resolved),
    /// sorted ordinally.</returns>
    public static IReadOnlyList<string> Find(string directory, Action<string, Exception>? unreadable = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var pending = new Stack<(string Path, string Real)>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var rootReal = RealPath(directory, null);
        pending.Push((directory, rootReal));
        visited.Add(rootReal);
        var files = new List<string>();
        while (pending.Count > 0)
        {
            var (dir, real) = pending.Pop();
            List<string> entries;
            try
            {
                entries = [.. Directory.EnumerateFileSystemEntries(dir)];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                unreadable?.Invoke(dir, ex);
                continue;
            }

            foreach (var entry in entries)
            {
                var name = Path.GetFileName(entry);
                if (name.StartsWith('.'))
                {
                    continue;
                }

                if (Directory.Exists(entry))
                {
                    var entryReal = RealPath(entry, real);
                    if (visited.Add(entryReal))
                    {
                        pending.Push((entry, entryReal));
                    }
                }
                else if (HasManifestExtension(name))
                {
                    files.Add(entry);
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>The path of a directory with the symbolic links of its own name resolved; its parent's resolved path
    /// is given (<see langword="null"/> for the root of the walk).</summary>
    private static string RealPath(string dir, string? parentReal)
    {
        var full = Path.GetFullPath(dir);
        var own = parentReal is null ? full : Path.Join(parentReal, Path.GetFileName(full));
        try
        {
            // Resolve relative link targets against the real parent, so the same directory gets the same real path.
            var target = new DirectoryInfo(own).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? own : Path.GetFullPath(target.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return own;
        }
    }
}
