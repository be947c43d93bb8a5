using System.Globalization;
using System.Text.RegularExpressions;
using NetPolHost.Model;

namespace NetPolHost.Validation;

/// <content>ClusterNetworkPolicy, and the v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy it is converted
/// from: the rules of the network-policy-api CRD schemas and their CEL rules.</content>
public static partial class PolicyValidator
{
    /// <summary>Validates a ClusterNetworkPolicy (or an AdminNetworkPolicy or BaselineAdminNetworkPolicy converted to one,
    /// by its <see cref="ClusterNetworkPolicy.SourceKind"/>: then the limits, action names and field paths are those of
    /// <c>policy.networking.k8s.io/v1alpha1</c>).</summary>
    /// <param name="policy">The policy.</param>
    /// <returns>Every error; empty when the policy is valid.</returns>
    /// <remarks>
    /// Rules (network-policy-api v0.2.0 for v1alpha2, v0.1.x for v1alpha1): the name is a DNS subdomain, and a
    /// BaselineAdminNetworkPolicy is named <c>default</c>; the tier is Admin or Baseline; the priority is 0–1000; the
    /// subject sets exactly one of namespaces and pods; at most 25 ingress and 25 egress rules (100 in v1alpha1); a rule
    /// name has at most 100 characters; the action is Accept, Deny or Pass (v1alpha1: Allow, Deny, Pass; Baseline: Allow,
    /// Deny); 1–25 peers (1–100 in v1alpha1), each setting exactly one field: namespaces or pods, and in egress also
    /// nodes, networks and domainNames (BaselineAdminNetworkPolicy: no domainNames); 1–25 networks and 1–25 domain names,
    /// each matching the upstream pattern (a <c>*.</c> prefix at most); 1–25 protocols (1–100 ports in v1alpha1); ports
    /// 1–65535, a range's start below its end (v1alpha1: not above); a named port is not used in a rule whose peers
    /// include networks, nodes or domainNames; label selectors and labels as for NetworkPolicy. A peer with only
    /// <see cref="ClusterPolicyPeer.UnknownFields"/> is valid: it fails closed. Syntax the model cannot hold (an unknown
    /// action name, a missing podSelector, duplicate list items, a CIDR that does not parse) is reported by the loader.
    /// </remarks>
    public static IReadOnlyList<ValidationError> Validate(ClusterNetworkPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new List<ValidationError>();
        var kind = ClusterPolicyKind.Of(policy.SourceKind);
        if (kind is null)
        {
            errors.Add(new(string.Empty, $"expected the kind ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy, found {Rules.Quote(policy.SourceKind)}"));
            return errors;
        }

        if (string.IsNullOrEmpty(policy.Name))
        {
            errors.Add(new("metadata.name", "expected a name, found none"));
        }
        else if (Rules.SubdomainName(policy.Name) is { } problem)
        {
            errors.Add(new("metadata.name", problem));
        }
        else if (kind.SingletonName is { } singleton && policy.Name != singleton)
        {
            errors.Add(new("metadata.name", $"expected the name {Rules.Quote(singleton)} (a cluster has one {kind.Kind}, and the API server accepts no other name), found {Rules.Quote(policy.Name)}"));
        }

        ValidateTierAndPriority(policy, kind, errors);
        ValidateSubject(policy.Subject, errors);
        ValidateClusterRules(policy.Ingress, Direction.Ingress, kind, errors);
        ValidateClusterRules(policy.Egress, Direction.Egress, kind, errors);
        return errors;
    }

