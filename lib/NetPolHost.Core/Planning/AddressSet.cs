using System.Globalization;
using System.Net;
using System.Numerics;
using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>An inclusive range of addresses of one family.</summary>
/// <param name="First">The first address as a number (IPv4 in the low 32 bits).</param>
/// <param name="Last">The last address as a number.</param>
/// <param name="IsIPv6">Whether the range is IPv6.</param>
public readonly record struct AddressRange(UInt128 First, UInt128 Last, bool IsIPv6) : IComparable<AddressRange>
{
    /// <summary>The first address.</summary>
    public IPAddress FirstAddress => IpMath.ToAddress(First, IsIPv6);

    /// <summary>The last address.</summary>
    public IPAddress LastAddress => IpMath.ToAddress(Last, IsIPv6);

    /// <summary>Whether the range holds one address.</summary>
    public bool IsSingle => First == Last;

    /// <summary>The number of addresses (saturating at <see cref="UInt128.MaxValue"/>).</summary>
    public UInt128 Size => Last - First == UInt128.MaxValue ? UInt128.MaxValue : Last - First + 1;

    /// <summary>The range of one network.</summary>
    /// <param name="cidr">The network.</param>
    /// <returns>The range.</returns>
    public static AddressRange FromCidr(Cidr cidr) => new(cidr.First, cidr.Last, cidr.IsIPv6);

    /// <summary>The range holding one address.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The range.</returns>
    public static AddressRange FromAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var value = IpMath.ToUInt128(address, out var isV6);
        return new(value, value, isV6);
    }

    /// <summary>Whether an address is inside.</summary>
    /// <param name="value">The address as a number.</param>
    /// <param name="isV6">Its family.</param>
    /// <returns><see langword="true"/> when inside.</returns>
    public bool Contains(UInt128 value, bool isV6) => isV6 == IsIPv6 && value >= First && value <= Last;

    /// <summary>Splits the range into the fewest CIDR blocks that cover it exactly.</summary>
    /// <returns>The blocks, in order.</returns>
    public IReadOnlyList<Cidr> ToCidrs()
    {
        var result = new List<Cidr>();
        var bits = IsIPv6 ? 128 : 32;
        var start = First;
        while (true)
        {
            // The largest block aligned at start that does not pass Last.
            var alignment = start == UInt128.Zero ? bits : Math.Min(bits, (int)UInt128.TrailingZeroCount(start));
            var size = alignment;
            while (size > 0)
            {
                var blockLast = size == 128 ? UInt128.MaxValue : start + ((UInt128.One << size) - 1);
                if (blockLast <= Last && blockLast >= start)
                {
                    break;
                }

                size--;
            }

            result.Add(new Cidr(IpMath.ToAddress(start, IsIPv6), bits - size));
            var last = size == 128 ? UInt128.MaxValue : start + ((UInt128.One << size) - 1);
            if (last >= Last)
            {
                break;
            }

            start = last + 1;
        }

        return result;
    }

    /// <inheritdoc/>
    public int CompareTo(AddressRange other)
    {
        if (IsIPv6 != other.IsIPv6)
        {
            return IsIPv6 ? 1 : -1;
        }

        var c = First.CompareTo(other.First);
        return c != 0 ? c : Last.CompareTo(other.Last);
    }

    /// <summary>Whether the range is exactly one CIDR block (a single address is a <c>/32</c> or <c>/128</c>).</summary>
    /// <param name="cidr">The block, when it is one.</param>
    /// <returns><see langword="true"/> when the range is one block.</returns>
    public bool TryGetCidr(out Cidr cidr)
    {
        cidr = default;
        var bits = IsIPv6 ? 128 : 32;
        var span = Last - First;
        int prefix;
        if (span == UInt128.MaxValue)
        {
            prefix = 0;
        }
        else if (UInt128.IsPow2(span + 1) && (First & span) == 0)
        {
            prefix = bits - (int)UInt128.Log2(span + 1);
        }
        else
        {
            return false;
        }

        cidr = Cidr.FromNumber(First, prefix, IsIPv6);
        return true;
    }

    /// <summary>Formats the range: the address when it holds one, <c>address/prefix</c> when it is one CIDR block, else
    /// <c>first-last</c>. This is the text of address ranges everywhere (plans, nft elements, firewalld ipset entries,
    /// Windows address lists, WFP conditions).</summary>
    /// <returns>The text, such as <c>10.0.0.1</c>, <c>10.0.0.0/24</c> or <c>10.0.0.1-10.0.0.9</c>.</returns>
    public override string ToString()
    {
        if (IsSingle)
        {
            return FirstAddress.ToString();
        }

        return TryGetCidr(out var cidr) ? cidr.ToString() : FirstAddress + "-" + LastAddress;
    }

    /// <summary>The largest address of a family as a number.</summary>
    /// <param name="isV6">The family.</param>
    /// <returns><see cref="UInt128.MaxValue"/> for IPv6, <see cref="uint.MaxValue"/> for IPv4.</returns>
    public static UInt128 MaxValue(bool isV6) => IpMath.FamilyMax(isV6);

    /// <summary>Sorts ranges and merges those that overlap or touch.</summary>
    /// <param name="ranges">The ranges, of either family.</param>
    /// <returns>Sorted (IPv4 first), disjoint, non-adjacent ranges.</returns>
    public static List<AddressRange> Merge(IEnumerable<AddressRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var sorted = ranges.ToList();
        sorted.Sort();
        var result = new List<AddressRange>(sorted.Count);
        foreach (var range in sorted)
        {
            if (result.Count > 0)
            {
                var last = result[^1];
                if (last.IsIPv6 == range.IsIPv6 && (range.First <= last.Last || (last.Last != UInt128.MaxValue && range.First == last.Last + 1)))
                {
                    if (range.Last > last.Last)
                    {
                        result[^1] = last with { Last = range.Last };
                    }

                    continue;
                }
            }

            result.Add(range);
        }

        return result;
    }

    /// <summary>The ranges of one family that are not in <paramref name="merged"/>.</summary>
    /// <param name="merged">Ranges of that family, as <see cref="Merge"/> returns them.</param>
    /// <param name="isV6">The family.</param>
    /// <returns>The complement, sorted.</returns>
    public static List<AddressRange> Complement(IReadOnlyList<AddressRange> merged, bool isV6)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var result = new List<AddressRange>();
        var next = UInt128.Zero;
        var max = IpMath.FamilyMax(isV6);
        foreach (var range in merged)
        {
            if (range.First > next)
            {
                result.Add(new AddressRange(next, range.First - 1, isV6));
            }

            if (range.Last == max)
            {
                return result;
            }

            next = range.Last + 1;
        }

        result.Add(new AddressRange(next, max, isV6));
        return result;
    }

    /// <summary>The addresses in both of two range lists.</summary>
    /// <param name="x">Ranges as <see cref="Merge"/> returns them.</param>
    /// <param name="y">Ranges as <see cref="Merge"/> returns them.</param>
    /// <returns>The intersection, as <see cref="Merge"/> returns ranges.</returns>
    public static List<AddressRange> Intersect(IReadOnlyList<AddressRange> x, IReadOnlyList<AddressRange> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var result = new List<AddressRange>();
        int i = 0, j = 0;
        while (i < x.Count && j < y.Count)
        {
            var a = x[i];
            var b = y[j];
            if (a.IsIPv6 != b.IsIPv6)
            {
                // IPv4 sorts first.
                if (a.IsIPv6)
                {
                    j++;
                }
                else
                {
                    i++;
                }

                continue;
            }

            var first = a.First > b.First ? a.First : b.First;
            var last = a.Last < b.Last ? a.Last : b.Last;
            if (first <= last)
            {
                result.Add(new AddressRange(first, last, a.IsIPv6));
            }

            if (a.Last < b.Last)
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return result;
    }

    /// <summary>The addresses of one range list that are not in another.</summary>
    /// <param name="x">Ranges as <see cref="Merge"/> returns them.</param>
    /// <param name="y">The ranges to take away, as <see cref="Merge"/> returns them.</param>
    /// <returns>The difference, as <see cref="Merge"/> returns ranges.</returns>
    public static List<AddressRange> Subtract(IReadOnlyList<AddressRange> x, IReadOnlyList<AddressRange> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (y.Count == 0)
        {
            return [.. x];
        }

        var v4 = y.Where(r => !r.IsIPv6).ToList();
        var v6 = y.Where(r => r.IsIPv6).ToList();
        return Intersect(x, [.. Complement(v4, false), .. Complement(v6, true)]);
    }

    /// <summary>The ranges of an ipBlock: its CIDR minus every except.</summary>
    internal static List<AddressRange> FromBlock(IPBlock block)
    {
        var result = new List<AddressRange> { FromCidr(block.Cidr) };
        foreach (var except in block.Except)
        {
            if (except.IsIPv6 != block.Cidr.IsIPv6)
            {
                continue;
            }

            var cut = FromCidr(except);
            var next = new List<AddressRange>(result.Count + 1);
            foreach (var range in result)
            {
                if (cut.Last < range.First || cut.First > range.Last)
                {
                    next.Add(range);
                    continue;
                }

                if (cut.First > range.First)
                {
                    next.Add(range with { Last = cut.First - 1 });
                }

                if (cut.Last < range.Last)
                {
                    next.Add(range with { First = cut.Last + 1 });
                }
            }

            result = next;
        }

        return result;
    }
}

