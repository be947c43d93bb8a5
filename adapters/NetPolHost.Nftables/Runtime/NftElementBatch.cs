using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NetPolHost.Nftables.Runtime;

/// <summary>The elements added to or deleted from one set or verdict map of the owned table.</summary>
/// <param name="Set">The set's name.</param>
/// <param name="Delete">Whether the elements are deleted (else added).</param>
/// <param name="Keys">The elements' keys in network byte order (4 or 16 bytes each).</param>
/// <param name="Data">For maps being added to, each element's verdict (code, and chain for jump/goto); else empty.</param>
/// <param name="Comments">Each element's comment, or null; empty when no element has one.</param>
internal sealed record NftElementChange(string Set, bool Delete, byte[][] Keys, (int Code, string? Chain)[] Data, string?[] Comments);

/// <summary>
/// Element changes of plain address sets and address verdict maps (no intervals, no concatenations) written as one
/// nf_tables netlink transaction, without libnftables. nft 1.0.6 fills its cache before every transaction whatever the
/// commands need (tables, chains, sets, the elements of every interval set of the table, objects: about 50 netlink dumps
/// on a 110-pod node) and the kernel's generation changes with each commit, so a context cannot keep it; a one-pod
/// change needs none of it. Anything else (rules, chains, interval or concatenated sets, dry runs) goes through nft.
/// </summary>
internal static class NftElementBatch
{
    private const ushort SubsysNftables = 10;
    private const ushort BatchBegin = 16;
    private const ushort BatchEnd = 17;
    private const ushort NewSetElem = 12;
    private const ushort DelSetElem = 14;
    private const ushort NlmFRequest = NflogWire.FlagRequest;
    private const ushort NlmFAck = NflogWire.FlagAck;
    private const ushort NlmFCreate = 0x400;
    private const ushort NlaFNested = 0x8000;
    private const byte NfprotoInet = 1;

    /// <summary>At most this many elements go in one message (a netlink attribute holds at most 64 KiB).</summary>
    public const int ElementsPerMessage = 200;

    // enum nft_set_elem_list_attributes, nft_set_elem_attributes, nft_data_attributes, nft_verdict_attributes
    private const ushort ListTable = 1;
    private const ushort ListSet = 2;
    private const ushort ListElements = 3;
    private const ushort ListElem = 1;
    private const ushort ElemKey = 1;
    private const ushort ElemData = 2;
    private const ushort ElemUserData = 6;
    private const ushort DataValue = 1;
    private const ushort DataVerdict = 2;
    private const ushort VerdictCode = 1;
    private const ushort VerdictChain = 2;

    /// <summary>The changes of <paramref name="set"/> (declared as <paramref name="declaration"/>) in netlink form, or
    /// <see langword="null"/> when the set is not a plain address set or map or an element is not in the expected form.</summary>
    /// <param name="set">The set's name.</param>
    /// <param name="declaration">The set's declaration, e.g. <c>type ipv4_addr;</c>.</param>
    /// <param name="delete">Whether the elements are deleted.</param>
    /// <param name="elements">The elements as the diff writes them (for a deleted map element, its key and comment).</param>
    public static NftElementChange? TryCreate(string set, string declaration, bool delete, IReadOnlyList<string> elements)
    {
        var (v6, map) = declaration switch
        {
            "type ipv4_addr;" => (false, false),
            "type ipv6_addr;" => (true, false),
            "type ipv4_addr : verdict;" => (false, true),
            "type ipv6_addr : verdict;" => (true, true),
            _ => (false, (bool?)null),
        };
        if (map is null || Encoding.UTF8.GetByteCount(set) > 255)
        {
            return null;
        }

        var keys = new byte[elements.Count][];
        var data = map.Value && !delete ? new (int, string?)[elements.Count] : [];
        var comments = new string?[elements.Count];
        for (var i = 0; i < elements.Count; i++)
        {
            var text = elements[i];
            string? verdict = null;
            var colon = text.IndexOf(" : ", StringComparison.Ordinal);
            if (colon >= 0)
            {
                verdict = text[(colon + 3)..];
                text = text[..colon];
            }

            if (map.Value != (verdict is not null) && !(map.Value && delete && verdict is null))
            {
                return null;
            }

            var at = text.IndexOf(" comment \"", StringComparison.Ordinal);
            if (at >= 0)
            {
                var comment = text[(at + 10)..];
                if (comment.Length < 1 || comment[^1] != '"' || comment.AsSpan(0, comment.Length - 1).IndexOfAny('"', '\\') >= 0 || Encoding.UTF8.GetByteCount(comment) > 128)
                {
                    return null;
                }

                comments[i] = comment[..^1];
                text = text[..at];
            }

            if (!IPAddress.TryParse(text, out var address) || address.ToString() != text
                || address.AddressFamily != (v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork))
            {
                return null;
            }

            keys[i] = address.GetAddressBytes();
            if (data.Length > 0)
            {
                if (ParseVerdict(verdict!) is not { } parsed)
                {
                    return null;
                }

                data[i] = parsed;
            }
        }

        return new NftElementChange(set, delete, keys, data, comments.Any(c => c is not null) ? comments : []);
    }

