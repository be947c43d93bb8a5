using System.Globalization;

namespace NetPolHost.Model;

/// <summary>The tier of a <see cref="ClusterNetworkPolicy"/>: Admin policies are decided before NetworkPolicies,
/// Baseline policies after them.</summary>
public enum PolicyTier
{
    /// <summary>Decided before NetworkPolicies: guardrails a namespace owner cannot undo.</summary>
    Admin,

    /// <summary>Decided after NetworkPolicies: defaults a namespace owner may override.</summary>
    Baseline,
}

/// <summary>What a matching <see cref="ClusterNetworkPolicyRule"/> does.</summary>
public enum ClusterPolicyAction
{
    /// <summary>Allows the direction; final.</summary>
    Accept,

    /// <summary>Denies the direction; final.</summary>
    Deny,

    /// <summary>Leaves the tier: the rest of it is skipped and the next stage decides (NetworkPolicy after Admin, the
    /// default after Baseline).</summary>
    Pass,
}

/// <summary>Pods chosen by a namespace selector and a pod selector together (<c>pods: {namespaceSelector,
/// podSelector}</c>).</summary>
/// <param name="NamespaceSelector">The namespaces; <c>{}</c> is all of them.</param>
/// <param name="PodSelector">The pods in those namespaces; <c>{}</c> is all of them.</param>
public sealed record NamespacedPodSelector(LabelSelector NamespaceSelector, LabelSelector PodSelector)
{
    /// <summary>Formats as <c>namespaces … and pods …</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"pods {PodSelector} in namespaces {NamespaceSelector}";
}

/// <summary>The pods a <see cref="ClusterNetworkPolicy"/> applies to: exactly one of <see cref="Namespaces"/> (every pod
/// of the matching namespaces) and <see cref="Pods"/>. hostNetwork pods are never subjects.</summary>
public sealed record ClusterPolicySubject
{
    /// <summary>Every pod of the namespaces this selects, or <see langword="null"/>.</summary>
    public LabelSelector? Namespaces { get; init; }

    /// <summary>The pods this selects, or <see langword="null"/>.</summary>
    public NamespacedPodSelector? Pods { get; init; }

    /// <summary>Formats the subject.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Pods?.ToString() ?? (Namespaces is null ? "(no subject)" : "namespaces " + Namespaces);
}

/// <summary>One entry of a ClusterNetworkPolicy rule's <c>from</c> or <c>to</c> list: exactly one field is set.</summary>
/// <remarks>
/// <see cref="Namespaces"/> and <see cref="Pods"/> match pods (never hostNetwork pods, never nodes);
/// <see cref="Networks"/> match any address, pods' included; <see cref="Nodes"/> match the addresses of the selected
/// nodes; <see cref="DomainNames"/> match what the names resolve to. A peer whose only fields are of a newer API version
/// (<see cref="UnknownFields"/>) matches nothing for Accept and everything for Deny and Pass (fail closed).
/// </remarks>
public sealed record ClusterPolicyPeer
{
    /// <summary>Every pod of the namespaces this selects.</summary>
    public LabelSelector? Namespaces { get; init; }

    /// <summary>The pods this selects.</summary>
    public NamespacedPodSelector? Pods { get; init; }

    /// <summary>Address blocks (egress only).</summary>
    public ValueList<Cidr> Networks { get; init; }

    /// <summary>The nodes this selects, by their labels (egress only).</summary>
    public LabelSelector? Nodes { get; init; }

    /// <summary>Domain names, exact or with a leading <c>*.</c> (egress only).</summary>
    public ValueList<string> DomainNames { get; init; }

    /// <summary>Fields of the peer this version does not know (a newer API's peer types), sorted.</summary>
    public ValueList<string> UnknownFields { get; init; }

    /// <summary>Whether no known field is set: the peer fails closed.</summary>
    public bool IsUnknown => Namespaces is null && Pods is null && Networks.IsEmpty && Nodes is null && DomainNames.IsEmpty;

    /// <summary>Formats the peer for explanations.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (Pods is not null)
        {
            return Pods.ToString();
        }

        if (Namespaces is not null)
        {
            return "namespaces " + Namespaces;
        }

        if (!Networks.IsEmpty)
        {
            return "networks " + string.Join(", ", Networks);
        }

        if (Nodes is not null)
        {
            return "nodes " + Nodes;
        }

        if (!DomainNames.IsEmpty)
        {
            return "domain names " + string.Join(", ", DomainNames);
        }

        return UnknownFields.IsEmpty ? "(empty peer)" : "(unknown peer: " + string.Join(", ", UnknownFields) + ")";
    }
}

/// <summary>One entry of a ClusterNetworkPolicy rule's <c>protocols</c> list: a protocol with a destination port or
/// range, or a named port (resolved on the destination pod, any protocol of that name).</summary>
public sealed record ClusterPolicyPort
{
    /// <summary>The protocol (ignored for a named port: the destination pod's container port gives it).</summary>
    public Protocol Protocol { get; init; } = Protocol.Tcp;