/// <summary>
/// The peers of a rule as addresses: individual workload addresses (from selectors) and address ranges (from ipBlocks,
/// excepts already subtracted), or every address.
/// </summary>
/// <remarks>Hosts and ranges are kept apart because backends store them differently (plain sets for addresses that
/// change often, small interval sets for ranges).</remarks>
public sealed record AddressSet
{
    private UInt128[]? _sortedV4;
    private UInt128[]? _sortedV6;
    private int _v6Start = -1;

    /// <summary>Every address of both families.</summary>
    public static AddressSet All { get; } = new() { IsAll = true };

    /// <summary>No address.</summary>
    public static AddressSet Empty { get; } = new();

    /// <summary>Whether every address is in the set (a rule without peers).</summary>
    public bool IsAll { get; init; }

    /// <summary>Addresses of selected pods and host endpoints, sorted (IPv4 first) and distinct.</summary>
    public ValueList<IPAddress> Hosts { get; init; }

    /// <summary>Ranges from ipBlocks, sorted (IPv4 first), merged, excepts subtracted.</summary>
    public ValueList<AddressRange> Ranges { get; init; }

    /// <summary>The index of the first IPv6 address in <see cref="Hosts"/> (they are sorted IPv4 first).</summary>
    internal int V6Start
    {
        get
        {
            if (_v6Start < 0)
            {
                var hosts = Hosts.AsSpan();
                var i = 0;
                while (i < hosts.Length && hosts[i].AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                {
                    i++;
                }

                _v6Start = i;
            }

            return _v6Start;
        }
    }

    /// <summary>The hosts of one family, without copying (hosts are sorted IPv4 first).</summary>
    /// <param name="ipv6">Whether IPv6 hosts are wanted.</param>
    /// <returns>The hosts of that family, in order.</returns>
    public ReadOnlySpan<IPAddress> HostsOfFamily(bool ipv6) => ipv6 ? Hosts.AsSpan()[V6Start..] : Hosts.AsSpan()[..V6Start];

    /// <summary>Whether the set holds no address.</summary>
    public bool IsEmpty => !IsAll && Hosts.IsEmpty && Ranges.IsEmpty;

    /// <summary>Creates a set from addresses and ranges (sorted, merged and deduplicated here).</summary>
    /// <param name="hosts">Individual addresses.</param>
    /// <param name="ranges">Ranges.</param>
    /// <returns>The set.</returns>
    public static AddressSet Create(IEnumerable<IPAddress> hosts, IEnumerable<AddressRange> ranges)
    {
        var sortedHosts = hosts
            .Select(h => (Value: IpMath.ToUInt128(h, out var v6), V6: v6))
            .Distinct()
            .OrderBy(h => h.V6)
            .ThenBy(h => h.Value)
            .Select(h => IpMath.ToAddress(h.Value, h.V6))
            .ToValueList();
        return new AddressSet { Hosts = sortedHosts, Ranges = AddressRange.Merge(ranges).ToValueList() };
    }

    /// <summary>Creates a set from hosts already sorted (IPv4 first, then by value) and distinct, and normalised ranges.</summary>
    internal static AddressSet CreateSorted(IPAddress[] sortedHosts, List<AddressRange> normalizedRanges) =>
        new() { Hosts = ValueList<IPAddress>.Wrap(sortedHosts), Ranges = normalizedRanges.ToValueList() };

    /// <summary>A set sharing hosts that are already sorted and distinct (the list is immutable).</summary>
    internal static AddressSet ShareSorted(ValueList<IPAddress> sortedHosts, List<AddressRange> normalizedRanges) =>
        new() { Hosts = sortedHosts, Ranges = normalizedRanges.ToValueList() };

    /// <summary>Whether an address is in the set.</summary>
    /// <param name="address">The address.</param>
    /// <returns><see langword="true"/> when it is.</returns>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var value = IpMath.ToUInt128(address, out var isV6);
        return Contains(value, isV6);
    }

