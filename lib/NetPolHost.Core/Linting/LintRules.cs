namespace NetPolHost.Linting;

/// <summary>A lint rule: its stable id, default severity and texts (SARIF's <c>rules</c> are made from these).</summary>
/// <param name="Id">The stable id, e.g. <c>NPH002</c>.</param>
/// <param name="Name">A PascalCase name, e.g. <c>GuardrailUndone</c>.</param>
/// <param name="DefaultSeverity">The severity of its findings.</param>
/// <param name="Title">One line: what the rule finds.</param>
/// <param name="Description">What exactly it finds, and what it does not.</param>
/// <param name="Help">How to resolve a finding.</param>
/// <param name="NeedsCluster">Whether the rule needs the cluster's pods (it is skipped, and says so, without them).</param>
public sealed record LintRule(string Id, string Name, LintSeverity DefaultSeverity, string Title, string Description, string Help, bool NeedsCluster);

/// <summary>The rules of <see cref="PolicyLinter"/>.</summary>
public static class LintRules
{
    /// <summary>Namespaces selected by a label that whoever may label namespaces can set.</summary>
    public const string CustomNamespaceLabel = "NPH001";

    /// <summary>An address excluded (or a port left out) by one policy and allowed to the same pods by another.</summary>
    public const string GuardrailUndone = "NPH002";

    /// <summary>A policy that selects no pod of the given cluster.</summary>
    public const string SelectsNoPod = "NPH003";

    /// <summary>A peer that matches no namespace or pod of the given cluster.</summary>
    public const string PeerMatchesNothing = "NPH004";

    /// <summary>Egress isolated without DNS.</summary>
    public const string NoDns = "NPH005";

    /// <summary>A port open to every source.</summary>
    public const string OpenToEveryone = "NPH006";

    /// <summary>A rule that adds nothing.</summary>
    public const string RedundantRule = "NPH007";

    /// <summary>A named port no pod declares.</summary>
    public const string UndeclaredNamedPort = "NPH008";

    /// <summary>An ipBlock that covers pod addresses.</summary>
    public const string IPBlockCoversPods = "NPH009";

    /// <summary>Cluster policies of one tier and priority with overlapping rules of different actions.</summary>
    public const string PriorityTie = "NPH010";

    /// <summary>A cluster policy rule shadowed by earlier rules of the same policy.</summary>
    public const string ShadowedRule = "NPH011";

    /// <summary>A cluster policy network that covers pod addresses.</summary>
    public const string NetworksCoverPods = "NPH012";

    /// <summary>A policy that selects only hostNetwork pods.</summary>
    public const string OnlyHostNetworkPods = "NPH013";

