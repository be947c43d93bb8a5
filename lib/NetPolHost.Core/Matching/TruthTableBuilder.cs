using System.Numerics;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>
/// Builds truth tables with bitsets: selections and peer sets are computed once per table, then per port every isolated
/// endpoint's allowed set is a union of rows, and the combined matrix is egress AND transposed ingress.
/// </summary>
/// <remarks>Agrees cell by cell with <see cref="PolicyMatcher.Decide"/> (a property test checks it).</remarks>
internal sealed class TruthTableBuilder
{
    private readonly EndpointInfo[] _endpoints;
    private readonly int _count;
    private readonly int _words;
    private readonly ulong[] _all;
    private readonly ulong[] _workloads;
    private readonly ulong[][] _classMasks = new ulong[4][];
    private readonly int[] _classes;
    private readonly Dictionary<string, (int Start, int End)> _namespaceRanges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LabelMap> _namespaceLabels = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Key, string Value), List<int>> _postings = new();
    private readonly Dictionary<LabelSelector, List<string>> _namespaceSelections = new();
    private readonly Dictionary<(LabelSelector?, LabelSelector?, string?), ulong[]> _selections = new();
    private readonly Dictionary<IPBlock, (ulong[] Inside, bool IsV6)> _blocks = new();
    private readonly Dictionary<(CompiledRule, int), ulong[]> _peers = new();
    private readonly Dictionary<CompiledRule, RulePeers> _rulePeers = new();

    private TruthTableBuilder(EndpointInfo[] endpoints)
    {
        _endpoints = endpoints;
        _count = endpoints.Length;
        _words = (_count + 63) >> 6;
        _all = NewBits();
        for (var i = 0; i < _count; i++)
        {
            Set(_all, i);
        }

        _workloads = NewBits();
        for (var c = 0; c < 4; c++)
        {
            _classMasks[c] = NewBits();
        }

        _classes = new int[_count];
        for (var i = 0; i < _count; i++)
        {
            var e = endpoints[i];
            if (e.IsWorkload)
            {
                Set(_workloads, i);
            }

            _classes[i] = e.AddressClass;
            Set(_classMasks[e.AddressClass], i);
            if (_namespaceRanges.TryGetValue(e.Namespace, out var range))
            {
                _namespaceRanges[e.Namespace] = (range.Start, i + 1);
            }
            else
            {
                _namespaceRanges[e.Namespace] = (i, i + 1);
                _namespaceLabels[e.Namespace] = e.NamespaceLabels;
            }

            if (e.IsWorkload)
            {
                foreach (var (key, value) in e.Labels)
                {
                    if (!_postings.TryGetValue((key, value), out var list))
                    {
                        list = [];
                        _postings[(key, value)] = list;
                    }

                    list.Add(i);
                }
            }
        }
    }

    public static TruthTable Build(ClusterIndex index, EndpointInfo[] chosen, IReadOnlyList<PortProbe> probes)
    {
        var builder = new TruthTableBuilder(chosen);
        var policies = new List<(CompiledPolicy Policy, ulong[] Selected)>();
        foreach (var policy in index.Policies)
        {
            var selected = builder.Select(policy.Policy.PodSelector, null, policy.Policy.Namespace);
            if (!IsEmpty(selected))
            {
                policies.Add((policy, selected));
            }
        }

        var matrices = new List<ProbeMatrix>(probes.Count);
        foreach (var probe in probes)
        {
            matrices.Add(builder.BuildProbe(policies, probe));
        }

        return new TruthTable([.. chosen.Select(e => e.Display)], matrices);
    }

    private ProbeMatrix BuildProbe(List<(CompiledPolicy Policy, ulong[] Selected)> policies, PortProbe probe)
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

        var ingress = ingressRows.Transpose();
        var allowed = new BitMatrix(_count, _count);
        var a = allowed.Raw;
        var e = egressRows.Raw;
        var t = ingress.Raw;
        for (long w = 0; w < a.LongLength; w++)
        {
            a[w] = e[w] & t[w];
        }

        ApplyAlwaysAllowed(allowed, ingress, egressRows);
        return new ProbeMatrix(probe, allowed, ingress, egressRows);
    }

    /// <summary>Sets the cells that are allowed whatever the policies say: self, same host, pod and own node.</summary>
    private void ApplyAlwaysAllowed(BitMatrix allowed, BitMatrix ingress, BitMatrix egress)
    {
        for (var i = 0; i < _count; i++)
        {
            allowed[i, i] = ingress[i, i] = egress[i, i] = true;
        }

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
            var peers = podsByNode.TryGetValue(node, out var pods) ? pods : [];
            foreach (var p in peers.Concat(hosts.Where(o => _endpoints[o].HostOf == node)))
            {
                allowed[h, p] = ingress[h, p] = egress[h, p] = true;
                allowed[p, h] = ingress[p, h] = egress[p, h] = true;
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
                    Or(selectors, Select(peer.PodSelector, peer.NamespaceSelector, policy.Policy.Namespace));
                }
            }

            parts = new RulePeers(selectors, blocks);
            _rulePeers[rule] = parts;
        }

        var result = parts.Blocks.Count == 0 ? parts.Selectors : (ulong[])parts.Selectors.Clone();
        foreach (var block in parts.Blocks)
        {
            var (inside, isV6) = BlockMembers(block);
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

    private (ulong[] Inside, bool IsV6) BlockMembers(IPBlock block)
    {
        if (_blocks.TryGetValue(block, out var cached))
        {
            return cached;
        }

        var isV6 = block.Cidr.IsIPv6;
        var inside = NewBits();
        for (var i = 0; i < _count; i++)
        {
            if (_endpoints[i].TryGetAddress(isV6, out var address) && block.Contains(address, isV6))
            {
                Set(inside, i);
            }
        }

        cached = (inside, isV6);
        _blocks[block] = cached;
        return cached;
    }

    /// <summary>The workloads matching a pod selector in the namespaces a namespace selector picks (null: <paramref name="policyNamespace"/>).</summary>
    private ulong[] Select(LabelSelector? podSelector, LabelSelector? namespaceSelector, string policyNamespace)
    {
        var key = (podSelector, namespaceSelector, namespaceSelector is null ? policyNamespace : null);
        if (_selections.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var result = NewBits();
        List<string> namespaces;
        if (namespaceSelector is null)
        {
            namespaces = _namespaceRanges.ContainsKey(policyNamespace) ? [policyNamespace] : [];
        }
        else if (!_namespaceSelections.TryGetValue(namespaceSelector, out namespaces!))
        {
            namespaces = [.. _namespaceLabels.Where(p => namespaceSelector.Matches(p.Value)).Select(p => p.Key)];
            _namespaceSelections[namespaceSelector] = namespaces;
        }

        if (podSelector is null || podSelector.IsEmpty)
        {
            foreach (var ns in namespaces)
            {
                var (start, end) = _namespaceRanges[ns];
                for (var i = start; i < end; i++)
                {
                    Set(result, i);
                }
            }

            And(result, _workloads);
        }
        else
        {
            var candidates = Candidates(podSelector);
            if (candidates is not null && candidates.Count < _count / 4)
            {
                var allowedNamespaces = namespaces.ToHashSet(StringComparer.Ordinal);
                foreach (var i in candidates)
                {
                    var e = _endpoints[i];
                    if (allowedNamespaces.Contains(e.Namespace) && podSelector.Matches(e.Labels))
                    {
                        Set(result, i);
                    }
                }
            }
            else
            {
                foreach (var ns in namespaces)
                {
                    var (start, end) = _namespaceRanges[ns];
                    for (var i = start; i < end; i++)
                    {
                        var e = _endpoints[i];
                        if (e.IsWorkload && podSelector.Matches(e.Labels))
                        {
                            Set(result, i);
                        }
                    }
                }
            }
        }

        _selections[key] = result;
        return result;
    }

    /// <summary>The smallest posting list that every match of the selector is in, or null when there is none.</summary>
    private List<int>? Candidates(LabelSelector selector)
    {
        List<int>? best = null;
        foreach (var (key, value) in selector.MatchLabels)
        {
            var list = _postings.GetValueOrDefault((key, value)) ?? [];
            if (best is null || list.Count < best.Count)
            {
                best = list;
            }
        }

        foreach (var requirement in selector.MatchExpressions)
        {
            if (requirement.Operator != SelectorOperator.In)
            {
                continue;
            }

            var merged = new List<int>();
            foreach (var value in requirement.Values.Distinct())
            {
                merged.AddRange(_postings.GetValueOrDefault((requirement.Key, value)) ?? []);
            }

            if (best is null || merged.Count < best.Count)
            {
                best = merged;
            }
        }

        return best;
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

    private static IEnumerable<int> Members(ulong[] bits)
    {
        for (var w = 0; w < bits.Length; w++)
        {
            var word = bits[w];
            while (word != 0)
            {
                var bit = BitOperations.TrailingZeroCount(word);
                yield return (w << 6) + bit;
                word &= word - 1;
            }
        }
    }

    private ulong[] NewBits() => new ulong[_words];

    private static void Set(ulong[] bits, int index) => bits[index >> 6] |= 1UL << index;

    private static bool Get(ulong[] bits, int index) => (bits[index >> 6] & (1UL << index)) != 0;

    private static void Or(Span<ulong> target, ReadOnlySpan<ulong> source)
    {
        for (var w = 0; w < target.Length; w++)
        {
            target[w] |= source[w];
        }
    }

    private static void And(Span<ulong> target, ReadOnlySpan<ulong> source)
    {
        for (var w = 0; w < target.Length; w++)
        {
            target[w] &= source[w];
        }
    }

    private static bool IsEmpty(ulong[] bits)
    {
        foreach (var word in bits)
        {
            if (word != 0)
            {
                return false;
            }
        }

        return true;
    }

    private sealed record RulePeers(ulong[] Selectors, List<IPBlock> Blocks);
}
