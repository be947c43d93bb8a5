using System.Security.Cryptography;
using System.Text;

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

    /// <summary>The base of a rule's set names: <c>r_</c> and the plan id with '-' as '_' (hashed when long).</summary>
    public static string Rule(string planRuleId)
    {
        var safe = new StringBuilder(planRuleId.Length + 2).Append("r_");
        foreach (var c in planRuleId)
        {
            safe.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '_');
        }

        var name = safe.ToString();
        return name.Length <= 48 ? name : name[..28] + "_" + Hash(planRuleId, 8);
    }

    /// <summary>The chain holding the rules of one direction for endpoints with the same rule list.</summary>
    public static string Chain(char direction, IEnumerable<string> ruleIds, int hexDigits = 10) =>
        "c_" + direction + "_" + Hash(string.Join(",", ruleIds), hexDigits);

    /// <summary>Hex digits of SHA-256.</summary>
    public static string Hash(string text, int hexDigits)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash)[..hexDigits];
    }

    /// <summary>Makes user text safe for an nft comment: letters, digits and <c> ./_:-=[]</c> only, at most 120 characters.</summary>
    /// <remarks>nft quoted strings have no escapes, so anything else (quotes, semicolons, braces, newlines) is replaced.</remarks>
    public static string Comment(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 120));
        foreach (var c in text)
        {
            if (builder.Length >= 120)
            {
                break;
            }

            builder.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or ' ' or '.' or '/' or '_' or ':' or '-' or '=' or '[' or ']' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Whether a table name is safe to use: a letter, then letters, digits or '_', at most 32 characters.</summary>
    /// <summary>A set-name part from a plan's <c>HostsKey</c>: used as is when it is short lowercase hex or word
    /// characters (as the compiler makes it), otherwise hashed, so a hand-built plan cannot break or inject into the
    /// script.</summary>
    public static string HostsKey(string key) =>
        key.Length is > 0 and <= 32 && key.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') ? key : Hash(key, 12);

    public static bool IsValidTableName(string name) =>
        name.Length is > 0 and <= 32
        && char.IsAsciiLetter(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Whether an interface name is safe to render (Linux: 1–15 characters, no '/', whitespace or quotes).</summary>
    public static bool IsValidInterfaceName(string name) =>
        name.Length is > 0 and <= 15 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