    private static void ValidateTierAndPriority(ClusterNetworkPolicy policy, ClusterPolicyKind kind, List<ValidationError> errors)
    {
        if (!Enum.IsDefined(policy.Tier))
        {
            errors.Add(new("spec.tier", $"expected one of \"Admin\", \"Baseline\", found {((int)policy.Tier).ToString(CultureInfo.InvariantCulture)}"));
        }
        else if (kind.FixedTier is { } tier && policy.Tier != tier)
        {
            errors.Add(new("spec", $"expected the {tier} tier for a {kind.Kind}, found the {policy.Tier} tier"));
        }

        if (kind.HasPriority)
        {
            if (policy.Priority is < ClusterPolicyKind.MinPriority or > ClusterPolicyKind.MaxPriority)
            {
                errors.Add(new("spec.priority", PriorityProblem(policy.Priority)));
            }
        }
        else if (policy.Priority != 0)
        {
            errors.Add(new("spec", $"expected priority 0 for a {kind.Kind}, which has no priority, found {policy.Priority.ToString(CultureInfo.InvariantCulture)}"));
        }
    }

    /// <summary>The message for a priority outside 0–1000 (the loader uses it for values beyond 32 bits too).</summary>
    internal static string PriorityProblem(long priority) =>
        $"expected a priority between 0 and 1000, found {priority.ToString(CultureInfo.InvariantCulture)}";

    private static void ValidateSubject(ClusterPolicySubject? subject, List<ValidationError> errors)
    {
        const string Path = "spec.subject";
        if (subject is null || (subject.Namespaces is null && subject.Pods is null))
        {
            errors.Add(new(Path, "expected exactly one of namespaces or pods, found none"));
            return;
        }

        if (subject.Namespaces is not null && subject.Pods is not null)
        {
            errors.Add(new(Path, "expected exactly one of namespaces or pods, found both (a subject of pods has its own namespaceSelector)"));
        }

        if (subject.Namespaces is not null)
        {
            ValidateSelector(subject.Namespaces, Path + ".namespaces", errors);
        }

        if (subject.Pods is not null)
        {
            ValidateNamespacedPods(subject.Pods, Path + ".pods", errors);
        }
    }

    private static void ValidateNamespacedPods(NamespacedPodSelector pods, string path, List<ValidationError> errors)
    {
        ValidateSelector(pods.NamespaceSelector, path + ".namespaceSelector", errors);
        ValidateSelector(pods.PodSelector, path + ".podSelector", errors);
    }

