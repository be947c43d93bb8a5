using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static NetPolHost.Nftables.Interop.NetlinkSockets;

namespace NetPolHost.Nftables.Interop;

/// <summary>A bound AF_NETLINK socket's file descriptor, closed once no call is using it.</summary>
internal sealed class NetlinkSocketHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>An invalid handle, until <see cref="Open"/> sets one.</summary>
    public NetlinkSocketHandle()
        : base(ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == -1;

    /// <summary>Opens and binds a socket of the netlink <paramref name="protocol"/> in the calling thread's network
    /// namespace, asking for <paramref name="receiveBufferSize"/> bytes of receive buffer (SO_RCVBUFFORCE, which passes
    /// net.core.rmem_max with CAP_NET_ADMIN; else SO_RCVBUF, capped by it).</summary>
    /// <exception cref="IOException">The socket cannot be opened or bound (the message names the errno).</exception>
    public static unsafe NetlinkSocketHandle Open(int protocol, int receiveBufferSize)
    {
        var fd = Socket(AfNetlink, SockRaw | SockCloexec, protocol);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open a netlink socket of protocol {protocol} (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
        }

        var socket = new NetlinkSocketHandle();
        socket.SetHandle(fd);
        var local = new SockaddrNl { Family = AfNetlink };
        if (Bind(fd, &local, (uint)sizeof(SockaddrNl)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            socket.Dispose();
            throw new IOException($"cannot bind a netlink socket of protocol {protocol} (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
        }

        var size = receiveBufferSize;
        if (SetSockOpt(fd, SolSocket, SoRcvbufForce, &size, sizeof(int)) != 0)
        {
            _ = SetSockOpt(fd, SolSocket, SoRcvbuf, &size, sizeof(int));
        }

        return socket;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => NetlinkSockets.Close((int)handle) == 0;
}
