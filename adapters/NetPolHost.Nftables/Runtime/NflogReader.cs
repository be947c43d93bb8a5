using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetPolHost.Nftables.Interop;
using System.Threading.Channels;
using static NetPolHost.Nftables.Interop.NetlinkSockets;

namespace NetPolHost.Nftables.Runtime;

/// <summary>
/// Reads the packets that nftables <c>log group N</c> statements send to NFLOG (nfnetlink_log), in-process over a
/// netfilter netlink socket.
/// </summary>
/// <remarks>
/// The socket belongs to the network namespace of the thread that opens it, and NFLOG groups are per namespace: open
/// the reader where the rules are (or use the overload that takes a namespace). Each group is bound to one socket in a
/// namespace; the kernel sends nothing to a group no reader has bound. Packets come in batches of at most
/// <see cref="NflogReaderOptions.QueueThreshold"/>, held at most <see cref="NflogReaderOptions.FlushTimeout"/>; when
/// the reader falls behind, the kernel drops whole batches (the socket reports ENOBUFS, counted in
/// <see cref="Overruns"/>; the packets are counted in <see cref="Lost"/> from the gaps in the kernel's sequence
/// numbers), so memory stays bounded by the socket buffer. One consumer at a time: <see cref="Read"/> and
/// <see cref="ReadAllAsync"/> are not to be called concurrently. Disposing unbinds the groups and closes the socket.
/// </remarks>
internal sealed class NflogReader : IDisposable
{
    private const byte AfUnspec = 0;
    private const byte AfInet = 2;
    private const byte AfInet6 = 10;
    private const int MaxDatagramsPerRead = 64;
    private const int StreamCapacity = 4096;
    private const int MaxWaitSlice = 250;
    private static readonly TimeSpan s_ackTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_streamSlice = TimeSpan.FromMilliseconds(200);

    private readonly NetlinkSocketHandle _socket;
    private readonly NflogReaderOptions _options;
    private readonly byte[] _buffer;
    private readonly NflogWire.PrefixCache _prefixes = new();
    private readonly Dictionary<ushort, uint> _lastSequence = [];
    private readonly List<NflogPacket> _pending = [];
    private readonly CancellationTokenSource _disposing = new();
    private uint _nextRequest = 1;
    private long _overruns;
    private long _lost;
    private long _unparsed;
    private long _received;
    private int _streaming;
    private int _disposed;
    private TaskCompletionSource? _pumpDone;

    private NflogReader(NetlinkSocketHandle socket, IReadOnlyList<ushort> groups, NflogReaderOptions options)
    {
        _socket = socket;
        Groups = groups;
        _options = options;
        _buffer = new byte[Math.Max(1 << 16, (int)Math.Min(options.BatchBufferSize, 1u << 20) * 2)];
    }

    /// <summary>The groups this reader is bound to.</summary>
    public IReadOnlyList<ushort> Groups { get; }

    /// <summary>How many times the socket overflowed (ENOBUFS, or NLMSG_OVERRUN): each time, the kernel dropped at
    /// least one batch.</summary>
    public long Overruns => Interlocked.Read(ref _overruns);

    /// <summary>How many packets the kernel logged that never arrived (gaps in its per-group sequence numbers).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>How many packet messages carried no readable IP header (skipped).</summary>
    public long Unparsed => Interlocked.Read(ref _unparsed);

    /// <summary>How many packets the reader has handed out or holds.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Opens a reader bound to <paramref name="groups"/> in the calling thread's network namespace.</summary>
    /// <exception cref="ArgumentException">No groups.</exception>
    /// <exception cref="BackendUnavailableException">The socket cannot be opened or a group cannot be bound (in use by
    /// another reader, no CAP_NET_ADMIN, no nfnetlink_log in the kernel).</exception>
    public static NflogReader Open(IReadOnlyCollection<ushort> groups, NflogReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0)
        {
            throw new ArgumentException("At least one NFLOG group is needed.", nameof(groups));
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The NFLOG reader reads netlink headers as little endian (host byte order on x64 and arm64).");
        }

