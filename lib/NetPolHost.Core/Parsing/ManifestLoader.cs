using System.Globalization;
using System.Text;
using NetPolHost.Model;

namespace NetPolHost.Parsing;

/// <summary>
/// Loads Kubernetes manifests: files and directories (recursively; <c>.yaml</c>, <c>.yml</c>, <c>.json</c>),
/// multi-document YAML, JSON, and <c>List</c> / <c>*List</c> kinds such as the output of
/// <c>kubectl get ns,pods,networkpolicies -A -o yaml</c>.
/// </summary>
/// <remarks>
/// Every problem is reported with file, line, column and field path, and all problems of a file are reported. Hostile
/// input (binary data, huge files, deep nesting, exponential aliases, duplicate keys) gives errors, never another
/// exception. Kinds NetPolHost does not use are skipped with a note. Objects with errors are left out of the snapshot.
/// Directories are walked by <see cref="ManifestFiles.Find"/> (entries whose names start with '.' are skipped, as in
/// ConfigMap volumes, whose <c>..data</c> folders would otherwise load every file twice); a directory that cannot be
/// read is an error.
/// </remarks>
public sealed partial class ManifestLoader
{
    private readonly ManifestLoaderOptions _options;
    private readonly ManifestFileCache? _cache;

    /// <summary>Creates a loader.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    public ManifestLoader(ManifestLoaderOptions? options = null)
    {
        _options = options ?? new ManifestLoaderOptions();
        _cache = _options.ReuseUnchangedFiles ? new ManifestFileCache() : null;
    }

    /// <summary>Loads files and directories. With <see cref="ManifestLoaderOptions.ReuseUnchangedFiles"/>, files whose
    /// size and write time are those of this loader's previous load are not parsed again.</summary>
    /// <param name="paths">Files or directories.</param>
    /// <returns>The result: the same as a full load (duplicates across files are still found).</returns>
    public LoadResult LoadPaths(IEnumerable<string> paths) => LoadPaths(paths, _cache);