    private static void ValidateClusterRules(ValueList<ClusterNetworkPolicyRule> rules, Direction direction, ClusterPolicyKind kind, List<ValidationError> errors)
    {
        var path = direction == Direction.Ingress ? "spec.ingress" : "spec.egress";
        var direct = direction == Direction.Ingress ? "ingress" : "egress";
        if (rules.Count > kind.MaxRules)
        {
            errors.Add(new(path, $"expected at most {kind.MaxRules.ToString(CultureInfo.InvariantCulture)} {direct} rules, found {rules.Count.ToString(CultureInfo.InvariantCulture)}"));
        }

        var peersField = direction == Direction.Ingress ? "from" : "to";
        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            var rulePath = $"{path}[{r.ToString(CultureInfo.InvariantCulture)}]";
            if (rule.Name is { } name && name.EnumerateRunes().Count() is var length && length > ClusterPolicyKind.MaxRuleNameLength)
            {
                errors.Add(new(rulePath + ".name", $"expected a rule name of at most 100 characters, found {length.ToString(CultureInfo.InvariantCulture)} characters"));
            }

            if (!kind.Allows(rule.Action))
            {
                var found = Enum.IsDefined(rule.Action) ? Rules.Quote(kind.ActionName(rule.Action)) : ((int)rule.Action).ToString(CultureInfo.InvariantCulture);
                errors.Add(new(rulePath + ".action", $"expected {kind.ActionList}, found {found}"));
            }

            ValidateClusterPeers(rule, direction, kind, $"{rulePath}.{peersField}", errors);
            ValidateClusterPorts(rule, direction, kind, rulePath, errors);
        }
    }

    private static void ValidateClusterPeers(ClusterNetworkPolicyRule rule, Direction direction, ClusterPolicyKind kind, string path, List<ValidationError> errors)
    {
        var peers = rule.Peers;
        if (peers.Count == 0 || peers.Count > kind.MaxPeers)
        {
            var found = peers.Count == 0 ? "none" : peers.Count.ToString(CultureInfo.InvariantCulture);
            errors.Add(new(path, $"expected 1 to {kind.MaxPeers.ToString(CultureInfo.InvariantCulture)} peers, found {found}"));
        }

        var allowed = kind.PeerFields(direction);
        for (var p = 0; p < peers.Count; p++)
        {
            var peer = peers[p];
            var peerPath = $"{path}[{p.ToString(CultureInfo.InvariantCulture)}]";
            var set = SetPeerFields(peer);
            if (set.Count == 0 && peer.UnknownFields.IsEmpty)
            {
                errors.Add(new(peerPath, $"expected exactly one of {ClusterPolicyKind.OrList(allowed)}, found an empty peer"));
                continue;
            }

            if (set.Count + peer.UnknownFields.Count > 1)
            {
                var all = set.Concat(peer.UnknownFields).ToList();
                errors.Add(new(peerPath, $"expected exactly one of {ClusterPolicyKind.OrList(allowed)}, found {ClusterPolicyKind.AndList(all)} (make them separate peers)"));
            }

            foreach (var field in set.Where(f => Array.IndexOf(allowed, f) < 0))
            {
                errors.Add(new($"{peerPath}.{field}", direction == Direction.Ingress
                    ? $"expected one of {ClusterPolicyKind.OrList(allowed)} in an ingress peer, found {field} (nodes, networks and domainNames are egress peers)"
                    : $"expected one of {ClusterPolicyKind.OrList(allowed)} in a {kind.Kind} egress peer, found {field}"));
            }

            if (peer.Namespaces is not null)
            {
                ValidateSelector(peer.Namespaces, peerPath + ".namespaces", errors);
            }

            if (peer.Pods is not null)
            {
                ValidateNamespacedPods(peer.Pods, peerPath + ".pods", errors);
            }

            if (peer.Nodes is not null)
            {
                ValidateSelector(peer.Nodes, peerPath + ".nodes", errors);
            }

            if (peer.Networks.Count > ClusterPolicyKind.MaxNetworks)
            {
                errors.Add(new(peerPath + ".networks", $"expected 1 to 25 networks, found {peer.Networks.Count.ToString(CultureInfo.InvariantCulture)}"));
            }

            if (peer.DomainNames.Count > ClusterPolicyKind.MaxDomainNames)
            {
                errors.Add(new(peerPath + ".domainNames", $"expected 1 to 25 domain names, found {peer.DomainNames.Count.ToString(CultureInfo.InvariantCulture)}"));
            }

            for (var d = 0; d < peer.DomainNames.Count; d++)
            {
                if (ClusterPolicyKind.DomainNameProblem(peer.DomainNames[d]) is { } problem)
                {
                    errors.Add(new($"{peerPath}.domainNames[{d.ToString(CultureInfo.InvariantCulture)}]", problem));
                }
            }
        }
    }

    /// <summary>The known fields a peer sets, in the order of the API's Go type.</summary>
    private static List<string> SetPeerFields(ClusterPolicyPeer peer)
    {
        var set = new List<string>(1);
        if (peer.Namespaces is not null)
        {
            set.Add("namespaces");
        }

        if (peer.Pods is not null)
        {
            set.Add("pods");
        }

        if (peer.Nodes is not null)
        {
            set.Add("nodes");
        }

        if (!peer.Networks.IsEmpty)
        {
            set.Add("networks");
        }

        if (!peer.DomainNames.IsEmpty)
        {
            set.Add("domainNames");
        }

        return set;
    }

    private static void ValidateClusterPorts(ClusterNetworkPolicyRule rule, Direction direction, ClusterPolicyKind kind, string rulePath, List<ValidationError> errors)
    {
        var ports = rule.Protocols;
        var path = $"{rulePath}.{kind.PortsField}";
        if (ports.Count > kind.MaxPorts)
        {
            errors.Add(new(path, $"expected 1 to {kind.MaxPorts.ToString(CultureInfo.InvariantCulture)} {kind.PortsField}, found {ports.Count.ToString(CultureInfo.InvariantCulture)}"));
        }

        // The egress CEL rule: no named port where a peer (networks, nodes, domainNames) has no named ports.
        string? addressPeer = null;
        if (direction == Direction.Egress)
        {
            for (var p = 0; p < rule.Peers.Count && addressPeer is null; p++)
            {
                var peer = rule.Peers[p];
                var field = !peer.Networks.IsEmpty ? "networks"
                    : peer.Nodes is not null ? "nodes"
                    : !peer.DomainNames.IsEmpty && kind.NamedPortRuleCoversDomainNames ? "domainNames"
                    : null;
                if (field is not null)
                {
                    addressPeer = $"{field} at to[{p.ToString(CultureInfo.InvariantCulture)}]";
                }
            }
        }

        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var portPath = $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (port.NamedPort is { } named)
            {
                var namedPath = portPath + "." + kind.NamedPortField;
                if (named.Length == 0)
                {
                    errors.Add(new(namedPath, "expected the name of a container port, found an empty string"));
                }
                else if (addressPeer is not null)
                {
                    errors.Add(new(namedPath, $"expected no named port in a rule with {kind.AddressPeerList} peers (they have no named ports), found {kind.NamedPortField} {Rules.Quote(named)} and {addressPeer}"));
                }

                continue;
            }

            if (port.Protocol is not (Protocol.Tcp or Protocol.Udp or Protocol.Sctp))
            {
                var name = Enum.IsDefined(port.Protocol) ? port.Protocol.ToKubernetesName() : ((int)port.Protocol).ToString(CultureInfo.InvariantCulture);
                errors.Add(new(kind.IsV1Alpha1 ? portPath + (port.Port == port.EndPort ? ".portNumber" : ".portRange") + ".protocol" : portPath, $"expected one of {(kind.IsV1Alpha1 ? "\"TCP\", \"UDP\", \"SCTP\"" : "tcp, udp, sctp or destinationNamedPort")}, found {Rules.Quote(name)}"));
                continue;
            }

            var protocolPath = kind.IsV1Alpha1 ? portPath : $"{portPath}.{port.Protocol.ToKubernetesName().ToLowerInvariant()}";
            if (port.Port == 0 && port.EndPort == 0)
            {
                errors.Add(kind.IsV1Alpha1
                    ? new(portPath, $"expected exactly one of {kind.PortChoices}, found none")
                    : new(protocolPath + ".destinationPort", "expected a destinationPort (a number or a range), found none"));
                continue;
            }

            if (port.Port == port.EndPort)
            {
                if (Rules.PortNumber(port.Port) is { } problem)
                {
                    errors.Add(new(kind.IsV1Alpha1 ? portPath + ".portNumber.port" : protocolPath + ".destinationPort.number", problem));
                }

                continue;
            }

            var rangePath = kind.IsV1Alpha1 ? portPath + ".portRange" : protocolPath + ".destinationPort.range";
            var startProblem = Rules.PortNumber(port.Port);
            var endProblem = Rules.PortNumber(port.EndPort);
            if (startProblem is not null)
            {
                errors.Add(new(rangePath + ".start", startProblem));
            }

            if (endProblem is not null)
            {
                errors.Add(new(rangePath + ".end", endProblem));
            }

            if (startProblem is null && endProblem is null && port.Port > port.EndPort)
            {
                errors.Add(new(rangePath, RangeProblem(port.Port, port.EndPort, kind.IsV1Alpha1)));
            }
        }
    }

    /// <summary>The message for a port range whose start is not below its end (v1alpha1: above it).</summary>
    internal static string RangeProblem(long start, long end, bool v1Alpha1) => v1Alpha1
        ? $"expected start at most end, found start {start.ToString(CultureInfo.InvariantCulture)} and end {end.ToString(CultureInfo.InvariantCulture)}"
        : $"expected start below end (for one port, write number), found start {start.ToString(CultureInfo.InvariantCulture)} and end {end.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>What differs between ClusterNetworkPolicy (v1alpha2) and the v1alpha1 AdminNetworkPolicy and
