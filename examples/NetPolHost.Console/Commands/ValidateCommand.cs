using System.CommandLine;
using NetPolHost.Parsing;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost validate</c>: checks manifests as the API server would.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliIO io)
    {
        var files = Common.Files();
        var ns = Common.Namespace();
        var output = Common.Output("Output format: text prints 'file:line:col: field.path: message' per error; json prints {valid, errors, notes}.", "text", "json");
        var command = new Command(
            "validate",
            "Check manifests as the API server would and list every error with its place.\n" +
            "Exit code: 0 when everything is valid, 2 when there are errors (also when the paths hold no .yaml, .yml or .json file, or standard input is empty).\n\n" +
            "Examples:\n" +
            "  netpolhost validate -f examples/sample\n" +
            "  netpolhost validate -f pod.yaml -f policy.yaml --namespace shop\n" +
            "  kubectl get ns,pods,networkpolicies -A -o yaml | netpolhost validate -f - -o json\n" +
            "  kubectl get clusternetworkpolicies,adminnetworkpolicies,baselineadminnetworkpolicies -o yaml | netpolhost validate -f -\n" +
            "  kubectl get ns,pods -A -o yaml | netpolhost validate -f - -f policies/")
        {
            files,
            ns,
            output,
        };
        command.SetAction(parse =>
        {
            var result = Common.Load(parse.GetValue(files)!, io, parse.GetValue(ns));
            if (parse.GetValue(output) == "json")
            {
                io.Out.WriteLine(Common.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("valid", result.IsValid);
                    WriteDiagnostics(w, "errors", result.Errors);
                    WriteDiagnostics(w, "notes", result.Notes);
                    w.WriteEndObject();
                }));
            }
            else
            {
                foreach (var error in result.Errors)
                {
                    io.Out.WriteLine(error.ToString());
                }

                foreach (var note in result.Notes)
                {
                    io.Error.WriteLine("note: " + note);
                }

                var snapshot = result.Snapshot;
                io.Out.WriteLine(result.IsValid
                    ? $"valid: {result.Files.Count} file(s); {snapshot.Policies.Count} policies{(snapshot.ClusterPolicies.IsEmpty ? string.Empty : $", {snapshot.ClusterPolicies.Count} cluster policies")}, {snapshot.Namespaces.Count} namespaces, {snapshot.Pods.Count} pods, {snapshot.Nodes.Count} nodes, {snapshot.HostEndpoints.Count} host endpoints{(snapshot.Services.IsEmpty ? string.Empty : $", {snapshot.Services.Count} services")}"
                    : $"invalid: {result.Errors.Count} error(s) in {result.Files.Count} file(s)");
            }

            return result.IsValid ? NetPolHostCli.Ok : NetPolHostCli.BadInput;
        });
        return command;
    }

    private static void WriteDiagnostics(System.Text.Json.Utf8JsonWriter writer, string name, IReadOnlyList<ManifestDiagnostic> diagnostics)
    {
        writer.WriteStartArray(name);
        foreach (var d in diagnostics)
        {
            writer.WriteStartObject();
            writer.WriteString("file", d.File);
            writer.WriteNumber("line", d.Line);
            writer.WriteNumber("column", d.Column);
            writer.WriteString("path", d.Path);
            writer.WriteString("message", d.Message);
            if (d.Object is not null)
            {
                writer.WriteString("object", d.Object);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
