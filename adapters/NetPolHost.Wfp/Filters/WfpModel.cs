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

/// <summary>A filter's action.</summary>
internal enum WfpAction
{
    /// <summary><c>FWP_ACTION_BLOCK</c>.</summary>
    Block,

    /// <summary><c>FWP_ACTION_PERMIT</c>.</summary>
    Permit,
}

/// <summary>One condition: a field and an inclusive range of values (one value when <see cref="Low"/> equals
/// <see cref="High"/>). Consecutive conditions on the same field are ORed by WFP, different fields ANDed.</summary>
/// <param name="Field">The field.</param>
/// <param name="Low">The first value (an address as a number, a port or a protocol number).</param>
/// <param name="High">The last value.</param>
/// <param name="IsV6">For addresses: IPv6.</param>
internal readonly record struct WfpCondition(WfpField Field, UInt128 Low, UInt128 High, bool IsV6 = false);

/// <summary>One filter as the backend adds it.</summary>
internal sealed record WfpFilter
{
    /// <summary>The filter key: a name-based GUID over the provider and the filter's whole content, so an unchanged
    /// filter keeps its key and a changed one gets a new one.</summary>
    public required Guid Key { get; init; }

    /// <summary>The display name.</summary>
    public required string Name { get; init; }

    /// <summary>The display description.</summary>
    public required string Description { get; init; }

    /// <summary>The layer.</summary>
    public required WfpLayer Layer { get; init; }

    /// <summary>Permit or block.</summary>
    public required WfpAction Action { get; init; }

    /// <summary>The weight (<c>FWP_UINT64</c>): permits are always above blocks.</summary>
    public required ulong Weight { get; init; }

    /// <summary><c>FWPM_FILTER_FLAG_*</c>.</summary>
    public required uint Flags { get; init; }

    /// <summary>The conditions, grouped by field.</summary>
    public required IReadOnlyList<WfpCondition> Conditions { get; init; }
}

/// <summary>The provider the backend owns.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Name">Display name.</param>
/// <param name="Description">Display description.</param>
/// <param name="Persistent">Whether it outlives the session.</param>
internal sealed record WfpProvider(Guid Key, string Name, string Description, bool Persistent);

/// <summary>The sublayer the backend owns.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Name">Display name.</param>
/// <param name="Description">Display description.</param>
/// <param name="Weight">Its weight.</param>
/// <param name="Persistent">Whether it outlives the session.</param>
/// <param name="ProviderKey">The owning provider.</param>
internal sealed record WfpSublayer(Guid Key, string Name, string Description, ushort Weight, bool Persistent, Guid ProviderKey);

/// <summary>A filter as enumerated from the engine.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Layer">Its layer.</param>
internal sealed record WfpFilterInfo(Guid Key, string Name, WfpLayer Layer);

/// <summary>What the backend writes: provider, sublayer and filters, with what it leaves alone.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="Sublayer">The sublayer.</param>
/// <param name="Filters">The filters.</param>
/// <param name="Warnings">Warnings (pod endpoints, interface restrictions).</param>
internal sealed record WfpTranslation(WfpProvider Provider, WfpSublayer Sublayer, IReadOnlyList<WfpFilter> Filters, IReadOnlyList<string> Warnings);
