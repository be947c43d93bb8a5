using System.Globalization;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Linting;

/// <summary>The ports of a rule as sets: every protocol and port, numeric ranges per protocol, and named ports (whose
/// number depends on the pod they resolve on: a named port is the same as another only by its name).</summary>
internal sealed class PortShape
{
    public bool All { get; private init; }

    public List<PortRange> Numeric { get; } = [];

    /// <summary>Named ports: the protocol (null: any, as a ClusterNetworkPolicy's destinationNamedPort) and the name.</summary>
    public List<(Protocol? Protocol, string Name)> Named { get; } = [];

    public static PortShape From(NetworkPolicyRule rule)
    {
        var shape = new PortShape { All = rule.Ports.IsEmpty };
        foreach (var port in rule.Ports)
        {
            switch (port.Port)
            {
                case null:
                    shape.Numeric.Add(new PortRange(port.Protocol, 0, 65535));
                    break;
                case { IsNamed: true } named:
                    shape.Named.Add((port.Protocol, named.Name!));
                    break;
                case { } number:
                    shape.Numeric.Add(new PortRange(port.Protocol, number.Number, port.EndPort ?? number.Number));
                    break;
            }
        }

        return shape;
    }

    public static PortShape From(ClusterNetworkPolicyRule rule)
    {
        var shape = new PortShape { All = rule.Protocols.IsEmpty };
        foreach (var port in rule.Protocols)
        {
            if (port.NamedPort is not null)
            {
                shape.Named.Add((null, port.NamedPort));
            }
            else
            {
                shape.Numeric.Add(port.IsAllPorts ? new PortRange(port.Protocol, 0, 65535) : new PortRange(port.Protocol, port.Port, port.EndPort));
            }
        }

        return shape;
    }

    /// <summary>Whether the rule admits the port (a named port of that protocol may: counted as admitting it).</summary>
    public bool MayAdmit(Protocol protocol, int port) =>
        All || Numeric.Any(r => r.Protocol == protocol && port >= r.First && port <= r.Last) || Named.Any(n => n.Protocol is null || n.Protocol == protocol);

