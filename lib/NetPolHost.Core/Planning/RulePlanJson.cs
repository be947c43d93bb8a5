using System.Text;
using System.Text.Json;
using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>Writes a <see cref="RulePlan"/> as JSON (stable field order, for reviews and golden files).</summary>
/// <remarks>Per endpoint and direction: <c>admin</c> (ordered entry ids of the Admin tier), <c>isolated</c>,
/// <c>policies</c> and <c>rules</c> (the NetworkPolicy stage), <c>baseline</c> (ordered ids of the Baseline tier). Per
/// entry: its <c>action</c> (<c>Accept</c>, <c>Deny</c> or <c>Pass</c>), peers (with <c>domainNames</c>, which are not
/// compiled into addresses) and ports.</remarks>
public static class RulePlanJson
{
    /// <summary>Writes the plan to a JSON writer.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="plan">The plan.</param>
    public static void Write(Utf8JsonWriter writer, RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(plan);
        writer.WriteStartObject();
        writer.WriteString("node", plan.NodeName);
        Strings(writer, "nodeAddresses", plan.NodeAddresses.Select(a => a.ToString()));
        Strings(writer, "localPodAddresses", plan.LocalPodAddresses.Select(a => a.ToString()));
        writer.WriteStartArray("endpoints");
        foreach (var endpoint in plan.Endpoints)
        {
            writer.WriteStartObject();
            writer.WriteString("name", endpoint.Name);
            writer.WriteString("kind", endpoint.Kind == PlanEndpointKind.Pod ? "pod" : "hostEndpoint");
            Strings(writer, "addresses", endpoint.Addresses.Select(a => a.ToString()));
            if (endpoint.InterfaceName is not null)
            {
                writer.WriteString("interface", endpoint.InterfaceName);
            }

            Direction(writer, "ingress", endpoint.Ingress);
            Direction(writer, "egress", endpoint.Egress);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("rules");
        foreach (var rule in plan.Rules)
        {
            writer.WriteStartObject();
            writer.WriteString("id", rule.Id);
            writer.WriteString("policy", rule.Source.Policy.ToString());
            writer.WriteString("direction", rule.Direction == Model.Direction.Ingress ? "ingress" : "egress");
            writer.WriteNumber("rule", rule.Source.Rule);
            writer.WriteString("action", rule.Action.ToString());
            writer.WriteStartObject("peers");
            writer.WriteBoolean("any", rule.Peers.IsAll);
            Strings(writer, "hosts", rule.Peers.Hosts.Select(a => a.ToString()));
            Strings(writer, "ranges", rule.Peers.Ranges.Select(r => r.ToString()));
            Strings(writer, "domainNames", rule.DomainNames);
            writer.WriteEndObject();
            writer.WriteStartObject("ports");
            writer.WriteBoolean("any", rule.Ports.IsAll);
            writer.WriteStartArray("ranges");
            foreach (var range in rule.Ports.Ranges)
            {
                writer.WriteStartObject();
                writer.WriteString("protocol", range.Protocol.ToKubernetesName());
                writer.WriteNumber("first", range.First);
                writer.WriteNumber("last", range.Last);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        Strings(writer, "notes", plan.Notes);
        writer.WriteEndObject();
    }

    /// <summary>The plan as indented JSON text.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The text.</returns>
    public static string Serialize(RulePlan plan)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(writer, plan);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Direction(Utf8JsonWriter writer, string name, DirectionPlan plan)
    {
        writer.WriteStartObject(name);
        Strings(writer, "admin", plan.Admin);
        writer.WriteBoolean("isolated", plan.Isolated);
        Strings(writer, "policies", plan.Policies.Select(p => p.ToString()));
        Strings(writer, "rules", plan.Rules);
        Strings(writer, "baseline", plan.Baseline);
        writer.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
