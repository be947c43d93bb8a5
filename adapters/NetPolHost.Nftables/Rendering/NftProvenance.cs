using System.Globalization;

namespace NetPolHost.Nftables.Rendering;

/// <summary>Where a rule of the owned table comes from, read back from its comment or log prefix (the renderer's label):
/// <c>np ingress[0] allow default/web</c>, <c>admin egress[1] deny guardrails</c>, <c>np ingress drop</c>.</summary>
/// <param name="Tier"><c>Admin</c>, <c>NetworkPolicy</c> or <c>Baseline</c>.</param>
/// <param name="Direction"><c>ingress</c> or <c>egress</c>.</param>
/// <param name="Rule">The rule index in its policy (from 0), or null for an isolation drop.</param>
/// <param name="Action"><c>allow</c>, <c>deny</c>, <c>pass</c>, <c>drop</c> or <c>would-deny</c>.</param>
/// <param name="Policy"><c>namespace/name</c>, a ClusterNetworkPolicy's name, or null for an isolation drop.</param>
internal sealed record NftProvenance(string Tier, string Direction, int? Rule, string Action, string? Policy)
{
    /// <summary>Whether this is an isolation drop (or its would-deny in audit mode).</summary>
    public bool IsIsolation => Rule is null;

    /// <summary>Reads a label, or a comment that starts with one; null when the text is no label of ours.</summary>
    public static NftProvenance? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3)
        {
            return null;
        }

        var tier = words[0] switch
        {
            "np" => "NetworkPolicy",
            "admin" => "Admin",
            "baseline" => "Baseline",
            _ => null,
        };
        if (tier is null)
        {
            return null;
        }

        var direction = words[1];
        int? rule = null;
        var bracket = direction.IndexOf('[', StringComparison.Ordinal);
        if (bracket > 0 && direction.EndsWith(']'))
        {
            if (!int.TryParse(direction.AsSpan(bracket + 1, direction.Length - bracket - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                return null;
            }

            rule = index;
            direction = direction[..bracket];
        }

        if (direction is not ("ingress" or "egress"))
        {
            return null;
        }

        var action = words[2];
        if (action is not ("allow" or "deny" or "pass" or "drop" or "would-deny"))
        {
            return null;
        }

        if (rule is null)
        {
            return action is "drop" or "would-deny" ? new NftProvenance(tier, direction, null, action, null) : null;
        }

        // The policy is the fourth word; a comment then has its fingerprint (h:…).
        var policy = words.Length > 3 && !words[3].StartsWith("h:", StringComparison.Ordinal) ? words[3] : null;
        return new NftProvenance(tier, direction, rule, action, policy);
    }

    /// <summary>The flow verdict of the action: <c>allow</c>, <c>deny</c> or <c>would-deny</c> (null for a pass).</summary>
    public string? Verdict => Action switch
    {
        "allow" => "allow",
        "deny" or "drop" => "deny",
        "would-deny" => "would-deny",
        _ => null,
    };
}
