using System.CommandLine;
using System.Text;
using System.Text.Json;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Cli.Commands;

/// <summary>Options and helpers shared by commands.</summary>
internal static class Common
{
    public static Option<string[]> Files(bool required = true) => new("--filename", "-f")
    {
        Description = "A manifest file or directory (YAML, JSON, kubectl List output); repeat for more; '-' reads standard input.",
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

    public static Option<string> Node(bool required) => new("--node")
    {
        Description = "The node whose pods (spec.nodeName) and host endpoints the plan protects.",
        Required = required,
    };

    /// <summary>Loads manifests; prints every error to standard error and returns null when any.</summary>
    public static LoadResult Load(string[] paths)
    {
        var loader = new ManifestLoader();
        if (paths.Length == 1 && paths[0] == "-")
        {
            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            return loader.LoadBytes(buffer.ToArray(), "<stdin>");
        }

        return loader.LoadPaths(paths);
    }

    /// <summary>Loads and, on errors, prints them and throws to end with exit code 2.</summary>
    public static ClusterSnapshot LoadOrFail(string[] paths, CliIO io)
    {
        var result = Load(paths);
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
