using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace NetPolHost.Planning;

/// <summary>
/// Short keys (<c>[0-9a-z]</c>) for definitions: a prefix of the SHA-256 of the definition, lengthened when a
/// different definition already has it, so two definitions never share a key, and a definition keeps its short key
/// as long as nothing collides with it.
/// </summary>
/// <remarks>
/// A key is the first <c>digits</c> hex digits of the digest; on a collision, 8 and then 16 more; beyond that (which
/// only an injected digest can reach) the shortest key with <c>x</c> and a counter appended. Which definition keeps
/// the shorter key depends on the order they are asked for in, so callers ask in a stable order.
/// </remarks>
internal sealed class ShortKeys
{
    private readonly int _digits;
    private readonly Func<string, string> _digest;
    private readonly Dictionary<string, string> _byDefinition = new(StringComparer.Ordinal);
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    /// <param name="digits">Hex digits of the short key.</param>
    /// <param name="digest">The digest of a definition as lower-case hex (SHA-256 of its UTF-8 unless given; tests
    /// give one that collides).</param>
    public ShortKeys(int digits, Func<string, string>? digest = null)
    {
        _digits = digits;
        _digest = digest ?? Sha256Hex;
    }

    /// <summary>The lower-case hex SHA-256 of the UTF-8 of <paramref name="text"/>.</summary>
    public static string Sha256Hex(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The key of a definition: the same for the same definition, different for different ones.</summary>
    public string Get(string definition)
    {
        if (_byDefinition.TryGetValue(definition, out var key))
        {
            return key;
        }

        var digest = _digest(definition);
        key = null;
        for (var length = _digits; length <= _digits + 16; length += 8)
        {
            var candidate = digest[..Math.Min(length, digest.Length)];
            if (!_taken.Contains(candidate))
            {
                key = candidate;
                break;
            }
        }

        for (var n = 2; key is null; n++)
        {
            var candidate = digest[..Math.Min(_digits, digest.Length)] + "x" + n.ToString(CultureInfo.InvariantCulture);
            if (!_taken.Contains(candidate))
            {
                key = candidate;
            }
        }

        _taken.Add(key);
        _byDefinition[definition] = key;
        return key;
    }
}
