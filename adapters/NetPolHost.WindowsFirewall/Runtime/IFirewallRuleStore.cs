using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.WindowsFirewall.Runtime;

/// <summary>The Windows Firewall rules the backend reads and writes (the OS seam). One instance serves one operation on
/// one thread.</summary>
internal interface IFirewallRuleStore : IDisposable
{
    /// <summary>Every rule whose grouping is <paramref name="group"/>, as Windows stores it.</summary>
    IReadOnlyList<FirewallRule> ListGroup(string group);

    /// <summary>Adds a rule.</summary>
    void Add(FirewallRule rule);

    /// <summary>Sets some properties of the rule named <see cref="FirewallRule.Name"/> in its group.</summary>
    void Update(FirewallRule rule, RuleFields fields);

    /// <summary>Removes one rule of that name, which must belong to <paramref name="group"/>.</summary>
    void Remove(string name, string group);

    /// <summary>Firewall-wide settings that decide whether the rules take effect.</summary>
    FirewallHostState GetHostState();
}