    /// <summary>Every rule, by id.</summary>
    public static IReadOnlyList<LintRule> All { get; } =
    [
        new(CustomNamespaceLabel, "CustomNamespaceLabel", LintSeverity.Warning,
            "Namespaces selected by a label that namespace owners can set",
            "A namespaceSelector (of a NetworkPolicy peer, or of a ClusterNetworkPolicy Accept rule's peer) that admits namespaces by a label other than kubernetes.io/metadata.name, without pinning kubernetes.io/metadata.name to given names: anyone who may label a namespace can add (or remove) that label and so let a namespace in. The API server sets kubernetes.io/metadata.name itself; nobody can change it.",
            "Select namespaces by name: matchLabels {kubernetes.io/metadata.name: NAME} (or matchExpressions with In and the names). For \"the same namespace\", leave namespaceSelector out and write podSelector: {}.",
            false),
        new(GuardrailUndone, "GuardrailUndone", LintSeverity.Warning,
            "A guardrail undone: an excluded address or a left-out port is allowed to the same pods by another policy",
            "An ipBlock except entry (or a port left out between port ranges of one rule) excludes something, and another NetworkPolicy that selects some of the same pods allows it on an overlapping port: NetworkPolicies add up, so the exclusion has no effect for those pods. Decided on the policies alone (for every pod both select): re-allowing rules are ipBlocks, and rules without peers. An Admin-tier ClusterNetworkPolicy Deny that already blocks it for those pods silences the finding.",
            "Write the guardrail as an Admin-tier ClusterNetworkPolicy with a Deny rule (decided before every NetworkPolicy, so a namespace owner cannot undo it), or narrow the policy that re-allows it.",
            false),
        new(SelectsNoPod, "SelectsNoPod", LintSeverity.Note,
            "A policy that selects no pod of the given cluster",
            "The policy's podSelector (a ClusterNetworkPolicy's subject) matches no pod or host endpoint of the manifests given: it has no effect there. Needs the cluster's pods.",
            "Check the selector's labels against the pods' (kubectl get pods --show-labels), or delete the policy.",
            true),
        new(PeerMatchesNothing, "PeerMatchesNothing", LintSeverity.Note,
            "A peer that matches no namespace or pod of the given cluster",
            "A podSelector/namespaceSelector peer (a ClusterNetworkPolicy namespaces/pods peer) that matches no pod or host endpoint of the manifests given: the rule allows (or denies) nothing through it there. Needs the cluster's pods.",
            "Check the peer's labels against the namespaces' and pods' labels.",
            true),
        new(NoDns, "NoDns", LintSeverity.Warning,
            "Egress isolated without any rule allowing DNS (UDP and TCP 53)",
            "A policy isolates the egress of its pods, and no egress rule of any policy selecting them (nor an Admin-tier ClusterNetworkPolicy Accept) admits UDP port 53, or TCP port 53: name resolution fails (TCP is needed for large answers). Decided on the policies alone; a named port counts as possibly DNS.",
            "Add an egress rule for DNS, e.g. to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}] with ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}].",
            false),
        new(OpenToEveryone, "OpenToEveryone", LintSeverity.Note,
            "A port open to every source",
            "An ingress rule without from (or with an empty from), or with an ipBlock of 0.0.0.0/0 or ::/0 without except entries, admits every source, inside the cluster and outside it, on its ports (on every port without ports).",
            "If the port is not meant for everyone, list the sources in from.",
            false),
        new(RedundantRule, "RedundantRule", LintSeverity.Note,
            "A rule that adds nothing",
            "Every peer and port the rule allows to the policy's pods is already allowed to all of those pods by other rules (of this policy, or of policies that select every pod this one does), or the rule is of a direction the policy's policyTypes leave out. Decided on the policies alone, exactly: selector peers by label logic, ipBlocks by address ranges, ports by ranges. Of rules that repeat each other, the later is reported.",
            "Delete the rule, or, if it was meant to allow more, fix it.",
            false),
        new(UndeclaredNamedPort, "UndeclaredNamedPort", LintSeverity.Warning,
            "A named port that none of the pods declares",
            "A named port of an ingress rule that no pod the policy selects declares with that protocol, or of an egress rule that no pod of the rule's peers declares: it resolves to nothing and the rule admits no traffic through it. Needs the cluster's pods.",
            "Use the port name the pods declare (containers[].ports[].name, with its protocol), or the port number.",
            true),
        new(IPBlockCoversPods, "IPBlockCoversPods", LintSeverity.Note,
            "An ipBlock that covers pod addresses",
            "An ipBlock (except entries subtracted) holds addresses of pods of the given cluster: ipBlock matches pods too (by their addresses), and pod addresses change when pods are recreated. Needs the cluster's pods.",
            "Select pods with podSelector/namespaceSelector; keep ipBlock for addresses outside the cluster (add the pod CIDR to except).",
            true),
        new(PriorityTie, "PriorityTie", LintSeverity.Warning,
            "ClusterNetworkPolicies of one tier and priority whose rules overlap with different actions",
            "Two ClusterNetworkPolicies of the same tier and priority select some pod in common and have rules of different actions that match some flow in common: the API leaves their order to implementations (NetPolHost tries them by name), so the verdict depends on the name.",
            "Give the policies different priorities: the lower is tried first.",
            false),
        new(ShadowedRule, "ShadowedRule", LintSeverity.Warning,
            "A ClusterNetworkPolicy rule that can never match",
            "Every peer and port of the rule is matched by earlier rules of the same policy and direction, so the first match is always an earlier rule. Decided exactly on the policy.",
            "Move the rule before the rules that shadow it, narrow those, or delete it.",
            false),
        new(NetworksCoverPods, "NetworksCoverPods", LintSeverity.Note,
            "A ClusterNetworkPolicy networks peer that covers pod addresses",
            "A networks CIDR of a ClusterNetworkPolicy holds addresses of pods of the given cluster: networks peers match pods too, so a Deny to it also cuts pod traffic. Needs the cluster's pods.",
            "Use namespaces/pods peers for pods; exclude the pod CIDR from the networks.",
            true),
        new(OnlyHostNetworkPods, "OnlyHostNetworkPods", LintSeverity.Warning,
            "A policy that selects only hostNetwork pods",
            "Every pod whose labels the policy's podSelector (a ClusterNetworkPolicy's subject) matches runs with hostNetwork: policies never select hostNetwork pods, so the policy has no effect. Needs the cluster's pods.",
            "Protect the node instead (a HostEndpoint for the node), or run the pods without hostNetwork.",
            true),
    ];

    /// <summary>Finds a rule by id.</summary>
    /// <param name="id">The id, e.g. <c>NPH002</c>.</param>
    /// <returns>The rule, or <see langword="null"/>.</returns>
    public static LintRule? Find(string id) => All.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.Ordinal));

    /// <summary>The name of a severity as compilers and SARIF print it: <c>note</c>, <c>warning</c> or <c>error</c>.</summary>
    /// <param name="severity">The severity.</param>
    /// <returns>The name.</returns>
    public static string SeverityName(LintSeverity severity) => severity switch
    {
        LintSeverity.Error => "error",
        LintSeverity.Warning => "warning",
        _ => "note",
    };
}
