using System.Numerics;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>
/// Evaluates label selectors over a fixed list of endpoints as bitsets: namespaces are contiguous index ranges, label
/// (key, value) pairs have posting lists (per key, built when selectors ask for it), and results are cached per (pod
/// selector, namespace selector, scope).
/// </summary>
/// <remarks>Not thread-safe: callers hold one per computation.</remarks>
internal sealed class SelectorIndex
{
    private readonly EndpointInfo[] _endpoints;
    private readonly Dictionary<string, (int Start, int End)> _namespaceRanges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LabelMap> _namespaceLabels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, List<int>>> _postings = new(StringComparer.Ordinal);
    private readonly Dictionary<LabelSelector, List<string>> _namespaceSelections = new();
    private readonly Dictionary<(LabelSelector?, LabelSelector?, string?), ulong[]> _selections = new();
    private readonly Dictionary<IPBlock, (ulong[] Inside, bool IsV6)> _blocks = new();

    /// <summary>Indexes endpoints that are sorted by namespace (each namespace contiguous).</summary>
    public SelectorIndex(EndpointInfo[] endpoints)
    {
        _endpoints = endpoints;
        Count = endpoints.Length;
        Words = (Count + 63) >> 6;
        All = NewBits();
        Workloads = NewBits();
        string? currentNs = null;
        var start = 0;
        for (var i = 0; i < Count; i++)
        {
            var e = endpoints[i];
            Set(All, i);
            if (currentNs is null || !string.Equals(e.Namespace, currentNs, StringComparison.Ordinal))
            {
                if (currentNs is not null)
                {
                    _namespaceRanges[currentNs] = (start, i);
                }

                (currentNs, start) = (e.Namespace, i);
                _namespaceLabels[e.Namespace] = e.NamespaceLabels;
            }

            if (e.IsWorkload)
            {
                Set(Workloads, i);
            }
        }

        if (currentNs is not null)
        {
            _namespaceRanges[currentNs] = (start, Count);
        }
    }

    /// <summary>The posting lists (value to the workloads with it) of one label key, built on first use once enough
    /// selections have asked for candidates (a computation that selects a few times does better walking the
    /// namespaces); keys no selector names (such as a pod-template-hash) are never indexed.</summary>
    private Dictionary<string, List<int>>? Postings(string key)
    {
        if (_postings.TryGetValue(key, out var known))
        {
            return known;
        }

        if (_candidateRequests < PostingsAfter)
        {
            return null;
        }

        var byValue = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            var e = _endpoints[i];
            if (e.IsWorkload && e.Labels.TryGetValue(key, out var value))
            {
                if (!byValue.TryGetValue(value, out var list))
                {
                    list = [];
                    byValue[value] = list;
                }

                list.Add(i);
            }
        }

        _postings[key] = byValue;
        return byValue;
    }

    /// <summary>Selections by label that walk the namespaces before the posting lists are built.</summary>
    private const int PostingsAfter = 8;

    private int _candidateRequests;

    public int Count { get; }

    public int Words { get; }

    /// <summary>Every endpoint.</summary>
    public ulong[] All { get; }

    /// <summary>Endpoints policies can select.</summary>
    public ulong[] Workloads { get; }

    public EndpointInfo this[int index] => _endpoints[index];

    public ulong[] NewBits() => new ulong[Words];

    /// <summary>The workloads a policy with this pod selector selects in its namespace.</summary>
    public ulong[] SelectedBy(NetworkPolicy policy) => Select(policy.PodSelector, null, policy.Namespace);

    /// <summary>The workloads matching a pod selector in the namespaces a namespace selector picks (null: <paramref name="policyNamespace"/>).</summary>
    public ulong[] Select(LabelSelector? podSelector, LabelSelector? namespaceSelector, string policyNamespace)
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

            And(result, Workloads);
        }
        else
        {
            var candidates = Candidates(podSelector);
            var inNamespaces = 0;
            foreach (var ns in namespaces)
            {
                var (start, end) = _namespaceRanges[ns];
                inNamespaces += end - start;
            }

            // The candidates when they are fewer than the endpoints of the namespaces (a walk over those otherwise).
            if (candidates is not null && candidates.Count < Count / 4 && candidates.Count < inNamespaces)
            {
                var allowed = NewBits();
                foreach (var ns in namespaces)
                {
                    var (start, end) = _namespaceRanges[ns];
                    for (var i = start; i < end; i++)
                    {
                        Set(allowed, i);
                    }
                }

                foreach (var i in candidates)
                {
                    if (Get(allowed, i) && podSelector.Matches(_endpoints[i].Labels))
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

    /// <summary>The endpoints whose address of the block's family lies in the block.</summary>
    public (ulong[] Inside, bool IsV6) BlockMembers(IPBlock block)
    {
        if (_blocks.TryGetValue(block, out var cached))
        {
            return cached;
        }

        var isV6 = block.Cidr.IsIPv6;
        var inside = NewBits();
        for (var i = 0; i < Count; i++)
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

    /// <summary>The smallest posting list that every match of the selector is in, or null when there is none.</summary>
    private List<int>? Candidates(LabelSelector selector)
    {
        if (++_candidateRequests < PostingsAfter)
        {
            return null;
        }

        List<int>? best = null;
        foreach (var (key, value) in selector.MatchLabels)
        {
            var list = Postings(key)!.GetValueOrDefault(value) ?? [];
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
                merged.AddRange(Postings(requirement.Key)!.GetValueOrDefault(value) ?? []);
            }

            if (best is null || merged.Count < best.Count)
            {
                best = merged;
            }
        }

        return best;
    }

    public static IEnumerable<int> Members(ulong[] bits)
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

    public static int CountOf(ulong[] bits)
    {
        var count = 0;
        foreach (var word in bits)
        {
            count += BitOperations.PopCount(word);
        }

        return count;
    }

    public static void Set(ulong[] bits, int index) => bits[index >> 6] |= 1UL << index;

    public static bool Get(ulong[] bits, int index) => (bits[index >> 6] & (1UL << index)) != 0;

    public static void Or(Span<ulong> target, ReadOnlySpan<ulong> source)
    {
        for (var w = 0; w < target.Length; w++)
        {
            target[w] |= source[w];
        }
    }

    public static void And(Span<ulong> target, ReadOnlySpan<ulong> source)
    {
        for (var w = 0; w < target.Length; w++)
        {
            target[w] &= source[w];
        }
    }

    public static bool IsEmpty(ulong[] bits)
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
}