    /// <summary>The first destination port; 0 with <see cref="EndPort"/> 0 means every port of the protocol.</summary>
    public int Port { get; init; }

    /// <summary>The last destination port of a range, inclusive; equal to <see cref="Port"/> for one port.</summary>
    public int EndPort { get; init; }

    /// <summary>A container port name (<c>destinationNamedPort</c>), or <see langword="null"/>.</summary>
    public string? NamedPort { get; init; }

    /// <summary>Whether every port of <see cref="Protocol"/> matches.</summary>
    public bool IsAllPorts => NamedPort is null && Port == 0;

    /// <summary>Formats as <c>80/TCP</c>, <c>8000-8080/TCP</c>, <c>*/UDP</c> or <c>named http</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (NamedPort is not null)
        {
            return "named port " + NamedPort;
        }

        var ports = IsAllPorts ? "*" : Port == EndPort ? Port.ToString(CultureInfo.InvariantCulture) : $"{Port.ToString(CultureInfo.InvariantCulture)}-{EndPort.ToString(CultureInfo.InvariantCulture)}";
        return ports + "/" + Protocol.ToKubernetesName();
    }
}

/// <summary>One ingress or egress rule of a <see cref="ClusterNetworkPolicy"/>. Rules are tried in order; the first that
/// matches decides with its <see cref="Action"/>.</summary>
public sealed record ClusterNetworkPolicyRule
{
    /// <summary>The rule's name (informational), or <see langword="null"/>.</summary>
    public string? Name { get; init; }

    /// <summary>What a match does.</summary>
    public required ClusterPolicyAction Action { get; init; }

    /// <summary>The <c>from</c> (ingress) or <c>to</c> (egress) peers; a flow matches when any peer does.</summary>
    public ValueList<ClusterPolicyPeer> Peers { get; init; }

    /// <summary>The <c>protocols</c>; empty means every protocol and port.</summary>
    public ValueList<ClusterPolicyPort> Protocols { get; init; }
}

/// <summary>A cluster-scoped <c>policy.networking.k8s.io/v1alpha2</c> ClusterNetworkPolicy (also what v1alpha1
/// AdminNetworkPolicy and BaselineAdminNetworkPolicy convert to).</summary>
/// <remarks>
/// Per direction, policies of the <see cref="PolicyTier.Admin"/> tier are tried first, by ascending
/// <see cref="Priority"/> and then by <see cref="Name"/> (ordinal; the API leaves ties to implementations), their rules in
/// written order; the first matching rule decides: Accept and Deny are final, Pass leaves the tier. Then
/// NetworkPolicies, if any selects the pod for that direction. Then the <see cref="PolicyTier.Baseline"/> tier, likewise.
/// Otherwise the direction is allowed. Selection by a ClusterNetworkPolicy does not isolate a pod.
/// </remarks>
public sealed record ClusterNetworkPolicy
{
    /// <summary>The kind this policy was read as: <c>ClusterNetworkPolicy</c>, <c>AdminNetworkPolicy</c> or
    /// <c>BaselineAdminNetworkPolicy</c>.</summary>
    public string SourceKind { get; init; } = "ClusterNetworkPolicy";

    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>spec.tier</c>.</summary>
    public required PolicyTier Tier { get; init; }

    /// <summary><c>spec.priority</c>, 0–1000; lower is tried first within the tier.</summary>
    public int Priority { get; init; }

    /// <summary><c>spec.subject</c>.</summary>
    public required ClusterPolicySubject Subject { get; init; }

    /// <summary><c>spec.ingress</c>, in order.</summary>
    public ValueList<ClusterNetworkPolicyRule> Ingress { get; init; }

    /// <summary><c>spec.egress</c>, in order.</summary>
    public ValueList<ClusterNetworkPolicyRule> Egress { get; init; }

    /// <summary>The identity used in explanations and rule references: an empty namespace and the name.</summary>
    public PolicyRef Ref => new(string.Empty, Name);

    /// <summary>The rules of one direction.</summary>
    /// <param name="direction">The direction.</param>
    /// <returns><see cref="Ingress"/> or <see cref="Egress"/>.</returns>
    public ValueList<ClusterNetworkPolicyRule> Rules(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;

    /// <summary>The order of evaluation within a tier: by priority, then by name (ordinal).</summary>
    /// <param name="a">One policy.</param>
    /// <param name="b">The other.</param>
    /// <returns>Negative when <paramref name="a"/> is tried first.</returns>
    public static int CompareEvaluationOrder(ClusterNetworkPolicy a, ClusterNetworkPolicy b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var c = a.Tier.CompareTo(b.Tier);
        if (c == 0)
        {
            c = a.Priority.CompareTo(b.Priority);
        }

        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    }

    /// <summary>Formats as <c>ClusterNetworkPolicy name (Admin, priority 10)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{SourceKind} {Name} ({Tier}, priority {Priority.ToString(CultureInfo.InvariantCulture)})";
}
