using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NetPolHost.Model;

/// <summary>An IPv4 or IPv6 network in CIDR notation, as used by <c>ipBlock.cidr</c> and <c>ipBlock.except</c>.</summary>
/// <remarks>
/// Parsing follows the API server (Go's <c>net.ParseCIDR</c>, with the strict IP validation of Kubernetes 1.33+): host
/// bits may be set and are masked off (<c>10.0.0.1/8</c> is the network <c>10.0.0.0/8</c>); IPv4 octets with leading
/// zeros, zone indexes, short IPv4 forms such as <c>10.1</c> and IPv4-mapped IPv6 addresses (<c>::ffff:10.0.0.0/104</c>,
/// which would never match the IPv4 traffic it seems to name) are rejected.
/// </remarks>
public readonly record struct Cidr
{
    private readonly UInt128 _network;
    private readonly byte _prefix;
    private readonly bool _isV6;

    private Cidr(UInt128 network, int prefix, bool isV6)
    {
        _network = network & IpMath.Mask(prefix, isV6);
        _prefix = (byte)prefix;
        _isV6 = isV6;
    }

    /// <summary>Creates a network from an address and a prefix length; host bits are masked off.</summary>
    /// <param name="address">Any address in the network.</param>
    /// <param name="prefixLength">0–32 for IPv4, 0–128 for IPv6.</param>
    /// <exception cref="ArgumentOutOfRangeException">The prefix length does not fit the address family.</exception>
    public Cidr(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        var value = IpMath.ToUInt128(address, out var isV6);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, isV6 ? 128 : 32);
        this = new Cidr(value, prefixLength, isV6);
    }

    /// <summary>The address family of the network.</summary>
    public AddressFamily Family => _isV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    /// <summary>Whether this is an IPv6 network.</summary>
    public bool IsIPv6 => _isV6;

    /// <summary>The network address (host bits cleared).</summary>
    public IPAddress Network => IpMath.ToAddress(_network, _isV6);

    /// <summary>The prefix length.</summary>
    public int PrefixLength => _prefix;

    internal UInt128 First => _network;

    /// <summary>A network from an address held as a number (host bits are masked off); the prefix length must fit.</summary>
    internal static Cidr FromNumber(UInt128 network, int prefixLength, bool isV6) => new(network, prefixLength, isV6);

    internal UInt128 Last => _network | ~IpMath.Mask(_prefix, _isV6) & IpMath.FamilyMax(_isV6);

    /// <summary>The network holding exactly one address (<c>/32</c> or <c>/128</c>).</summary>
    /// <param name="address">The address.</param>
    /// <returns>The host network.</returns>
    public static Cidr ForHost(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new Cidr(address, address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6 ? 128 : 32);
    }

    /// <summary>Whether <paramref name="address"/> lies in this network (an address of the other family never does).</summary>
    /// <param name="address">The address.</param>
    /// <returns><see langword="true"/> when the address is inside.</returns>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var value = IpMath.ToUInt128(address, out var isV6);
        return Contains(value, isV6);
    }

    internal bool Contains(UInt128 value, bool isV6) => isV6 == _isV6 && (value & IpMath.Mask(_prefix, _isV6)) == _network;

    /// <summary>Whether <paramref name="other"/> lies inside this network (equal networks count as inside).</summary>
    /// <param name="other">The other network.</param>
    /// <returns><see langword="true"/> when every address of <paramref name="other"/> is in this network.</returns>
    public bool Contains(Cidr other) => other._isV6 == _isV6 && other._prefix >= _prefix && Contains(other._network, other._isV6);

    /// <summary>Parses CIDR notation such as <c>10.0.0.0/8</c> or <c>2001:db8::/32</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The network.</returns>
    /// <exception cref="FormatException">The text is not a valid CIDR.</exception>
    public static Cidr Parse(string text) =>
        TryParse(text, out var cidr) ? cidr : throw new FormatException($"'{text}' is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64).");

    /// <summary>Tries to parse CIDR notation.</summary>
    /// <param name="text">The text.</param>
    /// <param name="cidr">The network, when the text is valid.</param>
    /// <returns><see langword="true"/> when the text is a valid CIDR.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Cidr cidr)
    {
        cidr = default;
        if (text is null)
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1)
        {
            return false;
        }

        if (!IpMath.TryParseAddress(text.AsSpan(0, slash), out var value, out var isV6) || IpMath.IsV4Mapped(value, isV6))
        {
            return false;
        }

        var prefixText = text.AsSpan(slash + 1);
        foreach (var c in prefixText)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        if (prefixText.Length > 3 || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > (isV6 ? 128 : 32))
        {
            return false;
        }

        cidr = new Cidr(value, prefix, isV6);
        return true;
    }

    /// <summary>Formats the network as <c>address/prefix</c> with host bits cleared.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Network + "/" + _prefix.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Arithmetic on IP addresses held as 128-bit integers (IPv4 in the low 32 bits).</summary>
