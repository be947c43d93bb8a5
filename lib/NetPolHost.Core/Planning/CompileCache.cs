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

    private sealed record NamedEntry(List<(PortSet Ports, AddressSet Peers, string Signature)> Groups, Term[] Terms, (Protocol Protocol, string Name)[] Named, IPBlock[] Blocks, bool AllPeers);

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

    public void SetNamedEgress(string definition, List<(PortSet Ports, AddressSet Peers, string Signature)> groups, Term[] terms, CompiledRule rule)
    {
        _named[definition] = new NamedEntry(
            groups,
            terms,
            [.. rule.Ports.Where(p => p.Name is not null).Select(p => (p.Protocol, p.Name!))],
            [.. rule.Peers.Where(p => p.Block is not null).Select(p => p.Block!)],
            rule.AllPeers);
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

    /// <summary>Brings the entries up to date with the changes between two snapshots: an entry a changed pod touches is
    /// patched (the pod's old addresses out, its new ones in), and so is one a namespace relabel touches (the
    /// namespace's pods judged with the old labels out, with the new ones in); an entry is dropped instead when one of
    /// those addresses is shared by several workloads, or a host endpoint is in a relabelled namespace.</summary>
    /// <param name="before">The snapshot the entries were computed for, and its index.</param>
    /// <param name="after">The new snapshot, and its index.</param>
    /// <param name="pods">The pods that differ (added: no old one; removed: no new one).</param>
    /// <param name="namespaces">The namespaces whose labels differ, with both label sets.</param>
    public void Invalidate(ClusterIndex before, ClusterIndex after, IReadOnlyList<(Pod? Old, Pod? New)> pods, IReadOnlyList<(string Name, LabelMap Old, LabelMap New)> namespaces)
    {
        if (pods.Count == 0 && namespaces.Count == 0)
        {
            return;
        }

        // The changed pods, and every pod of a relabelled namespace (out with the old labels, in with the new), with
        // their namespaces' labels.
        var changed = pods.Select(p => (
                p.Old,
                p.New,
                OldLabels: p.Old is null ? LabelMap.Empty : before.LabelsOfNamespace(p.Old.Namespace),
                NewLabels: p.New is null ? LabelMap.Empty : after.LabelsOfNamespace(p.New.Namespace)))
            .ToList();
        var hostsRelabelled = false;
        foreach (var (name, oldLabels, newLabels) in namespaces)
        {
            foreach (var (index, labels, isNew) in new[] { (before, oldLabels, false), (after, newLabels, true) })
            {
                if (!index.NamespaceRanges.TryGetValue(name, out var range))
                {
                    continue;
                }

                for (var i = range.Start; i < range.End; i++)
                {
                    var endpoint = index.Endpoints[i];
                    hostsRelabelled |= endpoint.Kind == EndpointKind.HostEndpoint;
                    if (endpoint.Pod is { } pod)
                    {
                        changed.Add(isNew ? (null, pod, LabelMap.Empty, labels) : (pod, null, labels, LabelMap.Empty));
                    }
                }
            }
        }

        // Patching is exact when each of those addresses belongs to one workload only.
        // A few addresses are looked up by a walk over the endpoints; more, in the indexes' address lookups.
        var addresses = changed.SelectMany(p => (p.Old?.IPs ?? default).Concat(p.New?.IPs ?? default)).Select(Key).Distinct().ToList();
        var patchable = !hostsRelabelled && (addresses.Count <= 8
            ? addresses.All(a => !before.IsSharedAddress(a) && !after.IsSharedAddress(a))
            : addresses.All(a => !before.SharedAddresses.Contains(a) && !after.SharedAddresses.Contains(a)));

        bool Relabelled(Term[] terms)
        {
            foreach (var term in terms)
            {
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

        static bool Selected(Term[] terms, Pod pod, LabelMap namespaceLabels) => terms.Any(t => t.Matches(pod, namespaceLabels));

        foreach (var (definition, entry) in _peers.ToList())
        {
            if (!patchable && Relabelled(entry.Terms))
            {
                _peers.Remove(definition);
                continue;
            }

            var removed = new List<IPAddress>();
            var added = new List<IPAddress>();
            foreach (var (old, now, oldLabels, newLabels) in changed)
            {
                if (old is not null && Selected(entry.Terms, old, oldLabels))
                {
                    removed.AddRange(old.IPs);
                }

                if (now is not null && Selected(entry.Terms, now, newLabels))
                {
                    added.AddRange(now.IPs);
                }
            }

            if (removed.Count + added.Count == 0 || SameAddresses(removed, added))
            {
                continue;
            }

            if (!patchable)
            {
                _peers.Remove(definition);
                continue;
            }

            _peers[definition] = entry with { Hosts = Patch(entry.Hosts, removed, added) };
        }

        foreach (var (definition, entry) in _named.ToList())
        {
            if (!patchable && Relabelled(entry.Terms))
            {
                _named.Remove(definition);
                continue;
            }

            var removed = new Dictionary<string, (PortSet Ports, List<IPAddress> Hosts)>(StringComparer.Ordinal);
            var added = new Dictionary<string, (PortSet Ports, List<IPAddress> Hosts)>(StringComparer.Ordinal);
            foreach (var (old, now, oldLabels, newLabels) in changed)
            {
                Contribute(entry, old, oldLabels, removed);
                Contribute(entry, now, newLabels, added);
            }

            if (removed.Count + added.Count == 0)
            {
                continue;
            }

            if (!patchable)
            {
                _named.Remove(definition);
                continue;
            }

            var groups = entry.Groups.ToDictionary(g => g.Signature, g => (g.Ports, g.Peers), StringComparer.Ordinal);
            foreach (var signature in removed.Keys.Concat(added.Keys).Distinct(StringComparer.Ordinal))
            {
                var hosts = groups.TryGetValue(signature, out var group) ? group.Peers.Hosts : default;
                var ports = group.Ports ?? (added.TryGetValue(signature, out var a) ? a.Ports : removed[signature].Ports);
                var patched = Patch(hosts, removed.TryGetValue(signature, out var r) ? r.Hosts : [], added.TryGetValue(signature, out var n) ? n.Hosts : []);
                if (patched.IsEmpty)
                {
                    groups.Remove(signature);
                }
                else
                {
                    groups[signature] = (ports, AddressSet.ShareSorted(patched, []));
                }
            }

            _named[definition] = entry with { Groups = [.. groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Value.Ports, g.Value.Peers, g.Key))] };
        }
    }

    /// <summary>What one workload adds to an egress named-port resolution (as the compiler's walk over destinations
    /// finds it): its addresses the rule's peers admit, in the group of the ports its names resolve to.</summary>
    private static void Contribute(NamedEntry entry, Pod? pod, LabelMap namespaceLabels, Dictionary<string, (PortSet Ports, List<IPAddress> Hosts)> groups)
    {
        if (pod is null || pod.HostNetwork || pod.IPs.IsEmpty)
        {
            return;
        }

        var resolved = new List<PortRange>();
        foreach (var (protocol, name) in entry.Named)
        {
            foreach (var port in pod.Ports)
            {
                if (port.Protocol == protocol && string.Equals(port.Name, name, StringComparison.Ordinal))
                {
                    resolved.Add(new PortRange(protocol, port.Port, port.Port));
                    break;
                }
            }
        }

        if (resolved.Count == 0)
        {
            return;
        }

        var bySelector = entry.AllPeers || entry.Terms.Any(t => t.Matches(pod, namespaceLabels));
        var addresses = pod.IPs.Where(a =>
        {
            if (bySelector)
            {
                return true;
            }

            var value = IpMath.ToUInt128(a, out var v6);
            return entry.Blocks.Any(b => b.Contains(value, v6));
        }).ToList();
        if (addresses.Count == 0)
        {
            return;
        }

        var ports = PortSet.Create(resolved);
        var signature = RulePlanCompiler.PortSignature(ports);
        if (!groups.TryGetValue(signature, out var group))
        {
            groups[signature] = group = (ports, []);
        }

        group.Hosts.AddRange(addresses);
    }

    /// <summary>Whether two address lists hold the same addresses (a pod that stays in a set as it was).</summary>
    private static bool SameAddresses(List<IPAddress> a, List<IPAddress> b) => a.Select(Key).ToHashSet().SetEquals(b.Select(Key));

    /// <summary>A sorted, distinct host list without <paramref name="removed"/> and with <paramref name="added"/>: the
    /// hosts kept, merged with the added ones sorted.</summary>
    private static ValueList<IPAddress> Patch(ValueList<IPAddress> hosts, List<IPAddress> removed, List<IPAddress> added)
    {
        var gone = removed.Select(Key).ToHashSet();
        var incoming = added.Select(a => (Key: Key(a), Address: a)).ToList();
        incoming.Sort((a, b) => Compare(a.Key, b.Key));
        var result = new List<IPAddress>(hosts.Count + incoming.Count);
        (UInt128 Value, bool V6)? last = null;
        void Add(IPAddress address, (UInt128 Value, bool V6) key)
        {
            if (last != key)
            {
                result.Add(address);
                last = key;
            }
        }

        var j = 0;
        foreach (var host in hosts)
        {
            var key = Key(host);
            if (gone.Contains(key))
            {
                continue;
            }

            while (j < incoming.Count && Compare(incoming[j].Key, key) < 0)
            {
                Add(incoming[j].Address, incoming[j].Key);
                j++;
            }

            Add(host, key);
        }

        for (; j < incoming.Count; j++)
        {
            Add(incoming[j].Address, incoming[j].Key);
        }

        return ValueList<IPAddress>.Wrap([.. result]);
    }

    private static int Compare((UInt128 Value, bool V6) a, (UInt128 Value, bool V6) b) =>
        a.V6 != b.V6 ? a.V6.CompareTo(b.V6) : a.Value.CompareTo(b.Value);

    private static (UInt128 Value, bool V6) Key(IPAddress address) => (IpMath.ToUInt128(address, out var v6), v6);
}
