namespace NetPolHost.Nftables.Runtime;

/// <summary>The attributes of one NFLOG configuration request; null members are not sent.</summary>
/// <param name="Command">An <c>NFULNL_CFG_CMD_*</c> command.</param>
/// <param name="CopyMode">The copy mode (<see cref="NflogWire.CopyPacket"/>: the packet's first bytes).</param>
/// <param name="CopyRange">How many bytes of each packet to copy, with <paramref name="CopyMode"/>.</param>
/// <param name="FlushTimeout">The longest the kernel holds a batch, in hundredths of a second.</param>
/// <param name="BufferSize">The size of the kernel's batch buffer, in bytes.</param>
/// <param name="QueueThreshold">How many packets make a batch that the kernel sends at once.</param>
/// <param name="Flags"><c>NFULNL_CFG_F_*</c> flags.</param>
internal readonly record struct NflogConfig(
    byte? Command = null, byte? CopyMode = null, uint CopyRange = 0, uint? FlushTimeout = null, uint? BufferSize = null,
    uint? QueueThreshold = null, ushort? Flags = null);
