namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>The rules a plan becomes, in the order they are listed and rendered, with what could not be enforced.</summary>
/// <param name="Rules">The rules.</param>
/// <param name="Warnings">What the backend leaves alone and why (e.g. pod endpoints).</param>
internal sealed record FirewallTranslation(IReadOnlyList<FirewallRule> Rules, IReadOnlyList<string> Warnings);
