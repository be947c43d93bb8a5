using System.Buffers.Binary;
using System.Text;

namespace NetPolHost.Nftables.Runtime;

/// <summary>
/// The netlink messages of nfnetlink_log (NFLOG), built and read as plain bytes: configuration requests to the kernel
/// and the packet messages it sends back.
/// </summary>
/// <remarks>
/// Layouts from the kernel's UAPI headers (linux/netlink.h, linux/netfilter/nfnetlink.h, nfnetlink_log.h): a message
/// is a 16-byte header (length, type, flags, sequence, port id; host byte order) padded to 4 bytes, several to a
/// datagram; an nfnetlink message starts with a 4-byte nfgenmsg (family, version 0, resource id = the group, big
/// endian) followed by attributes (length, type; host order), each padded to 4 bytes. NFLOG's message types are
/// subsystem 4 (ULOG) shifted left by 8, plus 0 (packet) or 1 (config). Values inside NFLOG attributes are big endian.
/// </remarks>
internal static class NflogWire
{
    public const int HeaderLength = 16;
    public const ushort MessagePacket = (4 << 8) | 0;
    public const ushort MessageConfig = (4 << 8) | 1;
    public const ushort MessageNoop = 1;
    public const ushort MessageError = 2;
    public const ushort MessageDone = 3;
    public const ushort MessageOverrun = 4;
    public const ushort FlagRequest = 0x01;
    public const ushort FlagAck = 0x04;

    // nfulnl_msg_config_cmds
    public const byte CommandBind = 1;
    public const byte CommandUnbind = 2;
    public const byte CommandPfBind = 3;
    public const byte CommandPfUnbind = 4;

    public const byte CopyPacket = 2;
    public const ushort ConfigFlagSequence = 0x0001;

    // nfulnl_attr_config
    private const ushort ConfigCommand = 1;
    private const ushort ConfigMode = 2;
    private const ushort ConfigBufferSize = 3;
    private const ushort ConfigTimeout = 4;
    private const ushort ConfigQueueThreshold = 5;
    private const ushort ConfigFlags = 6;

    // nfulnl_attr_type
    private const ushort AttributePacketHeader = 1;
    private const ushort AttributeTimestamp = 3;
    private const ushort AttributeInDevice = 4;
    private const ushort AttributeOutDevice = 5;
    private const ushort AttributePayload = 9;
    private const ushort AttributePrefix = 10;
    private const ushort AttributeSequence = 12;
    private const ushort AttributeTypeMask = 0x3fff;

    /// <summary>Rounds up to the 4-byte alignment of netlink messages and attributes.</summary>
    public static int Align(int length) => (length + 3) & ~3;

