using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>
/// What one compilation of a node's plan hands to the next (<see cref="IncrementalPlanCompiler"/>): the host addresses of
/// each NetworkPolicy peer definition and the egress named-port resolutions, keyed by their definition text (never by
/// their short keys, which depend on the order definitions are met), and the policy ids of a list of policies.
/// </summary>
/// <remarks>
/// An entry holds what its selectors select; <see cref="Invalidate"/> drops the entries a change of the cluster can alter
/// (a workload that one of their selectors matches before or after the change, a namespace whose labels a namespace
/// selector of theirs judges differently, a workload serving one of their port names). Entries no compilation used are
/// dropped after it (<see cref="Retain"/>), so the cache holds what the current plan needs. Not thread-safe.
/// </remarks>
internal sealed class CompileCache
{
    private readonly Dictionary<string, PeerEntry> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NamedEntry> _named = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedPeers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedNamed = new(StringComparer.Ordinal);
    private PolicyRef[]? _policyRefs;
    private string[]? _policyIds;

    /// <summary>Peer sets served from the cache and computed, since the last <see cref="Retain"/>.</summary>
    public (int Reused, int Computed) PeerSets { get; private set; }

    /// <summary>The number of peer definitions held.</summary>
    public int Count => _peers.Count + _named.Count;

    /// <summary>One selector term of a peer definition: a pod selector (null: every pod) in the namespaces a namespace
    /// selector picks, or (namespace selector null) in <see cref="Scope"/>.</summary>
    internal readonly record struct Term(LabelSelector? Pods, LabelSelector? Namespaces, string? Scope)
    {
        public bool Matches(Pod pod, LabelMap namespaceLabels) =>
            !pod.HostNetwork
            && (Namespaces is null ? string.Equals(pod.Namespace, Scope, StringComparison.Ordinal) : Namespaces.Matches(namespaceLabels))
            && (Pods is null || Pods.Matches(pod.Labels));
    }

    private sealed record PeerEntry(ValueList<IPAddress> Hosts, Term[] Terms);

    private sealed record NamedEntry(List<(PortSet Ports, AddressSet Peers, string Signature)> Groups, Term[] Terms, HashSet<string> Names);

    /// <summary>The selector terms of a rule's peers (ipBlocks are not selectors).</summary>
    public static Term[] Terms(CompiledPolicy policy, CompiledRule rule) =>
        [.. rule.Peers.Where(p => p.Block is null).Select(p => new Term(p.PodSelector, p.NamespaceSelector, p.NamespaceSelector is null ? policy.Policy.Namespace : null))];

    public bool TryGetPeers(string definition, out ValueList<IPAddress> hosts)
    {
        if (_peers.TryGetValue(definition, out var entry))
        {
            _usedPeers.Add(definition);
            hosts = entry.Hosts;
            PeerSets = (PeerSets.Reused + 1, PeerSets.Computed);
            return true;
        }

        hosts = default;
        return false;
    }

    public void SetPeers(string definition, ValueList<IPAddress> hosts, Term[] terms)
    {
        _peers[definition] = new PeerEntry(hosts, terms);
        _usedPeers.Add(definition);
        PeerSets = (PeerSets.Reused, PeerSets.Computed + 1);
    }

    public bool TryGetNamedEgress(string definition, out List<(PortSet Ports, AddressSet Peers, string Signature)> groups)
    {
        if (_named.TryGetValue(definition, out var entry))
        {
            _usedNamed.Add(definition);
            groups = entry.Groups;
            return true;
        }

        groups = [];
        return false;
    }

    public void SetNamedEgress(string definition, List<(PortSet Ports, AddressSet Peers, string Signature)> groups, Term[] terms, IEnumerable<string> names)
    {
        _named[definition] = new NamedEntry(groups, terms, names.ToHashSet(StringComparer.Ordinal));
        _usedNamed.Add(definition);
    }

    /// <summary>The ids of the index's policies (as the compiler gives them, in the snapshot's order): those of the last
    /// call when the policies are the same by namespace and name, since ids depend on nothing else.</summary>
    public string[] PolicyIds(ClusterIndex index, Func<string, string> digest)
    {
        var refs = index.Policies.Select(p => p.Ref).ToArray();
        if (_policyRefs is not null && _policyRefs.AsSpan().SequenceEqual(refs))
        {
            return _policyIds!;
        }

        var keys = new ShortKeys(10, digest);
        var ids = new string[index.Policies.Length];
        foreach (var policy in index.Policies)
        {
            ids[policy.Index] = keys.Get(policy.Ref.Namespace + "/" + policy.Ref.Name);
        }

        _policyRefs = refs;
        _policyIds = ids;
        return ids;
    }

    /// <summary>Drops the entries no compilation used since the last call.</summary>
    public void Retain()
    {
        foreach (var gone in _peers.Keys.Where(k => !_usedPeers.Contains(k)).ToList())
        {
            _peers.Remove(gone);
        }

        foreach (var gone in _named.Keys.Where(k => !_usedNamed.Contains(k)).ToList())
        {
            _named.Remove(gone);
        }

        _usedPeers.Clear();
        _usedNamed.Clear();
    }

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        _peers.Clear();
        _named.Clear();
        _usedPeers.Clear();
        _usedNamed.Clear();
        _policyRefs = null;
        _policyIds = null;
        PeerSets = default;
    }

    /// <summary>Starts counting <see cref="PeerSets"/> again.</summary>
    public void ResetCounts() => PeerSets = default;

    /// <summary>Drops the entries that the changes between two snapshots can alter.</summary>
    /// <param name="before">The snapshot the entries were computed for.</param>
    /// <param name="after">The new snapshot.</param>
    /// <param name="pods">The pods that differ (added: no old one; removed: no new one).</param>
    /// <param name="namespaces">The namespaces whose labels differ, with both label sets.</param>
    public void Invalidate(ClusterSnapshot before, ClusterSnapshot after, IReadOnlyList<(Pod? Old, Pod? New)> pods, IReadOnlyList<(string Name, LabelMap Old, LabelMap New)> namespaces)
    {
        if (pods.Count == 0 && namespaces.Count == 0)
        {
            return;
        }

        bool Affected(Term[] terms)
        {
            foreach (var term in terms)
            {
                foreach (var (old, now) in pods)
                {
                    if ((old is not null && term.Matches(old, before.NamespaceLabels(old.Namespace)))
                        || (now is not null && term.Matches(now, after.NamespaceLabels(now.Namespace))))
                    {
                        return true;
                    }
                }

                if (term.Namespaces is { } selector)
                {
                    foreach (var (_, old, now) in namespaces)
                    {
                        if (selector.Matches(old) != selector.Matches(now))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        foreach (var (definition, entry) in _peers.ToList())
        {
            if (Affected(entry.Terms))
            {
                _peers.Remove(definition);
            }
        }

        // A named-port resolution also depends on every workload serving one of its names (a rule without peers takes
        // every workload, whatever its labels).
        var named = pods.SelectMany(p => new[] { p.Old, p.New }).Where(p => p is { HostNetwork: false })
            .SelectMany(p => p!.Ports).Select(p => p.Name).Where(n => !string.IsNullOrEmpty(n)).ToHashSet(StringComparer.Ordinal);
        foreach (var (definition, entry) in _named.ToList())
        {
            if (entry.Names.Overlaps(named!) || Affected(entry.Terms))
            {
                _named.Remove(definition);
            }
        }
    }
}
