namespace NetPolHost.Wfp.Filters;

/// <summary>The four ALE authorization layers the backend filters at.</summary>
internal enum WfpLayer
{
    /// <summary><c>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4</c>: inbound connections (ingress), IPv4.</summary>
    RecvAcceptV4,

    /// <summary><c>FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6</c>: inbound connections (ingress), IPv6.</summary>
    RecvAcceptV6,

    /// <summary><c>FWPM_LAYER_ALE_AUTH_CONNECT_V4</c>: outbound connections (egress), IPv4.</summary>
    ConnectV4,

    /// <summary><c>FWPM_LAYER_ALE_AUTH_CONNECT_V6</c>: outbound connections (egress), IPv6.</summary>
    ConnectV6,
}