    internal bool Contains(UInt128 value, bool isV6)
    {
        if (IsAll)
        {
            return true;
        }

        var hosts = isV6 ? _sortedV6 ??= SortedHosts(true) : _sortedV4 ??= SortedHosts(false);
        if (Array.BinarySearch(hosts, value) >= 0)
        {
            return true;
        }

        foreach (var range in Ranges)
        {
            if (range.Contains(value, isV6))
            {
                return true;
            }
        }

        return false;
    }

    private UInt128[] SortedHosts(bool v6) =>
        [.. Hosts.Select(h => IpMath.ToUInt128(h, out var isV6) is var value && isV6 == v6 ? (UInt128?)value : null).OfType<UInt128>().Order()];

    /// <summary>Hosts and ranges of one family merged into ranges (every address of the family when <see cref="IsAll"/>).</summary>
    /// <param name="isV6">The family.</param>
    /// <returns>Sorted disjoint ranges.</returns>
    public IReadOnlyList<AddressRange> ToRanges(bool isV6)
    {
        if (IsAll)
        {
            return [new AddressRange(UInt128.Zero, IpMath.FamilyMax(isV6), isV6)];
        }

        return AddressRange.Merge(Hosts.Select(AddressRange.FromAddress).Concat(Ranges).Where(r => r.IsIPv6 == isV6));
    }

