using System.Numerics;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>
/// Builds truth tables with bitsets: selections and peer sets are computed once per table, then per port every isolated
/// endpoint's allowed set is a union of rows, and the combined matrix is egress AND transposed ingress.
/// </summary>
/// <remarks>Agrees cell by cell with <see cref="PolicyMatcher.Decide"/> (a property test checks it).</remarks>
internal sealed partial class TruthTableBuilder
{
    private readonly EndpointInfo[] _endpoints;
    private readonly SelectorIndex _selectors;
    private readonly int _count;
    private readonly int _words;
    private readonly ulong[] _all;
    private readonly ulong[][] _classMasks = new ulong[4][];
    private readonly int[] _classes;
    private readonly Dictionary<(CompiledRule, int), ulong[]> _peers = new();
    private readonly Dictionary<CompiledRule, RulePeers> _rulePeers = new();

    private TruthTableBuilder(EndpointInfo[] endpoints)
    {
        _endpoints = endpoints;
        _selectors = new SelectorIndex(endpoints);
        _count = endpoints.Length;
        _words = _selectors.Words;
        _all = _selectors.All;
        for (var c = 0; c < 4; c++)
        {
            _classMasks[c] = NewBits();
        }

        _classes = new int[_count];
        for (var i = 0; i < _count; i++)
        {
            _classes[i] = endpoints[i].AddressClass;
            Set(_classMasks[_classes[i]], i);
        }
    }

    public static TruthTable Build(ClusterIndex index, EndpointInfo[] chosen, IReadOnlyList<PortProbe> probes, MatcherOptions options)
    {
        var builder = new TruthTableBuilder(chosen);
        var policies = new List<(CompiledPolicy Policy, ulong[] Selected)>();
        foreach (var policy in index.Policies)
        {
            var selected = builder._selectors.SelectedBy(policy.Policy);
            if (!IsEmpty(selected))
            {
                policies.Add((policy, selected));
            }
        }

        var matrices = new List<ProbeMatrix>(probes.Count);
        var tiers = index.AdminPolicies.Length + index.BaselinePolicies.Length == 0 ? null : new ClusterTiers(builder, index, options);
        foreach (var probe in probes)
        {
            matrices.Add(builder.BuildProbe(policies, probe, tiers));
        }

        return new TruthTable([.. chosen.Select(e => e.Display)], matrices);
    }

