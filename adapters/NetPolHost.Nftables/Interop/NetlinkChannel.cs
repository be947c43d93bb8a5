using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NetPolHost.Nftables.Runtime;
using static NetPolHost.Nftables.Interop.NetlinkSockets;

namespace NetPolHost.Nftables.Interop;

/// <summary>A netlink socket for requests and their answers (dumps and acknowledgements), opened in a network namespace
/// and usable from any thread afterwards (one call at a time).</summary>
internal sealed class NetlinkChannel : IDisposable
{
    private const ushort MessageError = NflogWire.MessageError;
    private const ushort MessageDone = NflogWire.MessageDone;
    private const ushort FlagMulti = 0x02;
    private const int ReplyTimeoutMilliseconds = 10_000;

    // Room for a burst of acknowledgements and dump datagrams while the caller is busy parsing.
    private const int ReceiveBufferSize = 1024 * 1024;

    private readonly NetlinkSocketHandle _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private uint _sequence = (uint)Environment.TickCount;

    private NetlinkChannel(NetlinkSocketHandle socket) => _socket = socket;

    /// <summary>Opens a socket of the netlink <paramref name="protocol"/> (e.g. 0 route, 12 netfilter) in
    /// <paramref name="networkNamespace"/> (a name under /run/netns or a path), or in the caller's namespace when null.</summary>
    /// <exception cref="IOException">The socket cannot be opened or the namespace cannot be entered.</exception>
    public static NetlinkChannel Open(int protocol, string? networkNamespace)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("netlink headers are read as little endian (host byte order on x64 and arm64).");
        }

        if (networkNamespace is null)
        {
            return new NetlinkChannel(NetlinkSocketHandle.Open(protocol, ReceiveBufferSize));
        }

        NetlinkSocketHandle? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                NamespaceThread.Enter(networkNamespace);
                socket = NetlinkSocketHandle.Open(protocol, ReceiveBufferSize);
            }
            catch (Exception ex)
            {
                error = ex;
            }
        })
        {
            IsBackground = true,
            Name = "netlink open",
        };
        thread.Start();
        thread.Join();
        return error is null ? new NetlinkChannel(socket!) : throw new IOException(error.Message, error);
    }

    /// <summary>Sends a dump request (its header's length, type and flags filled in by the caller; the sequence number is
    /// set here) and hands each answer's type and payload to <paramref name="onMessage"/> until the dump is done.</summary>
    /// <exception cref="IOException">The kernel answered with an error, or the socket failed.</exception>
    /// <exception cref="TimeoutException">No answer within 10 s.</exception>
    public void Dump(byte[] request, MessageHandler onMessage)
    {
        var sequence = NextSequence();
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(8), sequence);
        Send(request, request.Length);
        while (true)
        {
            var datagram = Receive();
            while (NflogWire.TryReadMessage(ref datagram, out var type, out var flags, out var seq, out var payload))
            {
                if (seq != sequence)
                {
                    continue;
                }

                switch (type)
                {
                    case MessageDone:
                        return;
                    case MessageError:
                        var errno = payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                        if (errno == 0)
                        {
                            return;
                        }

                        throw new IOException($"the kernel refused a netlink dump (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
                    default:
                        onMessage(type, payload);
                        if ((flags & FlagMulti) == 0)
                        {
                            return;
                        }

                        break;
                }
            }
        }
    }

    /// <summary>Sends requests that ask for an acknowledgement, many to a datagram, and collects the errno of each
    /// (0 for success), in order.</summary>
    /// <param name="requests">Whole netlink messages with NLM_F_ACK set (sequence numbers are set here).</param>
    /// <returns>The errno per request (positive; 0 for success).</returns>
    /// <exception cref="IOException">The socket failed.</exception>
    /// <exception cref="TimeoutException">An acknowledgement did not come within 10 s.</exception>
    public int[] SendAll(IReadOnlyList<byte[]> requests)
    {
        var results = new int[requests.Count];
        var batch = new byte[32 * 1024];
        var index = 0;
        while (index < requests.Count)
        {
            // As many requests as fit in one datagram; their acknowledgements (at most a request each) fit the buffer.
            var first = index;
            var length = 0;
            var firstSequence = _sequence + 1;
            while (index < requests.Count && (length == 0 || length + requests[index].Length <= batch.Length))
            {
                var request = requests[index];
                if (request.Length > batch.Length)
                {
                    batch = new byte[request.Length];
                }

                request.CopyTo(batch, length);
                BinaryPrimitives.WriteUInt32LittleEndian(batch.AsSpan(length + 8), NextSequence());
                length += (request.Length + 3) & ~3;
                index++;
            }

            Send(batch, length);
            var pending = index - first;
            while (pending > 0)
            {
                var datagram = Receive();
                while (NflogWire.TryReadMessage(ref datagram, out var type, out _, out var seq, out var payload))
                {
                    var slot = (long)(seq - firstSequence);
                    if (type != MessageError || slot < 0 || slot >= index - first)
                    {
                        continue;
                    }

                    results[first + slot] = payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                    pending--;
                }
            }
        }

        return results;
    }

    /// <summary>Reserves <paramref name="count"/> consecutive sequence numbers for messages the caller numbers itself.</summary>
    /// <returns>The first of them.</returns>
    public uint ReserveSequences(int count)
    {
        var first = _sequence + 1;
        if (first == 0 || first + (uint)count < first)
        {
            first = 1;
        }

        _sequence = first + (uint)count - 1;
        return first;
    }

    /// <summary>Sends one datagram (e.g. a netfilter transaction batch, which the kernel handles inside the send) whose
    /// messages <paramref name="first"/> to <paramref name="last"/> ask for an acknowledgement, and waits for those; any
    /// other answers already queued (a failed commit answers on the batch's begin message) are read too.</summary>
    /// <returns>The errno of the first error (positive), or 0 when every answer was an acknowledgement.</returns>
    /// <exception cref="IOException">The socket failed.</exception>
    /// <exception cref="TimeoutException">An acknowledgement did not come within 10 s.</exception>
    public int Transact(byte[] datagram, uint first, uint last)
    {
        Send(datagram, datagram.Length);
        var error = 0;
        var pending = last - first + 1;
        while (true)
        {
            var datagramIn = pending > 0 ? Receive() : TryReceive();
            if (datagramIn.IsEmpty && pending == 0)
            {
                return error;
            }

            while (NflogWire.TryReadMessage(ref datagramIn, out var type, out _, out var seq, out var payload))
            {
                if (type != MessageError)
                {
                    continue;
                }

                var errno = payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                if (errno != 0 && error == 0)
                {
                    error = errno;
                }

                if (seq >= first && seq <= last && pending > 0)
                {
                    pending--;
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _socket.Dispose();

    /// <summary>Handles one answer of a dump.</summary>
    public delegate void MessageHandler(ushort type, ReadOnlySpan<byte> payload);

    private uint NextSequence() => ++_sequence == 0 ? ++_sequence : _sequence;

    private unsafe void Send(byte[] message, int length)
    {
        var added = false;
        _socket.DangerousAddRef(ref added);
        try
        {
            var kernel = new SockaddrNl { Family = AfNetlink };
            while (true)
            {
                nint sent;
                fixed (byte* buffer = message)
                {
                    sent = SendTo((int)_socket.DangerousGetHandle(), buffer, (nuint)length, 0, &kernel, (uint)sizeof(SockaddrNl));
                }

                if (sent >= 0)
                {
                    return;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != EIntr)
                {
                    throw new IOException($"netlink send failed (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
                }
            }
        }
        finally
        {
            if (added)
            {
                _socket.DangerousRelease();
            }
        }
    }

    private ReadOnlySpan<byte> Receive() => Receive(wait: true);

    /// <summary>What is queued now, or empty.</summary>
    private ReadOnlySpan<byte> TryReceive() => Receive(wait: false);

    private unsafe ReadOnlySpan<byte> Receive(bool wait)
    {
        var added = false;
        _socket.DangerousAddRef(ref added);
        try
        {
            var fd = (int)_socket.DangerousGetHandle();
            while (true)
            {
                var poll = new PollFd { Fd = fd, Events = PollIn };
                var ready = Poll(&poll, 1, wait ? ReplyTimeoutMilliseconds : 0);
                if (ready == 0 && !wait)
                {
                    return default;
                }

                if (ready == 0)
                {
                    throw new TimeoutException("the kernel did not answer a netlink request within 10 s.");
                }

                nint length = -1;
                if (ready > 0)
                {
                    fixed (byte* buffer = _buffer)
                    {
                        length = Recv(fd, buffer, (nuint)_buffer.Length, MsgDontWait);
                    }
                }

                if (length >= 0)
                {
                    return _buffer.AsSpan(0, (int)length);
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (EIntr or EAgain))
                {
                    throw new IOException($"netlink receive failed (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
                }
            }
        }
        finally
        {
            if (added)
            {
                _socket.DangerousRelease();
            }
        }
    }
}