    /// <summary>Loads files and directories, reading again only the files whose size or write time changed since the
    /// last load with the same <paramref name="cache"/>.</summary>
    /// <param name="paths">Files or directories.</param>
    /// <param name="cache">Parsed files of earlier loads, or <see langword="null"/> to read everything.</param>
    /// <returns>The result: the same as a full load (duplicates across files are still found).</returns>
    internal LoadResult LoadPaths(IEnumerable<string> paths, ManifestFileCache? cache)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var session = NewSession();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = ManifestFiles.Find(path, (dir, ex) => session.Error(dir, 0, 0, string.Empty, "expected a readable directory, found an error: " + ex.Message));
                foreach (var file in files)
                {
                    ReadFile(session, file, cache, seen, given: false);
                }
            }
            else if (File.Exists(path))
            {
                ReadFile(session, path, cache, seen, given: true);
            }
            else
            {
                session.Error(path, 0, 0, string.Empty, "expected a file or a directory, found nothing at this path");
            }
        }

        cache?.Retain(seen);
        return session.Finish();
    }

    /// <summary>Loads manifests from text.</summary>
    /// <param name="text">YAML (one or more documents) or JSON.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The result.</returns>
    public static LoadResult LoadText(string text, string sourceName = "<input>") => LoadText(text, sourceName, null);

    /// <summary>Loads manifests from text, with options.</summary>
    /// <param name="text">YAML (one or more documents) or JSON.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <param name="options">Options (the default namespace, whether to record field locations), or
    /// <see langword="null"/> for the defaults.</param>
    /// <returns>The result.</returns>
    public static LoadResult LoadText(string text, string sourceName, ManifestLoaderOptions? options)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        var session = new Session { DefaultNamespace = options?.DefaultNamespace, RecordPolicyFields = options?.RecordPolicyFieldLocations ?? false };
        session.Files.Add(sourceName);
        ReadDocuments(session, sourceName, text, null, given: false);
        return session.Finish();
    }

    private Session NewSession() => new() { DefaultNamespace = _options.DefaultNamespace, RecordPolicyFields = _options.RecordPolicyFieldLocations };

    /// <summary>Loads manifests from raw bytes (UTF-8, or UTF-16 with a byte order mark).</summary>
    /// <param name="content">The bytes.</param>
    /// <param name="sourceName">The name used in diagnostics.</param>
    /// <returns>The result.</returns>
    public LoadResult LoadBytes(byte[] content, string sourceName = "<input>")
    {
        ArgumentNullException.ThrowIfNull(content);
        var session = NewSession();
        session.Files.Add(sourceName);
        ReadContent(session, sourceName, content, given: true);
        return session.Finish();
    }

    /// <param name="session">The load.</param>
    /// <param name="file">The file.</param>
    /// <param name="cache">Files read before, or <see langword="null"/>.</param>
    /// <param name="seen">The files of this load.</param>
    /// <param name="given">Whether the file was named itself rather than found in a directory: it may then be no
    /// manifest at all (a README), which is said instead of what the YAML reader makes of it.</param>
    private void ReadFile(Session session, string file, ManifestFileCache? cache, HashSet<string> seen, bool given)
    {
        if (cache is null)
        {
            ReadFile(session, file, given);
            return;
        }

        seen.Add(file);
        FileInfo info;
        try
        {
            info = new FileInfo(file);
            _ = info.Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ReadFile(session, file, given);
            return;
        }

        var stamp = (info.Length, info.LastWriteTimeUtc);
        if (!cache.TryGet(file, stamp, out var entry))
        {
            var own = new Session { DefaultNamespace = session.DefaultNamespace, RecordPolicyFields = session.RecordPolicyFields };
            ReadFile(own, file, given);
            entry = own.Capture(stamp);
            cache.Set(file, entry);
        }

        session.Replay(entry, file);
    }

    private void ReadFile(Session session, string file, bool given)
    {
        session.Files.Add(file);
        byte[] content;
        try
        {
            var length = new FileInfo(file).Length;
            if (length > _options.MaxFileBytes)
            {
                session.Error(file, 0, 0, string.Empty, $"expected a manifest file of at most {FormatSize(_options.MaxFileBytes)}, found {FormatSize(length)} (raise ManifestLoaderOptions.MaxFileBytes to read it)");
                return;
            }

            content = File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            session.Error(file, 0, 0, string.Empty, "cannot read the file: " + ex.Message);
            return;
        }

        ReadContent(session, file, content, given);
    }

    private void ReadContent(Session session, string file, byte[] content, bool given)
    {
        if (content.LongLength > _options.MaxFileBytes)
        {
            session.Error(file, 0, 0, string.Empty, $"expected manifests of at most {FormatSize(_options.MaxFileBytes)}, found {FormatSize(content.LongLength)}");
            return;
        }

        string text;
        byte[] utf8;
        if (content.Length >= 2 && ((content[0] == 0xFF && content[1] == 0xFE) || (content[0] == 0xFE && content[1] == 0xFF)))
        {
            var encoding = content[0] == 0xFF ? Encoding.Unicode : Encoding.BigEndianUnicode;
            text = encoding.GetString(content, 2, content.Length - 2);
            utf8 = Encoding.UTF8.GetBytes(text);
        }
        else
        {
            var offset = content.Length >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF ? 3 : 0;
            var nul = Array.IndexOf(content, (byte)0, offset);
            if (nul >= 0)
            {
                var (line, column) = LineColumn(content, nul);
                session.Error(file, line, column, string.Empty, $"expected YAML or JSON text, found binary data (a NUL byte at offset {nul.ToString(CultureInfo.InvariantCulture)})");
                return;
            }

            try
            {
                text = new UTF8Encoding(false, true).GetString(content, offset, content.Length - offset);
            }
            catch (DecoderFallbackException ex)
            {
                var at = offset + Math.Max(0, ex.Index);
                var (line, column) = LineColumn(content, at);
                session.Error(file, line, column, string.Empty, $"expected UTF-8 text, found an invalid byte sequence at offset {at.ToString(CultureInfo.InvariantCulture)}");
                return;
            }

            utf8 = offset == 0 ? content : content[offset..];
        }

        ReadDocuments(session, file, text, utf8, given);
    }

    private static void ReadDocuments(Session session, string file, string text, byte[]? utf8, bool given)
    {
        void OnError(int line, int column, string message) => session.Error(file, line, column, string.Empty, message);

        var errors = session.ErrorCount;
        var objects = session.ObjectDocuments;
        ReadDocuments(session, file, text, utf8, OnError);
        if (given && session.ObjectDocuments == objects && !ManifestFiles.HasManifestExtension(file)
            && (session.ErrorCount > errors || TextKind(file) is not null))
        {
            // Not one Kubernetes object in it: whatever the YAML reader found wrong, the file is not a manifest.
            var what = TextKind(file) ?? "a file";
            session.ReplaceErrorsSince(errors, new ManifestDiagnostic(DiagnosticSeverity.Error, file, 0, 0, string.Empty,
                $"expected Kubernetes manifests (YAML or JSON objects with apiVersion and kind), found {what} without any; give the manifests themselves (.yaml, .yml or .json files, or directories of them)"));
        }
    }

    /// <summary>What a file is, by its name, when its name says it is text and not a manifest.</summary>
    private static string? TextKind(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".md" or ".markdown" => "Markdown",
        ".txt" or ".text" => "plain text",
        ".rst" => "reStructuredText",
        ".adoc" or ".asciidoc" => "AsciiDoc",
        ".html" or ".htm" => "HTML",
        _ => null,
    };

    private static void ReadDocuments(Session session, string file, string text, byte[]? utf8, Action<int, int, string> onError)
    {
        // Last resort: whatever a file does to the readers, it becomes an error of that file, and the other files
        // are still read.
        Guard(0, 0, "file", onError, () =>
        {
            var firstChar = text.AsSpan().TrimStart();
            var looksJson = firstChar.Length > 0 && (firstChar[0] == '{' || firstChar[0] == '[');
            if (looksJson && (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || LooksLikeWholeJson(text)))
            {
                foreach (var document in JsonTreeReader.Read(utf8 ?? Encoding.UTF8.GetBytes(text), onError))
                {
                    ReadDocument(session, file, document);
                }
            }
            else
            {
                // Each document is bound as soon as it is read: a large file never holds all its trees at once.
                YamlTreeReader.Read(text, document => ReadDocument(session, file, document), onError);
            }
        });
    }

    private static void ReadDocument(Session session, string file, YamlTreeReader.Document document)
    {
        if (document.Root is null or ScalarNode { Kind: ScalarKind.Null })
        {
            return;
        }

        if (document.Root is not MappingNode root)
        {
            session.Error(file, document.Root.Line, document.Root.Column, string.Empty, $"expected a Kubernetes object (a mapping with apiVersion and kind), found {document.Root.Describe()}");
            return;
        }

        // Last resort: a document the loader fails on becomes an error at its start; the documents after it are read.
        Guard(root.Line, root.Column, "document", (line, column, message) => session.Error(file, line, column, string.Empty, message), () =>
            ReadObject(session, file, root, null, null, string.Empty));
    }

    /// <summary>Runs <paramref name="read"/>, turning an exception it throws into an error at the given place: one
    /// input the loader fails on must never stop the loading of the others. Cancellation (and running out of memory)
    /// is not an input problem and goes on to the caller.</summary>
    /// <param name="line">The line of what is read (0 for a whole file).</param>
    /// <param name="column">The column of what is read (0 for a whole file).</param>
    /// <param name="what">What is read, for the message: "file", "document" or "object".</param>
    /// <param name="error">Reports the error.</param>
    /// <param name="read">Reads it.</param>
    /// <returns><see langword="true"/> when <paramref name="read"/> completed.</returns>
    internal static bool Guard(int line, int column, string what, Action<int, int, string> error, Action read)
    {
        try
        {
            read();
            return true;
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
        {
            var message = string.Join(' ', ex.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            error(line, column, $"expected a {what} NetPolHost can read, found one it fails on ({ex.GetType().Name}: {message}); the rest of the {what} is skipped");
            return false;
        }
    }

    private static bool LooksLikeWholeJson(string text)
    {
        // A YAML flow mapping on one line is also valid JSON-like text; treat text that starts with '{' or '['
        // as JSON only when it also ends with the matching bracket, so "{a: 1}" style YAML still reads as YAML.
        var trimmed = text.AsSpan().Trim();
        return trimmed.Length > 1 && (trimmed[^1] == '}' || trimmed[^1] == ']') && trimmed.Contains('"');
    }

    private static void ReadObject(Session session, string file, MappingNode root, string? defaultKind, string? defaultApiVersion, string listPath)
    {
        var kindNode = root.Get("kind");
        var apiNode = root.Get("apiVersion");
        if (kindNode is not null || apiNode is not null)
        {
            session.ObjectDocuments++;
        }

        var documentRoot = listPath.Length == 0;
        var kind = (kindNode as ScalarNode)?.Kind == ScalarKind.String ? ((ScalarNode)kindNode!).Value : null;
        var apiVersion = (apiNode as ScalarNode)?.Kind == ScalarKind.String ? ((ScalarNode)apiNode!).Value : null;
        kind ??= kindNode is null ? defaultKind : null;
        apiVersion ??= apiNode is null ? defaultApiVersion : null;

        if (kind is null)
        {
            var at = kindNode ?? (TreeNode)root;
            var found = kindNode is null ? "none" : kindNode.Describe();
            session.Error(file, at.Line, at.Column, listPath + "kind", $"expected the kind of the object (e.g. NetworkPolicy), found {found}");
            return;
        }

        if (kind.EndsWith("List", StringComparison.Ordinal) && (kind == "List" || root.Get("items") is not null))
        {
            // The List's own keys; its items are objects of their own, checked when read.
            ReportDuplicateKeys(session, file, root, documentRoot, listPath, recursive: false);
            var itemsNode = root.Get("items");
            if (itemsNode is null or ScalarNode { Kind: ScalarKind.Null })
            {
                // A List without items (or with "items: null") is an empty list.
                return;
            }

            if (itemsNode is not SequenceNode items)
            {
                session.Error(file, itemsNode.Line, itemsNode.Column, listPath + "items", $"expected a list of objects, found {itemsNode.Describe()}");
                return;
            }

            var itemKind = kind == "List" ? null : kind[..^4];
            var itemApiVersion = kind == "List" ? null : apiVersion;
            for (var i = 0; i < items.Items.Count; i++)
            {
                var item = items.Items[i];
                var itemPath = listPath + "items[" + i.ToString(CultureInfo.InvariantCulture) + "].";
                if (item is not MappingNode itemMap)
                {
                    session.Error(file, item.Line, item.Column, itemPath.TrimEnd('.'), $"expected a Kubernetes object, found {item.Describe()}");
                    continue;
                }

                ReadObject(session, file, itemMap, itemKind, itemApiVersion, itemPath);
            }

            return;
        }

        if (!ObjectBinder.IsKnownKind(kind))
        {
            var name = Describe(root);
            session.Note(file, root.Line, root.Column, listPath.TrimEnd('.'), $"skipped {kind}{name} (not used by NetPolHost)");

            // A key given twice may hide an object NetPolHost reads (a policy pasted after a Deployment without '---').
            ReportDuplicateKeys(session, file, root, documentRoot, listPath, recursive: true);
            return;
        }

        // Last resort, per object: an object the binder fails on is an error, and the items of a List after it are read.
        var binder = new ObjectBinder { DefaultNamespace = session.DefaultNamespace, IsDocumentRoot = documentRoot };
        BoundObject? bound = null;
        if (!Guard(root.Line, root.Column, "object", (line, column, message) => session.Error(file, line, column, listPath.TrimEnd('.'), message), () =>
            bound = binder.Bind(root, kind, apiVersion ?? string.Empty)))
        {
            return;
        }

        foreach (var (path, line, column, message) in binder.Errors)
        {
            session.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, file, line, column, path, message) { Object = bound!.Identity });
        }

        foreach (var (line, column, path, message) in binder.Notes)
        {
            session.Add(new ManifestDiagnostic(DiagnosticSeverity.Note, file, line, column, path, message) { Object = bound!.Identity });
        }

        if (bound!.Value is not null)
        {
            if (session.RecordPolicyFields && bound.Value is NetworkPolicy or ClusterNetworkPolicy)
            {
                bound = bound with { Fields = FieldLocations.Record(root) };
            }

            session.AddObject(bound, file);
        }
    }

    private static void ReportDuplicateKeys(Session session, string file, MappingNode root, bool documentRoot, string listPath, bool recursive)
    {
        foreach (var (key, path, message) in ObjectBinder.DuplicateKeys(root, documentRoot, recursive))
        {
            session.Error(file, key.Line, key.Column, listPath + path, message);
        }
    }

    private static string Describe(MappingNode root)
    {
        if (root.Get("metadata") is MappingNode metadata && metadata.Get("name") is ScalarNode name)
        {
            return metadata.Get("namespace") is ScalarNode { Kind: ScalarKind.String } ns ? $" {ns.Value}/{name.Value}" : " " + name.Value;
        }

        return string.Empty;
    }

    private static (int Line, int Column) LineColumn(byte[] content, int offset)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset && i < content.Length; i++)
        {
            if (content[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }

    private static string FormatSize(long bytes)
    {
        var exact = bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
        if (bytes < 1024 * 1024)
        {
            return exact;
        }

        // "3 MiB" alone would hide the difference between a limit and a file just above it.
        var mib = (bytes / (1024.0 * 1024.0)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB";
        return bytes % (1024 * 1024) == 0 ? mib : mib + " (" + exact + ")";
    }
}