/// BaselineAdminNetworkPolicy it replaces: fields, limits and action names, as the upstream CRD schemas have them.</summary>
internal sealed partial class ClusterPolicyKind
{
    public const int MinPriority = 0;
    public const int MaxPriority = 1000;
    public const int MaxRuleNameLength = 100;
    public const int MaxNetworks = 25;
    public const int MaxDomainNames = 25;
    public const int MaxCidrLength = 43;

    /// <summary>The DomainName pattern of the CRD, as upstream writes it (its <c>A-z</c> ranges also admit
    /// <c>[ \ ] ^ _ `</c>, which the API server therefore accepts too); anchored with \z, as Go's <c>$</c> is.</summary>
    public const string DomainNamePattern = "^(\\*\\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\\.?";

    private static readonly string[] s_ingressPeers = ["namespaces", "pods"];
    private static readonly string[] s_egressPeers = ["namespaces", "pods", "nodes", "networks", "domainNames"];
    private static readonly string[] s_baselineEgressPeers = ["namespaces", "pods", "nodes", "networks"];

    public static ClusterPolicyKind Cluster { get; } = new()
    {
        Kind = "ClusterNetworkPolicy",
        ApiVersion = "policy.networking.k8s.io/v1alpha2",
        IsV1Alpha1 = false,
        HasPriority = true,
        Actions = [ClusterPolicyAction.Accept, ClusterPolicyAction.Deny, ClusterPolicyAction.Pass],
        EgressPeers = s_egressPeers,
        MaxRules = 25,
        MaxPeers = 25,
        MaxPorts = 25,
    };

