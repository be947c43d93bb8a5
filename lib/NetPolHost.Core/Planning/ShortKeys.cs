using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace NetPolHost.Planning;

/// <summary>
/// Short, safe keys for definitions (rule lists, selectors, rule identities…), unique among the keys one instance
/// gives: the one way NetPolHost and its backends shorten text into names. A key is a prefix of the lower-case hex
/// SHA-256 of the definition (<c>[0-9a-f]</c>, plus <c>x</c> and digits in the last resort below), lengthened when a
/// different definition already has it, so two definitions never share a key, and a definition keeps its short key as
/// long as nothing collides with it.
/// </summary>
/// <remarks>
/// <para>The collision rule: a key is the first <c>digits</c> hex digits of the digest; when a different definition
/// already has that key, the first <c>digits</c> + 8, then <c>digits</c> + 16 (each at most <c>maxDigits</c>); beyond
/// that, the shortest key with <c>x</c> and a counter appended (<c>0123456789x2</c>). The same definition always gets
/// the same key from one instance.</para>
/// <para>A caller may offer a preferred key (a readable name, or text that is already safe), used when no other
/// definition has taken it; otherwise the definition gets its hash key as above.</para>
/// <para>Which definition keeps the shorter key depends on the order they are asked for in, so callers ask in a
/// stable order. An instance remembers every definition it was asked for: use one per naming scope (one plan, one
/// render). Not thread-safe.</para>
/// </remarks>
public sealed class ShortKeys
{
    private const int Step = 8;
    private readonly int _digits;
    private readonly int _maxDigits;
    private readonly Func<string, string> _digest;
    private readonly Dictionary<string, string> _byDefinition = new(StringComparer.Ordinal);
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    /// <summary>Creates an empty set of keys.</summary>
    /// <param name="digits">Hex digits of a key without collision, 1 to 64.</param>
    /// <param name="digest">The digest of a definition as lower-case hex (<see cref="Sha256Hex"/> unless given; tests
    /// give one that collides).</param>
    /// <param name="maxDigits">The most hex digits a lengthened key may have, when names must fit a limit; from
    /// <paramref name="digits"/> to 64, or <see langword="null"/> for <paramref name="digits"/> + 16.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="digits"/> or <paramref name="maxDigits"/> is out
    /// of range.</exception>
    public ShortKeys(int digits, Func<string, string>? digest = null, int? maxDigits = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, 64);
        var max = maxDigits ?? digits + (2 * Step);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, digits, nameof(maxDigits));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDigits ?? 0, 64, nameof(maxDigits));
        _digits = digits;
        _maxDigits = max;
        _digest = digest ?? Sha256Hex;
    }

    /// <summary>The lower-case hex SHA-256 of the UTF-8 of <paramref name="text"/> (64 characters).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The digest.</returns>
    public static string Sha256Hex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The first <paramref name="digits"/> hex digits of <see cref="Sha256Hex"/>: a short hash where no
    /// uniqueness is needed (a fingerprint compared with itself, or the tail of a name already unique by other
    /// means). Where different texts must get different names, use an instance and <see cref="Get(string)"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="digits">1 to 64.</param>
    /// <returns>The hex digits.</returns>
    public static string Hash(string text, int digits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, 64);
        return Sha256Hex(text)[..digits];
    }

    /// <summary>The key of a definition: the same for the same definition, different for different ones.</summary>
    /// <param name="definition">The definition.</param>
    /// <returns>The key.</returns>
    public string Get(string definition) => Get(definition, null);

    /// <summary>The key of a definition, <paramref name="preferred"/> when no other definition has taken it: the same
    /// for the same definition, different for different ones.</summary>
    /// <param name="definition">The definition.</param>
    /// <param name="preferred">The key wanted when it is free (it must already be safe where the key is used), or
    /// <see langword="null"/> for the hash key. Used only the first time a definition is asked for.</param>
    /// <returns>The key.</returns>
    public string Get(string definition, string? preferred)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (_byDefinition.TryGetValue(definition, out var key))
        {
            return key;
        }

        key = preferred is not null && !_taken.Contains(preferred) ? preferred : HashKey(definition);
        _taken.Add(key);
        _byDefinition[definition] = key;
        return key;
    }

    private string HashKey(string definition)
    {
        var digest = _digest(definition);
        for (var length = _digits; length <= _digits + (2 * Step); length += Step)
        {
            var candidate = digest[..Math.Min(Math.Min(length, _maxDigits), digest.Length)];
            if (!_taken.Contains(candidate))
            {
                return candidate;
            }
        }

        var stem = digest[..Math.Min(_digits, digest.Length)] + "x";
        for (var n = 2; ; n++)
        {
            var candidate = stem + n.ToString(CultureInfo.InvariantCulture);
            if (!_taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}