    /// <summary>Whether some port is surely admitted by both.</summary>
    public bool Overlaps(PortShape other)
    {
        if (All || other.All)
        {
            return true;
        }

        foreach (var a in Numeric)
        {
            foreach (var b in other.Numeric)
            {
                if (a.Protocol == b.Protocol && a.First <= b.Last && b.First <= a.Last)
                {
                    return true;
                }
            }

            // A whole protocol holds whatever a named port of it resolves to.
            if (a.IsAllPorts && other.Named.Any(n => n.Protocol is null || n.Protocol == a.Protocol))
            {
                return true;
            }
        }

        foreach (var a in Named)
        {
            if (other.Named.Any(b => b.Name == a.Name && (a.Protocol is null || b.Protocol is null || a.Protocol == b.Protocol)))
            {
                return true;
            }

            if (other.Numeric.Any(b => b.IsAllPorts && (a.Protocol is null || a.Protocol == b.Protocol)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether some port number is surely admitted by both, named ports left aside: towards an address, a
    /// named port resolves only if the address is a pod's that declares it, which the policies alone do not tell.</summary>
    public bool OverlapsByNumber(PortShape other) =>
        (All && other.Numeric.Count > 0) || (other.All && Numeric.Count > 0) || (All && other.All)
        || Numeric.Any(a => other.Numeric.Any(b => a.Protocol == b.Protocol && a.First <= b.Last && b.First <= a.Last));

    /// <summary>The numeric ports both admit surely (for messages): the ranges of <paramref name="ranges"/> that this admits.</summary>
    public List<PortRange> Intersect(IEnumerable<PortRange> ranges)
    {
        var result = new List<PortRange>();
        foreach (var range in ranges)
        {
            if (All)
            {
                result.Add(range);
                continue;
            }

            foreach (var mine in Numeric)
            {
                if (mine.Protocol == range.Protocol && mine.First <= range.Last && range.First <= mine.Last)
                {
                    result.Add(new PortRange(range.Protocol, Math.Max(mine.First, range.First), Math.Min(mine.Last, range.Last)));
                }
            }
        }

        return PortSet.Create(result).Ranges.ToList();
    }

    /// <summary>Ports a rule leaves out between ranges of one protocol: gaps between its merged entries where an entry
    /// beside the gap is a range (a rule of single ports lists what it serves; one of ranges around a hole excludes it).</summary>
    public List<(PortRange Hole, PortRange Before, PortRange After)> Holes()
    {
        var holes = new List<(PortRange, PortRange, PortRange)>();
        if (All)
        {
            return holes;
        }

        foreach (var group in Numeric.GroupBy(r => r.Protocol))
        {
            var entries = group.ToList();
            var merged = PortSet.Create(entries).Ranges;
            for (var i = 0; i + 1 < merged.Count; i++)
            {
                var (before, after) = (merged[i], merged[i + 1]);
                if (!entries.Any(e => e.First < e.Last && (e.Last == before.Last || e.First == after.First)))
                {
                    continue;
                }

                holes.Add((new PortRange(before.Protocol, before.Last + 1, after.First - 1), before, after));
            }
        }

        return holes;
    }

    /// <summary>The port space of the rule cut into classes that every candidate either admits whole or not at all,
    /// each with the candidates that admit it whole.</summary>
    public IEnumerable<List<int>> Classes(IReadOnlyList<PortShape> candidates)
    {
        if (All)
        {
            yield return [.. Enumerable.Range(0, candidates.Count).Where(c => candidates[c].All)];
            yield break;
        }

        foreach (var range in Numeric)
        {
            var cuts = new SortedSet<int> { range.First, range.Last + 1 };
            foreach (var candidate in candidates)
            {
                foreach (var other in candidate.Numeric)
                {
                    if (other.Protocol == range.Protocol && other.First <= range.Last && range.First <= other.Last)
                    {
                        cuts.Add(Math.Max(other.First, range.First));
                        cuts.Add(Math.Min(other.Last, range.Last) + 1);
                    }
                }
            }

            var edges = cuts.ToArray();
            for (var e = 0; e + 1 < edges.Length; e++)
            {
                var (first, last) = (edges[e], edges[e + 1] - 1);
                yield return [.. Enumerable.Range(0, candidates.Count).Where(c =>
                    candidates[c].All || candidates[c].Numeric.Any(o => o.Protocol == range.Protocol && o.First <= first && o.Last >= last))];
            }
        }

        foreach (var (protocol, name) in Named)
        {
            yield return [.. Enumerable.Range(0, candidates.Count).Where(c =>
                candidates[c].All
                || candidates[c].Named.Any(o => o.Name == name && (o.Protocol is null || o.Protocol == protocol))
                || (protocol is { } p && candidates[c].Numeric.Any(o => o.Protocol == p && o.IsAllPorts)))];
        }
    }

    public override string ToString() => All
        ? "every port and protocol"
        : string.Join(", ", Numeric.Select(r => r.ToString()).Concat(Named.Select(n => n.Name + (n.Protocol is { } p ? "/" + p.ToKubernetesName() : string.Empty))));
}

/// <summary>The peers of a rule as sets: everything (a rule without peers), label sets (pods in namespaces), address
/// ranges (ipBlocks with except entries subtracted, networks), node label sets and domain names.</summary>
internal sealed class PeerShape
{
    public bool All { get; init; }

    public List<LabelSet> Selectors { get; } = [];

    public List<AddressRange> Ranges { get; } = [];

    public List<LabelSet> Nodes { get; } = [];

    public List<string> Domains { get; } = [];

    public static PeerShape From(NetworkPolicyRule rule, string policyNamespace)
    {
        var shape = new PeerShape { All = rule.Peers.IsEmpty };
        foreach (var peer in rule.Peers)
        {
            if (peer.IPBlock is { } block)
            {
                shape.Ranges.AddRange(AddressRange.FromBlock(block));
            }
            else if (peer.NamespaceSelector is { } ns)
            {
                shape.Selectors.Add(LabelSet.InNamespaces(ns, peer.PodSelector));
            }
            else if (peer.PodSelector is not null)
            {
                shape.Selectors.Add(LabelSet.InNamespace(policyNamespace, peer.PodSelector));
            }
        }

        return shape;
    }

    public static PeerShape From(ClusterNetworkPolicyRule rule)
    {
        // A peer of a newer API fails closed: it matches nothing in an Accept rule and everything in a Deny or Pass rule.
        var all = rule.Peers.Any(p => p.IsUnknown) && rule.Action != ClusterPolicyAction.Accept;
        var shape = new PeerShape { All = all };
        foreach (var peer in rule.Peers)
        {
            if (peer.Namespaces is { } namespaces)
            {
                shape.Selectors.Add(LabelSet.InNamespaces(namespaces, null));
            }
            else if (peer.Pods is { } pods)
            {
                shape.Selectors.Add(LabelSet.InNamespaces(pods.NamespaceSelector, pods.PodSelector));
            }
            else if (!peer.Networks.IsEmpty)
            {
                shape.Ranges.AddRange(peer.Networks.Select(AddressRange.FromCidr));
            }
            else if (peer.Nodes is { } nodes)
            {
                shape.Nodes.Add(LabelSet.Nodes(nodes));
            }
            else if (!peer.DomainNames.IsEmpty)
            {
                shape.Domains.AddRange(peer.DomainNames.Select(d => d.TrimEnd('.').ToLowerInvariant()));
            }
        }

        return shape;
    }

    /// <summary>Whether every peer of this is a peer of some candidate.</summary>
    public bool IsCoveredBy(IReadOnlyList<PeerShape> candidates, LabelLogic logic)
    {
        if (candidates.Any(c => c.All))
        {
            return true;
        }

        if (All)
        {
            return false;
        }

        if (Selectors.Count > 0)
        {
            var union = candidates.SelectMany(c => c.Selectors).ToList();
            if (Selectors.Any(s => logic.Covers(union, s) != true))
            {
                return false;
            }
        }

        if (Nodes.Count > 0)
        {
            var union = candidates.SelectMany(c => c.Nodes).ToList();
            if (Nodes.Any(s => logic.Covers(union, s) != true))
            {
                return false;
            }
        }

        if (Ranges.Count > 0 && !AddressCover.Covers(AddressRange.Merge(candidates.SelectMany(c => c.Ranges)), Ranges))
        {
            return false;
        }

        return Domains.All(d => candidates.Any(c => c.Domains.Any(o => DomainCovers(o, d))));
    }

    /// <summary>Whether some peer is surely a peer of both.</summary>
    public bool Overlaps(PeerShape other, LabelLogic logic)
    {
        if (All)
        {
            return !other.IsEmpty;
        }

        if (other.All)
        {
            return !IsEmpty;
        }

        return Selectors.Any(a => other.Selectors.Any(b => logic.Overlaps(a, b)))
            || Nodes.Any(a => other.Nodes.Any(b => logic.Overlaps(a, b)))
            || AddressCover.Intersect(Ranges, other.Ranges).Count > 0
            || Domains.Any(a => other.Domains.Any(b => DomainCovers(a, b) || DomainCovers(b, a)));
    }

    public bool IsEmpty => !All && Selectors.Count == 0 && Ranges.Count == 0 && Nodes.Count == 0 && Domains.Count == 0;

    private static bool DomainCovers(string pattern, string name) =>
        pattern == name || (pattern.StartsWith("*.", StringComparison.Ordinal) && name.Length > pattern.Length - 1 && name.EndsWith(pattern[1..], StringComparison.Ordinal)
            && !name.StartsWith("*.", StringComparison.Ordinal));
}

/// <summary>Set operations on address ranges (of both families).</summary>
internal static class AddressCover
{
    /// <summary>Whether every range is inside the union <paramref name="merged"/> (as <see cref="AddressRange.Merge"/> gives).</summary>
    public static bool Covers(List<AddressRange> merged, IEnumerable<AddressRange> ranges) =>
        ranges.All(r => merged.Any(m => m.IsIPv6 == r.IsIPv6 && m.First <= r.First && m.Last >= r.Last));

    /// <summary>The addresses in both, merged.</summary>
    public static List<AddressRange> Intersect(IEnumerable<AddressRange> a, IEnumerable<AddressRange> b)
    {
        var result = new List<AddressRange>();
        var right = b.ToList();
        foreach (var x in a)
        {
            foreach (var y in right)
            {
                if (x.IsIPv6 == y.IsIPv6 && x.First <= y.Last && y.First <= x.Last)
                {
                    result.Add(new AddressRange(UInt128.Max(x.First, y.First), UInt128.Min(x.Last, y.Last), x.IsIPv6));
                }
            }
        }

        return AddressRange.Merge(result);
    }

    /// <summary>Whether the range is a whole family (<c>0.0.0.0/0</c> or <c>::/0</c>).</summary>
    public static bool IsWholeFamily(AddressRange range) => range.First == UInt128.Zero && range.Last == AddressRange.MaxValue(range.IsIPv6);

    public static string Describe(IReadOnlyList<AddressRange> ranges, int max = 5)
    {
        var parts = ranges.Select(r => r.ToString()).ToList();
        return parts.Count <= max ? string.Join(", ", parts) : string.Join(", ", parts.Take(max)) + " and " + (parts.Count - max).ToString(CultureInfo.InvariantCulture) + " more";
    }
}
