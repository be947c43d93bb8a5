namespace NetPolHost.WindowsFirewall.Runtime;

/// <summary>Firewall-wide settings that decide whether rules take effect.</summary>
/// <param name="CurrentProfiles">The profiles in effect (bit mask).</param>
/// <param name="DisabledProfiles">The profiles in which the firewall is off (bit mask).</param>
/// <param name="ModifyState"><c>NET_FW_MODIFY_STATE</c>: 0 ok, 1 group policy overrides, 2 inbound blocked.</param>
internal sealed record FirewallHostState(int CurrentProfiles, int DisabledProfiles, int ModifyState);
