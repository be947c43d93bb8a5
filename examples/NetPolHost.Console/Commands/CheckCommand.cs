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
        var ns = Common.Namespace();
        ns.Description += " Also the namespace of a pod or Service named without one (--from NAME, --to service:NAME).";
        var from = new Option<string>("--from") { Description = "The source: namespace/pod (or a host endpoint; NAME alone with -n), node:NAME, or an IPv4/IPv6 address outside the cluster.", Required = true };
        var to = new Option<string>("--to") { Description = "The destination, in the same forms as --from, or service:NAMESPACE/NAME or a Service's cluster IP: then the connection to every backend pod is decided.", Required = true };
        var port = new Option<string>("--port") { Description = "The destination port: NUMBER or NAME (a port the destination pod declares, or a Service port's name), optionally /PROTOCOL (TCP, UDP or SCTP; default TCP). Not with ICMP." };
        var protocol = new Option<string>("--protocol") { Description = "The protocol: TCP (default), UDP, SCTP, or ICMP / ICMPv6 (then no --port: only policy rules without ports admit ICMP)." };
        var output = Common.Output("Output format: text explains the verdict; json prints {allowed, egress, ingress, ...}, for a Service {allowed, service, endpoints: [one per backend pod]}.", "text", "json");
        var command = new Command(
            "check",
            "Decide whether a connection is allowed and explain why.\n" +
            "Exit code: 0 allowed (for a Service: allowed to every backend pod), 1 denied, 2 bad input.\n\n" +
            "Examples:\n" +
            "  netpolhost check -f examples/sample --from production/api --to production/web-server --port 8000\n" +
            "  netpolhost check -f examples/sample -n production --from api --to service:web --port 80\n" +
            "  netpolhost check -f examples/sample --from staging/frontend --to production/web-server --port http\n" +
            "  netpolhost check -f examples/sample --from staging/frontend --to production/db --protocol ICMP\n" +
            "  netpolhost check -f cluster.yaml --from shop/cart --to 169.254.169.254 --port 80/TCP -o json")
        {
            files,
            ns,
            from,
            to,
            port,
            protocol,
            output,
        };
        command.SetAction(parse =>
        {
            var defaultNamespace = parse.GetValue(ns);
            var source = CheckTargets.ParseSource(parse.GetValue(from)!, defaultNamespace);
            var target = CheckTargets.ParseDestination(parse.GetValue(to)!, defaultNamespace);
            var request = PortRequest.Parse(parse.GetValue(port), parse.GetValue(protocol));
            var snapshot = Common.LoadOrFail(parse.GetValue(files)!, io, defaultNamespace);
            var matcher = new PolicyMatcher(snapshot);
            var json = parse.GetValue(output) == "json";
            try
            {
                if (CheckTargets.FindService(snapshot, target) is { } service)
                {
                    var serviceVerdict = CheckTargets.DecideService(matcher, source, service, request);
                    if (json)
                    {
                        io.Out.WriteLine(Common.Json(w => WriteServiceVerdict(w, serviceVerdict)));
                    }
                    else
                    {
                        foreach (var line in CheckTargets.Explain(serviceVerdict))
                        {
                            io.Out.WriteLine(line);
                        }
                    }

                    return serviceVerdict.Verdict.Allowed ? NetPolHostCli.Ok : NetPolHostCli.Denied;
                }

                var destination = target.Endpoint!;
                var (number, flowProtocol) = CheckTargets.ResolvePort(snapshot, destination, request);
                var verdict = matcher.Decide(new Flow(source, destination, number, flowProtocol));
                verdict = verdict with
                {
                    Notes = verdict.Notes.Concat(CheckTargets.Notes(snapshot, [source, destination], destination, number, flowProtocol)).ToValueList(),
                };
                if (json)
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
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message.Split(" (Parameter", 2)[0]);
            }
        });
        return command;
    }

    /// <summary>The JSON of a check of a Service: the Service and port, one full check result per backend pod, and
    /// <c>allowed</c> only when every one is allowed.</summary>
    private static void WriteServiceVerdict(Utf8JsonWriter w, ServiceCheck check)
    {
        var verdict = check.Verdict;
        var service = verdict.Service;
        var port = verdict.Port;
        w.WriteStartObject();
        w.WriteBoolean("allowed", verdict.Allowed);
        w.WriteString("from", verdict.Source.ToString());
        w.WriteStartObject("service");
        w.WriteString("namespace", service.Namespace);
        w.WriteString("name", service.Name);
        w.WriteString("type", service.Type);
        Common.WriteStrings(w, "clusterIPs", service.ClusterIPs.Select(a => a.ToString()));
        if (service.Selector is { } selector)
        {
            w.WriteStartObject("selector");
            foreach (var (key, value) in selector)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("selector");
        }

        w.WriteNumber("port", port.Port);
        w.WriteString("protocol", port.Protocol.ToKubernetesName());
        if (port.Name is null)
        {
            w.WriteNull("portName");
        }
        else
        {
            w.WriteString("portName", port.Name);
        }

        if (port.EffectiveTargetPort.IsNamed)
        {
            w.WriteString("targetPort", port.EffectiveTargetPort.Name);
        }
        else
        {
            w.WriteNumber("targetPort", port.EffectiveTargetPort.Number);
        }

        if (port.NodePort is { } nodePort)
        {
            w.WriteNumber("nodePort", nodePort);
        }
        else
        {
            w.WriteNull("nodePort");
        }

        w.WriteEndObject();
        w.WriteStartArray("endpoints");
        foreach (var endpoint in check.Endpoints)
        {
            WriteVerdict(w, endpoint);
        }

        w.WriteEndArray();
        Common.WriteStrings(w, "notes", check.Notes);
        Common.WriteStrings(w, "explanation", CheckTargets.Explain(check));
        w.WriteEndObject();
    }

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
