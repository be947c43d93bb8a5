using System.ComponentModel.DataAnnotations;

namespace NetPolHost.WindowsFirewall;

/// <summary>Options of the Windows Firewall backend (bind section <c>NetPolHost:WindowsFirewall</c>).</summary>
public sealed class WindowsFirewallOptions
{
    /// <summary>The rule group (Windows Firewall <c>Grouping</c>, PowerShell <c>-Group</c>) the backend owns.</summary>
    /// <value>Default <c>NetPolHost</c>. 1 to 200 characters; no '|', no control characters and not <c>@</c>-prefixed
    /// (that form is an indirect resource string).</value>
    [Required]
    [RegularExpression(@"^[^|@\p{C}][^|\p{C}]{0,199}$", ErrorMessage = "GroupName must be 1 to 200 characters without '|' or control characters and must not start with '@'.")]
    public string GroupName { get; set; } = "NetPolHost";

    /// <summary>The start of every rule name; the rest is a hash of what the rule is.</summary>
    /// <value>Default <c>NetPolHost</c>. A letter, then letters, digits, '.', '_' or '-', at most 64 characters.</value>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9._-]{0,63}$", ErrorMessage = "RuleNamePrefix must start with a letter and contain only letters, digits, '.', '_' or '-' (at most 64 characters).")]
    public string RuleNamePrefix { get; set; } = "NetPolHost";

    /// <summary>The most address entries (addresses, ranges or subnets) one rule carries; longer lists are split into several rules.</summary>
    /// <value>Default 1000, the practical limit of Windows Firewall rules.</value>
    [Range(1, 10000)]
    public int MaxAddressesPerRule { get; set; } = 1000;

    /// <summary>Never block IPv6 link-local peers (<c>fe80::/10</c>), so neighbour discovery and router advertisements keep
    /// working for isolated endpoints.</summary>
    /// <value>Default <see langword="true"/>. Turn off for the strict NetworkPolicy meaning, where link-local peers are
    /// blocked like any other address a policy does not allow.</value>
    public bool ExemptIPv6LinkLocal { get; set; } = true;
}
