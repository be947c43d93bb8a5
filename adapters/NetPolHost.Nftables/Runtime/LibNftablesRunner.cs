using System.Runtime.InteropServices;
using NetPolHost.Nftables.Interop;

namespace NetPolHost.Nftables.Runtime;

/// <summary>Runs nft commands in-process through libnftables, on one dedicated thread (optionally in a network namespace).</summary>
internal sealed class LibNftablesRunner : INftRunner
{
    /// <summary>libnftables keeps some state outside its contexts (e.g. its big-number allocator set up by every
    /// nft_ctx_new), so calls from different contexts are serialised process-wide.</summary>
    private static readonly Lock s_library = new();
    private readonly NamespaceThread _thread;
    private readonly IntPtr _ctx;
    private bool _disposed;
    private NetlinkChannel? _netlink;

    public LibNftablesRunner(string? networkNamespace)
    {
        _thread = new NamespaceThread(networkNamespace, "netpolhost-nft");
        try
        {
            _ctx = _thread.Invoke(() =>
            {
                using var scope = s_library.EnterScope();
                var ctx = LibNftables.CtxNew(0);
                if (ctx == IntPtr.Zero)
                {
                    throw new InvalidOperationException("nft_ctx_new returned NULL");
                }

                if (LibNftables.CtxBufferOutput(ctx) != 0 || LibNftables.CtxBufferError(ctx) != 0)
                {
                    LibNftables.CtxFree(ctx);
                    throw new InvalidOperationException("libnftables could not buffer its output");
                }

                return ctx;
            });
        }
        catch
        {
            _thread.Dispose();
            throw;
        }
    }

    public string Kind => "libnftables";

    public NftResult Run(string commands, bool dryRun = false) => _thread.Invoke(() =>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = s_library.EnterScope();
        LibNftables.CtxSetDryRun(_ctx, dryRun);
        try
        {
            var rc = LibNftables.RunCmdFromBuffer(_ctx, commands);
            return new NftResult(rc == 0, Read(LibNftables.CtxGetOutputBuffer(_ctx)), Read(LibNftables.CtxGetErrorBuffer(_ctx)));
        }
        finally
        {
            LibNftables.CtxSetDryRun(_ctx, false);
            NativeHeap.Trim(); // nft fetched (and freed) its cache of the table: what it freed goes back to the system
        }
    });

    public NftResult ListJson(string command) => _thread.Invoke(() =>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = s_library.EnterScope();
        var flags = LibNftables.CtxOutputGetFlags(_ctx);
        LibNftables.CtxOutputSetFlags(_ctx, flags | LibNftables.OutputJson);
        try
        {
            var rc = LibNftables.RunCmdFromBuffer(_ctx, command);
            return new NftResult(rc == 0, Read(LibNftables.CtxGetOutputBuffer(_ctx)), Read(LibNftables.CtxGetErrorBuffer(_ctx)));
        }
        finally
        {
            LibNftables.CtxOutputSetFlags(_ctx, flags);
            NativeHeap.Trim();
        }
    });

    /// <inheritdoc/>
    /// <remarks>Writes the nf_tables netlink batch itself (<see cref="NftElementBatch"/>) on a netlink socket opened on
    /// the runner's thread, so in its network namespace; null for a batch over 1 MiB or when no such socket can be opened
    /// (nft then sends the changes).</remarks>
    public NftResult? RunElements(string table, IReadOnlyList<NftElementChange> changes) => _thread.Invoke(() =>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var messages = NftElementBatch.MessageCount(changes);
        if (messages == 0)
        {
            return null;
        }

        try
        {
            _netlink ??= NetlinkChannel.Open(NetlinkSockets.NetlinkNetfilter, networkNamespace: null);
        }
        catch (IOException)
        {
            return null;
        }

        var begin = _netlink.ReserveSequences(messages + 2);
        var batch = NftElementBatch.Encode(table, changes, begin, out _);
        if (batch.Length > 1 << 20)
        {
            return null;
        }

        try
        {
            var errno = _netlink.Transact(batch, begin + 1, begin + (uint)messages);
            return errno == 0
                ? new NftResult(true, string.Empty, string.Empty)
                : new NftResult(false, string.Empty, $"Error: Could not process rule: {Marshal.GetPInvokeErrorMessage(errno)} (netlink element batch)");
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
            // The socket is in an unknown state (a lost answer): the next batch opens a new one.
            _netlink.Dispose();
            _netlink = null;
            return new NftResult(false, string.Empty, "netlink: " + ex.Message);
        }
    });

    private static string Read(IntPtr buffer) => buffer == IntPtr.Zero ? string.Empty : Marshal.PtrToStringUTF8(buffer) ?? string.Empty;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _thread.Invoke(() =>
        {
            using var scope = s_library.EnterScope();
            LibNftables.CtxFree(_ctx);
            _netlink?.Dispose();
            _netlink = null;

            _disposed = true;
            return 0;
        });
        _thread.Dispose();
    }
}
