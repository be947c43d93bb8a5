namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>The properties of a rule that can be changed in place.</summary>
[Flags]
internal enum RuleFields
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary><c>Description</c>.</summary>
    Description = 1,

    /// <summary><c>LocalPorts</c>.</summary>
    LocalPorts = 2,

    /// <summary><c>RemotePorts</c>.</summary>
    RemotePorts = 4,

    /// <summary><c>LocalAddresses</c>.</summary>
    LocalAddresses = 8,

    /// <summary><c>RemoteAddresses</c>.</summary>
    RemoteAddresses = 16,

    /// <summary><c>Enabled</c>.</summary>
    Enabled = 32,

    /// <summary><c>Profiles</c>.</summary>
    Profiles = 64,

    /// <summary>Every field above.</summary>
    All = Description | LocalPorts | RemotePorts | LocalAddresses | RemoteAddresses | Enabled | Profiles,
}
