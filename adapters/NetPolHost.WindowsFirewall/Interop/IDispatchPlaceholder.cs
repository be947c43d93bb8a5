using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.WindowsFirewall.Interop;

/// <summary>The four <c>IDispatch</c> methods (vtable slots 3–6), declared only so that the dual NetFwTypeLib interfaces
/// deriving from it start their own methods at slot 7. The backend never calls them.</summary>
[GeneratedComInterface]
[Guid(NetFw.IidDispatch)]
internal partial interface IDispatchPlaceholder
{
    /// <summary>Slot 3, <c>GetTypeInfoCount(UINT*)</c>.</summary>
    void GetTypeInfoCount(out uint count);

    /// <summary>Slot 4, <c>GetTypeInfo(UINT, LCID, ITypeInfo**)</c>.</summary>
    void GetTypeInfo(uint index, uint localeId, out nint typeInfo);

    /// <summary>Slot 5, <c>GetIDsOfNames(REFIID, LPOLESTR*, UINT, LCID, DISPID*)</c>.</summary>
    void GetIDsOfNames(nint iid, nint names, uint count, uint localeId, nint dispatchIds);

    /// <summary>Slot 6, <c>Invoke(DISPID, REFIID, LCID, WORD, DISPPARAMS*, VARIANT*, EXCEPINFO*, UINT*)</c>.</summary>
    void Invoke(int dispatchId, nint iid, uint localeId, ushort flags, nint parameters, nint result, nint exceptionInfo, nint argumentError);
}
