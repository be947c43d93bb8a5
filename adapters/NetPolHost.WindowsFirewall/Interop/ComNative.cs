using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace NetPolHost.WindowsFirewall.Interop;

/// <summary>The few ole32/oleaut32 functions the COM store needs.</summary>
[SupportedOSPlatform("windows")]
internal static partial class ComNative
{
    /// <summary><c>COINIT_MULTITHREADED</c>.</summary>
    public const uint CoInitMultithreaded = 0;

    /// <summary><c>CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER</c>.</summary>
    public const uint ClassContext = 0x1 | 0x4;

    /// <summary><c>VT_UNKNOWN</c>.</summary>
    public const ushort VtUnknown = 13;

    /// <summary><c>VT_DISPATCH</c>.</summary>
    public const ushort VtDispatch = 9;

    [LibraryImport("ole32.dll")]
    public static partial int CoInitializeEx(nint reserved, uint coInit);

    [LibraryImport("ole32.dll")]
    public static partial void CoUninitialize();

    [LibraryImport("ole32.dll")]
    public static partial int CoCreateInstance(in Guid classId, nint outer, uint context, in Guid interfaceId, out nint instance);

    [LibraryImport("oleaut32.dll")]
    public static partial int VariantClear(nint variant);
}
