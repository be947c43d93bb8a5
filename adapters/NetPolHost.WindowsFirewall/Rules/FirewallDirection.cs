namespace NetPolHost.WindowsFirewall.Rules;

/// <summary><c>NET_FW_RULE_DIRECTION</c>.</summary>
internal enum FirewallDirection
{
    /// <summary><c>NET_FW_RULE_DIR_IN</c>.</summary>
    Inbound = 1,

    /// <summary><c>NET_FW_RULE_DIR_OUT</c>.</summary>
    Outbound = 2,
}
