using System.Globalization;

namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>One step of a reconcile.</summary>
/// <param name="Kind">Add, update or remove.</param>
/// <param name="Name">The rule name.</param>
/// <param name="Rule">The desired rule (add, update), or the rule removed.</param>
/// <param name="Fields">The properties an update sets.</param>
/// <param name="Count">How many rules of that name a removal deletes (more than one only after outside edits).</param>
internal sealed record RuleChange(RuleChangeKind Kind, string Name, FirewallRule Rule, RuleFields Fields = RuleFields.None, int Count = 1)
{
    /// <summary>One line for people: <c>+ name (description)</c>, <c>~ name: fields</c>, <c>- name</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Kind switch
    {
        RuleChangeKind.Add => $"+ rule {Name} ({Rule.Description})",
        RuleChangeKind.Update => $"~ rule {Name}: {Fields} ({Rule.Description})",
        _ => $"- rule {Name}" + (Count > 1 ? $" ({Count.ToString(CultureInfo.InvariantCulture)} rules of that name)" : string.Empty) + (Rule.Description.Length > 0 ? $" ({Rule.Description})" : string.Empty),
    };
}
