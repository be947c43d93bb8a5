namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>What a change does to one rule.</summary>
internal enum RuleChangeKind
{
    /// <summary>Adds a rule.</summary>
    Add,

    /// <summary>Sets some properties of an existing rule.</summary>
    Update,

    /// <summary>Removes every rule of a name in the owned group.</summary>
    Remove,
}
