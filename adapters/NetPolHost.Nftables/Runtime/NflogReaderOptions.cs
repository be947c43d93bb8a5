namespace NetPolHost.Nftables.Runtime;

/// <summary>How <see cref="NflogReader"/> asks the kernel to deliver NFLOG packets.</summary>
internal sealed record NflogReaderOptions
{
    /// <summary>Bytes copied of each packet, from the IP header on. <value>128: the IP header with options or a few
    /// IPv6 extension headers, and the ports.</value></summary>
    public uint CopyRange { get; init; } = 128;

    /// <summary>The longest the kernel holds a batch before sending it, in hundredths of a second. <value>1 (10 ms),
    /// so events arrive promptly.</value></summary>
    public uint FlushTimeout { get; init; } = 1;

    /// <summary>How many packets make a batch the kernel sends at once (fewer system calls under load; the flush
    /// timeout bounds the wait when traffic is light). <value>32.</value></summary>
    public uint QueueThreshold { get; init; } = 32;

    /// <summary>The size of the kernel's batch buffer per group, in bytes. <value>32768.</value></summary>
    public uint BatchBufferSize { get; init; } = 32768;

    /// <summary>The socket receive buffer asked for (SO_RCVBUFFORCE, falling back to SO_RCVBUF, which
    /// net.core.rmem_max caps); a full buffer drops batches, counted in <see cref="NflogReader.Overruns"/> and
    /// <see cref="NflogReader.Lost"/>. <value>4 MiB.</value></summary>
    public int ReceiveBufferSize { get; init; } = 4 << 20;

    /// <summary>Whether to send NFULNL_CFG_CMD_PF_UNBIND and PF_BIND for IPv4 and IPv6 first. <value>false.</value></summary>
    /// <remarks>Kernels before 3.17 routed every NFLOG packet through the logger bound to the protocol family, so
    /// readers had to bind it. Later kernels route <c>log group</c> packets without it, and PF_BIND still makes
    /// nfnetlink_log the namespace's default logger (of conntrack's invalid-packet messages, for one) in place of
    /// whatever the administrator chose, and nothing binds the old one back: off unless asked for.</remarks>
    public bool BindProtocolFamilies { get; init; }

    /// <summary>The clock of packets that carry no kernel timestamp. <value><see cref="TimeProvider.System"/>.</value></summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
