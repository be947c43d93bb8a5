using System.Globalization;
using NetPolHost.Model;

namespace NetPolHost.Parsing;

/// <summary>The hints added to binding errors when a common mistake explains them: "did you mean" for misspelt fields,
/// where a field NetPolHost knows elsewhere belongs, the right case of operators, protocols and policy types, labels
/// written as <c>a=b</c>, and why a text is not a CIDR.</summary>
internal static class Hints
{
    private static readonly string[] s_operators = ["In", "NotIn", "Exists", "DoesNotExist"];

    /// <summary>Where fields that NetPolHost knows belong, for fields found elsewhere.</summary>
    private static readonly Dictionary<string, string> s_fieldHomes = new(StringComparer.Ordinal)
    {
        ["podSelector"] = "spec, or a from/to peer",
        ["namespaceSelector"] = "a from/to peer",
        ["ipBlock"] = "a from/to peer",
        ["policyTypes"] = "spec",
        ["ingress"] = "spec",
        ["egress"] = "spec",
        ["from"] = "an ingress rule",
        ["to"] = "an egress rule",
        ["ports"] = "an ingress or egress rule",
        ["matchLabels"] = "a podSelector or namespaceSelector",
        ["matchExpressions"] = "a podSelector or namespaceSelector",
        ["cidr"] = "an ipBlock",
        ["except"] = "an ipBlock",
        ["port"] = "a ports entry",
        ["endPort"] = "a ports entry",
        ["protocol"] = "a ports entry",
        ["name"] = "metadata",
        ["namespace"] = "metadata",
        ["labels"] = "metadata",
        ["spec"] = "the top level of the object",
        ["metadata"] = "the top level of the object",
    };

    /// <summary>The message for the unknown field at <paramref name="i"/> of a mapping: the fields expected there,
    /// and a hint (a field NetPolHost knows elsewhere is most likely indented wrongly; a near miss of a field that
    /// belongs here is most likely a typo).</summary>
    /// <param name="map">The mapping.</param>
    /// <param name="i">The index of the unknown entry.</param>
    /// <param name="known">The fields of the mapping.</param>
    public static string UnknownField(MappingNode map, int i, string[] known)
    {
        var key = map.Entries[i].Key;
        var message = $"unknown field {Quote(key.Value)}; expected one of: {string.Join(", ", known)}";

        // "podSelector:" with nothing after it, and the selector's lines at the same indentation instead of below.
        var emptyAbove = i > 0 && map.Entries[i - 1] is { Value: ScalarNode { Kind: ScalarKind.Null } } previous
            && Array.IndexOf(known, previous.Key.Value) >= 0 && previous.Key.Line < key.Line
            ? Quote(previous.Key.Value)
            : null;
        // A field NetPolHost knows elsewhere is most likely indented wrongly; a near miss of a field that belongs
        // here is most likely a typo.
        var close = known.Where(k => Distance(k, key.Value) <= Math.Max(1, k.Length / 4)).OrderBy(k => Distance(k, key.Value)).FirstOrDefault();
        if (s_fieldHomes.TryGetValue(key.Value, out var home))
        {
            message += emptyAbove is not null ? $"; {key.Value} belongs in {home}: indent it further than {emptyAbove} just above, which has no value"
                : close is not null ? $" (did you mean {Quote(close)}? {key.Value} itself belongs in {home}: check the indentation)"
                : $"; {key.Value} belongs in {home}: check the indentation";
        }
        else if (emptyAbove is not null)
        {
            message += $"; {emptyAbove} just above has no value: if this line belongs to it, indent it further";
        }
        else if (close is not null)
        {
            message += $" (did you mean {Quote(close)}?)";
        }

        return message;
    }

    /// <summary>The hint for an operator written in the wrong case, or empty.</summary>
    public static string OperatorCase(string text) =>
        s_operators.FirstOrDefault(o => o.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } fixedCase
            ? $" (operators are case-sensitive: write {fixedCase})"
            : string.Empty;

    /// <summary>The hint for a protocol written in the wrong case, or empty.</summary>
    public static string ProtocolCase(string text) =>
        ProtocolNames.TryParseIgnoreCase(text, out var fixedCase) ? $" (protocols are case-sensitive: write {fixedCase.ToKubernetesName()})" : string.Empty;

    /// <summary>The hint for a policy type written in the wrong case, or empty.</summary>
    public static string PolicyTypeCase(string text) =>
        text.Equals("ingress", StringComparison.OrdinalIgnoreCase) || text.Equals("egress", StringComparison.OrdinalIgnoreCase)
            ? " (values are case-sensitive)"
            : string.Empty;

    /// <summary>Labels written as <c>a=b,c=d</c>, as YAML flow mapping entries (<c>a: b, c: d</c>).</summary>
    public static string Labels(string text)
    {
        var pairs = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => p.Length == 2 ? $"{p[0].Trim()}: {p[1].Trim()}" : p[0]);
        return string.Join(", ", pairs);
    }

    /// <summary>Why a text is not a CIDR, when a common mistake explains it.</summary>
    public static string Cidr(string text)
    {
        if (MappedCidr(text) is { } mapped)
        {
            return mapped;
        }

        if (IpMath.TryParseAddress(text, out var address))
        {
            return $" (for the single address, write {address}/{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32)})";
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!addressText.Contains(':', StringComparison.Ordinal) && addressText.Split('.') is { Length: 4 } octets
            && octets.All(o => o.Length is > 0 and <= 3 && o.All(char.IsAsciiDigit))
            && octets.Any(o => o.Length > 1 && o[0] == '0'))
        {
            return " (an IPv4 address must not have leading zeros in its numbers)";
        }

        if (slash > 0 && IpMath.TryParseAddress(addressText, out var network)
            && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            var max = network.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
            if (prefix > max)
            {
                return $" (the prefix length of an {(max == 32 ? "IPv4" : "IPv6")} block is at most {max.ToString(CultureInfo.InvariantCulture)})";
            }
        }

        return string.Empty;
    }

    /// <summary>The hint for a block written as an IPv4-mapped IPv6 address (<c>::ffff:10.0.0.0/104</c>), which the
    /// API server rejects (it would never match the IPv4 traffic it seems to name), or null.</summary>
    private static string? MappedCidr(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text.AsSpan() : text.AsSpan(0, slash);
        if (!IpMath.TryParseAddress(addressText, out var value, out var isV6) || !IpMath.IsV4Mapped(value, isV6))
        {
            return null;
        }

        const string Why = " (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: ";
        var prefix = 128;
        if (slash >= 0 && !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix))
        {
            prefix = -1;
        }

        // Only a block of at least 96 bits lies inside ::ffff:0:0/96 and has an IPv4 equivalent.
        return prefix is >= 96 and <= 128
            ? Why + $"write the IPv4 block {new Cidr(IpMath.ToAddress(value & uint.MaxValue, false), prefix - 96)})"
            : Why + "write IPv4 blocks in IPv4 notation)";
    }

    /// <summary>The edit distance between two field names (see <see cref="EditDistance"/>).</summary>
    internal static int Distance(string a, string b) => EditDistance.Compute(a, b, maxLengthDifference: 3, maxLength: 64);

    private static string Quote(string value) => ScalarNode.Quote(value);
}
