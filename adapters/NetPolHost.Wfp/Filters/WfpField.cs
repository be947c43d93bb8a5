namespace NetPolHost.Wfp.Filters;

/// <summary>The condition fields the backend uses.</summary>
internal enum WfpField
{
    /// <summary><c>FWPM_CONDITION_IP_LOCAL_ADDRESS</c>.</summary>
    LocalAddress,

    /// <summary><c>FWPM_CONDITION_IP_REMOTE_ADDRESS</c>.</summary>
    RemoteAddress,

    /// <summary><c>FWPM_CONDITION_IP_PROTOCOL</c>.</summary>
    Protocol,

    /// <summary><c>FWPM_CONDITION_IP_LOCAL_PORT</c>.</summary>
    LocalPort,

    /// <summary><c>FWPM_CONDITION_IP_REMOTE_PORT</c>.</summary>
    RemotePort,
}