    public static ClusterPolicyKind Admin { get; } = new()
    {
        Kind = "AdminNetworkPolicy",
        ApiVersion = "policy.networking.k8s.io/v1alpha1",
        IsV1Alpha1 = true,
        HasPriority = true,
        FixedTier = PolicyTier.Admin,
        Actions = [ClusterPolicyAction.Accept, ClusterPolicyAction.Deny, ClusterPolicyAction.Pass],
        EgressPeers = s_egressPeers,
        MaxRules = 100,
        MaxPeers = 100,
        MaxPorts = 100,
    };

    public static ClusterPolicyKind Baseline { get; } = new()
    {
        Kind = "BaselineAdminNetworkPolicy",
        ApiVersion = "policy.networking.k8s.io/v1alpha1",
        IsV1Alpha1 = true,
        HasPriority = false,
        FixedTier = PolicyTier.Baseline,
        SingletonName = "default",
        Actions = [ClusterPolicyAction.Accept, ClusterPolicyAction.Deny],
        EgressPeers = s_baselineEgressPeers,
        MaxRules = 100,
        MaxPeers = 100,
        MaxPorts = 100,
    };

    public required string Kind { get; init; }

    public required string ApiVersion { get; init; }

    /// <summary>Whether this is a v1alpha1 kind: <c>ports</c> (portNumber, portRange, namedPort), action <c>Allow</c>,
    /// a required namespaceSelector in <c>pods</c>.</summary>
    public required bool IsV1Alpha1 { get; init; }

    public required bool HasPriority { get; init; }

    /// <summary>The tier of a v1alpha1 kind; <see langword="null"/> when <c>spec.tier</c> says it.</summary>
    public PolicyTier? FixedTier { get; init; }

    /// <summary>The one name the API server accepts, or <see langword="null"/>.</summary>
    public string? SingletonName { get; init; }

    public required ClusterPolicyAction[] Actions { get; init; }

