using System.Security.Cryptography;
using System.Text;

namespace NetPolHost.Firewalld.Mapping;

/// <summary>Names of the firewalld objects the backend owns. Every name is the prefix, a fixed word or hex digits of a
/// hash, and a family suffix: never user text. Policy names stay within firewalld's 18 characters, ipset names within
/// 32.</summary>
internal static class FirewalldNames
{
    /// <summary>The marker written as the short description of every owned object; only objects with the prefix and this
    /// marker are ever changed or removed.</summary>
    public const string Marker = "NetPolHost";

    /// <summary>Whether a prefix is valid: a lower-case letter, then lower-case letters or digits, at most 8 characters.</summary>
    public static bool IsValidPrefix(string prefix) =>
        prefix.Length is > 0 and <= 8 && prefix[0] is >= 'a' and <= 'z' && prefix.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    /// <summary>The policy for forwarded pod traffic (<c>ANY</c> → <c>ANY</c>).</summary>
    public static string ForwardPolicy(string prefix) => prefix + "-fwd";

    /// <summary>The policy for traffic to host endpoints (<c>ANY</c> → <c>HOST</c>).</summary>
    public static string InputPolicy(string prefix) => prefix + "-in";

    /// <summary>The policy for traffic from host endpoints (<c>HOST</c> → <c>ANY</c>).</summary>
    public static string OutputPolicy(string prefix) => prefix + "-out";

    /// <summary>The ipset of the addresses of every pod on this node.</summary>
    public static string LocalPods(string prefix, bool v6) => prefix + "-pods" + Family(v6);

    /// <summary>The ipset of the addresses of endpoints that share one rule list in one direction.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="kind">'e' pod egress, 'i' pod ingress, 'h' host ingress, 'o' host egress.</param>
    /// <param name="ruleIds">The rule list (plan rule ids).</param>
    /// <param name="v6">The family.</param>
    /// <param name="hexDigits">10; 20 (the most an ipset name has room for) when 10 collide with another group's.</param>
    public static string EndpointGroup(string prefix, char kind, IEnumerable<string> ruleIds, bool v6, int hexDigits = 10) =>
        prefix + "-" + kind + Hash(kind + ":" + string.Join(",", ruleIds), hexDigits) + Family(v6);

    /// <summary>The ipset of the union of the peers of some rules.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="type">The ipset type.</param>
    /// <param name="ruleIds">The rules (plan rule ids).</param>
    /// <param name="v6">The family.</param>
    /// <param name="hexDigits">10; 20 when 10 collide with another peer set's.</param>
    public static string Peers(string prefix, string type, IEnumerable<string> ruleIds, bool v6, int hexDigits = 10) =>
        prefix + "-p" + Hash("peers:" + type + ":" + string.Join(",", ruleIds), hexDigits) + Family(v6);

    /// <summary>Whether a name has the owned prefix (<c>PREFIX-</c>).</summary>
    public static bool HasPrefix(string name, string prefix) => name.StartsWith(prefix + "-", StringComparison.Ordinal);

    /// <summary>Hex digits of SHA-256.</summary>
    public static string Hash(string text, int hexDigits)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash)[..hexDigits];
    }

    /// <summary>Makes user text safe for a comment line: letters, digits and <c> ./_:-[]</c> only, at most 100 characters.</summary>
    public static string Comment(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 100));
        foreach (var c in text)
        {
            if (builder.Length >= 100)
            {
                break;
            }

            builder.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or ' ' or '.' or '/' or '_' or ':' or '-' or '[' or ']' ? c : '_');
        }

        return builder.ToString();
    }

    private static string Family(bool v6) => v6 ? "-6" : "-4";
}
