using System.CommandLine;
using System.Text;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost matrix</c>: truth tables between pods.</summary>
internal static class MatrixCommand
{
    public static Command Create(CliIO io)
    {
        var files = Common.Files();
        var ports = new Option<string[]>("--port")
        {
            Description = "A port to probe: NUMBER or NUMBER/PROTOCOL; repeat for more. Default: every distinct (port, protocol) the pods serve.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var namespaces = new Option<string[]>("--namespace", "-n")
        {
            Description = "Only pods of this namespace; repeat for more. Default: every pod and host endpoint. The first one is also the namespace of objects in the manifests that name none (as kubectl's -n).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var external = new Option<string[]>("--external")
        {
            Description = "An address outside the cluster (e.g. 8.8.8.8, 169.254.169.254) to add as a row and a column; repeat for more.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = Common.Output("Output format: table ('.' allowed, 'X' denied, rows = from, columns = to), json or markdown.", "table", "json", "markdown");
        var command = new Command(
            "matrix",
            "Print who can connect to whom: one table per port, rows are sources, columns destinations.\n" +
            "Exit code: 0 success (whatever the verdicts), 2 bad input (invalid manifests, a bad --port, a namespace without pods).\n\n" +
            "Examples:\n" +
            "  netpolhost matrix -f examples/sample\n" +
            "  netpolhost matrix -f examples/sample --namespace production --external 169.254.169.254 --port 80\n" +
            "  netpolhost matrix -f cluster.yaml --namespace shop --port 8080 --port 53/UDP -o json")
        {
            files,
            ports,
            namespaces,
            external,
            output,
        };
        command.SetAction(parse =>
        {
            var probes = new List<PortProbe>();
            foreach (var text in parse.GetValue(ports) ?? [])
            {
                probes.Add(PortProbe.TryParse(text, out var probe)
                    ? probe
                    : throw new CliUsageException($"--port '{text}' is not NUMBER or NUMBER/PROTOCOL with a port 1-65535 and protocol TCP, UDP or SCTP."));
            }

            var addresses = new List<FlowEndpoint>();
            foreach (var text in parse.GetValue(external) ?? [])
            {
                addresses.Add(FlowEndpoint.TryParse(text, out var address) && address.Kind == FlowEndpointKind.Address
                    ? address
                    : throw new CliUsageException($"--external '{text}' is not an IPv4 or IPv6 address."));
            }

            var wanted = parse.GetValue(namespaces) ?? [];
            var snapshot = Common.LoadOrFail(parse.GetValue(files)!, io, wanted.FirstOrDefault());
            var matcher = new PolicyMatcher(snapshot);
            var chosen = snapshot.Pods.Select(p => FlowEndpoint.ForPod(p.Namespace, p.Name))
                .Concat(snapshot.HostEndpoints.Select(h => FlowEndpoint.ForHostEndpoint(h.Namespace, h.Name)))
                .ToList();
            if (wanted.Length > 0)
            {
                var known = chosen.Select(e => e.Namespace!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                var unknown = wanted.Where(ns => !known.Contains(ns)).ToList();
                if (unknown.Count > 0)
                {
                    var hints = unknown.Select(ns => NameSuggestions.Find(ns, known) is { Count: > 0 } close ? $"{ns} (did you mean {NameSuggestions.Join(close)}?)" : ns);
                    var all = known.Count == 0 ? "there are none at all" : "namespaces with some: " + NameSuggestions.List(known);
                    throw new CliUsageException($"no pod or host endpoint in namespace(s) {string.Join(", ", hints)}; {all}.");
                }

                chosen = [.. chosen.Where(e => wanted.Contains(e.Namespace))];
            }

            var table = matcher.BuildTruthTable(wanted.Length > 0 || addresses.Count > 0 ? chosen.Concat(addresses) : null, probes.Count > 0 ? probes : null);
            var notes = CheckTargets.NamespaceNotes(snapshot, chosen, null).ToList();
            io.Out.Write(parse.GetValue(output) switch
            {
                "json" => Json(table, notes, addresses) + Environment.NewLine,
                "markdown" => Markdown(table),
                _ => Table(table),
            });
            if (parse.GetValue(output) != "json")
            {
                foreach (var note in notes)
                {
                    io.Error.WriteLine("note: " + note);
                }
            }

            return NetPolHostCli.Ok;
        });
        return command;
    }

    public static string Json(TruthTable table, IReadOnlyList<string> notes, IReadOnlyList<FlowEndpoint> external) => Common.Json(w =>
    {
        w.WriteStartObject();
        Common.WriteStrings(w, "pods", table.Endpoints);
        Common.WriteStrings(w, "external", external.Select(e => e.ToString()));
        Common.WriteStrings(w, "notes", notes);
        w.WriteStartArray("probes");
        foreach (var probe in table.Probes)
        {
            w.WriteStartObject();
            w.WriteNumber("port", probe.Probe.Port);
            w.WriteString("protocol", probe.Probe.Protocol.ToKubernetesName());
            WriteMatrix(w, "allowed", probe.Allowed);
            WriteMatrix(w, "ingress", probe.Ingress);
            WriteMatrix(w, "egress", probe.Egress);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteMatrix(System.Text.Json.Utf8JsonWriter w, string name, BitMatrix matrix)
    {
        w.WriteStartArray(name);
        for (var r = 0; r < matrix.Rows; r++)
        {
            w.WriteStartArray();
            for (var c = 0; c < matrix.Columns; c++)
            {
                w.WriteBooleanValue(matrix[r, c]);
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
    }

    private static string Table(TruthTable table)
    {
        var builder = new StringBuilder();
        if (table.Probes.Count == 0)
        {
            builder.AppendLine("no ports to probe: the pods serve no container ports; give --port");
        }

        for (var p = 0; p < table.Probes.Count; p++)
        {
            var probe = table.Probes[p];
            var allowed = probe.Allowed.CountTrue();
            var total = (long)table.Endpoints.Count * table.Endpoints.Count;
            builder.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"port {probe.Probe}: {allowed} of {total} allowed ('.' allowed, 'X' denied; rows = from, columns = to)");
            builder.Append(table.Render(p));
            builder.AppendLine();
        }

        return builder.ToString();
    }

    private static string Markdown(TruthTable table)
    {
        var builder = new StringBuilder();
        foreach (var probe in table.Probes)
        {
            builder.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"### {probe.Probe}").AppendLine();
            builder.Append("| from \\ to |");
            foreach (var name in table.Endpoints)
            {
                builder.Append(' ').Append(name).Append(" |");
            }

            builder.AppendLine();
            builder.Append("|---|");
            foreach (var _ in table.Endpoints)
            {
                builder.Append(":-:|");
            }

            builder.AppendLine();
            for (var r = 0; r < table.Endpoints.Count; r++)
            {
                builder.Append("| ").Append(table.Endpoints[r]).Append(" |");
                for (var c = 0; c < table.Endpoints.Count; c++)
                {
                    builder.Append(probe.Allowed[r, c] ? " . |" : " X |");
                }

                builder.AppendLine();
            }

            builder.AppendLine();
        }

        return builder.ToString();
    }
}
