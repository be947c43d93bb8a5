using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.WindowsFirewall.Interop;

/// <summary><c>INetFwRule</c> (netfw.h): one firewall rule. Methods are declared in vtable order, slots 7–42.</summary>
/// <remarks>
/// Strings are BSTRs, booleans VARIANT_BOOL, failures HRESULTs turned into exceptions. Slots 29 and 30
/// (<c>get_Interfaces(VARIANT*)</c>, <c>put_Interfaces(VARIANT)</c>) are kept as placeholders that are never called: the
/// VARIANT passed by value is passed differently by the Windows x64 and SysV ABIs, and the backend does not need it.
/// </remarks>
[GeneratedComInterface]
[Guid(NetFw.IidNetFwRule)]
internal partial interface INetFwRule : IDispatchPlaceholder
{
    /// <summary>Slot 7.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_Name();

    /// <summary>Slot 8.</summary>
    void put_Name([MarshalAs(UnmanagedType.BStr)] string name);

    /// <summary>Slot 9.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_Description();

    /// <summary>Slot 10.</summary>
    void put_Description([MarshalAs(UnmanagedType.BStr)] string description);

    /// <summary>Slot 11.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_ApplicationName();

    /// <summary>Slot 12.</summary>
    void put_ApplicationName([MarshalAs(UnmanagedType.BStr)] string applicationName);

    /// <summary>Slot 13.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_ServiceName();

    /// <summary>Slot 14.</summary>
    void put_ServiceName([MarshalAs(UnmanagedType.BStr)] string serviceName);

    /// <summary>Slot 15: the IP protocol number (256 = any).</summary>
    int get_Protocol();

    /// <summary>Slot 16: must be set before the ports.</summary>
    void put_Protocol(int protocol);

    /// <summary>Slot 17.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_LocalPorts();

    /// <summary>Slot 18.</summary>
    void put_LocalPorts([MarshalAs(UnmanagedType.BStr)] string ports);

    /// <summary>Slot 19.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_RemotePorts();

    /// <summary>Slot 20.</summary>
    void put_RemotePorts([MarshalAs(UnmanagedType.BStr)] string ports);

    /// <summary>Slot 21.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_LocalAddresses();

    /// <summary>Slot 22.</summary>
    void put_LocalAddresses([MarshalAs(UnmanagedType.BStr)] string addresses);

    /// <summary>Slot 23.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_RemoteAddresses();

    /// <summary>Slot 24.</summary>
    void put_RemoteAddresses([MarshalAs(UnmanagedType.BStr)] string addresses);

    /// <summary>Slot 25.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_IcmpTypesAndCodes();

    /// <summary>Slot 26.</summary>
    void put_IcmpTypesAndCodes([MarshalAs(UnmanagedType.BStr)] string icmpTypesAndCodes);

    /// <summary>Slot 27: <c>NET_FW_RULE_DIRECTION</c>.</summary>
    int get_Direction();

    /// <summary>Slot 28.</summary>
    void put_Direction(int direction);

    /// <summary>Slot 29, <c>get_Interfaces(VARIANT*)</c>: placeholder, never called.</summary>
    [PreserveSig]
    int ReservedGetInterfaces();

    /// <summary>Slot 30, <c>put_Interfaces(VARIANT)</c>: placeholder, never called (VARIANT by value).</summary>
    [PreserveSig]
    int ReservedPutInterfaces();

    /// <summary>Slot 31.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_InterfaceTypes();

    /// <summary>Slot 32.</summary>
    void put_InterfaceTypes([MarshalAs(UnmanagedType.BStr)] string interfaceTypes);

    /// <summary>Slot 33.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool get_Enabled();

    /// <summary>Slot 34.</summary>
    void put_Enabled([MarshalAs(UnmanagedType.VariantBool)] bool enabled);

    /// <summary>Slot 35.</summary>
    [return: MarshalAs(UnmanagedType.BStr)]
    string get_Grouping();

    /// <summary>Slot 36.</summary>
    void put_Grouping([MarshalAs(UnmanagedType.BStr)] string grouping);

    /// <summary>Slot 37: <c>NET_FW_PROFILE_TYPE2</c> bit mask.</summary>
    int get_Profiles();

    /// <summary>Slot 38.</summary>
    void put_Profiles(int profiles);

    /// <summary>Slot 39.</summary>
    [return: MarshalAs(UnmanagedType.VariantBool)]
    bool get_EdgeTraversal();

    /// <summary>Slot 40.</summary>
    void put_EdgeTraversal([MarshalAs(UnmanagedType.VariantBool)] bool edgeTraversal);

    /// <summary>Slot 41: <c>NET_FW_ACTION</c>.</summary>
    int get_Action();

    /// <summary>Slot 42.</summary>
    void put_Action(int action);
}
