using System.CommandLine;
using NetPolHost.Cli.Report;
using NetPolHost.Parsing;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost report</c>: one self-contained HTML page with the graph of allowed flows, the truth table as a
/// heat map, and the lint findings linked to the policies' text.</summary>
internal static class ReportCommand
{
    public static Command Create(CliIO io)
    {
        var files = Common.Files();
        files.Description = "A manifest file or directory (YAML, JSON, kubectl List output); repeat for more. The policies' text is shown in the report, so standard input is not read.";
        var ns = Common.Namespace();
        var node = Common.Node(required: false);
        node.Description = "Look from this node: the graph shows the flows with an end on its pods and host endpoints (a checkbox shows all).";
        var format = new Option<string>("--output", "-o")
        {
            Description = "Output format: html (one self-contained file: inline CSS and JavaScript, the data embedded, no network access).",
            DefaultValueFactory = _ => "html",
        };
        format.AcceptOnlyFromAmong("html");
        var file = new Option<string>("--output-file")
        {
            Description = "Write the report to this file (default: standard output).",
        };
        var command = new Command(
            "report",
            "Write a visual report: who can reach whom per port (click a pod: who reaches it, whom it reaches, and why), " +
            "the truth table as a heat map, and the lint findings linked to the lines of the policies.\n" +
            "Exit code: 0 written, 2 bad input.\n\n" +
            "Examples:\n" +
            "  netpolhost report -f examples/sample --output-file report.html\n" +
            "  netpolhost report -f cluster.yaml --node node-1 > node-1.html")
        {
            files,
            ns,
            node,
            format,
            file,
        };
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(files)!;
            if (paths.Contains("-"))
            {
                throw new CliUsageException("report reads files and directories only ('-f -' is not supported): the policies' text is part of the report.");
            }

            var input = Load(paths, io, parse.GetValue(ns), parse.GetValue(node));
            var html = ReportHtml.Render(input);
            var target = parse.GetValue(file);
            if (target is null)
            {
                io.Out.Write(html);
            }
            else
            {
                File.WriteAllText(target, html);
                io.Error.WriteLine($"report written to {target} ({html.Length / 1024} KiB)");
            }

            return NetPolHostCli.Ok;
        });
        return command;
    }

    /// <summary>Loads the manifests with the places of the policies' fields, and each file's text.</summary>
    private static ReportInput Load(string[] paths, CliIO io, string? defaultNamespace, string? node)
    {
        var loader = new ManifestLoader(new ManifestLoaderOptions
        {
            MaxFileBytes = io.LoaderOptions.MaxFileBytes,
            DefaultNamespace = defaultNamespace,
            RecordPolicyFieldLocations = true,
        });
        var result = loader.LoadPaths(paths);
        if (result.Files.Count == 0 && result.IsValid)
        {
            throw new CliUsageException($"no manifest files (.yaml, .yml, .json) found in {string.Join(", ", paths)}.");
        }

        if (!result.IsValid)
        {
            foreach (var error in result.Errors)
            {
                io.Error.WriteLine(error.ToString());
            }

            throw new CliUsageException($"{result.Errors.Count} error(s) in the manifests; fix them first ('netpolhost validate' lists them too).");
        }

        if (node is not null && !result.Snapshot.NamesNode(node))
        {
            var known = result.Snapshot.Nodes.Select(n => n.Name)
                .Concat(result.Snapshot.Pods.Select(p => p.NodeName))
                .Concat(result.Snapshot.HostEndpoints.Select(h => h.NodeName))
                .OfType<string>().Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var close = Matching.NameSuggestions.Find(node, known);
            throw new CliUsageException($"node '{node}' is unknown: no Node object, pod (spec.nodeName) or host endpoint names it" +
                (known.Count == 0 ? string.Empty : $" (nodes in the manifests: {Matching.NameSuggestions.List(known)})") +
                (close.Count > 0 ? $"; did you mean {Matching.NameSuggestions.Join(close)}?" : "."));
        }

        var lines = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var path in result.Files)
        {
            try
            {
                lines[path] = File.ReadAllText(path).ReplaceLineEndings("\n").Split('\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                io.Error.WriteLine($"note: could not read {path} again for its text ({ex.Message}); its policies are shown without text.");
            }
        }

        return new ReportInput(result.Snapshot, result.Files, lines, result.PolicyLocations, node);
    }
}
