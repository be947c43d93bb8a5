namespace NetPolHost.Wfp.Filters;

/// <summary>WFP constants and GUIDs (values from the Windows SDK <c>fwptypes.idl</c>, <c>fwpmtypes.idl</c>, <c>fwpmu.h</c>).</summary>
internal static class WfpConstants
{
    /// <summary>SDK constant.</summary>
    public const uint FwpEmpty = 0;
    /// <summary>SDK constant.</summary>
    public const uint FwpUInt8 = 1;
    /// <summary>SDK constant.</summary>
    public const uint FwpUInt16 = 2;
    /// <summary>SDK constant.</summary>
    public const uint FwpUInt32 = 3;
    /// <summary>SDK constant.</summary>
    public const uint FwpUInt64 = 4;
    /// <summary>SDK constant.</summary>
    public const uint FwpByteArray16 = 11;
    /// <summary>SDK constant.</summary>
    public const uint FwpV4AddrMask = 0x100;
    /// <summary>SDK constant.</summary>
    public const uint FwpV6AddrMask = 0x101;
    /// <summary>SDK constant.</summary>
    public const uint FwpRange = 0x102;

    /// <summary>SDK constant.</summary>
    public const uint MatchEqual = 0;
    /// <summary>SDK constant.</summary>
    public const uint MatchRange = 5;

    /// <summary>SDK constant.</summary>
    public const uint ActionBlock = 0x1001;
    /// <summary>SDK constant.</summary>
    public const uint ActionPermit = 0x1002;

    /// <summary>SDK constant.</summary>
    public const uint FilterFlagPersistent = 0x1;
    /// <summary>SDK constant.</summary>
    public const uint FilterFlagClearActionRight = 0x8;
    /// <summary>SDK constant.</summary>
    public const uint ProviderFlagPersistent = 0x1;
    /// <summary>SDK constant.</summary>
    public const uint SublayerFlagPersistent = 0x1;
    /// <summary>SDK constant.</summary>
    public const uint SessionFlagDynamic = 0x1;

    /// <summary>SDK constant.</summary>
    public const uint RpcAuthnWinNt = 10;

    /// <summary>SDK constant.</summary>
    public const uint ErrorFilterNotFound = 0x80320003;
    /// <summary>SDK constant.</summary>
    public const uint ErrorProviderNotFound = 0x80320005;
    /// <summary>SDK constant.</summary>
    public const uint ErrorSublayerNotFound = 0x80320007;
    /// <summary>SDK constant.</summary>
    public const uint ErrorNotFound = 0x80320008;
    /// <summary>SDK constant.</summary>
    public const uint ErrorAlreadyExists = 0x80320009;
    /// <summary>SDK constant.</summary>
    public const uint ErrorInUse = 0x8032000A;
    /// <summary>SDK constant.</summary>
    public const uint ErrorLifetimeMismatch = 0x80320016;
    /// <summary>SDK constant.</summary>
    public const uint ErrorAccessDenied = 5;

    /// <summary>SDK GUID.</summary>
    public static readonly Guid LayerRecvAcceptV4 = new("e1cd9fe7-f4b5-4273-96c0-592e487b8650");
    /// <summary>SDK GUID.</summary>
    public static readonly Guid LayerRecvAcceptV6 = new("a3b42c97-9f04-4672-b87e-cee9c483257f");
    /// <summary>SDK GUID.</summary>
    public static readonly Guid LayerConnectV4 = new("c38d57d1-05a7-4c33-904f-7fbceee60e82");
    /// <summary>SDK GUID.</summary>
    public static readonly Guid LayerConnectV6 = new("4a72393b-319f-44bc-84c3-ba54dcb3b6b4");

    /// <summary>SDK GUID.</summary>
    public static readonly Guid ConditionLocalAddress = new("d9ee00de-c1ef-4617-bfe3-ffd8f5a08957");
    /// <summary>SDK GUID.</summary>
    public static readonly Guid ConditionRemoteAddress = new("b235ae9a-1d64-49b8-a44c-5ff3d9095045");
    /// <summary>SDK GUID.</summary>
    public static readonly Guid ConditionProtocol = new("3971ef2b-623e-4f9a-8cb1-6e79b806b9a7");
    /// <summary>SDK GUID.</summary>
    public static readonly Guid ConditionLocalPort = new("0c1ba1af-5765-453f-af22-a8f791ac775b");
    /// <summary>SDK GUID.</summary>
    public static readonly Guid ConditionRemotePort = new("c35a604d-d22b-4e1a-91b4-68f674ee674b");

