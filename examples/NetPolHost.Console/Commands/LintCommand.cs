using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using NetPolHost.Linting;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost lint</c>: reviews policies and reports exact findings (text, JSON or SARIF 2.1.0).</summary>
internal static class LintCommand
{
    /// <summary>The JSON schema of SARIF 2.1.0.</summary>
    public const string SarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";

    public static Command Create(CliIO io)
    {
        var files = Common.Files();
        var ns = Common.Namespace();
        var output = Common.Output(
            "Output format: text prints 'file:line:col: severity NPH00x: message' per finding with the policy, pods and a suggestion; json prints {findings, notes, skippedRules, summary}; sarif prints SARIF 2.1.0 for CI code scanning.",
            "text", "json", "sarif");
        var failOn = new Option<string>("--fail-on")
        {
            Description = "Exit with 1 when a finding has at least this severity: error, warning (default) or note.",
            DefaultValueFactory = _ => "warning",
        };
        failOn.AcceptOnlyFromAmong("error", "warning", "note");
        var command = new Command(
            "lint",
            "Review policies: every finding with its rule (NPH001-NPH013), the file, line and column of the offending field, the policy, the pods it affects and a suggestion. " +
            "Rules that need the cluster (NPH003/004/008/009/012/013) run when the manifests hold pods, and say so otherwise.\n" +
            "Exit code: 0 when no finding reaches --fail-on, 1 when one does, 2 bad input (invalid manifests: fix them first).\n\n" +
            "Examples:\n" +
            "  netpolhost lint -f examples/sample\n" +
            "  netpolhost lint -f policies/ --fail-on error -o json\n" +
            "  kubectl get ns,pods,networkpolicies -A -o yaml | netpolhost lint -f -\n" +
            "  netpolhost lint -f policies/ -f cluster.yaml -o sarif > netpolhost.sarif")
        {
            files,
            ns,
            output,
            failOn,
        };
        command.SetAction(parse =>
        {
            var manifests = Common.Load(parse.GetValue(files)!, io, parse.GetValue(ns), recordLocations: true);
            if (manifests.Problem is not null)
            {
                throw new CliUsageException(manifests.Problem + ".");
            }

            if (!manifests.IsValid)
            {
                foreach (var error in manifests.Errors)
                {
                    io.Error.WriteLine(error.ToString());
                }

                throw new CliUsageException($"{manifests.Errors.Count} error(s) in the manifests; fix them first ('netpolhost validate' lists them too).");
            }

            var result = PolicyLinter.Lint(manifests.Snapshot, manifests.Locations);
            var findings = result.Findings.Select(f => f with { File = manifests.Shown(f.File) }).ToList();
            switch (parse.GetValue(output))
            {
                case "json":
                    io.Out.WriteLine(Common.Json(w => WriteJson(w, findings, result)));
                    break;
                case "sarif":
                    io.Out.WriteLine(Common.Json(w => WriteSarif(w, findings, result, Directory.GetCurrentDirectory())));
                    break;
                default:
                    WriteText(io, findings, result, manifests.Files.Count);
                    break;
            }

            var level = parse.GetValue(failOn) switch
            {
                "error" => LintSeverity.Error,
                "note" => LintSeverity.Note,
                _ => LintSeverity.Warning,
            };
            return findings.Any(f => f.Severity >= level) ? NetPolHostCli.Denied : NetPolHostCli.Ok;
        });
        return command;
    }

    private static void WriteText(CliIO io, List<LintFinding> findings, LintResult result, int files)
    {
        foreach (var finding in findings)
        {
            io.Out.WriteLine(finding.ToString());
            io.Out.WriteLine($"    policy: {finding.Policy} ({finding.Path})");
            if (finding.AffectedPodCount > 0)
            {
                var more = finding.AffectedPodCount > finding.AffectedPods.Count ? $" and {finding.AffectedPodCount - finding.AffectedPods.Count} more" : string.Empty;
                io.Out.WriteLine($"    pods: {string.Join(", ", finding.AffectedPods)}{more}");
            }

            if (!finding.Related.IsEmpty)
            {
                io.Out.WriteLine($"    related: {string.Join("; ", finding.Related)}");
            }

            if (finding.Suggestion is not null)
            {
                io.Out.WriteLine($"    suggestion: {finding.Suggestion}");
            }
        }

        foreach (var note in result.Notes)
        {
            io.Error.WriteLine("note: " + note);
        }

        var counts = new[] { LintSeverity.Error, LintSeverity.Warning, LintSeverity.Note }
            .Select(s => (Severity: s, Count: findings.Count(f => f.Severity == s)))
            .Where(c => c.Count > 0)
            .Select(c => $"{c.Count.ToString(CultureInfo.InvariantCulture)} {LintRules.SeverityName(c.Severity)}{(c.Count == 1 ? string.Empty : "s")}")
            .ToList();
        io.Out.WriteLine(counts.Count == 0
            ? $"lint: no findings in {files} file(s)"
            : $"lint: {string.Join(", ", counts)} in {files} file(s)");
    }