    /// <summary>Builds one NFULNL_MSG_CONFIG request.</summary>
    /// <param name="sequence">The request's sequence number (its acknowledgement carries it back).</param>
    /// <param name="family">The nfgenmsg family: AF_UNSPEC for group commands, AF_INET/AF_INET6 for PF_(UN)BIND.</param>
    /// <param name="group">The group (resource id); 0 for PF_(UN)BIND.</param>
    /// <param name="config">The attributes to send.</param>
    /// <param name="ack">Whether the kernel should acknowledge it.</param>
    public static byte[] BuildConfig(uint sequence, byte family, ushort group, NflogConfig config, bool ack)
    {
        var attributes = new List<(ushort Type, byte[] Value)>();
        if (config.Command is { } command)
        {
            attributes.Add((ConfigCommand, [command]));
        }

        if (config.CopyMode is { } mode)
        {
            var value = new byte[6];
            BinaryPrimitives.WriteUInt32BigEndian(value, config.CopyRange);
            value[4] = mode;
            attributes.Add((ConfigMode, value));
        }

        if (config.FlushTimeout is { } timeout)
        {
            attributes.Add((ConfigTimeout, BigEndian32(timeout)));
        }

        if (config.BufferSize is { } size)
        {
            attributes.Add((ConfigBufferSize, BigEndian32(size)));
        }

        if (config.QueueThreshold is { } threshold)
        {
            attributes.Add((ConfigQueueThreshold, BigEndian32(threshold)));
        }

        if (config.Flags is { } flags)
        {
            var value = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(value, flags);
            attributes.Add((ConfigFlags, value));
        }

        var length = HeaderLength + 4 + attributes.Sum(a => Align(4 + a.Value.Length));
        var message = new byte[length];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], MessageConfig);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], (ushort)(FlagRequest | (ack ? FlagAck : 0)));
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], sequence);
        span[16] = family;
        span[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(span[18..], group);
        var offset = HeaderLength + 4;
        foreach (var (type, value) in attributes)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[offset..], (ushort)(4 + value.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(span[(offset + 2)..], type);
            value.CopyTo(span[(offset + 4)..]);
            offset += Align(4 + value.Length);
        }

        return message;
    }

    /// <summary>Takes the next message off the front of a datagram; false when no whole message is left.</summary>
    public static bool TryReadMessage(ref ReadOnlySpan<byte> datagram, out ushort type, out ushort flags, out uint sequence, out ReadOnlySpan<byte> payload)
    {
        type = 0;
        flags = 0;
        sequence = 0;
        payload = default;
        if (datagram.Length < HeaderLength)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(datagram);
        if (length < HeaderLength || length > (uint)datagram.Length)
        {
            return false;
        }

        type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
        flags = BinaryPrimitives.ReadUInt16LittleEndian(datagram[6..]);
        sequence = BinaryPrimitives.ReadUInt32LittleEndian(datagram[8..]);
        payload = datagram[HeaderLength..(int)length];
        var next = Math.Min(Align((int)length), datagram.Length);
        datagram = datagram[next..];
        return true;
    }

    /// <summary>Reads an NLMSG_ERROR payload: the errno (positive; 0 for an acknowledgement) and the sequence number of
    /// the request it answers.</summary>
    public static bool TryReadError(ReadOnlySpan<byte> payload, out int errno, out uint requestSequence)
    {
        errno = 0;
        requestSequence = 0;
        if (payload.Length < 4 + HeaderLength)
        {
            return false;
        }

        errno = -BinaryPrimitives.ReadInt32LittleEndian(payload);
        requestSequence = BinaryPrimitives.ReadUInt32LittleEndian(payload[(4 + 8)..]);
        return true;
    }

    /// <summary>Reads an NFULNL_MSG_PACKET payload (after the netlink header) into a packet.</summary>
    /// <param name="payload">The nfgenmsg and attributes.</param>
    /// <param name="received">When the reader received it: the time of packets that carry no timestamp.</param>
    /// <param name="prefixes">Decodes prefixes (reusing strings), or null to decode each one.</param>
    /// <param name="packet">The packet, when its payload holds an IP header.</param>
    /// <param name="sequence">The instance's sequence number of the packet (NFULA_SEQ), when present.</param>
    /// <returns>False when the message is malformed or carries no IP header to read.</returns>
    public static bool TryReadPacket(ReadOnlySpan<byte> payload, DateTimeOffset received, PrefixCache? prefixes, out NflogPacket? packet, out uint? sequence)
    {
        packet = null;
        sequence = null;
        if (payload.Length < 4)
        {
            return false;
        }

        var group = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        var attributes = payload[4..];
        byte hook = 0;
        DateTimeOffset? time = null;
        int inDevice = 0, outDevice = 0;
        ReadOnlySpan<byte> ip = default;
        ReadOnlySpan<byte> prefix = default;
        while (attributes.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]) & AttributeTypeMask);
            if (length < 4 || length > attributes.Length)
            {
                return false;
            }

            var value = attributes[4..length];
            switch (type)
            {
                case AttributePacketHeader when value.Length >= 3:
                    hook = value[2];
                    break;
                case AttributeTimestamp when value.Length >= 16:
                    var seconds = BinaryPrimitives.ReadInt64BigEndian(value);
                    var microseconds = BinaryPrimitives.ReadInt64BigEndian(value[8..]);
                    if (seconds > 0 && seconds < 253_402_300_799 && microseconds is >= 0 and < 1_000_000)
                    {
                        time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(microseconds * 10);
                    }

                    break;
                case AttributeInDevice when value.Length >= 4:
                    inDevice = BinaryPrimitives.ReadInt32BigEndian(value);
                    break;
                case AttributeOutDevice when value.Length >= 4:
                    outDevice = BinaryPrimitives.ReadInt32BigEndian(value);
                    break;
                case AttributePayload:
                    ip = value;
                    break;
                case AttributePrefix:
                    var end = value.IndexOf((byte)0);
                    prefix = end < 0 ? value : value[..end];
                    break;
                case AttributeSequence when value.Length >= 4:
                    sequence = BinaryPrimitives.ReadUInt32BigEndian(value);
                    break;
                default:
                    break;
            }

            attributes = attributes[Math.Min(Align(length), attributes.Length)..];
        }

        if (!IpHeaderSummary.TryParse(ip, out var summary))
        {
            return false;
        }

        packet = new NflogPacket(
            group, prefixes?.Get(prefix) ?? Encoding.UTF8.GetString(prefix), time ?? received, summary.Source, summary.Destination,
            summary.Protocol, summary.SourcePort, summary.DestinationPort, inDevice, outDevice, summary.Length)
        {
            IcmpType = summary.IcmpType,
            IcmpCode = summary.IcmpCode,
            Hook = hook,
        };
        return true;
    }

    private static byte[] BigEndian32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>Decodes prefixes, keeping a bounded number of decoded strings so that a busy rule's prefix is not
    /// allocated again for each packet.</summary>
    internal sealed class PrefixCache
    {
        private const int Slots = 64;
        private readonly (byte[] Bytes, string Text)?[] _slots = new (byte[], string)?[Slots];

        public string Get(ReadOnlySpan<byte> prefix)
        {
            if (prefix.IsEmpty)
            {
                return string.Empty;
            }

            var hash = default(HashCode);
            hash.AddBytes(prefix);
            var slot = (int)((uint)hash.ToHashCode() % Slots);
            if (_slots[slot] is { } entry && prefix.SequenceEqual(entry.Bytes))
            {
                return entry.Text;
            }

            var text = Encoding.UTF8.GetString(prefix);
            _slots[slot] = (prefix.ToArray(), text);
            return text;
        }
    }
}