        options ??= new NflogReaderOptions();
        var distinct = groups.Distinct().Order().ToList();
        NetlinkSocketHandle socket;
        try
        {
            socket = NetlinkSocketHandle.Open(NetlinkNetfilter, options.ReceiveBufferSize);
        }
        catch (IOException ex)
        {
            throw new BackendUnavailableException("nftables", $"NFLOG: {ex.Message}", ex);
        }

        var reader = new NflogReader(socket, distinct, options);
        try
        {
            reader.Configure();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Opens a reader bound to <paramref name="groups"/> in the network namespace <paramref name="networkNamespace"/>
    /// (a name under /run/netns, or a path); the socket stays there whichever thread reads it.</summary>
    /// <exception cref="BackendUnavailableException">As <see cref="Open(IReadOnlyCollection{ushort}, NflogReaderOptions?)"/>,
    /// or the namespace cannot be entered.</exception>
    public static NflogReader Open(IReadOnlyCollection<ushort> groups, string networkNamespace, NflogReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(networkNamespace);
        NflogReader? reader = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                NamespaceThread.Enter(networkNamespace);
                reader = Open(groups, options);
            }
            catch (Exception ex)
            {
                error = ex;
            }
        })
        {
            IsBackground = true,
            Name = "nflog open",
        };
        thread.Start();
        thread.Join();
        return error switch
        {
            null => reader!,
            BackendUnavailableException or ArgumentException => throw error,
            _ => throw new BackendUnavailableException("nftables", $"cannot open an NFLOG reader in network namespace {networkNamespace}: {error.Message}", error),
        };
    }

    /// <summary>Waits up to <paramref name="timeout"/> for packets and appends those that have arrived (a bounded number
    /// of datagrams per call) to <paramref name="into"/>.</summary>
    /// <param name="into">Where packets are appended.</param>
    /// <param name="timeout">How long to wait for the first; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <returns>How many packets were appended; 0 when the timeout passed first.</returns>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    /// <exception cref="IOException">The socket failed.</exception>
    public int Read(List<NflogPacket> into, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(into);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var start = into.Count;
        if (_pending.Count > 0)
        {
            into.AddRange(_pending);
            _pending.Clear();
        }

        var infinite = timeout == Timeout.InfiniteTimeSpan;
        var deadline = Stopwatch.GetTimestamp() + (infinite ? 0 : (long)(Math.Max(0, timeout.TotalSeconds) * Stopwatch.Frequency));
        var added = false;
        _socket.DangerousAddRef(ref added);
        try
        {
            var fd = (int)_socket.DangerousGetHandle();
            while (true)
            {
                if (into.Count > start)
                {
                    // Whatever else is there already, without waiting.
                    ReceiveAvailable(fd, into, 0);
                    return into.Count - start;
                }

                // Waits in slices, so that a reader disposed meanwhile stops waiting (its socket closes once this returns).
                if (Volatile.Read(ref _disposed) != 0)
                {
                    return into.Count - start;
                }

                var remaining = infinite ? MaxWaitSlice : (int)Math.Ceiling(Math.Max(0, deadline - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency);
                if (!WaitReadable(fd, Math.Min(remaining, MaxWaitSlice)))
                {
                    if (infinite || remaining > MaxWaitSlice)
                    {
                        continue;
                    }

                    return into.Count - start;
                }

                ReceiveAvailable(fd, into, 0);
                if (into.Count == start && !infinite && Stopwatch.GetTimestamp() >= deadline)
                {
                    return 0;
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

    /// <summary>Streams packets until <paramref name="cancellationToken"/> is cancelled or the reader is disposed, reading
    /// on a dedicated thread into a bounded buffer (when the consumer falls behind, the kernel drops batches and
    /// <see cref="Lost"/> counts them; nothing queues without bound).</summary>
    /// <exception cref="InvalidOperationException">Already streaming.</exception>
    public async IAsyncEnumerable<NflogPacket> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _streaming, 1) != 0)
        {
            throw new InvalidOperationException("This NFLOG reader is already streaming; a reader has one consumer.");
        }

        var channel = Channel.CreateBounded<NflogPacket>(new BoundedChannelOptions(StreamCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pumpDone = done;
        var thread = new Thread(() => Pump(channel.Writer, done, stop.Token))
        {
            IsBackground = true,
            Name = "nflog reader",
        };
        thread.Start();
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var packet))
                {
                    yield return packet;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await done.Task.ConfigureAwait(false);
            Volatile.Write(ref _streaming, 0);
        }
    }

    /// <summary>Unbinds the groups and closes the socket.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _disposing.Cancel();
        _pumpDone?.Task.Wait(TimeSpan.FromSeconds(5));
        if (!_socket.IsInvalid && !_socket.IsClosed)
        {
            // Closing the socket destroys its groups too; unbinding first says so explicitly. Best effort.
            foreach (var group in Groups)
            {
                TrySend(NflogWire.BuildConfig(_nextRequest++, AfUnspec, group, new NflogConfig(Command: NflogWire.CommandUnbind), ack: false));
            }
        }

        _socket.Dispose();
        _disposing.Dispose();
    }

    private void Pump(ChannelWriter<NflogPacket> writer, TaskCompletionSource done, CancellationToken stop)
    {
        var batch = new List<NflogPacket>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                batch.Clear();
                Read(batch, s_streamSlice);
                foreach (var packet in batch)
                {
                    while (!writer.TryWrite(packet))
                    {
                        if (!writer.WaitToWriteAsync(stop).AsTask().GetAwaiter().GetResult())
                        {
                            return;
                        }
                    }
                }
            }

            writer.TryComplete();
        }
        catch (Exception ex) when (ex is OperationCanceledException || (ex is ObjectDisposedException && Volatile.Read(ref _disposed) != 0))
        {
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
        finally
        {
            done.TrySetResult();
        }
    }

    private void Configure()
    {
        if (_options.BindProtocolFamilies)
        {
            foreach (var family in new[] { AfInet, AfInet6 })
            {
                Request(family, 0, new NflogConfig(Command: NflogWire.CommandPfUnbind), throwOnError: false);
                Request(family, 0, new NflogConfig(Command: NflogWire.CommandPfBind), throwOnError: true);
            }
        }

        foreach (var group in Groups)
        {
            Request(AfUnspec, group, new NflogConfig(
                Command: NflogWire.CommandBind,
                CopyMode: NflogWire.CopyPacket,
                CopyRange: _options.CopyRange,
                FlushTimeout: _options.FlushTimeout,
                BufferSize: _options.BatchBufferSize,
                QueueThreshold: _options.QueueThreshold,
                Flags: NflogWire.ConfigFlagSequence), throwOnError: true);
        }
    }

    /// <summary>Sends one configuration request and waits for its acknowledgement; packets of groups already bound that
    /// arrive meanwhile are kept for the first <see cref="Read"/>.</summary>
    private void Request(byte family, ushort group, NflogConfig config, bool throwOnError)
    {
        var sequence = _nextRequest++;
        var message = NflogWire.BuildConfig(sequence, family, group, config, ack: true);
        var sent = TrySend(message);
        if (sent != 0)
        {
            throw Unavailable(group, config, sent);
        }

        var fd = (int)_socket.DangerousGetHandle();
        var deadline = Stopwatch.GetTimestamp() + (long)(s_ackTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var wait = (int)Math.Ceiling(Math.Max(0, deadline - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency);
            if (!WaitReadable(fd, wait))
            {
                break;
            }

            var answer = ReceiveAvailable(fd, _pending, sequence);
            if (answer is { } errno)
            {
                if (errno != 0 && throwOnError)
                {
                    throw Unavailable(group, config, errno);
                }

                return;
            }
        }

        throw new BackendUnavailableException("nftables", $"the kernel did not answer an NFLOG configuration request within {s_ackTimeout.TotalSeconds:0} s.");
    }

    private static BackendUnavailableException Unavailable(ushort group, NflogConfig config, int errno)
    {
        var what = config.Command switch
        {
            NflogWire.CommandBind => $"cannot bind NFLOG group {group}",
            NflogWire.CommandPfBind => "cannot bind nfnetlink_log to a protocol family",
            _ => "an NFLOG configuration request failed",
        };
        var why = errno switch
        {
            1 => "another reader holds the group in this network namespace (another netpolhost, ulogd, tcpdump -i nflog), or this process lacks CAP_NET_ADMIN",
            16 => "this reader already holds it",
            2 or 19 or 22 or 93 or 95 or 524 => "the kernel lacks nfnetlink_log (module nfnetlink_log)",
            _ => "the kernel refused",
        };
        return new BackendUnavailableException("nftables", $"{what}: {why} (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
    }

    /// <summary>Receives the datagrams already queued (at most a bounded number), adding packets to <paramref name="into"/>;
    /// returns the errno of the acknowledgement of request <paramref name="awaited"/> if one came (0 for none awaited).</summary>
    private int? ReceiveAvailable(int fd, List<NflogPacket> into, uint awaited)
    {
        int? answer = null;
        for (var i = 0; i < MaxDatagramsPerRead; i++)
        {
            nint length;
            unsafe
            {
                fixed (byte* buffer = _buffer)
                {
                    length = Recv(fd, buffer, (nuint)_buffer.Length, MsgDontWait);
                }
            }

            if (length < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                switch (errno)
                {
                    case EIntr:
                        continue;
                    case EAgain:
                        return answer;
                    case ENoBufs:
                        Interlocked.Increment(ref _overruns);
                        continue;
                    default:
                        throw new IOException($"Reading the NFLOG socket failed (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
                }
            }

            if (length == 0)
            {
                return answer;
            }

            var received = _options.TimeProvider.GetUtcNow();
            ReadOnlySpan<byte> datagram = _buffer.AsSpan(0, (int)length);
            while (NflogWire.TryReadMessage(ref datagram, out var type, out _, out _, out var payload))
            {
                switch (type)
                {
                    case NflogWire.MessagePacket:
                        if (NflogWire.TryReadPacket(payload, received, _prefixes, out var packet, out var sequence))
                        {
                            into.Add(packet!);
                            Interlocked.Increment(ref _received);
                            if (sequence is { } s)
                            {
                                CountGap(packet!.Group, s);
                            }
                        }
                        else
                        {
                            Interlocked.Increment(ref _unparsed);
                        }

                        break;
                    case NflogWire.MessageError:
                        if (awaited != 0 && NflogWire.TryReadError(payload, out var error, out var request) && request == awaited)
                        {
                            answer = error;
                        }

                        break;
                    case NflogWire.MessageOverrun:
                        Interlocked.Increment(ref _overruns);
                        break;
                    default:
                        // NLMSG_DONE closes a batch of several; NLMSG_NOOP carries nothing.
                        break;
                }
            }
        }

        return answer;
    }

    private void CountGap(ushort group, uint sequence)
    {
        if (_lastSequence.TryGetValue(group, out var last))
        {
            var gap = sequence - last - 1;
            if (gap is > 0 and < 1u << 31)
            {
                Interlocked.Add(ref _lost, gap);
            }
        }
        else if (sequence is > 0 and < 1u << 31)
        {
            // The kernel numbers each group from 0 when it is bound.
            Interlocked.Add(ref _lost, sequence);
        }

        _lastSequence[group] = sequence;
    }

    private static bool WaitReadable(int fd, int timeoutMilliseconds)
    {
        while (true)
        {
            int ready;
            var poll = new PollFd { Fd = fd, Events = PollIn };
            unsafe
            {
                ready = Poll(&poll, 1, timeoutMilliseconds);
            }

            if (ready >= 0)
            {
                return ready > 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                throw new IOException($"Waiting on the NFLOG socket failed (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}).");
            }
        }
    }

    /// <summary>Sends a message to the kernel; returns 0 or the errno.</summary>
    private int TrySend(byte[] message)
    {
        var added = false;
        _socket.DangerousAddRef(ref added);
        try
        {
            var kernel = new SockaddrNl { Family = AfNetlink };
            nint sent;
            unsafe
            {
                fixed (byte* buffer = message)
                {
                    sent = SendTo((int)_socket.DangerousGetHandle(), buffer, (nuint)message.Length, 0, &kernel, (uint)sizeof(SockaddrNl));
                }
            }

            return sent < 0 ? Marshal.GetLastPInvokeError() : 0;
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