    private static void WriteJson(Utf8JsonWriter w, List<LintFinding> findings, LintResult result)
    {
        w.WriteStartObject();
        w.WriteStartArray("findings");
        foreach (var f in findings)
        {
            w.WriteStartObject();
            w.WriteString("ruleId", f.RuleId);
            w.WriteString("severity", f.SeverityName);
            w.WriteString("message", f.Message);
            w.WriteString("file", f.File);
            w.WriteNumber("line", f.Line);
            w.WriteNumber("column", f.Column);
            w.WriteString("path", f.Path);
            w.WriteString("policy", f.Policy);
            Common.WriteStrings(w, "affectedPods", f.AffectedPods);
            w.WriteNumber("affectedPodCount", f.AffectedPodCount);
            if (f.Suggestion is null)
            {
                w.WriteNull("suggestion");
            }
            else
            {
                w.WriteString("suggestion", f.Suggestion);
            }

            Common.WriteStrings(w, "related", f.Related);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        Common.WriteStrings(w, "notes", result.Notes);
        Common.WriteStrings(w, "skippedRules", result.SkippedRules);
        w.WriteStartObject("summary");
        foreach (var severity in new[] { LintSeverity.Error, LintSeverity.Warning, LintSeverity.Note })
        {
            w.WriteNumber(LintRules.SeverityName(severity), findings.Count(f => f.Severity == severity));
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>SARIF 2.1.0: one run whose driver lists every rule, one result per finding with its physical location
    /// (the file relative to <paramref name="directory"/>, with forward slashes, under the base id <c>%SRCROOT%</c>).</summary>
    internal static void WriteSarif(Utf8JsonWriter w, List<LintFinding> findings, LintResult result, string directory)
    {
        var rules = LintRules.All;
        var root = new Uri(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar);
        w.WriteStartObject();
        w.WriteString("$schema", SarifSchema);
        w.WriteString("version", "2.1.0");
        w.WriteStartArray("runs");
        w.WriteStartObject();

        w.WriteStartObject("tool");
        w.WriteStartObject("driver");
        w.WriteString("name", "netpolhost");
        w.WriteString("informationUri", "https://github.com/netpolhost/netpolhost");
        w.WriteString("version", typeof(LintCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");
        w.WriteStartArray("rules");
        foreach (var rule in rules)
        {
            w.WriteStartObject();
            w.WriteString("id", rule.Id);
            w.WriteString("name", rule.Name);
            Text(w, "shortDescription", rule.Title);
            Text(w, "fullDescription", rule.Description);
            Text(w, "help", rule.Help);
            w.WriteStartObject("defaultConfiguration");
            w.WriteString("level", LintRules.SeverityName(rule.DefaultSeverity));
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteBoolean("needsCluster", rule.NeedsCluster);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartObject("originalUriBaseIds");
        w.WriteStartObject("%SRCROOT%");
        w.WriteString("uri", root.AbsoluteUri);
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartArray("invocations");
        w.WriteStartObject();
        w.WriteBoolean("executionSuccessful", true);
        w.WriteStartArray("toolExecutionNotifications");
        foreach (var note in result.Notes)
        {
            w.WriteStartObject();
            w.WriteString("level", "note");
            Text(w, "message", note);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("results");
        foreach (var f in findings)
        {
            w.WriteStartObject();
            w.WriteString("ruleId", f.RuleId);
            w.WriteNumber("ruleIndex", IndexOf(rules, f.RuleId));
            w.WriteString("level", f.SeverityName);
            Text(w, "message", f.Suggestion is null ? f.Message : f.Message + ". Suggestion: " + f.Suggestion);
            w.WriteStartArray("locations");
            w.WriteStartObject();
            w.WriteStartObject("physicalLocation");
            w.WriteStartObject("artifactLocation");
            var (uri, relative) = ArtifactUri(f.File, directory);
            w.WriteString("uri", uri);
            if (relative)
            {
                w.WriteString("uriBaseId", "%SRCROOT%");
            }

            w.WriteEndObject();
            if (f.Line > 0)
            {
                w.WriteStartObject("region");
                w.WriteNumber("startLine", f.Line);
                w.WriteNumber("startColumn", Math.Max(1, f.Column));
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteStartArray("logicalLocations");
            w.WriteStartObject();
            w.WriteString("name", f.Path);
            w.WriteString("fullyQualifiedName", f.Policy + ": " + f.Path);
            w.WriteString("kind", "member");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("properties");
            w.WriteString("policy", f.Policy);
            w.WriteString("path", f.Path);
            Common.WriteStrings(w, "affectedPods", f.AffectedPods);
            w.WriteNumber("affectedPodCount", f.AffectedPodCount);
            if (f.Suggestion is not null)
            {
                w.WriteString("suggestion", f.Suggestion);
            }

            Common.WriteStrings(w, "related", f.Related);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The URI of a file: relative to the directory, with forward slashes and each segment escaped, when it is
    /// inside it; otherwise an absolute <c>file:</c> URI (or the escaped name of a source that is no file, such as
    /// <c>&lt;stdin&gt;</c>).</summary>
    internal static (string Uri, bool Relative) ArtifactUri(string file, string directory)
    {
        if (file.Length == 0 || file.StartsWith('<'))
        {
            return (Uri.EscapeDataString(file.Length == 0 ? "unknown" : file), true);
        }

        var full = Path.GetFullPath(file);
        var relative = Path.GetRelativePath(Path.GetFullPath(directory), full);
        if (relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return (new Uri(full).AbsoluteUri, false);
        }

        return (string.Join('/', relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString)), true);
    }

    private static int IndexOf(IReadOnlyList<LintRule> rules, string id)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private static void Text(Utf8JsonWriter w, string name, string text)
    {
        w.WriteStartObject(name);
        w.WriteString("text", text);
        w.WriteEndObject();
    }
}
