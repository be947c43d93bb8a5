using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static NetPolHost.Wfp.Interop.FwpTypes;

namespace NetPolHost.Wfp.Interop;

/// <summary>The <c>fwpuclnt.dll</c> functions the backend calls (signatures from <c>fwpmu.h</c>; each returns a Win32 or
/// FWP_E_* code, 0 on success).</summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class FwpNative
{
    private const string Library = "fwpuclnt.dll";

    [LibraryImport(Library)]
    public static partial uint FwpmEngineOpen0(char* serverName, uint authnService, nint authIdentity, FWPM_SESSION0* session, out nint engineHandle);

    [LibraryImport(Library)]
    public static partial uint FwpmEngineClose0(nint engineHandle);

    [LibraryImport(Library)]
    public static partial uint FwpmTransactionBegin0(nint engineHandle, uint flags);

    [LibraryImport(Library)]
    public static partial uint FwpmTransactionCommit0(nint engineHandle);

    [LibraryImport(Library)]
    public static partial uint FwpmTransactionAbort0(nint engineHandle);

    [LibraryImport(Library)]
    public static partial uint FwpmProviderAdd0(nint engineHandle, FWPM_PROVIDER0* provider, nint securityDescriptor);

    [LibraryImport(Library)]
    public static partial uint FwpmProviderDeleteByKey0(nint engineHandle, Guid* key);

    [LibraryImport(Library)]
    public static partial uint FwpmProviderGetByKey0(nint engineHandle, Guid* key, FWPM_PROVIDER0** provider);

    [LibraryImport(Library)]
    public static partial uint FwpmSubLayerAdd0(nint engineHandle, FWPM_SUBLAYER0* subLayer, nint securityDescriptor);

    [LibraryImport(Library)]
    public static partial uint FwpmSubLayerDeleteByKey0(nint engineHandle, Guid* key);

    [LibraryImport(Library)]
    public static partial uint FwpmSubLayerGetByKey0(nint engineHandle, Guid* key, FWPM_SUBLAYER0** subLayer);

    [LibraryImport(Library)]
    public static partial uint FwpmFilterAdd0(nint engineHandle, FWPM_FILTER0* filter, nint securityDescriptor, ulong* id);

    [LibraryImport(Library)]
    public static partial uint FwpmFilterDeleteByKey0(nint engineHandle, Guid* key);

    [LibraryImport(Library)]
    public static partial uint FwpmFilterCreateEnumHandle0(nint engineHandle, FWPM_FILTER_ENUM_TEMPLATE0* enumTemplate, out nint enumHandle);

    [LibraryImport(Library)]
    public static partial uint FwpmFilterEnum0(nint engineHandle, nint enumHandle, uint numEntriesRequested, FWPM_FILTER0*** entries, out uint numEntriesReturned);

    [LibraryImport(Library)]
    public static partial uint FwpmFilterDestroyEnumHandle0(nint engineHandle, nint enumHandle);

    [LibraryImport(Library)]
    public static partial void FwpmFreeMemory0(void** pointer);
}
