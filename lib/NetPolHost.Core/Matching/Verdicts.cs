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

    /// <summary>An Accept rule of a ClusterNetworkPolicy decided (<see cref="DirectionVerdict.DecidedBy"/>).</summary>
    AcceptedByClusterPolicy,

    /// <summary>A Deny rule of a ClusterNetworkPolicy decided (<see cref="DirectionVerdict.DecidedBy"/>).</summary>
    DeniedByClusterPolicy,
}

/// <summary>Which stage of the evaluation decided a direction: the Admin tier of ClusterNetworkPolicies, the
/// NetworkPolicies, the Baseline tier, or none (allowed by default, or exempt).</summary>
public enum DecisionTier
{
    /// <summary>No policy decided: the direction is allowed by default (or exempt: self, same host, not a workload).</summary>
    None,

    /// <summary>An Admin-tier ClusterNetworkPolicy rule.</summary>
    Admin,

    /// <summary>The NetworkPolicies that select the endpoint.</summary>
    NetworkPolicy,

    /// <summary>A Baseline-tier ClusterNetworkPolicy rule.</summary>
    Baseline,
}

/// <summary>The rule that decided a direction.</summary>
/// <param name="Kind">The policy's kind: <c>NetworkPolicy</c>, <c>ClusterNetworkPolicy</c>, <c>AdminNetworkPolicy</c> or
/// <c>BaselineAdminNetworkPolicy</c>.</param>
/// <param name="Name">The policy: <c>namespace/name</c> for a NetworkPolicy, the name for a cluster-scoped policy.</param>
/// <param name="Rule">The index of the rule in its direction's list, from 0.</param>
/// <param name="RuleName">The rule's name, if it has one.</param>
/// <param name="Action">What the rule does (NetworkPolicy rules accept).</param>
public sealed record DecidingRule(string Kind, string Name, int Rule, string? RuleName, ClusterPolicyAction Action)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Kind} {Name} rule {Rule.ToString(CultureInfo.InvariantCulture)}{(RuleName is null ? string.Empty : " '" + RuleName + "'")}";
}