    private ProbeMatrix BuildProbe(List<(CompiledPolicy Policy, ulong[] Selected)> policies, PortProbe probe, ClusterTiers? tiers)
    {
        var ingressRows = new BitMatrix(_count, _count);
        var egressRows = new BitMatrix(_count, _count);
        var isolatedIngress = NewBits();
        var isolatedEgress = NewBits();
        var namedMasks = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        var union = new ulong[4][];

        foreach (var (policy, selected) in policies)
        {
            if (policy.AppliesIngress)
            {
                Or(isolatedIngress, selected);
                Array.Clear(union);
                foreach (var rule in policy.IngressRules)
                {
                    if (rule.HasNamedPorts)
                    {
                        // The named port resolves on each selected endpoint: decide per endpoint.
                        foreach (var j in Members(selected))
                        {
                            if (rule.PortMatches(probe.Port, probe.Protocol, _endpoints[j]))
                            {
                                Or(ingressRows.Row(j), PeersFor(rule, _classes[j], policy));
                            }
                        }
                    }
                    else if (rule.PortMatches(probe.Port, probe.Protocol, null))
                    {
                        foreach (var c in ClassesOf(selected))
                        {
                            Or(union[c] ??= NewBits(), PeersFor(rule, c, policy));
                        }
                    }
                }

                foreach (var j in Members(selected))
                {
                    if (union[_classes[j]] is { } bits)
                    {
                        Or(ingressRows.Row(j), bits);
                    }
                }
            }

            if (policy.AppliesEgress)
            {
                Or(isolatedEgress, selected);
                Array.Clear(union);
                foreach (var rule in policy.EgressRules)
                {
                    var destinations = DestinationsFor(rule, probe, namedMasks);
                    if (destinations is null)
                    {
                        continue;
                    }

                    foreach (var c in ClassesOf(selected))
                    {
                        var peers = PeersFor(rule, c, policy);
                        var target = union[c] ??= NewBits();
                        for (var w = 0; w < _words; w++)
                        {
                            target[w] |= peers[w] & destinations[w];
                        }
                    }
                }

                foreach (var i in Members(selected))
                {
                    if (union[_classes[i]] is { } bits)
                    {
                        Or(egressRows.Row(i), bits);
                    }
                }
            }
        }

        if (tiers is null)
        {
            for (var i = 0; i < _count; i++)
            {
                if (!Get(isolatedIngress, i))
                {
                    _all.CopyTo(ingressRows.Row(i));
                }

                if (!Get(isolatedEgress, i))
                {
                    _all.CopyTo(egressRows.Row(i));
                }
            }
        }
        else
        {
            // NodeLocal is NetworkPolicy's rule: it allows where NetworkPolicies isolate; the tiers come around it.
            foreach (var (subject, peer) in NodeLocalPairs())
            {
                ingressRows[subject, peer] = true;
                egressRows[subject, peer] = true;
            }

            tiers.Compose(Direction.Ingress, probe, ingressRows, isolatedIngress);
            tiers.Compose(Direction.Egress, probe, egressRows, isolatedEgress);
        }

        var ingress = ingressRows.Transpose();
        var allowed = new BitMatrix(_count, _count);
        var a = allowed.Raw;
        var e = egressRows.Raw;
        var t = ingress.Raw;
        for (long w = 0; w < a.LongLength; w++)
        {
            a[w] = e[w] & t[w];
        }

        ApplyAlwaysAllowed(allowed, ingress, egressRows, nodeLocal: tiers is null);
        return new ProbeMatrix(probe, allowed, ingress, egressRows);
    }

    /// <summary>Sets the cells that are allowed whatever the policies say: self, same host, and (without cluster policy
    /// tiers, where it was already folded into the NetworkPolicy rows) pod and own node.</summary>
    private void ApplyAlwaysAllowed(BitMatrix allowed, BitMatrix ingress, BitMatrix egress, bool nodeLocal)
    {
        for (var i = 0; i < _count; i++)
        {
            allowed[i, i] = ingress[i, i] = egress[i, i] = true;
        }

        foreach (var (h, p) in HostPairs(nodeLocal))
        {
            allowed[h, p] = ingress[h, p] = egress[h, p] = true;
            allowed[p, h] = ingress[p, h] = egress[p, h] = true;
        }
    }

    /// <summary>Pairs (subject, peer), both ways round, of a host and a workload pod on its node.</summary>
    private IEnumerable<(int Subject, int Peer)> NodeLocalPairs()
    {
        foreach (var (h, p) in HostPairs(nodeLocal: true))
        {
            if (_endpoints[p].HostOf is null)
            {
                yield return (h, p);
                yield return (p, h);
            }
        }
    }

    /// <summary>A host of a node with the pods of that node (when <paramref name="nodeLocal"/>) and with the other
    /// faces of the same host.</summary>
    private IEnumerable<(int Host, int Other)> HostPairs(bool nodeLocal)
    {
        var hosts = new List<int>();
        var podsByNode = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < _count; i++)
        {
            var e = _endpoints[i];
            if (e.HostOf is not null)
            {
                hosts.Add(i);
            }

            if (e.PodNode is { } node)
            {
                if (!podsByNode.TryGetValue(node, out var list))
                {
                    list = [];
                    podsByNode[node] = list;
                }

                list.Add(i);
            }
        }

