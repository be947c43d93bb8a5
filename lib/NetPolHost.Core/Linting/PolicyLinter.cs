using System.Globalization;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Linting;

/// <summary>
/// Reviews policies and reports exact findings (<see cref="LintRules"/>): each with its rule, the place of the offending
/// field, the policy, the pods it affects and a suggestion.
/// </summary>
/// <remarks>
/// Rules about the policies themselves (NPH001, 002, 005, 006, 007, 010, 011) are decided for every pod the policies
/// could select, by exact label-selector logic, address ranges and port ranges: a finding is a fact about the policies,
/// not a guess, and a question that cannot be settled gives no finding. Rules about the cluster (NPH003, 004, 008, 009,
/// 012, 013) are decided on the pods and host endpoints given, with the truth tables' selector index; without any they
/// are skipped, and <see cref="LintResult.Notes"/> says so. When pods are given, every finding lists the pods it
/// affects. One pass over the policies; selections of pods are bitsets computed once per selector.
/// </remarks>
public static class PolicyLinter
{
    /// <summary>Lints what a load read. Findings point at fields when the load recorded their places
    /// (<see cref="ManifestLoaderOptions.RecordPolicyFieldLocations"/>); otherwise they carry no place, and a note says so.</summary>
    /// <param name="load">The load (its snapshot holds the objects that loaded without error).</param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The findings.</returns>
    public static LintResult Lint(LoadResult load, LintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(load);
        return Lint(load.Snapshot, load.PolicyLocations, options);
    }

    /// <summary>Lints a snapshot, with the places of the policies' fields when known.</summary>
    /// <param name="snapshot">The policies, and the cluster's namespaces, pods and host endpoints when known.</param>
    /// <param name="locations">Places by object (<see cref="LoadResult.PolicyLocations"/>), or <see langword="null"/>.</param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The findings.</returns>
    public static LintResult Lint(ClusterSnapshot snapshot, IReadOnlyDictionary<string, FieldLocations>? locations = null, LintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new Linter(snapshot, locations, options ?? new LintOptions()).Run();
    }
}

/// <summary>One lint run.</summary>
internal sealed partial class Linter
{
    private readonly ClusterSnapshot _snapshot;
    private readonly IReadOnlyDictionary<string, FieldLocations>? _locations;
    private readonly LintOptions _options;
    private readonly LabelLogic _logic;
    private readonly List<LintFinding> _findings = [];
    private readonly List<string> _notes = [];
    private readonly List<string> _skipped = [];
    private readonly bool _hasCluster;
    private readonly ClusterIndex? _index;
    private readonly SelectorIndex? _selectors;
    private readonly List<PolicyInfo> _policies = [];
    private readonly List<ClusterPolicyInfo> _clusterPolicies = [];

    public Linter(ClusterSnapshot snapshot, IReadOnlyDictionary<string, FieldLocations>? locations, LintOptions options)
    {
        _snapshot = snapshot;
        _locations = locations;
        _options = options;
        _logic = new LabelLogic(options.MaxSelectorSteps);
        _hasCluster = !snapshot.Pods.IsEmpty || !snapshot.HostEndpoints.IsEmpty;
        if (_hasCluster)
        {
            _index = new ClusterIndex(snapshot);
            _selectors = new SelectorIndex(_index.Endpoints);
        }

        foreach (var policy in snapshot.Policies)
        {
            _policies.Add(new PolicyInfo(policy, _selectors));
        }

        foreach (var policy in snapshot.ClusterPolicies)
        {
            _clusterPolicies.Add(new ClusterPolicyInfo(policy, _selectors));
        }
    }

    public LintResult Run()
    {
        CustomNamespaceLabels();
        GuardrailsUndone();
        NoDns();
        OpenToEveryone();
        RedundantRules();
        PriorityTies();
        ShadowedRules();
        if (_hasCluster)
        {
            SelectsNoPod();
            PeersMatchNothing();
            UndeclaredNamedPorts();
            AddressesCoverPods();
        }
        else
        {
            _skipped.AddRange(LintRules.All.Where(r => r.NeedsCluster).Select(r => r.Id));
            _notes.Add($"{string.Join(", ", _skipped)} not run: they need the cluster's pods, and the manifests hold no pod or host endpoint (add them, e.g. kubectl get ns,pods -A -o yaml > cluster.yaml, and lint it with the policies)");
        }

        if (_locations is null || (_locations.Count == 0 && (_policies.Count > 0 || _clusterPolicies.Count > 0)))
        {
            _notes.Add("the places of fields were not recorded (load with ManifestLoaderOptions.RecordPolicyFieldLocations): findings carry no file, line or column");
        }

        return LintResult.Create(_findings, _notes, _skipped);
    }

    // ---- Shared ---------------------------------------------------------------------------------------------------

    private void Add(string ruleId, string policy, string path, string message, string? suggestion, ulong[]? pods, IEnumerable<string>? related = null)
    {
        var rule = LintRules.Find(ruleId)!;
        var (file, line, column) = (string.Empty, 0, 0);
        if (_locations is not null && _locations.TryGetValue(policy, out var places))
        {
            (line, column) = places.Find(path);
            file = places.File;
        }

        var (list, count) = Pods(pods);
        _findings.Add(new LintFinding
        {
            RuleId = ruleId,
            Severity = rule.DefaultSeverity,
            Message = message,
            File = file,
            Line = line,
            Column = column,
            Path = path,
            Policy = policy,
            AffectedPods = list,
            AffectedPodCount = count,
            Suggestion = suggestion,
            Related = (related ?? []).Distinct(StringComparer.Ordinal).ToValueList(),
        });
    }