/// <summary>The verdict of one direction: the source's egress or the destination's ingress.</summary>
/// <param name="Direction">Which direction.</param>
/// <param name="Allowed">Whether this direction allows the flow.</param>
/// <param name="Isolated">Whether at least one policy of this direction selects the endpoint.</param>
/// <param name="Reason">Why.</param>
/// <param name="Policies">The policies of this direction that select the endpoint, sorted.</param>
/// <param name="MatchedRules">Every rule that allows the flow, sorted.</param>
/// <remarks><see cref="Isolated"/>, <see cref="Policies"/> and <see cref="MatchedRules"/> are about NetworkPolicies;
/// <see cref="Tier"/> and <see cref="DecidedBy"/> say which stage and rule decided, ClusterNetworkPolicies included.</remarks>
public sealed record DirectionVerdict(
    Direction Direction,
    bool Allowed,
    bool Isolated,
    VerdictReason Reason,
    ValueList<PolicyRef> Policies,
    ValueList<RuleRef> MatchedRules)
{
    /// <summary>The stage that decided.</summary>
    public DecisionTier Tier { get; init; }

    /// <summary>The rule that decided, or <see langword="null"/> (allowed by default, exempt, or denied by NetworkPolicy
    /// isolation with no rule allowing it).</summary>
    public DecidingRule? DecidedBy { get; init; }

    /// <summary>The Pass rules of ClusterNetworkPolicies that sent the decision on to the next stage.</summary>
    public ValueList<DecidingRule> Passed { get; init; }

    /// <summary>ClusterNetworkPolicy rules that could not be decided offline (domain names without addresses); they were
    /// taken as not matching.</summary>
    public ValueList<DecidingRule> Undecided { get; init; }

    /// <summary>Whether the verdict does not depend on rules that could not be decided offline.</summary>
    public bool Decidable => Undecided.IsEmpty;
}

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

    /// <summary>Whether both directions could be decided offline (see <see cref="DirectionVerdict.Undecided"/>).</summary>
    public bool Decidable => Egress.Decidable && Ingress.Decidable;

    /// <summary>Explains the verdict in a few lines a person can act on.</summary>
    /// <returns>The lines.</returns>
    public IReadOnlyList<string> Explain()
    {
        var lines = new List<string>
        {
            $"{(Allowed ? "ALLOWED" : "DENIED")}: {SourceDescription} -> {DestinationDescription} {(Flow.Protocol.HasPorts() ? "port " : string.Empty)}{Flow.PortText}",
        };
        lines.AddRange(Notes.Select(n => "  note: " + n));
        lines.Add("  " + ExplainDirection(Egress, "egress of the source"));
        lines.Add("  " + ExplainDirection(Ingress, "ingress of the destination"));
        if (!Decidable)
        {
            lines.Add("  not decidable offline: " + string.Join(", ", Egress.Undecided.Concat(Ingress.Undecided)) + " name domains whose addresses are not known; the verdict takes them as not matching");
        }

        if (!Allowed)
        {
            var blocking = !Egress.Allowed ? Egress : Ingress;
            var side = blocking.Direction == Direction.Egress ? "the source" : "the destination";
            var list = blocking.Direction == Direction.Egress ? "egress" : "ingress";
            var peer = blocking.Direction == Direction.Egress ? "to the destination" : "from the source";
            // ICMP has no port: only a rule without ports admits it.
            var port = Flow.Protocol.HasPorts() ? "on port " + Flow.PortText : "without ports (only such rules admit " + Flow.PortText + ")";
            lines.Add(blocking.Tier switch
            {
                DecisionTier.Admin => $"  to allow it: the Admin tier's {blocking.DecidedBy} denies it, and no NetworkPolicy can override the Admin tier; change that rule, or add an Accept or Pass rule that matches before it (earlier in that policy, or in an Admin-tier policy of lower priority)",
                DecisionTier.Baseline => $"  to allow it: add a NetworkPolicy selecting {side} with an {list} rule {peer} {port} (NetworkPolicies are decided before the Baseline tier), or change the Baseline tier's {blocking.DecidedBy}",
                _ => $"  to allow it: add an {list} rule {peer} {port} to one of the policies that select {side} ({string.Join(", ", blocking.Policies)}), or a new policy selecting {side} with such a rule",
            });
            if (!Egress.Allowed && !Ingress.Allowed)
            {
                lines.Add("  both directions deny it: the other side needs such a rule too");
            }
        }

        return lines;
    }

    private static string ExplainDirection(DirectionVerdict verdict, string what)
    {
        var text = verdict.Reason switch
        {
            VerdictReason.NotIsolated => $"{what}: allowed (no policy with {verdict.Direction} selects it)",
            VerdictReason.AllowedByRule => $"{what}: allowed by {string.Join(", ", verdict.MatchedRules)} (selected by {string.Join(", ", verdict.Policies)})",
            VerdictReason.NoRuleMatched => $"{what}: denied (selected by {string.Join(", ", verdict.Policies)}; none of their {verdict.Direction.ToString().ToLowerInvariant()} rules allows this flow)",
            VerdictReason.NotApplicable => $"{what}: allowed (not a pod or host endpoint that policies select)",
            VerdictReason.NodeLocal => $"{what}: allowed (traffic between a pod and its own node is always allowed)",
            VerdictReason.SameHost => $"{what}: allowed (both ends are the same host)",
            VerdictReason.AcceptedByClusterPolicy => $"{what}: allowed by {verdict.DecidedBy} ({verdict.Tier} tier)",
            VerdictReason.DeniedByClusterPolicy => $"{what}: denied by {verdict.DecidedBy} ({verdict.Tier} tier)",
            _ => $"{what}: allowed (a pod cannot block traffic to itself)",
        };
        if (!verdict.Passed.IsEmpty)
        {
            text += "; passed on by " + string.Join(", ", verdict.Passed);
        }

        return text;
    }
}
