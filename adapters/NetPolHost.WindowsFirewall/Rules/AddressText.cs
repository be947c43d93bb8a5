using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using NetPolHost.Planning;

namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>Writes address ranges in the Windows Firewall text form, and reads back every form Windows stores them in.</summary>
/// <remarks>
/// Windows rewrites what it is given: a single IPv4 address comes back as <c>a/255.255.255.255</c>, an IPv4 prefix as a
/// dotted mask (<c>10.0.0.0/255.0.0.0</c>), a single IPv6 address as the range <c>a-a</c>. Reading every token into
/// numeric ranges and merging them makes the written and the stored form compare equal.
/// </remarks>
internal static class AddressText
{
    /// <summary>Formats ranges as <see cref="AddressRange.ToString"/> does (<c>a</c>, <c>a/prefix</c> or <c>a-b</c>),
    /// comma-separated.</summary>
    public static string Format(IEnumerable<AddressRange> ranges) => string.Join(',', ranges);

    /// <summary>Reads a Windows address list into sorted, merged ranges.</summary>
    /// <param name="text">The list.</param>
    /// <param name="ranges">The ranges; both full families for <c>*</c> or an empty list.</param>
    /// <returns><see langword="false"/> when a token is a keyword (<c>LocalSubnet</c>, <c>DNS</c>…) or not an address.</returns>
    public static bool TryParse(string? text, out List<AddressRange> ranges)
    {
        ranges = [];
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0 || trimmed == "*" || trimmed.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            ranges.Add(new AddressRange(UInt128.Zero, uint.MaxValue, false));
            ranges.Add(new AddressRange(UInt128.Zero, UInt128.MaxValue, true));
            return true;
        }

        var parsed = new List<AddressRange>();
        foreach (var raw in trimmed.Split(','))
        {
            if (!TryParseToken(raw.Trim(), out var range))
            {
                return false;
            }

            parsed.Add(range);
        }

        ranges = AddressRange.Merge(parsed);
        return true;
    }

    /// <summary>A number as an address of a family.</summary>
    public static IPAddress ToAddress(UInt128 value, bool isV6) => new AddressRange(value, value, isV6).FirstAddress;

    /// <summary>An address as a number (IPv4 in the low 32 bits; IPv4-mapped IPv6 counts as IPv4).</summary>
    public static UInt128 ToNumber(IPAddress address, out bool isV6)
    {
        var range = AddressRange.FromAddress(address);
        isV6 = range.IsIPv6;
        return range.First;
    }

    private static bool TryParseToken(string token, out AddressRange range)
    {
        range = default;
        var dash = token.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            if (!IPAddress.TryParse(token.AsSpan(0, dash), out var first) || !IPAddress.TryParse(token.AsSpan(dash + 1), out var last))
            {
                return false;
            }

            var a = ToNumber(first, out var v6a);
            var b = ToNumber(last, out var v6b);
            if (v6a != v6b || b < a)
            {
                return false;
            }

            range = new AddressRange(a, b, v6a);
            return true;
        }

        var slash = token.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (!IPAddress.TryParse(token, out var single))
            {
                return false;
            }

            var value = ToNumber(single, out var v6);
            range = new AddressRange(value, value, v6);
            return true;
        }

        if (!IPAddress.TryParse(token.AsSpan(0, slash), out var network))
        {
            return false;
        }

        var start = ToNumber(network, out var isV6);
        var bits = isV6 ? 128 : 32;
        var suffix = token.AsSpan(slash + 1);
        int prefix;
        if (suffix.Contains('.') && !isV6)
        {
            if (!IPAddress.TryParse(suffix, out var maskAddress) || maskAddress.AddressFamily != AddressFamily.InterNetwork)
            {
                return false;
            }

            var mask = (uint)ToNumber(maskAddress, out _);
            prefix = BitOperations.LeadingZeroCount(~mask);
            if (prefix < 32 && (mask << prefix) != 0)
            {
                return false; // not a contiguous mask
            }
        }
        else if (!int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits)
        {
            return false;
        }

        var hostBits = bits - prefix;
        var hostMask = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        var first128 = start & ~hostMask & AddressRange.MaxValue(isV6);
        range = new AddressRange(first128, first128 | hostMask, isV6);
        return true;
    }
}