    /// <summary>The layers the backend uses, in a fixed order.</summary>
    public static readonly WfpLayer[] Layers = [WfpLayer.RecvAcceptV4, WfpLayer.RecvAcceptV6, WfpLayer.ConnectV4, WfpLayer.ConnectV6];

    public static Guid LayerKey(WfpLayer layer) => layer switch
    {
        WfpLayer.RecvAcceptV4 => LayerRecvAcceptV4,
        WfpLayer.RecvAcceptV6 => LayerRecvAcceptV6,
        WfpLayer.ConnectV4 => LayerConnectV4,
        _ => LayerConnectV6,
    };

    public static string LayerName(WfpLayer layer) => layer switch
    {
        WfpLayer.RecvAcceptV4 => "FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4",
        WfpLayer.RecvAcceptV6 => "FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6",
        WfpLayer.ConnectV4 => "FWPM_LAYER_ALE_AUTH_CONNECT_V4",
        _ => "FWPM_LAYER_ALE_AUTH_CONNECT_V6",
    };

    public static Guid FieldKey(WfpField field) => field switch
    {
        WfpField.LocalAddress => ConditionLocalAddress,
        WfpField.RemoteAddress => ConditionRemoteAddress,
        WfpField.Protocol => ConditionProtocol,
        WfpField.LocalPort => ConditionLocalPort,
        _ => ConditionRemotePort,
    };

    public static string FieldName(WfpField field) => field switch
    {
        WfpField.LocalAddress => "FWPM_CONDITION_IP_LOCAL_ADDRESS",
        WfpField.RemoteAddress => "FWPM_CONDITION_IP_REMOTE_ADDRESS",
        WfpField.Protocol => "FWPM_CONDITION_IP_PROTOCOL",
        WfpField.LocalPort => "FWPM_CONDITION_IP_LOCAL_PORT",
        _ => "FWPM_CONDITION_IP_REMOTE_PORT",
    };

    public static WfpLayer? LayerOf(Guid key) =>
        key == LayerRecvAcceptV4 ? WfpLayer.RecvAcceptV4
        : key == LayerRecvAcceptV6 ? WfpLayer.RecvAcceptV6
        : key == LayerConnectV4 ? WfpLayer.ConnectV4
        : key == LayerConnectV6 ? WfpLayer.ConnectV6
        : null;

    /// <summary>A readable name for a WFP result code.</summary>
    public static string ErrorName(uint code) => code switch
    {
        ErrorFilterNotFound => "FWP_E_FILTER_NOT_FOUND",
        ErrorProviderNotFound => "FWP_E_PROVIDER_NOT_FOUND",
        ErrorSublayerNotFound => "FWP_E_SUBLAYER_NOT_FOUND",
        ErrorNotFound => "FWP_E_NOT_FOUND",
        ErrorAlreadyExists => "FWP_E_ALREADY_EXISTS",
        ErrorInUse => "FWP_E_IN_USE",
        ErrorLifetimeMismatch => "FWP_E_LIFETIME_MISMATCH",
        ErrorAccessDenied => "ERROR_ACCESS_DENIED",
        0x8032000F => "FWP_E_TXN_ABORTED",
        0x80320012 => "FWP_E_TIMEOUT",
        0x80320023 => "FWP_E_NULL_DISPLAY_NAME",
        0x80320025 => "FWP_E_INVALID_WEIGHT",
        0x80320026 => "FWP_E_MATCH_TYPE_MISMATCH",
        0x80320027 => "FWP_E_TYPE_MISMATCH",
        0x80320020 => "FWP_E_INVALID_RANGE",
        0x8032001F => "FWP_E_INVALID_NET_MASK",
        _ => "0x" + code.ToString("X8", System.Globalization.CultureInfo.InvariantCulture),
    };
}
