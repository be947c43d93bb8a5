namespace NetPolHost.WindowsFirewall.Rules;

/// <summary><c>NET_FW_ACTION</c>.</summary>
internal enum FirewallAction
{
    /// <summary><c>NET_FW_ACTION_BLOCK</c>.</summary>
    Block = 0,

    /// <summary><c>NET_FW_ACTION_ALLOW</c>.</summary>
    Allow = 1,
}