    private static (int Code, string? Chain)? ParseVerdict(string verdict)
    {
        switch (verdict)
        {
            case "accept":
                return (1, null);
            case "drop":
                return (0, null);
            case "continue":
                return (-1, null);
            case "return":
                return (-5, null);
        }

        var space = verdict.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return null;
        }

        var chain = verdict[(space + 1)..];
        var code = verdict[..space] switch
        {
            "jump" => -3,
            "goto" => -4,
            _ => 0,
        };
        return code == 0 || chain.Length == 0 || chain.Length > 255 || !chain.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? null : (code, chain);
    }

    /// <summary>How many element messages <see cref="Encode"/> writes for <paramref name="changes"/>.</summary>
    public static int MessageCount(IReadOnlyList<NftElementChange> changes) =>
        changes.Sum(c => (c.Keys.Length + ElementsPerMessage - 1) / ElementsPerMessage);

    /// <summary>The batch (begin, the changes in messages of at most <see cref="ElementsPerMessage"/> elements, end)
    /// for the inet table <paramref name="table"/>; messages are numbered from <paramref name="sequence"/> on (the
    /// begin message) and <paramref name="messages"/> is the number of element messages.</summary>
    public static byte[] Encode(string table, IReadOnlyList<NftElementChange> changes, uint sequence, out int messages)
    {
        var writer = new Writer();
        Message(writer, BatchBegin, NlmFRequest, sequence, 0, SubsysNftables, null);
        messages = 0;
        foreach (var change in changes)
        {
            for (var from = 0; from < change.Keys.Length; from += ElementsPerMessage)
            {
                var count = Math.Min(ElementsPerMessage, change.Keys.Length - from);
                var start = from;
                messages++;
                Message(
                    writer,
                    (ushort)((SubsysNftables << 8) | (change.Delete ? DelSetElem : NewSetElem)),
                    (ushort)(NlmFRequest | NlmFAck | (change.Delete ? 0 : NlmFCreate)),
                    sequence + (uint)messages,
                    NfprotoInet,
                    0,
                    w => Elements(w, table, change, start, count));
            }
        }

        Message(writer, BatchEnd, NlmFRequest, sequence + (uint)messages + 1, 0, SubsysNftables, null);
        return writer.ToArray();
    }

    private static void Elements(Writer w, string table, NftElementChange change, int from, int count)
    {
        w.String(ListTable, table);
        w.String(ListSet, change.Set);
        var list = w.Begin(ListElements);
        for (var i = from; i < from + count; i++)
        {
            var element = w.Begin(ListElem);
            var key = w.Begin(ElemKey);
            w.Bytes(DataValue, change.Keys[i]);
            w.End(key);
            if (change.Data.Length > 0)
            {
                var data = w.Begin(ElemData);
                var verdict = w.Begin(DataVerdict);
                w.BigEndianInt32(VerdictCode, change.Data[i].Code);
                if (change.Data[i].Chain is { } chain)
                {
                    w.String(VerdictChain, chain);
                }

                w.End(verdict);
                w.End(data);
            }

            if (change.Comments.Length > 0 && change.Comments[i] is { } comment)
            {
                // libnftnl's user data: type NFTNL_UDATA_SET_ELEM_COMMENT (0), length, the text with its NUL (as nft writes it).
                var text = Encoding.UTF8.GetBytes(comment);
                var udata = new byte[text.Length + 3];
                udata[0] = 0;
                udata[1] = (byte)(text.Length + 1);
                text.CopyTo(udata, 2);
                w.Bytes(ElemUserData, udata);
            }

            w.End(element);
        }

        w.End(list);
    }

    private static void Message(Writer w, ushort type, ushort flags, uint sequence, byte family, ushort resId, Action<Writer>? body)
    {
        var start = w.Length;
        w.U32(0);
        w.U16(type);
        w.U16(flags);
        w.U32(sequence);
        w.U32(0);
        w.U8(family);
        w.U8(0); // NFNETLINK_V0
        w.U16BigEndian(resId);
        body?.Invoke(w);
        w.PatchU32(start, (uint)(w.Length - start));
    }

    /// <summary>A growing little-endian buffer of netlink messages and attributes.</summary>
    private sealed class Writer
    {
        private byte[] _buffer = new byte[1024];

        public int Length { get; private set; }

        public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

        public void U8(byte value) => Reserve(1)[0] = value;

        public void U16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);

        public void U16BigEndian(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), value);

        public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

        public void PatchU32(int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(at), value);

        public void Bytes(ushort type, ReadOnlySpan<byte> value)
        {
            U16((ushort)(4 + value.Length));
            U16(type);
            value.CopyTo(Reserve(value.Length));
            Pad();
        }

        public void BigEndianInt32(ushort type, int value)
        {
            U16(8);
            U16(type);
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);
        }

        public void String(ushort type, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value + "\0");
            Bytes(type, bytes);
        }

        public int Begin(ushort type)
        {
            var start = Length;
            U16(0);
            U16((ushort)(type | NlaFNested));
            return start;
        }

        public void End(int start) => BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), checked((ushort)(Length - start)));

        private void Pad()
        {
            while ((Length & 3) != 0)
            {
                U8(0);
            }
        }

        private Span<byte> Reserve(int count)
        {
            if (Length + count > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
            }

            var span = _buffer.AsSpan(Length, count);
            Length += count;
            return span;
        }
    }
}
