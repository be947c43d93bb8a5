using System.Globalization;
using System.Text;
using NetPolHost.Planning;

namespace NetPolHost.Nftables.Rendering;

/// <summary>Names of the objects the backend creates. Every name is generated (never user text) and prefixed, so no
/// nft keyword (such as <c>fwd</c>) can appear as a name.</summary>
internal static class NftNames
{
    public const string Forward = "np_forward";
    public const string Input = "np_input";
    public const string Output = "np_output";
    public const string LocalPods4 = "np_local4";
    public const string LocalPods6 = "np_local6";
    public const string Ingress4 = "np_ing4";
    public const string Ingress6 = "np_ing6";
    public const string Egress4 = "np_egr4";
    public const string Egress6 = "np_egr6";
    public const string HostIngress4 = "np_hing4";
    public const string HostIngress6 = "np_hing6";
    public const string HostEgress4 = "np_hegr4";
    public const string HostEgress6 = "np_hegr6";

    /// <summary>Local pods' egress to their host (node-local), keyed by the pod's address.</summary>
    public const string LocalEgress4 = "np_legr4";
    public const string LocalEgress6 = "np_legr6";

    /// <summary>Local pods' ingress from their host (node-local), keyed by the pod's address.</summary>
    public const string LocalIngress4 = "np_ling4";
    public const string LocalIngress6 = "np_ling6";

    /// <summary>Host endpoints' ingress from local pods (node-local), keyed by the host endpoint's address.</summary>
    public const string LocalHostIngress4 = "np_lhing4";
    public const string LocalHostIngress6 = "np_lhing6";

    /// <summary>Host endpoints' egress to local pods (node-local), keyed by the host endpoint's address.</summary>
    public const string LocalHostEgress4 = "np_lhegr4";
    public const string LocalHostEgress6 = "np_lhegr6";

    /// <summary>The verdict maps of node-local traffic, rendered for plans with ClusterNetworkPolicy tiers.</summary>
    public static readonly string[] NodeLocalMaps =
    [
        LocalEgress4, LocalEgress6, LocalIngress4, LocalIngress6, LocalHostIngress4, LocalHostIngress6, LocalHostEgress4, LocalHostEgress6,
    ];

    /// <summary>The node-local map of an endpoint kind, direction and family.</summary>
    public static string NodeLocalMap(bool isHost, Model.Direction direction, bool v6) => (isHost, direction == Model.Direction.Ingress, v6) switch
    {
        (false, true, false) => LocalIngress4,
        (false, true, true) => LocalIngress6,
        (false, false, false) => LocalEgress4,
        (false, false, true) => LocalEgress6,
        (true, true, false) => LocalHostIngress4,
        (true, true, true) => LocalHostIngress6,
        (true, false, false) => LocalHostEgress4,
        _ => LocalHostEgress6,
    };

    /// <summary>The keys of rule set names in one render: a readable key when free, else 40 hex digits.</summary>
    public static ShortKeys NewRuleKeys() => new(40);

    /// <summary>The keys of chain names: 10 hex digits, longer on a collision.</summary>
    public static ShortKeys NewChainKeys() => new(10);

    /// <summary>The keys of host set names in one render: the plan's <c>HostsKey</c> when safe, else 12 hex digits.</summary>
    public static ShortKeys NewHostsKeys() => new(12);

    /// <summary>The base of a rule's set names: <c>r_</c> and the plan id with every character other than a-z and 0-9
    /// as '_' (cut and given a short hash when long); the hash of the id when another id of the render already has
    /// that name (ids alike after escaping, such as <c>p.1</c> and <c>p-1</c>).</summary>
    /// <param name="planRuleId">The plan rule id.</param>
    /// <param name="keys">The render's rule keys (<see cref="NewRuleKeys"/>).</param>
    public static string Rule(string planRuleId, ShortKeys keys)
    {
        var safe = new StringBuilder(planRuleId.Length);
        foreach (var c in planRuleId)
        {
            safe.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '_');
        }

        var readable = safe.ToString();
        return "r_" + keys.Get(planRuleId, readable.Length <= 46 ? readable : readable[..26] + "_" + ShortKeys.Hash(planRuleId, 8));
    }

    /// <summary>The chain holding the rules of one direction for endpoints with the same rule list.</summary>
    /// <param name="direction">'i' ingress, 'e' egress.</param>
    /// <param name="ruleIds">The rule list (plan rule ids).</param>
    /// <param name="keys">The renderer's chain keys (<see cref="NewChainKeys"/>).</param>
    public static string Chain(char direction, IEnumerable<string> ruleIds, ShortKeys keys) =>
        "c_" + direction + "_" + keys.Get(string.Join(",", ruleIds));

    /// <summary>The chain of a ClusterNetworkPolicy tier's entry list (and, for the Admin tier, its next stage).</summary>
    /// <param name="tier">'a' Admin, 'b' Baseline.</param>
    /// <param name="direction">'i' ingress, 'e' egress.</param>
    /// <param name="definition">The entry list and next stage as text, distinct from any NetworkPolicy rule list.</param>
    /// <param name="keys">The renderer's chain keys (<see cref="NewChainKeys"/>).</param>
    public static string TierChain(char tier, char direction, string definition, ShortKeys keys) =>
        tier + "_" + direction + "_" + keys.Get(definition);

    /// <summary>Makes user text safe for an nft comment: letters, digits and <c> ./_:-=[]</c> only, at most
    /// <paramref name="max"/> characters.</summary>
    /// <remarks>nft quoted strings have no escapes, so anything else (quotes, semicolons, braces, newlines) is replaced.</remarks>
    public static string Comment(string text, int max = 120)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (builder.Length >= max)
            {
                break;
            }

            builder.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or ' ' or '.' or '/' or '_' or ':' or '-' or '=' or '[' or ']' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>A set-name part from a plan's <c>HostsKey</c>: used as is when it is short lowercase hex or word
    /// characters (as the compiler makes it), otherwise hashed, so a hand-built plan cannot break or inject into the
    /// script; different keys never get the same part.</summary>
    /// <param name="key">The plan's <c>HostsKey</c>.</param>
    /// <param name="keys">The render's host keys (<see cref="NewHostsKeys"/>).</param>
    public static string HostsKey(string key, ShortKeys keys) =>
        keys.Get(key, key.Length is > 0 and <= 32 && key.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') ? key : null);

    /// <summary>The named limit object shared by every log rule of one verdict (<c>deny</c> or <c>allow</c>); named after
    /// its rate, so a changed rate is a new object (limit objects cannot be changed in place).</summary>
    public static string Limit(string verdict, int rate, int burst) =>
        $"np_log_{verdict}_{rate.ToString(CultureInfo.InvariantCulture)}_{burst.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The declaration of a log limit object.</summary>
    public static string LimitDeclaration(int rate, int burst) =>
        $"rate {rate.ToString(CultureInfo.InvariantCulture)}/second burst {burst.ToString(CultureInfo.InvariantCulture)} packets";

    /// <summary>A log prefix from an entry's label: the safe alphabet of <see cref="Comment(string, int)"/>, at most 127
    /// bytes (the kernel's limit).</summary>
    public static string LogPrefix(string label) => Comment(label, 127);

    /// <summary>Whether a table name is safe to use: a letter, then letters, digits or '_', at most 32 characters.</summary>
    public static bool IsValidTableName(string name) =>
        name.Length is > 0 and <= 32
        && char.IsAsciiLetter(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Whether an interface name is safe to render (Linux: 1–15 characters, no '/', whitespace or quotes).</summary>
    public static bool IsValidInterfaceName(string name) =>
        name.Length is > 0 and <= 15 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
