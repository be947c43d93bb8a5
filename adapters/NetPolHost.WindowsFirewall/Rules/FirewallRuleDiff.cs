namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>The changes that turn the rules of the owned group into the desired rules, in a safe order.</summary>
/// <remarks>
/// Windows Firewall has no transactions, so the order matters. New block rules go first, then stale allow rules are
/// removed, then allow rules are added or updated, and stale block rules are removed last. For an isolated direction
/// the blocks are the exact complement of what the plan allows, so at every step in between, traffic passes only if both
/// the old and the new block sets (or, where a direction stops being isolated, the old ones) let it through: no moment
/// allows what neither the old nor the new plan allows. Block rules are named after their content, so they are never
/// edited in place (an edit commits property by property); allow rules are, and a rule whose direction, action or
/// protocol differs is removed and added again. Addresses and ports are compared after normalising the forms Windows
/// stores them in.
/// </remarks>
internal sealed class FirewallRuleDiff
{
    private FirewallRuleDiff(List<RuleChange> changes) => Changes = changes;

    /// <summary>The changes in the order to apply them.</summary>
    public IReadOnlyList<RuleChange> Changes { get; }

    /// <summary>Whether nothing differs.</summary>
    public bool IsEmpty => Changes.Count == 0;

    /// <summary>Rules added.</summary>
    public int Added => Changes.Count(c => c.Kind == RuleChangeKind.Add);

    /// <summary>Rules updated in place.</summary>
    public int Updated => Changes.Count(c => c.Kind == RuleChangeKind.Update);

    /// <summary>Rules removed.</summary>
    public int Removed => Changes.Where(c => c.Kind == RuleChangeKind.Remove).Sum(c => c.Count);

    /// <summary>Compares the desired rules with those read from the owned group.</summary>
    /// <param name="desired">The rules the plan needs.</param>
    /// <param name="actual">The rules of the owned group.</param>
    /// <param name="full">Rewrite every property of every existing rule (repairs anything the comparison cannot see).</param>
    /// <returns>The diff.</returns>
    public static FirewallRuleDiff Compute(IReadOnlyList<FirewallRule> desired, IReadOnlyList<FirewallRule> actual, bool full = false)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(actual);
        var existing = new Dictionary<string, List<FirewallRule>>(StringComparer.Ordinal);
        foreach (var rule in actual)
        {
            if (!existing.TryGetValue(rule.Name, out var list))
            {
                list = [];
                existing[rule.Name] = list;
            }

            list.Add(rule);
        }

        var addBlocks = new List<RuleChange>();
        var removeAllows = new List<RuleChange>();
        var addAllows = new List<RuleChange>();
        var removeBlocks = new List<RuleChange>();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in desired)
        {
            if (!wanted.Add(rule.Name))
            {
                throw new InvalidOperationException($"Two desired rules are named '{rule.Name}'.");
            }

            var block = rule.Action == FirewallAction.Block;
            var adds = block ? addBlocks : addAllows;
            if (!existing.TryGetValue(rule.Name, out var found))
            {
                adds.Add(new RuleChange(RuleChangeKind.Add, rule.Name, rule));
                continue;
            }

            var current = found[0];
            if (found.Count > 1 || current.Direction != rule.Direction || current.Action != rule.Action || current.Protocol != rule.Protocol)
            {
                // Cannot be edited into shape: remove (every copy) and add again.
                (block ? addBlocks : removeAllows).Add(new RuleChange(RuleChangeKind.Remove, rule.Name, current, Count: found.Count));
                adds.Add(new RuleChange(RuleChangeKind.Add, rule.Name, rule));
                continue;
            }

            var fields = full ? RuleFields.All : Compare(rule, current);
            if (fields != RuleFields.None)
            {
                adds.Add(new RuleChange(RuleChangeKind.Update, rule.Name, rule, fields));
            }
        }

        foreach (var (name, rules) in existing.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!wanted.Contains(name))
            {
                (rules[0].Action == FirewallAction.Allow ? removeAllows : removeBlocks).Add(new RuleChange(RuleChangeKind.Remove, name, rules[0], Count: rules.Count));
            }
        }

        return new FirewallRuleDiff([.. addBlocks, .. removeAllows, .. addAllows, .. removeBlocks]);
    }

    /// <summary>The properties of <paramref name="actual"/> that differ from <paramref name="desired"/>, after normalising.</summary>
    /// <param name="desired">The rule as the backend writes it.</param>
    /// <param name="actual">The rule as read from Windows.</param>
    /// <returns>The differing fields.</returns>
    public static RuleFields Compare(FirewallRule desired, FirewallRule actual)
    {
        var fields = RuleFields.None;
        if (!string.Equals(desired.Description, actual.Description, StringComparison.Ordinal))
        {
            fields |= RuleFields.Description;
        }

        if (desired.Enabled != actual.Enabled)
        {
            fields |= RuleFields.Enabled;
        }

        if (desired.Profiles != actual.Profiles)
        {
            fields |= RuleFields.Profiles;
        }

        if (desired.HasPorts && !SamePorts(desired.LocalPorts, actual.LocalPorts))
        {
            fields |= RuleFields.LocalPorts;
        }

        if (desired.HasPorts && !SamePorts(desired.RemotePorts, actual.RemotePorts))
        {
            fields |= RuleFields.RemotePorts;
        }

        if (!SameAddresses(desired.LocalAddresses, actual.LocalAddresses))
        {
            fields |= RuleFields.LocalAddresses;
        }

        if (!SameAddresses(desired.RemoteAddresses, actual.RemoteAddresses))
        {
            fields |= RuleFields.RemoteAddresses;
        }

        return fields;
    }

    /// <summary>Whether two address lists mean the same addresses (Windows' rewritten forms included).</summary>
    public static bool SameAddresses(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return AddressText.TryParse(a, out var left) && AddressText.TryParse(b, out var right) && left.SequenceEqual(right);
    }

    /// <summary>Whether two port lists mean the same ports.</summary>
    public static bool SamePorts(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return PortText.TryParse(a, out var left) && PortText.TryParse(b, out var right) && left.SequenceEqual(right);
    }
}