        foreach (var h in hosts)
        {
            var node = _endpoints[h].HostOf!;
            var peers = nodeLocal && podsByNode.TryGetValue(node, out var pods) ? pods : [];
            foreach (var p in peers.Concat(hosts.Where(o => _endpoints[o].HostOf == node)))
            {
                yield return (h, p);
            }
        }
    }

    /// <summary>The destinations an egress rule's ports admit for the probe, or null for none.</summary>
    private ulong[]? DestinationsFor(CompiledRule rule, PortProbe probe, Dictionary<string, ulong[]> namedMasks)
    {
        if (rule.AllPorts)
        {
            return _all;
        }

        ulong[]? result = null;
        foreach (var spec in rule.Ports)
        {
            if (spec.Protocol != probe.Protocol)
            {
                continue;
            }

            if (spec.Name is null)
            {
                if (spec.First == 0 || (probe.Port >= spec.First && probe.Port <= spec.Last))
                {
                    return _all;
                }

                continue;
            }

            if (!namedMasks.TryGetValue(spec.Name, out var mask))
            {
                mask = NewBits();
                for (var i = 0; i < _count; i++)
                {
                    if (_endpoints[i].ResolveNamedPort(spec.Name, probe.Protocol) == probe.Port)
                    {
                        Set(mask, i);
                    }
                }

                namedMasks[spec.Name] = mask;
            }

            if (!IsEmpty(mask))
            {
                result ??= NewBits();
                Or(result, mask);
            }
        }

        return result;
    }

    /// <summary>The endpoints a rule's peers admit, seen from a subject of address class <paramref name="subjectClass"/>.</summary>
    private ulong[] PeersFor(CompiledRule rule, int subjectClass, CompiledPolicy policy)
    {
        if (rule.AllPeers)
        {
            return _all;
        }

        if (_peers.TryGetValue((rule, subjectClass), out var cached))
        {
            return cached;
        }

        if (!_rulePeers.TryGetValue(rule, out var parts))
        {
            var selectors = NewBits();
            var blocks = new List<IPBlock>();
            foreach (var peer in rule.Peers)
            {
                if (peer.Block is not null)
                {
                    blocks.Add(peer.Block);
                }
                else
                {
                    Or(selectors, _selectors.Select(peer.PodSelector, peer.NamespaceSelector, policy.Policy.Namespace));
                }
            }

            parts = new RulePeers(selectors, blocks);
            _rulePeers[rule] = parts;
        }

        var result = parts.Blocks.Count == 0 ? parts.Selectors : (ulong[])parts.Selectors.Clone();
        foreach (var block in parts.Blocks)
        {
            var (inside, isV6) = _selectors.BlockMembers(block);
            for (var c = 0; c < 4; c++)
            {
                if (PolicyMatcher.PairFamilyIsV6(c, subjectClass) != isV6)
                {
                    continue;
                }

                var mask = _classMasks[c];
                for (var w = 0; w < _words; w++)
                {
                    result[w] |= inside[w] & mask[w];
                }
            }
        }

        _peers[(rule, subjectClass)] = result;
        return result;
    }

    private IEnumerable<int> ClassesOf(ulong[] selected)
    {
        for (var c = 0; c < 4; c++)
        {
            var mask = _classMasks[c];
            for (var w = 0; w < _words; w++)
            {
                if ((selected[w] & mask[w]) != 0)
                {
                    yield return c;
                    break;
                }
            }
        }
    }

    private static IEnumerable<int> Members(ulong[] bits) => SelectorIndex.Members(bits);

    private ulong[] NewBits() => new ulong[_words];

    private static void Set(ulong[] bits, int index) => SelectorIndex.Set(bits, index);

    private static bool Get(ulong[] bits, int index) => SelectorIndex.Get(bits, index);

    private static void Or(Span<ulong> target, ReadOnlySpan<ulong> source) => SelectorIndex.Or(target, source);

    private static bool IsEmpty(ulong[] bits) => SelectorIndex.IsEmpty(bits);

    private sealed record RulePeers(ulong[] Selectors, List<IPBlock> Blocks);
}
