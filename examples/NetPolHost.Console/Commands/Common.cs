using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Cli.Commands;

/// <summary>Options and helpers shared by commands.</summary>
internal static class Common
{
    public static Option<string[]> Files(bool required = true) => new("--filename", "-f")
    {
        Description = "A manifest file or directory (YAML, JSON, kubectl List output); repeat for more; '-' reads standard input (once, also with paths).",
        Required = required,
        Arity = required ? ArgumentArity.OneOrMore : ArgumentArity.ZeroOrMore,
    };

    public static Option<string> Output(string description, params string[] formats)
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = description,
            DefaultValueFactory = _ => formats[0],
        };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    /// <summary><c>-n, --namespace NS</c>: the namespace of objects that name none, as kubectl's context namespace.</summary>
    public static Option<string> Namespace() => new("--namespace", "-n")
    {
        Description = "The namespace of namespaced objects in the manifests that name none (as kubectl's current namespace).",
    };

    /// <summary>The text that a missing namespace's error gets when no --namespace was given.</summary>
    private const string NamespaceHint = "write it in the manifest, or give it with -n/--namespace NAMESPACE)";

    public static Option<string> Node(bool required) => new("--node")
    {
        Description = "The node whose pods (spec.nodeName) and host endpoints the plan protects.",
        Required = required,
    };

    /// <summary>The name standard input has in diagnostics.</summary>
    public const string StandardInputName = "<stdin>";

    /// <summary>Loads manifests from files, directories and standard input ('-', at most once, also among paths).</summary>
    /// <remarks>
    /// Standard input is read once, into memory, up to <see cref="ManifestLoaderOptions.MaxFileBytes"/>. Given with
    /// paths, it is loaded in the same load as them (through a private temporary file, reported as <c>&lt;stdin&gt;</c>),
    /// so objects given twice are found across standard input and files, with their places. Paths without any manifest
    /// file, and an empty standard input, are errors: a typo in a directory name must not pass as "nothing to enforce".
    /// </remarks>
    /// <param name="paths">The paths; '-' for standard input.</param>
    /// <param name="io">Where to read and write.</param>
    /// <param name="defaultNamespace">The namespace of objects that name none (<c>--namespace</c>), or <see langword="null"/>.</param>
    /// <param name="recordLocations">Whether to record where the fields of policies are (for lint).</param>
    public static Manifests Load(string[] paths, CliIO io, string? defaultNamespace = null, bool recordLocations = false)
    {
        var result = LoadAll(paths, io, defaultNamespace, recordLocations);
        if (defaultNamespace is not null)
        {
            return result;
        }

        // Without --namespace, the loader's advice for an object without a namespace also names the option.
        static ManifestDiagnostic Hinted(ManifestDiagnostic d) =>
            d.Path == "metadata.namespace" && d.Message.StartsWith("expected the namespace of the ", StringComparison.Ordinal)
                ? d with { Message = d.Message.Replace("write it in the manifest)", NamespaceHint, StringComparison.Ordinal) }
                : d;
        return result with { Errors = [.. result.Errors.Select(Hinted)] };
    }

    private static Manifests LoadAll(string[] paths, CliIO io, string? defaultNamespace, bool recordLocations)
    {
        var loader = new ManifestLoader(new ManifestLoaderOptions { MaxFileBytes = io.LoaderOptions.MaxFileBytes, DefaultNamespace = defaultNamespace, RecordPolicyFieldLocations = recordLocations });
        var stdin = paths.Count(p => p == "-");
        if (stdin > 1)
        {
            throw new CliUsageException("'-f -' (standard input) can be given only once; to read a file named '-', write './-'.");
        }

        if (stdin == 0)
        {
            var result = Manifests.From(loader.LoadPaths(paths));
            if (result.Files.Count > 0 || !result.IsValid)
            {
                return result;
            }

            // Every path is a directory without a .yaml, .yml or .json file in it (a missing path is an error already).
            var problem = $"no manifest files (.yaml, .yml, .json) found in {string.Join(", ", paths)}";
            return result with
            {
                Errors = [.. paths.Select(p => new ManifestDiagnostic(DiagnosticSeverity.Error, p, 0, 0, string.Empty, $"no manifest files (.yaml, .yml, .json) found in {p}"))],
                Problem = problem,
            };
        }

        var max = io.LoaderOptions.MaxFileBytes;
        byte[]? content;
        using (var input = io.OpenInput())
        {
            content = ReadAtMost(input, max);
        }

        if (content is null)
        {
            return Manifests.Failed($"expected manifests of at most {max.ToString(CultureInfo.InvariantCulture)} bytes on standard input, found more");
        }

        if (content.All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
        {
            return Manifests.Failed("no manifests found on standard input: it is empty");
        }

        if (paths.Length == 1)
        {
            return Manifests.From(loader.LoadBytes(content, StandardInputName));
        }

        // One load for standard input and the paths together keeps duplicate detection across them (with both places).
        var directory = Directory.CreateTempSubdirectory("netpolhost-stdin-");
        try
        {
            // No extension: read exactly as LoadBytes reads "<stdin>" (JSON or YAML by content), never found by a directory walk.
            var file = Path.Join(directory.FullName, "stdin");
            File.WriteAllBytes(file, content);
            var result = Manifests.From(loader.LoadPaths(paths.Select(p => p == "-" ? file : p)));
            return result.Rename(file, StandardInputName);
        }
        finally
        {
            try
            {
                directory.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A temporary directory left behind is not worth failing the command for.
            }
        }
    }

    /// <summary>Reads a stream to its end, or returns null as soon as it holds more than <paramref name="max"/> bytes.</summary>
    public static byte[]? ReadAtMost(Stream input, long max)
    {
        max = Math.Min(max, Array.MaxLength);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = input.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Loads and, on errors, prints them and throws to end with exit code 2.</summary>
    public static ClusterSnapshot LoadOrFail(string[] paths, CliIO io, string? defaultNamespace = null)
    {
        var result = Load(paths, io, defaultNamespace);
        if (result.Problem is not null)
        {
            throw new CliUsageException(result.Problem + ".");
        }

        if (!result.IsValid)
        {
            foreach (var error in result.Errors)
            {
                io.Error.WriteLine(error.ToString());
            }

            throw new CliUsageException($"{result.Errors.Count} error(s) in the manifests; fix them first ('netpolhost validate' lists them too).");
        }

        return result.Snapshot;
    }

    /// <summary>Fails (exit code 2) unless something in the snapshot places itself on the node: its Node object, a pod
    /// with this <c>spec.nodeName</c> or a host endpoint with this <c>nodeName</c>. A typo in --node would otherwise give
    /// an empty plan, and apply would remove the enforcement in force.</summary>
    public static void RequireKnownNode(ClusterSnapshot snapshot, string node)
    {
        if (UnknownNode(snapshot, node) is { } problem)
        {
            throw new CliUsageException(problem + " Nothing was changed; to make this node enforce nothing, run 'netpolhost remove'.");
        }
    }

    /// <summary>Like <see cref="RequireKnownNode"/>, but only warns on standard error: a plan changes nothing.</summary>
    public static void WarnUnknownNode(ClusterSnapshot snapshot, string node, CliIO io)
    {
        if (UnknownNode(snapshot, node) is { } problem)
        {
            io.Error.WriteLine("warning: " + problem + " The plan is empty.");
        }
    }

    private static string? UnknownNode(ClusterSnapshot snapshot, string node)
    {
        if (snapshot.NamesNode(node))
        {
            return null;
        }

        var known = snapshot.Nodes.Select(n => n.Name)
            .Concat(snapshot.Pods.Select(p => p.NodeName))
            .Concat(snapshot.HostEndpoints.Select(h => h.NodeName))
            .OfType<string>()
            .Where(n => n.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var close = NameSuggestions.Find(node, known);
        var list = known.Count == 0 ? string.Empty : $" (nodes in the manifests: {NameSuggestions.List(known)})";
        var hint = close.Count > 0 ? $"; did you mean {NameSuggestions.Join(close)}?" : ".";
        return $"node '{node}' is unknown: no Node object, pod (spec.nodeName) or host endpoint names it{list}{hint}";
    }

    public static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}

/// <summary>Manifests as loaded: the loader's result, with standard input named <c>&lt;stdin&gt;</c>.</summary>
/// <param name="Snapshot">The objects that loaded without error.</param>
/// <param name="Errors">Every error, ordered by file, line and column.</param>
/// <param name="Notes">Notes, ordered by file, line and column.</param>
/// <param name="Files">The files read.</param>
internal sealed record Manifests(ClusterSnapshot Snapshot, IReadOnlyList<ManifestDiagnostic> Errors, IReadOnlyList<ManifestDiagnostic> Notes, IReadOnlyList<string> Files)
{
    /// <summary>Whether there were no errors.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>When there was nothing to read (no manifest file, an empty or too large standard input): what to say.</summary>
    public string? Problem { get; init; }

    /// <summary>Where the fields of the policies are, when the load recorded them (<see cref="LoadResult.PolicyLocations"/>).</summary>
    public IReadOnlyDictionary<string, FieldLocations>? Locations { get; init; }

    /// <summary>Files read under another name than they are shown with (standard input's private copy): file to name.</summary>
    public IReadOnlyDictionary<string, string> Renamed { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How a file read is shown (<c>&lt;stdin&gt;</c> for standard input).</summary>
    public string Shown(string file) => Renamed.TryGetValue(file, out var name) ? name : file;

    public static Manifests From(LoadResult result) => new(result.Snapshot, result.Errors, result.Notes, result.Files) { Locations = result.PolicyLocations };

    public static Manifests Failed(string message) =>
        new(ClusterSnapshot.Empty, [new ManifestDiagnostic(DiagnosticSeverity.Error, Common.StandardInputName, 0, 0, string.Empty, message)], [], [])
        {
            Problem = message,
        };

    /// <summary>Names a file differently in every diagnostic (its place, and mentions such as "first at FILE:3").</summary>
    public Manifests Rename(string file, string name)
    {
        ManifestDiagnostic WithName(ManifestDiagnostic d) =>
            d with { File = d.File == file ? name : d.File, Message = d.Message.Replace(file, name, StringComparison.Ordinal) };

        // The same order as the loader's: by file, line and column, otherwise as found.
        static List<ManifestDiagnostic> Sorted(IEnumerable<ManifestDiagnostic> list) =>
            [.. list.Select((d, i) => (d, i)).OrderBy(x => x.d.File, StringComparer.Ordinal).ThenBy(x => x.d.Line).ThenBy(x => x.d.Column).ThenBy(x => x.i).Select(x => x.d)];

        return this with
        {
            Errors = Sorted(Errors.Select(WithName)),
            Notes = Sorted(Notes.Select(WithName)),
            Files = [.. Files.Select(f => f == file ? name : f)],
            Renamed = new Dictionary<string, string>(Renamed, StringComparer.Ordinal) { [file] = name },
        };
    }
}
