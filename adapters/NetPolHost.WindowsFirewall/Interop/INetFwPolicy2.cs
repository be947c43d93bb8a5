using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.WindowsFirewall.Interop;

/// <summary><c>INetFwPolicy2</c> (netfw.h): the firewall policy. Methods in vtable order, slots 7–28.</summary>
/// <remarks>Slot 11, <c>put_ExcludedInterfaces(NET_FW_PROFILE_TYPE2, VARIANT)</c>, takes a VARIANT by value and is a
/// placeholder that is never called. <c>get_ExcludedInterfaces</c> and <c>get_ServiceRestriction</c> return raw
/// pointers the caller owns.</remarks>
[GeneratedComInterface]
[Guid(NetFw.IidNetFwPolicy2)]
internal partial interface INetFwPolicy2 : IDispatchPlaceholder
{
    /// <summary>Slot 7: the profiles now in effect (bit mask).</summary>
    int get_CurrentProfileTypes();

    /// <summary>Slot 8.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool get_FirewallEnabled(int profileType);

    /// <summary>Slot 9.</summary>
    void put_FirewallEnabled(int profileType, [MarshalAs(UnmanagedType.VariantBool)] bool enabled);

    /// <summary>Slot 10: writes a VARIANT to <paramref name="interfaces"/>.</summary>
    void get_ExcludedInterfaces(int profileType, nint interfaces);

    /// <summary>Slot 11, <c>put_ExcludedInterfaces</c>: placeholder, never called (VARIANT by value).</summary>
    [PreserveSig]
    int ReservedPutExcludedInterfaces();

    /// <summary>Slot 12.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool get_BlockAllInboundTraffic(int profileType);

    /// <summary>Slot 13.</summary>
    void put_BlockAllInboundTraffic(int profileType, [MarshalAs(UnmanagedType.VariantBool)] bool block);

    /// <summary>Slot 14.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool get_NotificationsDisabled(int profileType);

    /// <summary>Slot 15.</summary>
    void put_NotificationsDisabled(int profileType, [MarshalAs(UnmanagedType.VariantBool)] bool disabled);

    /// <summary>Slot 16.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool get_UnicastResponsesToMulticastBroadcastDisabled(int profileType);

    /// <summary>Slot 17.</summary>
    void put_UnicastResponsesToMulticastBroadcastDisabled(int profileType, [MarshalAs(UnmanagedType.VariantBool)] bool disabled);

    /// <summary>Slot 18.</summary>
    INetFwRules get_Rules();

    /// <summary>Slot 19: an <c>INetFwServiceRestriction</c> the caller owns.</summary>
    nint get_ServiceRestriction();

    /// <summary>Slot 20.</summary>
    void EnableRuleGroup(int profileTypes, [MarshalAs(UnmanagedType.BStr)] string group, [MarshalAs(UnmanagedType.VariantBool)] bool enable);

    /// <summary>Slot 21.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool IsRuleGroupEnabled(int profileTypes, [MarshalAs(UnmanagedType.BStr)] string group);

    /// <summary>Slot 22 (declared for the slot order; the backend never calls it).</summary>
    void RestoreLocalFirewallDefaults();

    /// <summary>Slot 23: <c>NET_FW_ACTION</c>.</summary>
    int get_DefaultInboundAction(int profileType);

    /// <summary>Slot 24.</summary>
    void put_DefaultInboundAction(int profileType, int action);

    /// <summary>Slot 25.</summary>
    int get_DefaultOutboundAction(int profileType);

    /// <summary>Slot 26.</summary>
    void put_DefaultOutboundAction(int profileType, int action);

    /// <summary>Slot 27.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool get_IsRuleGroupCurrentlyEnabled([MarshalAs(UnmanagedType.BStr)] string group);

    /// <summary>Slot 28: <c>NET_FW_MODIFY_STATE</c>.</summary>
    int get_LocalPolicyModifyState();
}