    public required string[] EgressPeers { get; init; }

    public required int MaxRules { get; init; }

    public required int MaxPeers { get; init; }

    public required int MaxPorts { get; init; }

    /// <summary><c>protocols</c> (v1alpha2) or <c>ports</c> (v1alpha1).</summary>
    public string PortsField => IsV1Alpha1 ? "ports" : "protocols";

    /// <summary><c>destinationNamedPort</c> (v1alpha2) or <c>namedPort</c> (v1alpha1).</summary>
    public string NamedPortField => IsV1Alpha1 ? "namedPort" : "destinationNamedPort";

    /// <summary>The fields of a port entry, exactly one of which is set.</summary>
    public string PortChoices => IsV1Alpha1 ? "portNumber, namedPort or portRange" : "tcp, udp, sctp or destinationNamedPort";

    /// <summary>Whether the named-port CEL rule of egress rules names domainNames peers too (not in
    /// BaselineAdminNetworkPolicy, which has none).</summary>
    public bool NamedPortRuleCoversDomainNames => Array.IndexOf(EgressPeers, "domainNames") >= 0;

    /// <summary>The peers without named ports, for the named-port message.</summary>
    public string AddressPeerList => NamedPortRuleCoversDomainNames ? "networks, nodes or domainNames" : "networks or nodes";

    /// <summary>The accepted action names, for messages: <c>one of "Accept", "Deny", "Pass"</c>.</summary>
    public string ActionList => "one of " + string.Join(", ", Actions.Select(a => Rules.Quote(ActionName(a))));

    /// <summary>The kind for a <see cref="ClusterNetworkPolicy.SourceKind"/>, or <see langword="null"/>.</summary>
    public static ClusterPolicyKind? Of(string? kind) => kind switch
    {
        "ClusterNetworkPolicy" => Cluster,
        "AdminNetworkPolicy" => Admin,
        "BaselineAdminNetworkPolicy" => Baseline,
        _ => null,
    };

    /// <summary>The peer fields of a direction.</summary>
    public string[] PeerFields(Direction direction) => direction == Direction.Ingress ? s_ingressPeers : EgressPeers;

    /// <summary>Whether the kind has the action.</summary>
    public bool Allows(ClusterPolicyAction action) => Array.IndexOf(Actions, action) >= 0;

    /// <summary>The action as this kind spells it (v1alpha1 says Allow for Accept).</summary>
    public string ActionName(ClusterPolicyAction action) => action switch
    {
        ClusterPolicyAction.Accept => IsV1Alpha1 ? "Allow" : "Accept",
        ClusterPolicyAction.Deny => "Deny",
        ClusterPolicyAction.Pass => "Pass",
        _ => ((int)action).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads an action as this kind spells it.</summary>
    public bool TryParseAction(string text, out ClusterPolicyAction action)
    {
        foreach (var candidate in Actions)
        {
            if (ActionName(candidate) == text)
            {
                action = candidate;
                return true;
            }
        }

        action = default;
        return false;
    }

    /// <summary>Checks a domain name against the CRD pattern; returns null when valid.</summary>
    public static string? DomainNameProblem(string name) =>
        DomainName().IsMatch(name)
            ? null
            : $"expected a domain name such as example.com or *.example.com (labels of letters, digits, '-' and '_' joined by '.', with '*.' only as a prefix; regex '{DomainNamePattern}$'), found {Rules.Quote(name)}";

    /// <summary><c>a, b or c</c>.</summary>
    public static string OrList(IReadOnlyList<string> items) => Join(items, "or");

    /// <summary><c>a, b and c</c>.</summary>
    public static string AndList(IReadOnlyList<string> items) => Join(items, "and");

    private static string Join(IReadOnlyList<string> items, string word) => items.Count switch
    {
        0 => string.Empty,
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " " + word + " " + items[^1],
    };

    [GeneratedRegex(DomainNamePattern + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DomainName();
}
