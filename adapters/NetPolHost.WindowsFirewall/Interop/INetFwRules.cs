using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.WindowsFirewall.Interop;

/// <summary><c>INetFwRules</c> (netfw.h): the rule collection. Slots 7–11 in the SDK's order (<c>get_Count</c> first).</summary>
[GeneratedComInterface]
[Guid(NetFw.IidNetFwRules)]
internal partial interface INetFwRules : IDispatchPlaceholder
{
    /// <summary>Slot 7.</summary>
    int get_Count();

    /// <summary>Slot 8.</summary>
    void Add(INetFwRule rule);

    /// <summary>Slot 9: removes one rule of that name; no effect when there is none.</summary>
    void Remove([MarshalAs(UnmanagedType.BStr)] string name);

    /// <summary>Slot 10: a rule by name; fails with <c>0x80070002</c> when there is none.</summary>
    INetFwRule Item([MarshalAs(UnmanagedType.BStr)] string name);

    /// <summary>Slot 11: an <c>IUnknown</c> to query for <c>IEnumVARIANT</c> (owned by the caller).</summary>
    nint get__NewEnum();
}