internal static class IpMath
{
    public static UInt128 FamilyMax(bool isV6) => isV6 ? UInt128.MaxValue : uint.MaxValue;

    public static UInt128 Mask(int prefix, bool isV6)
    {
        var bits = isV6 ? 128 : 32;
        if (prefix == 0)
        {
            return UInt128.Zero;
        }

        return (FamilyMax(isV6) << (bits - prefix)) & FamilyMax(isV6);
    }

    public static UInt128 ToUInt128(IPAddress address, out bool isV6)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            isV6 = false;
            _ = address.TryWriteBytes(bytes, out _);
            return BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }

        isV6 = true;
        _ = address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress ToAddress(UInt128 value, bool isV6)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!isV6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)value);
            return new IPAddress(bytes[..4]);
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    /// <summary>Parses an address the way Go's <c>net.ParseIP</c> does (strict dotted quad, no zones).</summary>
    public static bool TryParseAddress(ReadOnlySpan<char> text, out UInt128 value, out bool isV6)
    {
        value = default;
        isV6 = false;
        if (text.IsEmpty)
        {
            return false;
        }

        if (text.Contains(':'))
        {
            if (text.Contains('%') || text.Contains('[') || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            isV6 = true;
            Span<byte> bytes = stackalloc byte[16];
            _ = v6.TryWriteBytes(bytes, out _);
            value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
            return true;
        }

        uint result = 0;
        var parts = 0;
        var i = 0;
        while (i <= text.Length)
        {
            var start = i;
            while (i < text.Length && text[i] != '.')
            {
                if (text[i] is < '0' or > '9')
                {
                    return false;
                }

                i++;
            }

            var length = i - start;
            if (length is 0 or > 3 || (length > 1 && text[start] == '0'))
            {
                return false;
            }

            var octet = int.Parse(text.Slice(start, length), NumberStyles.None, CultureInfo.InvariantCulture);
            if (octet > 255)
            {
                return false;
            }

            result = (result << 8) | (uint)octet;
            parts++;
            i++;
            if (parts == 4)
            {
                break;
            }
        }

        if (parts != 4 || i <= text.Length)
        {
            return false;
        }

        value = result;
        return true;
    }

    /// <summary>Parses an address strictly, returning an <see cref="IPAddress"/>; an IPv4-mapped IPv6 address
    /// (<c>::ffff:10.0.0.1</c>) is returned as the IPv4 address it stands for, as the kernel sees that traffic.</summary>
    public static bool TryParseAddress(string? text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text is null || !TryParseAddress(text.AsSpan(), out var value, out var isV6))
        {
            return false;
        }

        address = IsV4Mapped(value, isV6) ? ToAddress(value & uint.MaxValue, false) : ToAddress(value, isV6);
        return true;
    }

    /// <summary>Whether a parsed address is IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>).</summary>
    public static bool IsV4Mapped(UInt128 value, bool isV6) => isV6 && value >> 32 == 0xFFFF;

    /// <summary>The address, or the IPv4 address an IPv4-mapped IPv6 address stands for.</summary>
    public static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The addresses with IPv4-mapped IPv6 ones replaced by the IPv4 address they stand for (the same list
    /// when there are none).</summary>
    public static ValueList<IPAddress> Unmap(ValueList<IPAddress> addresses)
    {
        foreach (var address in addresses)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                return addresses.Select(Unmap).ToValueList();
            }
        }

        return addresses;
    }
}
