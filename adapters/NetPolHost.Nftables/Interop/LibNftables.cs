using System.Runtime.InteropServices;

namespace NetPolHost.Nftables.Interop;

/// <summary>P/Invoke declarations of libnftables (Debian package libnftables1).</summary>
internal static partial class LibNftables
{
    public const string Library = "libnftables.so.1";

    /// <summary>NFT_CTX_OUTPUT_JSON: print listings as JSON (and, in 1.0.6, parse JSON input).</summary>
    public const uint OutputJson = 1u << 4;

    [LibraryImport(Library, EntryPoint = "nft_ctx_new")]
    public static partial IntPtr CtxNew(uint flags);

    [LibraryImport(Library, EntryPoint = "nft_ctx_free")]
    public static partial void CtxFree(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "nft_ctx_buffer_output")]
    public static partial int CtxBufferOutput(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "nft_ctx_buffer_error")]
    public static partial int CtxBufferError(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "nft_ctx_get_output_buffer")]
    public static partial IntPtr CtxGetOutputBuffer(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "nft_ctx_get_error_buffer")]
    public static partial IntPtr CtxGetErrorBuffer(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "nft_ctx_output_set_flags")]
    public static partial void CtxOutputSetFlags(IntPtr ctx, uint flags);

    [LibraryImport(Library, EntryPoint = "nft_ctx_output_get_flags")]
    public static partial uint CtxOutputGetFlags(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "nft_ctx_set_dry_run")]
    public static partial void CtxSetDryRun(IntPtr ctx, [MarshalAs(UnmanagedType.U1)] bool dry);

    [LibraryImport(Library, EntryPoint = "nft_run_cmd_from_buffer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RunCmdFromBuffer(IntPtr ctx, string buffer);

    /// <summary>Whether the library can be loaded on this host.</summary>
    public static bool IsAvailable()
    {
        if (!NativeLibrary.TryLoad(Library, typeof(LibNftables).Assembly, null, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }
}
