namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>NetFwTypeLib constants (values from the Windows SDK headers <c>icftypes.h</c> and <c>netfw.h</c>).</summary>
internal static class NetFw
{
    /// <summary><c>NET_FW_IP_PROTOCOL_TCP</c>.</summary>
    public const int ProtocolTcp = 6;

    /// <summary><c>NET_FW_IP_PROTOCOL_UDP</c>.</summary>
    public const int ProtocolUdp = 17;

    /// <summary>SCTP's protocol number (accepted as a protocol, without ports).</summary>
    public const int ProtocolSctp = 132;

    /// <summary><c>NET_FW_IP_PROTOCOL_ANY</c>.</summary>
    public const int ProtocolAny = 256;

    /// <summary><c>NET_FW_PROFILE2_ALL</c>.</summary>
    public const int ProfileAll = 0x7fffffff;

    /// <summary><c>NET_FW_PROFILE2_DOMAIN</c>.</summary>
    public const int ProfileDomain = 1;

    /// <summary><c>NET_FW_PROFILE2_PRIVATE</c>.</summary>
    public const int ProfilePrivate = 2;

    /// <summary><c>NET_FW_PROFILE2_PUBLIC</c>.</summary>
    public const int ProfilePublic = 4;

    /// <summary><c>NET_FW_MODIFY_STATE_GP_OVERRIDE</c>: group policy overrides local rules.</summary>
    public const int ModifyStateGroupPolicyOverride = 1;

    /// <summary><c>NET_FW_MODIFY_STATE_INBOUND_BLOCKED</c>: all inbound traffic is blocked whatever the rules say.</summary>
    public const int ModifyStateInboundBlocked = 2;

    /// <summary>CLSID of the <c>NetFwPolicy2</c> class (ProgID <c>HNetCfg.FwPolicy2</c>).</summary>
    public static readonly Guid ClsidNetFwPolicy2 = new("E2B3C97F-6AE1-41AC-817A-F6F92166D7DD");

    /// <summary>CLSID of the <c>NetFwRule</c> class (ProgID <c>HNetCfg.FWRule</c>).</summary>
    public static readonly Guid ClsidNetFwRule = new("2C5BC43E-3369-4C33-AB0C-BE9469677AF4");

    /// <summary>IID of <c>INetFwPolicy2</c>.</summary>
    public const string IidNetFwPolicy2 = "98325047-C671-4174-8D81-DEFCD3F03186";

    /// <summary>IID of <c>INetFwRules</c>.</summary>
    public const string IidNetFwRules = "9C4C6277-5027-441E-AFAE-CA1F542DA009";

    /// <summary>IID of <c>INetFwRule</c>.</summary>
    public const string IidNetFwRule = "AF230D27-BABA-4E42-ACED-F524F22CFCE2";

    /// <summary>IID of <c>IDispatch</c>.</summary>
    public const string IidDispatch = "00020400-0000-0000-C000-000000000046";

    /// <summary>IID of <c>IEnumVARIANT</c>.</summary>
    public const string IidEnumVariant = "00020404-0000-0000-C000-000000000046";

    /// <summary>The protocol's name in rule descriptions and scripts.</summary>
    public static string ProtocolName(int protocol) => protocol switch
    {
        ProtocolTcp => "TCP",
        ProtocolUdp => "UDP",
        ProtocolSctp => "SCTP",
        ProtocolAny => "any",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
