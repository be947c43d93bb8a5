using System.CommandLine;
using System.Text.Json;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost check</c>: decides one flow and explains why.</summary>
internal static class CheckCommand
{
    public static Command Create(CliIO io)
    {
        var files = Common.Files();
        var from = new Option<string>("--from") { Description = "The source: namespace/pod (or a host endpoint), node:NAME, or an IPv4/IPv6 address outside the cluster.", Required = true };
        var to = new Option<string>("--to") { Description = "The destination, in the same forms as --from.", Required = true };
        var port = new Option<string>("--port") { Description = "The destination port: NUMBER or NUMBER/PROTOCOL (TCP, UDP or SCTP; default TCP).", Required = true };
        var output = Common.Output("Output format: text explains the verdict; json prints {allowed, egress, ingress}.", "text", "json");
        var command = new Command(
            "check",
            "Decide whether a connection is allowed and explain why.\n" +
            "Exit code: 0 allowed, 1 denied, 2 bad input.\n\n" +
            "Examples:\n" +
            "  netpolhost check -f examples/sample --from production/api --to production/web-server --port 8000\n" +
            "  netpolhost check -f cluster.yaml --from shop/cart --to 169.254.169.254 --port 80/TCP -o json")
        {
            files,
            from,
            to,
            port,
            output,
        };
        command.SetAction(parse =>
        {
            var source = ParseEndpoint(parse.GetValue(from)!, "--from");
            var destination = ParseEndpoint(parse.GetValue(to)!, "--to");
            if (!PortProbe.TryParse(parse.GetValue(port), out var probe))
            {
                throw new CliUsageException($"--port '{parse.GetValue(port)}' is not NUMBER or NUMBER/PROTOCOL with a port 1-65535 and protocol TCP, UDP or SCTP.");
            }

            var snapshot = Common.LoadOrFail(parse.GetValue(files)!, io);
            var matcher = new PolicyMatcher(snapshot);
            FlowVerdict verdict;
            try
            {
                verdict = matcher.Decide(new Flow(source, destination, probe.Port, probe.Protocol));
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message.Split(" (Parameter", 2)[0]);
            }

            if (parse.GetValue(output) == "json")
            {
                io.Out.WriteLine(Common.Json(w => WriteVerdict(w, verdict)));
            }
            else
            {
                foreach (var line in verdict.Explain())
                {
                    io.Out.WriteLine(line);
                }
            }

            return verdict.Allowed ? NetPolHostCli.Ok : NetPolHostCli.Denied;
        });
        return command;
    }

    public static FlowEndpoint ParseEndpoint(string text, string option) =>
        FlowEndpoint.TryParse(text, out var endpoint)
            ? endpoint
            : throw new CliUsageException($"{option} '{text}' is not namespace/pod, node:NAME or an IPv4/IPv6 address.");

    public static void WriteVerdict(Utf8JsonWriter w, FlowVerdict verdict)
    {
        w.WriteStartObject();
        w.WriteBoolean("allowed", verdict.Allowed);
        w.WriteBoolean("decidable", verdict.Decidable);
        WriteDirection(w, "egress", verdict.Egress);
        WriteDirection(w, "ingress", verdict.Ingress);
        w.WriteString("from", verdict.Flow.Source.ToString());
        w.WriteString("to", verdict.Flow.Destination.ToString());
        w.WriteNumber("port", verdict.Flow.Port);
        w.WriteString("protocol", verdict.Flow.Protocol.ToKubernetesName());
        if (verdict.SourceAddress is not null)
        {
            w.WriteString("sourceAddress", verdict.SourceAddress.ToString());
        }

        if (verdict.DestinationAddress is not null)
        {
            w.WriteString("destinationAddress", verdict.DestinationAddress.ToString());
        }

        Common.WriteStrings(w, "notes", verdict.Notes);
        Common.WriteStrings(w, "explanation", verdict.Explain());
        w.WriteEndObject();
    }

    private static void WriteDirection(Utf8JsonWriter w, string name, DirectionVerdict verdict)
    {
        w.WriteStartObject(name);
        w.WriteBoolean("allowed", verdict.Allowed);
        w.WriteBoolean("isolated", verdict.Isolated);
        Common.WriteStrings(w, "policies", verdict.Policies.Select(p => p.ToString()));
        w.WriteStartArray("matchedRules");
        foreach (var rule in verdict.MatchedRules)
        {
            w.WriteStartObject();
            w.WriteString("policy", rule.Policy.ToString());
            w.WriteNumber("rule", rule.Rule);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("reason", ReasonName(verdict.Reason));
        w.WriteString("tier", verdict.Tier switch
        {
            DecisionTier.Admin => "Admin",
            DecisionTier.NetworkPolicy => "NetworkPolicy",
            DecisionTier.Baseline => "Baseline",
            _ => "None",
        });
        if (verdict.DecidedBy is { } decidedBy)
        {
            w.WritePropertyName("decidedBy");
            WriteRule(w, decidedBy);
        }
        else
        {
            w.WriteNull("decidedBy");
        }

        w.WriteStartArray("passedBy");
        foreach (var rule in verdict.Passed)
        {
            WriteRule(w, rule);
        }

        w.WriteEndArray();
        if (!verdict.Decidable)
        {
            w.WriteStartArray("undecidable");
            foreach (var rule in verdict.Undecided)
            {
                WriteRule(w, rule);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter w, DecidingRule rule)
    {
        w.WriteStartObject();
        w.WriteString("kind", rule.Kind);
        w.WriteString("name", rule.Name);
        w.WriteNumber("rule", rule.Rule);
        if (rule.RuleName is not null)
        {
            w.WriteString("ruleName", rule.RuleName);
        }

        w.WriteString("action", rule.Action.ToString());
        w.WriteEndObject();
    }

    private static string ReasonName(VerdictReason reason) => reason switch
    {
        VerdictReason.NotIsolated => "not-isolated",
        VerdictReason.AllowedByRule => "allowed-by-rule",
        VerdictReason.NoRuleMatched => "no-rule-matched",
        VerdictReason.NotApplicable => "not-applicable",
        VerdictReason.NodeLocal => "node-local",
        VerdictReason.SameHost => "same-host",
        VerdictReason.AcceptedByClusterPolicy => "accepted-by-cluster-policy",
        VerdictReason.DeniedByClusterPolicy => "denied-by-cluster-policy",
        _ => "self",
    };
}
