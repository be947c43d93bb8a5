namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>One Windows Firewall rule as the backend writes it and reads it back (the <c>INetFwRule</c> properties it uses).</summary>
/// <remarks>Addresses and ports are in the Windows text form: comma-separated tokens, <c>*</c> for any.</remarks>
internal sealed record FirewallRule
{
    /// <summary>The unique name (COM <c>Name</c>, PowerShell <c>-Name</c> and <c>-DisplayName</c>).</summary>
    public required string Name { get; init; }

    /// <summary>What the rule does, for people.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>The group (COM <c>Grouping</c>, PowerShell <c>-Group</c>).</summary>
    public required string Grouping { get; init; }

    /// <summary>Inbound or outbound.</summary>
    public required FirewallDirection Direction { get; init; }

    /// <summary>Allow or block.</summary>
    public required FirewallAction Action { get; init; }

    /// <summary>The IP protocol number, or <see cref="NetFw.ProtocolAny"/>.</summary>
    public int Protocol { get; init; } = NetFw.ProtocolAny;

    /// <summary>Local ports (TCP and UDP only), <c>*</c> for any.</summary>
    public string LocalPorts { get; init; } = "*";

    /// <summary>Remote ports (TCP and UDP only), <c>*</c> for any.</summary>
    public string RemotePorts { get; init; } = "*";

    /// <summary>Local addresses, <c>*</c> for any.</summary>
    public string LocalAddresses { get; init; } = "*";

    /// <summary>Remote addresses, <c>*</c> for any (the backend never writes <c>*</c> or an empty list here).</summary>
    public string RemoteAddresses { get; init; } = "*";

    /// <summary>Whether the rule is enabled.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The profiles bit mask.</summary>
    public int Profiles { get; init; } = NetFw.ProfileAll;

    /// <summary>Whether ports can be set (TCP and UDP only).</summary>
    public bool HasPorts => Protocol is NetFw.ProtocolTcp or NetFw.ProtocolUdp;
}
