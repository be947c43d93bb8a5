using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NetPolHost.Model;
using NetPolHost.Nftables.Interop;

namespace NetPolHost.Nftables.Runtime;

/// <summary>Lists and deletes connection tracking entries in-process over ctnetlink (the interface the conntrack
/// program uses), deleting many entries per datagram; local addresses come from rtnetlink.</summary>
internal sealed class NetlinkConntrack : IConntrack, IDisposable
{
    private const int NetlinkRoute = 0;
    private const ushort FlagRequest = NflogWire.FlagRequest;
    private const ushort FlagAck = NflogWire.FlagAck;
    private const ushort FlagDump = 0x300;
    private const ushort NestedFlag = 0x8000;
    private const ushort TypeMask = 0x3fff;

    // ctnetlink: subsystem 1; IPCTNL_MSG_CT_NEW 0, _GET 1, _DELETE 2.
    private const ushort MessageConntrackNew = 1 << 8;
    private const ushort MessageConntrackGet = (1 << 8) | 1;
    private const ushort MessageConntrackDelete = (1 << 8) | 2;

    // enum ctattr_type, ctattr_tuple, ctattr_ip, ctattr_l4proto.
    private const ushort TupleOriginal = 1;
    private const ushort TupleReply = 2;
    private const ushort TupleIp = 1;
    private const ushort TupleProtocol = 2;
    private const ushort IPv4Source = 1;
    private const ushort IPv4Destination = 2;
    private const ushort IPv6Source = 3;
    private const ushort IPv6Destination = 4;
    private const ushort ProtocolNumber = 1;
    private const ushort ProtocolSourcePort = 2;
    private const ushort ProtocolDestinationPort = 3;

    // rtnetlink: RTM_NEWADDR 20, RTM_GETADDR 22; IFA_ADDRESS 1, IFA_LOCAL 2.
    private const ushort MessageNewAddress = 20;
    private const ushort MessageGetAddress = 22;
    private const ushort AddressAttribute = 1;
    private const ushort LocalAttribute = 2;

    private const byte FamilyIPv4 = 2;
    private const byte FamilyIPv6 = 10;
    private const int ENoEnt = 2;

    private readonly NetlinkChannel _conntrack;
    private readonly NetlinkChannel _route;

    private NetlinkConntrack(NetlinkChannel conntrack, NetlinkChannel route)
    {
        _conntrack = conntrack;
        _route = route;
    }

