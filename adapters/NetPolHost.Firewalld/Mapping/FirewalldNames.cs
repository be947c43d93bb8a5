using System.Text;
using NetPolHost.Planning;

namespace NetPolHost.Firewalld.Mapping;

/// <summary>Names of the firewalld objects the backend owns. Every name is the prefix, a fixed word or a short key
/// (<see cref="ShortKeys"/>: hex digits of a hash, lengthened on a collision), and a family suffix: never user text.
/// Policy names stay within firewalld's 18 characters, ipset names within 32.</summary>
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

    /// <summary>The most hex digits of a key in an ipset name: with an 8-character prefix, "-", a kind letter and a
    /// family suffix, 20 fill firewalld's 32 characters.</summary>
    public const int MaxKeyDigits = 20;

    /// <summary>The short keys of one mapping: 10 hex digits, at most <see cref="MaxKeyDigits"/> on a collision.</summary>
    public static ShortKeys NewKeys() => new(10, maxDigits: MaxKeyDigits);

    /// <summary>The ipset of the addresses of endpoints that share one rule list in one direction.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="kind">'e' pod egress, 'i' pod ingress, 'h' host ingress, 'o' host egress.</param>
    /// <param name="ruleIds">The rule list (plan rule ids).</param>
    /// <param name="v6">The family.</param>
    /// <param name="keys">The short keys of this mapping (<see cref="NewKeys"/>).</param>
    public static string EndpointGroup(string prefix, char kind, IEnumerable<string> ruleIds, bool v6, ShortKeys keys) =>
        prefix + "-" + kind + keys.Get(kind + ":" + string.Join(",", ruleIds)) + Family(v6);

    /// <summary>The ipset of the union of the peers of some rules.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="type">The ipset type.</param>
    /// <param name="ruleIds">The rules (plan rule ids).</param>
    /// <param name="v6">The family.</param>
    /// <param name="keys">The short keys of this mapping (<see cref="NewKeys"/>).</param>
    public static string Peers(string prefix, string type, IEnumerable<string> ruleIds, bool v6, ShortKeys keys) =>
        prefix + "-p" + keys.Get("peers:" + type + ":" + string.Join(",", ruleIds)) + Family(v6);

    /// <summary>The ipset of the peers of one ClusterNetworkPolicy tier decision (one class of traffic of one group of
    /// endpoints: the peers it denies, or those it allows).</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="key">What the decision is of (group, class, form).</param>
    /// <param name="v6">The family.</param>
    /// <param name="keys">The short keys of this mapping (<see cref="NewKeys"/>).</param>
    public static string Decision(string prefix, string key, bool v6, ShortKeys keys) =>
        prefix + "-t" + keys.Get("tier:" + key) + Family(v6);

    /// <summary>Whether a name has the owned prefix (<c>PREFIX-</c>).</summary>
    public static bool HasPrefix(string name, string prefix) => name.StartsWith(prefix + "-", StringComparison.Ordinal);

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
