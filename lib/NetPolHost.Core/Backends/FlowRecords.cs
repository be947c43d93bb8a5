using System.Net;
using System.Text.Json;

namespace NetPolHost.Backends;

/// <summary>One logged connection attempt: what the firewall decided about a new connection and which rule decided it,
/// named by the provenance the backend recorded with the rule.</summary>
public sealed class FlowRecord
{
    /// <summary>When the kernel logged the packet (or when it was read, if the kernel gave no time).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary><c>deny</c>, <c>allow</c> or <c>would-deny</c> (audit mode).</summary>
    public required string Verdict { get; init; }

    /// <summary>The direction of the check that logged it: <c>ingress</c> (of the destination) or <c>egress</c> (of the source).</summary>
    public required string Direction { get; init; }

    /// <summary><c>tcp</c>, <c>udp</c>, <c>sctp</c>, <c>icmp</c>, <c>icmpv6</c>, or the protocol number.</summary>
    public required string Protocol { get; init; }

    /// <summary>The source address.</summary>
    public required IPAddress Source { get; init; }

    /// <summary>The source port, or <see langword="null"/> for a protocol without ports.</summary>
    public int? SourcePort { get; init; }

    /// <summary>The destination address.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>The destination port, or <see langword="null"/> for a protocol without ports.</summary>
    public int? DestinationPort { get; init; }

    /// <summary>The source: <c>namespace/pod</c>, a host endpoint, <c>node:NAME</c>, or <c>outside</c>;
    /// <see langword="null"/> when not known.</summary>
    public string? SourceEndpoint { get; init; }

    /// <summary>The destination, in the forms of <see cref="SourceEndpoint"/>.</summary>
    public string? DestinationEndpoint { get; init; }

    /// <summary>The tier of the rule that logged it: <c>Admin</c>, <c>NetworkPolicy</c> or <c>Baseline</c>.</summary>
    public string? Tier { get; init; }

    /// <summary>The policy of the rule (<c>namespace/name</c>, or a ClusterNetworkPolicy's name); <see langword="null"/>
    /// for an isolation drop.</summary>
    public string? Policy { get; init; }

    /// <summary>The rule's index in its policy (from 0, as <c>check</c> counts); <see langword="null"/> for an isolation drop.</summary>
    public int? Rule { get; init; }

    /// <summary>The policies that isolate the endpoint in <see cref="Direction"/> (known when the policies were given).</summary>
    public IReadOnlyList<string> IsolatingPolicies { get; init; } = [];

    /// <summary>The explanation, as <c>check</c> gives it (when the policies were given), else one line of provenance.</summary>
    public IReadOnlyList<string> Explanation { get; init; } = [];

    /// <summary>The record as one line of JSON, the form of <c>netpolhost flows -o json</c> and of the agent's flow log:
    /// <c>{"time", "verdict", "direction", "protocol", "source": {"address", "port", "endpoint"}, "destination": {…},
    /// "tier", "policy", "rule", "isolatingPolicies", "explanation"}</c>.</summary>
    /// <returns>The JSON text, without a line break.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("time", Time);
            w.WriteString("verdict", Verdict);
            w.WriteString("direction", Direction);
            w.WriteString("protocol", Protocol);
            w.WriteStartObject("source");
            WriteEnd(w, Source, SourcePort, SourceEndpoint);
            w.WriteEndObject();
            w.WriteStartObject("destination");
            WriteEnd(w, Destination, DestinationPort, DestinationEndpoint);
            w.WriteEndObject();
            w.WriteString("tier", Tier);
            w.WriteString("policy", Policy);
            if (Rule is { } rule)
            {
                w.WriteNumber("rule", rule);
            }
            else
            {
                w.WriteNull("rule");
            }

            WriteStrings(w, "isolatingPolicies", IsolatingPolicies);
            WriteStrings(w, "explanation", Explanation);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());

        static void WriteEnd(Utf8JsonWriter w, IPAddress address, int? port, string? endpoint)
        {
            w.WriteString("address", address.ToString());
            if (port is { } p)
            {
                w.WriteNumber("port", p);
            }
            else
            {
                w.WriteNull("port");
            }

            w.WriteString("endpoint", endpoint);
        }

        static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
        {
            w.WriteStartArray(name);
            foreach (var value in values)
            {
                w.WriteStringValue(value);
            }

            w.WriteEndArray();
        }
    }
}

/// <summary>Implemented by a backend that logs new connections with the provenance of the rule that decided them (a
/// capability of its own, tested for with <c>backend is IFlowLogReader</c>).</summary>
public interface IFlowLogReader
{
    /// <summary>Streams flow records as the firewall logs them, until cancelled.</summary>
    /// <param name="includeAllowed">Also allowed connections (else only denied and would-deny ones).</param>
    /// <param name="cancellationToken">Stops the stream.</param>
    /// <returns>The records, as they happen.</returns>
    IAsyncEnumerable<FlowRecord> ReadFlowsAsync(bool includeAllowed, CancellationToken cancellationToken = default);
}