    /// <summary>Opens the two netlink sockets in <paramref name="networkNamespace"/> (or the caller's namespace).</summary>
    /// <exception cref="IOException">A socket cannot be opened (no CAP_NET_ADMIN, or no such namespace).</exception>
    public static NetlinkConntrack Open(string? networkNamespace)
    {
        var conntrack = NetlinkChannel.Open(NetlinkSockets.NetlinkNetfilter, networkNamespace);
        try
        {
            return new NetlinkConntrack(conntrack, NetlinkChannel.Open(NetlinkRoute, networkNamespace));
        }
        catch
        {
            conntrack.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<ConntrackEntry> List()
    {
        var entries = new List<ConntrackEntry>();
        foreach (var family in new[] { FamilyIPv4, FamilyIPv6 })
        {
            _conntrack.Dump(Request(MessageConntrackGet, (ushort)(FlagRequest | FlagDump), family, []), (type, payload) =>
            {
                if (type == MessageConntrackNew && ParseEntry(payload) is { } entry)
                {
                    entries.Add(entry);
                }
            });
        }

        return entries;
    }

    /// <inheritdoc/>
    public int Delete(IReadOnlyList<ConntrackEntry> entries)
    {
        if (entries.Count == 0)
        {
            return 0;
        }

        var results = _conntrack.SendAll(entries.Select(DeleteRequest).ToList());
        var deleted = 0;
        foreach (var errno in results)
        {
            switch (errno)
            {
                case 0:
                    deleted++;
                    break;
                case ENoEnt:
                    // Gone meanwhile (the connection ended): nothing to do.
                    break;
                default:
                    throw new IOException($"the kernel refused to delete a connection tracking entry (errno {errno}).");
            }
        }

        return deleted;
    }

    /// <inheritdoc/>
    public IReadOnlySet<IPAddress> LocalAddresses()
    {
        var addresses = new HashSet<IPAddress>();
        _route.Dump(AddressRequest(), (type, payload) =>
        {
            if (type == MessageNewAddress && ParseAddress(payload) is { } address)
            {
                addresses.Add(address);
            }
        });
        return addresses;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _conntrack.Dispose();
        _route.Dispose();
    }

    /// <summary>The IPCTNL_MSG_CT_DELETE request of an entry: its original tuple.</summary>
    internal static byte[] DeleteRequest(ConntrackEntry entry)
    {
        var v6 = entry.Source.AddressFamily == AddressFamily.InterNetworkV6;
        var ip = Nested(TupleIp,
            Attribute(v6 ? IPv6Source : IPv4Source, entry.Source.GetAddressBytes()),
            Attribute(v6 ? IPv6Destination : IPv4Destination, entry.Destination.GetAddressBytes()));
        var protocol = Nested(TupleProtocol,
            Attribute(ProtocolNumber, [ProtocolNumberOf(entry.Protocol)]),
            Attribute(ProtocolSourcePort, BigEndian16(entry.SourcePort)),
            Attribute(ProtocolDestinationPort, BigEndian16(entry.DestinationPort)));
        return Request(MessageConntrackDelete, (ushort)(FlagRequest | FlagAck), v6 ? FamilyIPv6 : FamilyIPv4, Nested(TupleOriginal, ip, protocol));
    }

    /// <summary>Reads a conntrack message (nfgenmsg and attributes) into an entry; null for protocols other than TCP,
    /// UDP and SCTP, or a malformed message.</summary>
    internal static ConntrackEntry? ParseEntry(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            return null;
        }

        Tuple original = default, reply = default;
        foreach (var (type, value) in Attributes(payload[4..]))
        {
            if (type == TupleOriginal)
            {
                original = ParseTuple(value);
            }
            else if (type == TupleReply)
            {
                reply = ParseTuple(value);
            }
        }

        var protocol = original.Protocol switch
        {
            6 => Protocol.Tcp,
            17 => Protocol.Udp,
            132 => Protocol.Sctp,
            _ => (Protocol?)null,
        };
        return protocol is { } p && original.Source is { } s && original.Destination is { } d && reply.Source is { } rs
            && original.SourcePort is { } sp && original.DestinationPort is { } dp && reply.SourcePort is { } rsp
            ? new ConntrackEntry(p, s, d, sp, dp, rs, rsp)
            : null;
    }

    /// <summary>Reads an RTM_NEWADDR message: the local address (IFA_LOCAL, else IFA_ADDRESS).</summary>
    internal static IPAddress? ParseAddress(ReadOnlySpan<byte> payload)
    {
        // struct ifaddrmsg: family, prefix length, flags, scope, interface index (8 bytes).
        if (payload.Length < 8)
        {
            return null;
        }

        IPAddress? address = null, local = null;
        foreach (var (type, value) in Attributes(payload[8..]))
        {
            if (value.Length is 4 or 16)
            {
                if (type == LocalAttribute)
                {
                    local = new IPAddress(value);
                }
                else if (type == AddressAttribute)
                {
                    address = new IPAddress(value);
                }
            }
        }

        return local ?? address;
    }

    private static Tuple ParseTuple(byte[] tuple)
    {
        var result = default(Tuple);
        foreach (var (type, value) in Attributes(tuple))
        {
            if (type == TupleIp)
            {
                foreach (var (ipType, ip) in Attributes(value))
                {
                    switch (ipType)
                    {
                        case IPv4Source when ip.Length == 4:
                        case IPv6Source when ip.Length == 16:
                            result.Source = new IPAddress(ip);
                            break;
                        case IPv4Destination when ip.Length == 4:
                        case IPv6Destination when ip.Length == 16:
                            result.Destination = new IPAddress(ip);
                            break;
                    }
                }
            }
            else if (type == TupleProtocol)
            {
                foreach (var (protocolType, field) in Attributes(value))
                {
                    switch (protocolType)
                    {
                        case ProtocolNumber when field.Length >= 1:
                            result.Protocol = field[0];
                            break;
                        case ProtocolSourcePort when field.Length >= 2:
                            result.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(field);
                            break;
                        case ProtocolDestinationPort when field.Length >= 2:
                            result.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(field);
                            break;
                    }
                }
            }
        }

        return result;
    }

    /// <summary>The attributes of a run of netlink attributes (type without the nested and byte-order flags).</summary>
    private static List<(ushort Type, byte[] Value)> Attributes(ReadOnlySpan<byte> data)
    {
        var attributes = new List<(ushort, byte[])>();
        while (data.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(data);
            if (length < 4 || length > data.Length)
            {
                break;
            }

            attributes.Add(((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data[2..]) & TypeMask), data[4..length].ToArray()));
            data = data[Math.Min((length + 3) & ~3, data.Length)..];
        }

        return attributes;
    }

    private static byte[] Request(ushort type, ushort flags, byte family, byte[] attributes)
    {
        var message = new byte[16 + 4 + attributes.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), flags);
        message[16] = family;
        attributes.CopyTo(message, 20);
        return message;
    }

    private static byte[] AddressRequest()
    {
        var message = new byte[16 + 8];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), MessageGetAddress);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), FlagRequest | FlagDump);
        return message;
    }

    private static byte[] Attribute(ushort type, byte[] value)
    {
        var attribute = new byte[(4 + value.Length + 3) & ~3];
        BinaryPrimitives.WriteUInt16LittleEndian(attribute, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(attribute.AsSpan(2), type);
        value.CopyTo(attribute, 4);
        return attribute;
    }

    private static byte[] Nested(ushort type, params byte[][] children) => Attribute((ushort)(type | NestedFlag), [.. children.SelectMany(c => c)]);

    private static byte ProtocolNumberOf(Protocol protocol) => protocol switch
    {
        Protocol.Tcp => 6,
        Protocol.Udp => 17,
        Protocol.Sctp => 132,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "conntrack entries are cut for TCP, UDP and SCTP only"),
    };

    private static byte[] BigEndian16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    private struct Tuple
    {
        public IPAddress? Source;
        public IPAddress? Destination;
        public int? SourcePort;
        public int? DestinationPort;
        public byte? Protocol;
    }
}
