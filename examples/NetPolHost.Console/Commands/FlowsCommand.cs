using System.CommandLine;
using System.Net;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost flows</c>: streams the connections the firewall logs, with the policy that decided each.</summary>
internal static class FlowsCommand
{
    public static Command Create(CliIO io)
    {
        var backend = new Option<string>("--backend", "-b") { Description = "The host firewall (flows: nftables).", Required = true };
        backend.AcceptOnlyFromAmong(BackendRegistry.Names);
        var files = Common.Files(required: false);
        var ns = Common.Namespace();
        var node = Common.Node(required: false);
        var allowed = new Option<bool>("--allowed") { Description = "Also allowed connections (else denied and would-deny ones only)." };
        var duration = new Option<string>("--duration") { Description = "Stop after this long (200ms, 30s, 5m, 1h or 00:05:00); default: until interrupted." };
        var output = Common.Output("Output format: text (one line per record) or json (one JSON object per line).", "text", "json");
        var table = new Option<string>("--table") { Description = "nftables: the table the backend owns (default netpolhost)." };
        var netns = new Option<string>("--netns") { Description = "Work inside this network namespace (a name under /run/netns, or a path)." };
        var command = new Command(
            "flows",
            "Stream the new connections the firewall logs (rate-limited per verdict), one record per line as they happen: time, verdict (deny, allow, would-deny), direction, protocol, addresses and ports, endpoints and the deciding rule. " +
            "With -f, endpoints are named from the manifests and each record carries check's explanation; without, names and provenance come from the firewall's table. Needs root (CAP_NET_ADMIN).\n" +
            "Exit code: 0 when stopped or the duration ended, 1 when the firewall failed, 2 bad input (also a backend without flow logs).\n\n" +
            "Examples:\n" +
            "  sudo netpolhost flows --backend nftables\n" +
            "  sudo netpolhost flows --backend nftables --allowed --duration 30s -o json\n" +
            "  sudo netpolhost flows --backend nftables -f policies/ --node $(hostname)")
        {
            backend, files, ns, node, allowed, duration, output, table, netns,
        };
        command.SetAction(async (parse, token) =>
        {
            var name = parse.GetValue(backend)!;
            if (name != "nftables")
            {
                throw new CliUsageException(BackendRegistry.NotOnThisBackend(name, "flows (flow logs)"));
            }

            var stopAfter = parse.GetValue(duration) is { } text ? AgentCommand.Duration(text, "--duration", TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1)) : (TimeSpan?)null;
            Explainer? explainer = null;
            var paths = parse.GetValue(files) ?? [];
            if (paths.Length > 0)
            {
                var snapshot = Common.LoadOrFail(paths, io, parse.GetValue(ns));
                if (parse.GetValue(node) is { } nodeName)
                {
                    Common.RequireKnownNode(snapshot, nodeName);
                }

                explainer = new Explainer(snapshot);
            }

            var firewall = BackendRegistry.Create(name, new BackendSettings { TableName = parse.GetValue(table), NetworkNamespace = parse.GetValue(netns) }, forPlanOnly: false);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            if (stopAfter is { } after)
            {
                stop.CancelAfter(after);
            }

            var json = parse.GetValue(output) == "json";
            try
            {
                var reader = (IFlowLogReader)firewall;
                await foreach (var record in reader.ReadFlowsAsync(parse.GetValue(allowed), stop.Token).ConfigureAwait(false))
                {
                    var full = explainer?.Explain(record) ?? record;
                    await io.Out.WriteLineAsync(json ? Json(full) : Text(full)).ConfigureAwait(false);
                    await io.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Interrupted, or the duration ended.
            }
            finally
            {
                (firewall as IDisposable)?.Dispose();
            }

            return NetPolHostCli.Ok;
        });
        return command;
    }