    /// <summary>The complement of this set within one family, as sorted ranges.</summary>
    /// <param name="isV6">The family.</param>
    /// <returns>Every address of the family that is not in the set.</returns>
    public IReadOnlyList<AddressRange> Complement(bool isV6) => AddressRange.Complement(ToRanges(isV6), isV6);

    /// <inheritdoc/>
    public bool Equals(AddressSet? other) =>
        other is not null && IsAll == other.IsAll && Hosts.Equals(other.Hosts) && Ranges.Equals(other.Ranges);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(IsAll, Hosts, Ranges);

    /// <summary>Formats for plans: <c>any</c>, or addresses and ranges.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (IsAll)
        {
            return "any";
        }

        if (IsEmpty)
        {
            return "none";
        }

        var parts = Hosts.Select(h => h.ToString()).Concat(Ranges.Select(r => r.ToString())).ToList();
        return parts.Count <= 6
            ? string.Join(", ", parts)
            : string.Join(", ", parts.Take(5)) + $", … ({parts.Count.ToString(CultureInfo.InvariantCulture)} entries)";
    }
}

/// <summary>A protocol and an inclusive port range; <c>0-65535</c> means every port of the protocol.</summary>
/// <param name="Protocol">The protocol.</param>
/// <param name="First">The first port.</param>
/// <param name="Last">The last port.</param>
public readonly record struct PortRange(Protocol Protocol, int First, int Last) : IComparable<PortRange>
{
    /// <summary>Whether the range is every port of the protocol.</summary>
    public bool IsAllPorts => First == 0 && Last == 65535;

    /// <inheritdoc/>
    public int CompareTo(PortRange other) =>
        Protocol != other.Protocol ? Protocol.CompareTo(other.Protocol) : First != other.First ? First.CompareTo(other.First) : Last.CompareTo(other.Last);

    /// <summary>Formats as <c>80/TCP</c>, <c>8000-8080/TCP</c> or <c>*/UDP</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var ports = IsAllPorts ? "*" : First == Last ? First.ToString(CultureInfo.InvariantCulture) : $"{First.ToString(CultureInfo.InvariantCulture)}-{Last.ToString(CultureInfo.InvariantCulture)}";
        return ports + "/" + Protocol.ToKubernetesName();
    }
}

/// <summary>The ports of a rule: every protocol and port, or a list of (protocol, port range).</summary>
public sealed record PortSet
{
    /// <summary>Every protocol and every port (a rule without ports, which also admits ICMP and others).</summary>
    public static PortSet All { get; } = new() { IsAll = true };

    /// <summary>Whether every protocol and port is admitted.</summary>
    public bool IsAll { get; init; }

    /// <summary>The ranges, sorted and merged per protocol.</summary>
    public ValueList<PortRange> Ranges { get; init; }

    /// <summary>Creates a set from ranges (sorted and merged here).</summary>
    /// <param name="ranges">The ranges.</param>
    /// <returns>The set.</returns>
    public static PortSet Create(IEnumerable<PortRange> ranges)
    {
        var sorted = ranges.Order().ToList();
        var merged = new List<PortRange>(sorted.Count);
        foreach (var range in sorted)
        {
            if (merged.Count > 0 && merged[^1].Protocol == range.Protocol && range.First <= merged[^1].Last + 1)
            {
                merged[^1] = merged[^1] with { Last = Math.Max(merged[^1].Last, range.Last) };
                continue;
            }

            merged.Add(range);
        }

        return new PortSet { Ranges = merged.ToValueList() };
    }

    /// <summary>Whether a port of a protocol is admitted.</summary>
    /// <param name="protocol">The protocol.</param>
    /// <param name="port">The port.</param>
    /// <returns><see langword="true"/> when admitted.</returns>
    public bool Contains(Protocol protocol, int port)
    {
        if (IsAll)
        {
            return true;
        }

        foreach (var range in Ranges)
        {
            if (range.Protocol == protocol && port >= range.First && port <= range.Last)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Formats as <c>any</c> or a list of ranges.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => IsAll ? "any" : string.Join(", ", Ranges);
}
