using System.Globalization;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>Identifies one rule of a policy: <c>spec.ingress[Rule]</c> or <c>spec.egress[Rule]</c>.</summary>
/// <param name="Policy">The policy.</param>
/// <param name="Rule">The index of the rule in its direction's list.</param>
public readonly record struct RuleRef(PolicyRef Policy, int Rule)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Policy} rule {Rule.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Why one direction of a flow was allowed or denied.</summary>
public enum VerdictReason
{
    /// <summary>No policy of this direction selects the endpoint: everything is allowed.</summary>
    NotIsolated,

    /// <summary>The endpoint is isolated and at least one rule allows the flow.</summary>
    AllowedByRule,

    /// <summary>The endpoint is isolated and no rule of the selecting policies allows the flow.</summary>
    NoRuleMatched,

    /// <summary>The endpoint is not a workload policies can select (an external address, a node, a hostNetwork pod).</summary>
    NotApplicable,

    /// <summary>Traffic between a pod and the node it runs on is always allowed.</summary>
    NodeLocal,

    /// <summary>Both ends are the same host; the traffic never leaves it.</summary>
    SameHost,

    /// <summary>A pod's traffic to itself is always allowed.</summary>
    Self,
}

/// <summary>The verdict of one direction: the source's egress or the destination's ingress.</summary>
/// <param name="Direction">Which direction.</param>
/// <param name="Allowed">Whether this direction allows the flow.</param>
/// <param name="Isolated">Whether at least one policy of this direction selects the endpoint.</param>
/// <param name="Reason">Why.</param>
/// <param name="Policies">The policies of this direction that select the endpoint, sorted.</param>
/// <param name="MatchedRules">Every rule that allows the flow, sorted.</param>
public sealed record DirectionVerdict(
    Direction Direction,
    bool Allowed,
    bool Isolated,
    VerdictReason Reason,
    ValueList<PolicyRef> Policies,
    ValueList<RuleRef> MatchedRules);

/// <summary>The decision on a flow, with its reasons.</summary>
public sealed record FlowVerdict
{
    /// <summary>The flow asked about.</summary>
    public required Flow Flow { get; init; }

    /// <summary>Whether the connection is allowed (both directions allow it).</summary>
    public required bool Allowed { get; init; }

    /// <summary>The source's egress verdict.</summary>
    public required DirectionVerdict Egress { get; init; }

    /// <summary>The destination's ingress verdict.</summary>
    public required DirectionVerdict Ingress { get; init; }

    /// <summary>How the source was understood, e.g. <c>pod production/api (10.244.1.5)</c>.</summary>
    public required string SourceDescription { get; init; }

    /// <summary>How the destination was understood.</summary>
    public required string DestinationDescription { get; init; }

    /// <summary>The source address used, when known.</summary>
    public System.Net.IPAddress? SourceAddress { get; init; }

    /// <summary>The destination address used, when known.</summary>
    public System.Net.IPAddress? DestinationAddress { get; init; }

    /// <summary>Remarks on how the flow was read (e.g. an address resolved to a pod).</summary>
    public ValueList<string> Notes { get; init; }

    /// <summary>Explains the verdict in a few lines a person can act on.</summary>
    /// <returns>The lines.</returns>
    public IReadOnlyList<string> Explain()
    {
        var lines = new List<string>
        {
            $"{(Allowed ? "ALLOWED" : "DENIED")}: {SourceDescription} -> {DestinationDescription} port {Flow.Port.ToString(CultureInfo.InvariantCulture)}/{Flow.Protocol.ToKubernetesName()}",
        };
        lines.AddRange(Notes.Select(n => "  note: " + n));
        lines.Add("  " + ExplainDirection(Egress, "egress of the source"));
        lines.Add("  " + ExplainDirection(Ingress, "ingress of the destination"));
        if (!Allowed)
        {
            var blocking = !Egress.Allowed ? Egress : Ingress;
            var side = blocking.Direction == Direction.Egress ? "the source" : "the destination";
            var list = blocking.Direction == Direction.Egress ? "egress" : "ingress";
            var peer = blocking.Direction == Direction.Egress ? "to the destination" : "from the source";
            lines.Add($"  to allow it: add an {list} rule {peer} on port {Flow.Port.ToString(CultureInfo.InvariantCulture)}/{Flow.Protocol.ToKubernetesName()} to one of the policies that select {side} ({string.Join(", ", blocking.Policies)}), or a new policy selecting {side} with such a rule");
            if (!Egress.Allowed && !Ingress.Allowed)
            {
                lines.Add("  both directions deny it: the other side needs such a rule too");
            }
        }

        return lines;
    }

    private static string ExplainDirection(DirectionVerdict verdict, string what) => verdict.Reason switch
    {
        VerdictReason.NotIsolated => $"{what}: allowed (no policy with {verdict.Direction} selects it)",
        VerdictReason.AllowedByRule => $"{what}: allowed by {string.Join(", ", verdict.MatchedRules)} (selected by {string.Join(", ", verdict.Policies)})",
        VerdictReason.NoRuleMatched => $"{what}: denied (selected by {string.Join(", ", verdict.Policies)}; none of their {verdict.Direction.ToString().ToLowerInvariant()} rules allows this flow)",
        VerdictReason.NotApplicable => $"{what}: allowed (not a pod or host endpoint that policies select)",
        VerdictReason.NodeLocal => $"{what}: allowed (traffic between a pod and its own node is always allowed)",
        VerdictReason.SameHost => $"{what}: allowed (both ends are the same host)",
        _ => $"{what}: allowed (a pod cannot block traffic to itself)",
    };
}
