using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.WindowsFirewall.Interop;

/// <summary><c>IEnumVARIANT</c> (oaidl.h), slots 3–6: walks the rule collection.</summary>
[GeneratedComInterface]
[Guid(NetFw.IidEnumVariant)]
internal partial interface IEnumVariant
{
    /// <summary>Slot 3: fills up to <paramref name="count"/> VARIANTs (24 bytes each on 64-bit); S_FALSE (1) at the end.</summary>
    [PreserveSig]
    int Next(uint count, nint variants, out uint fetched);

    /// <summary>Slot 4.</summary>
    [PreserveSig]
    int Skip(uint count);

    /// <summary>Slot 5.</summary>
    void Reset();

    /// <summary>Slot 6.</summary>
    nint Clone();
}
