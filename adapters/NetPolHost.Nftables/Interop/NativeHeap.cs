using System.Runtime.InteropServices;

namespace NetPolHost.Nftables.Interop;

/// <summary>Gives the C heap's free memory back to the system after libnftables handled a large ruleset.</summary>
/// <remarks>
/// libnftables builds its whole cache (every set and its elements) and the parsed commands with malloc; after a full apply
/// of a large plan, glibc keeps most of what was freed in its arenas, so the agent's resident set stays tens of MiB above
/// what it uses (issue 15: about 20 MiB of 150 for the 10,000-pod cluster). glibc's <c>malloc_trim(0)</c> returns it.
/// It runs after every libnftables call, since nft fetches its cache of the table before each one: about 0.2 ms a call
/// (measured with a uprobe during the agent-memory benchmark).
/// Looked up at run time: other C libraries (musl) have no malloc_trim, and then nothing is done.
/// </remarks>
internal static unsafe class NativeHeap
{
    private static readonly delegate* unmanaged<nuint, int> s_mallocTrim = Find();

    /// <summary>Returns free C heap memory to the system, when the C library can.</summary>
    public static void Trim()
    {
        if (s_mallocTrim != null)
        {
            _ = s_mallocTrim(0);
        }
    }

    private static delegate* unmanaged<nuint, int> Find()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc))
        {
            return null;
        }

        return NativeLibrary.TryGetExport(libc, "malloc_trim", out var address) ? (delegate* unmanaged<nuint, int>)address : null;
    }
}
