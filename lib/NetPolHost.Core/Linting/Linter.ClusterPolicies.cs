using System.Globalization;
using NetPolHost.Model;

namespace NetPolHost.Linting;

/// <content>The rules about ClusterNetworkPolicies: NPH010, NPH011.</content>
internal sealed partial class Linter
{
    // ---- NPH010 ---------------------------------------------------------------------------------------------------

    private void PriorityTies()
    {
        foreach (var group in _clusterPolicies.GroupBy(c => (c.Policy.Tier, c.Policy.Priority)))
        {
            var list = group.OrderBy(c => c.Policy.Name, StringComparer.Ordinal).ToList();
            for (var q = 1; q < list.Count; q++)
            {
                for (var p = 0; p < q; p++)
                {
                    var (first, later) = (list[p], list[q]);
                    if (!_logic.Overlaps(first.Subject, later.Subject))
                    {
                        continue;
                    }

                    foreach (var direction in s_directions)
                    {
                        var laterRules = later.Rules(direction);
                        var firstRules = first.Rules(direction);
                        for (var j = 0; j < laterRules.Length; j++)
                        {
                            var rule = laterRules[j];
                            var clash = Array.FindIndex(firstRules, o =>
                                o.Rule.Action != rule.Rule.Action && o.Ports.Overlaps(rule.Ports) && o.Peers.Overlaps(rule.Peers, _logic));
                            if (clash < 0)
                            {
                                continue;
                            }

                            var tier = later.Policy.Tier + " tier, priority " + later.Policy.Priority.ToString(CultureInfo.InvariantCulture);
                            Add(LintRules.PriorityTie, later.Name, $"spec.{Dir(direction)}[{j}]",
                                $"this rule ({rule.Rule.Action}) and {first.RuleName(direction, clash)} ({firstRules[clash].Rule.Action}) match flows in common for pods both policies select, and both policies are {tier}: the API leaves their order to implementations (NetPolHost tries {first.Policy.Name} first, by name), so the verdict depends on the implementation",
                                $"give {later.Policy.Name} or {first.Policy.Name} a different priority (the lower is tried first)",
                                And(first.Selected, later.Selected), [first.RuleName(direction, clash)]);
                        }
                    }
                }
            }
        }
    }

    // ---- NPH011 ---------------------------------------------------------------------------------------------------

    private void ShadowedRules()
    {
        foreach (var policy in _clusterPolicies)
        {
            foreach (var direction in s_directions)
            {
                var rules = policy.Rules(direction);
                for (var j = 1; j < rules.Length; j++)
                {
                    var earlier = rules.Take(j).Select(r => (r.Ports, r.Peers)).ToList();
                    if (Cover(rules[j].Ports, rules[j].Peers, earlier) is not { } used)
                    {
                        continue;
                    }

                    var related = used.Select(u => policy.RuleName(direction, u)).ToList();
                    var shortNames = used.Select(u => policy.RuleName(direction, u)[(policy.Name.Length + 1)..]).ToList();
                    var by = shortNames.Count switch
                    {
                        0 => "earlier rules of this policy match",
                        1 => shortNames[0] + " of this policy matches",
                        _ => string.Join(", ", shortNames.Take(3)) + (shortNames.Count > 3 ? $" and {shortNames.Count - 3} more" : string.Empty) + " of this policy match",
                    };
                    Add(LintRules.ShadowedRule, policy.Name, $"spec.{Dir(direction)}[{j}]",
                        $"the rule can never match: {by} every peer and port it would, and the first matching rule decides",
                        "move the rule before the rules that shadow it, narrow those, or delete it", policy.Selected, related);
                }
            }
        }
    }
}