    private (ValueList<string> List, int Count) Pods(ulong[]? bits)
    {
        if (bits is null || _index is null)
        {
            return (default, 0);
        }

        var names = new List<string>();
        var count = 0;
        foreach (var i in SelectorIndex.Members(bits))
        {
            count++;
            if (names.Count < _options.MaxAffectedPods)
            {
                names.Add(_index.Endpoints[i].Display);
            }
        }

        return (names.ToValueList(), count);
    }

    private static ulong[]? And(ulong[]? a, ulong[]? b)
    {
        if (a is null || b is null)
        {
            return null;
        }

        var result = (ulong[])a.Clone();
        SelectorIndex.And(result, b);
        return result;
    }

    private static ulong[]? Or(ulong[]? target, ulong[]? source)
    {
        if (source is null)
        {
            return target;
        }

        target ??= new ulong[source.Length];
        SelectorIndex.Or(target, source);
        return target;
    }

    private static ulong[]? Minus(ulong[]? a, ulong[]? b)
    {
        if (a is null || b is null)
        {
            return a;
        }

        var result = (ulong[])a.Clone();
        for (var w = 0; w < result.Length; w++)
        {
            result[w] &= ~b[w];
        }

        return result;
    }

    private static string Dir(Direction direction) => direction == Direction.Ingress ? "ingress" : "egress";

    private static string PeersField(Direction direction) => direction == Direction.Ingress ? "from" : "to";

    private static string Count(int n, string one, string many) => n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? one : many);

    private static readonly Direction[] s_directions = [Direction.Ingress, Direction.Egress];

    /// <summary>A NetworkPolicy with what lint asks of it computed once.</summary>
    private sealed class PolicyInfo
    {
        public PolicyInfo(NetworkPolicy policy, SelectorIndex? selectors)
        {
            Policy = policy;
            Name = "NetworkPolicy " + policy.Namespace + "/" + policy.Name;
            Subject = LabelSet.InNamespace(policy.Namespace, policy.PodSelector);
            Selected = selectors?.SelectedBy(policy);
            Ingress = [.. policy.Ingress.Select(r => new RuleInfo(r, PortShape.From(r), PeerShape.From(r, policy.Namespace)))];
            Egress = [.. policy.Egress.Select(r => new RuleInfo(r, PortShape.From(r), PeerShape.From(r, policy.Namespace)))];
        }

        public NetworkPolicy Policy { get; }

        /// <summary>As diagnostics name it: <c>NetworkPolicy ns/name</c>.</summary>
        public string Name { get; }

        public string Namespace => Policy.Namespace;

        public LabelSet Subject { get; }

        /// <summary>The pods of the given cluster it selects, or null without a cluster.</summary>
        public ulong[]? Selected { get; }

        public RuleInfo[] Ingress { get; }

        public RuleInfo[] Egress { get; }

        public RuleInfo[] Rules(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;

        public bool Applies(Direction direction) => Policy.Applies(direction);

        public string RuleName(Direction direction, int index) => Name + " rule " + Dir(direction) + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
    }

    private sealed record RuleInfo(NetworkPolicyRule Rule, PortShape Ports, PeerShape Peers);

    /// <summary>A ClusterNetworkPolicy with what lint asks of it computed once.</summary>
    private sealed class ClusterPolicyInfo
    {
        public ClusterPolicyInfo(ClusterNetworkPolicy policy, SelectorIndex? selectors)
        {
            Policy = policy;
            Name = policy.SourceKind + " " + policy.Name;
            var subject = policy.Subject;
            Subject = subject.Pods is { } pods ? LabelSet.InNamespaces(pods.NamespaceSelector, pods.PodSelector)
                : subject.Namespaces is { } namespaces ? LabelSet.InNamespaces(namespaces, null)
                : LabelSet.Of(new Literal(LabelSet.NamespaceNameKey, new KeyConstraint(false, false, [])));
            Selected = selectors is null ? null
                : subject.Pods is { } p ? selectors.Select(p.PodSelector, p.NamespaceSelector, string.Empty)
                : subject.Namespaces is { } n ? selectors.Select(null, n, string.Empty)
                : selectors.NewBits();
            Ingress = [.. policy.Ingress.Select(r => new ClusterRuleInfo(r, PortShape.From(r), PeerShape.From(r)))];
            Egress = [.. policy.Egress.Select(r => new ClusterRuleInfo(r, PortShape.From(r), PeerShape.From(r)))];
        }

        public ClusterNetworkPolicy Policy { get; }

        public string Name { get; }

        public LabelSet Subject { get; }

        public ulong[]? Selected { get; }

        public ClusterRuleInfo[] Ingress { get; }

        public ClusterRuleInfo[] Egress { get; }

        public ClusterRuleInfo[] Rules(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;

        /// <summary>The field of a rule's ports: <c>protocols</c>, or <c>ports</c> for the v1alpha1 kinds.</summary>
        public string PortsField => Policy.SourceKind == "ClusterNetworkPolicy" ? "protocols" : "ports";

        public string RuleName(Direction direction, int index)
        {
            var rule = Rules(direction)[index].Rule;
            return Name + " rule " + Dir(direction) + "[" + index.ToString(CultureInfo.InvariantCulture) + "]" + (rule.Name is null ? string.Empty : " '" + rule.Name + "'");
        }
    }

    private sealed record ClusterRuleInfo(ClusterNetworkPolicyRule Rule, PortShape Ports, PeerShape Peers);
}