    /// <summary>One record as a line of text.</summary>
    public static string Text(FlowRecord r)
    {
        var from = Endpoint(r.SourceEndpoint, r.Source, r.SourcePort);
        var to = Endpoint(r.DestinationEndpoint, r.Destination, r.DestinationPort);
        var rule = r.Policy is null
            ? $"isolated ({r.Direction}{(r.IsolatingPolicies.Count > 0 ? " by " + string.Join(", ", r.IsolatingPolicies) : string.Empty)}), no rule allows it"
            : $"{r.Tier} {r.Policy} {r.Direction}[{r.Rule}]";
        var hint = r.Explanation.FirstOrDefault(l => l.TrimStart().StartsWith("to allow it:", StringComparison.Ordinal));
        return $"{r.Time.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {r.Verdict,-10} {r.Direction,-7} {r.Protocol} {from} -> {to}  {rule}{(hint is null ? string.Empty : "; " + hint.Trim())}";

        static string Endpoint(string? name, IPAddress address, int? port)
        {
            var at = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            var text = port is { } p ? $"{at}:{p}" : at;
            return name is null ? text : $"{name}({text})";
        }
    }

    /// <summary>One record as one line of JSON (the form the agent's flow log has too).</summary>
    public static string Json(FlowRecord r) => r.ToJson();

    /// <summary>Names endpoints from the manifests and explains each record as <c>check</c> does.</summary>
    private sealed class Explainer
    {
        private readonly PolicyMatcher _matcher;
        private readonly Dictionary<IPAddress, string> _names = [];

        public Explainer(ClusterSnapshot snapshot)
        {
            _matcher = new PolicyMatcher(snapshot);
            foreach (var n in snapshot.Nodes)
            {
                foreach (var a in n.Addresses)
                {
                    _names[a] = "node:" + n.Name;
                }
            }

            foreach (var h in snapshot.HostEndpoints)
            {
                foreach (var a in h.IPs)
                {
                    _names[a] = h.Namespace + "/" + h.Name;
                }
            }

            foreach (var p in snapshot.Pods.Where(p => !p.HostNetwork))
            {
                foreach (var a in p.IPs)
                {
                    _names[a] = p.Namespace + "/" + p.Name;
                }
            }
        }

        public FlowRecord Explain(FlowRecord record)
        {
            Protocol? protocol = record.Protocol switch
            {
                "tcp" => Protocol.Tcp,
                "udp" => Protocol.Udp,
                "sctp" => Protocol.Sctp,
                "icmp" => Protocol.Icmp,
                "icmpv6" => Protocol.IcmpV6,
                _ => null,
            };
            var source = _names.GetValueOrDefault(record.Source) ?? record.SourceEndpoint ?? "outside";
            var destination = _names.GetValueOrDefault(record.Destination) ?? record.DestinationEndpoint ?? "outside";
            if (protocol is not { } known)
            {
                return new FlowRecord { Time = record.Time, Verdict = record.Verdict, Direction = record.Direction, Protocol = record.Protocol, Source = record.Source, SourcePort = record.SourcePort, Destination = record.Destination, DestinationPort = record.DestinationPort, SourceEndpoint = source, DestinationEndpoint = destination, Tier = record.Tier, Policy = record.Policy, Rule = record.Rule, Explanation = record.Explanation };
            }

            try
            {
                var from = FlowEndpoint.ForAddress(record.Source);
                var to = FlowEndpoint.ForAddress(record.Destination);
                var flow = known.HasPorts() ? new Flow(from, to, record.DestinationPort ?? 0, known) : Flow.Icmp(from, to, known);
                var verdict = _matcher.Decide(flow);
                var side = record.Direction == "ingress" ? verdict.Ingress : verdict.Egress;
                return new FlowRecord
                {
                    Time = record.Time,
                    Verdict = record.Verdict,
                    Direction = record.Direction,
                    Protocol = record.Protocol,
                    Source = record.Source,
                    SourcePort = record.SourcePort,
                    Destination = record.Destination,
                    DestinationPort = record.DestinationPort,
                    SourceEndpoint = source,
                    DestinationEndpoint = destination,
                    Tier = record.Tier,
                    Policy = record.Policy,
                    Rule = record.Rule,
                    IsolatingPolicies = [.. side.Policies.Select(p => p.ToString())],
                    Explanation = verdict.Explain(),
                };
            }
            catch (ArgumentException ex)
            {
                return new FlowRecord { Time = record.Time, Verdict = record.Verdict, Direction = record.Direction, Protocol = record.Protocol, Source = record.Source, SourcePort = record.SourcePort, Destination = record.Destination, DestinationPort = record.DestinationPort, SourceEndpoint = source, DestinationEndpoint = destination, Tier = record.Tier, Policy = record.Policy, Rule = record.Rule, Explanation = [.. record.Explanation, "not explained from the manifests: " + ex.Message] };
            }
        }
    }
}
