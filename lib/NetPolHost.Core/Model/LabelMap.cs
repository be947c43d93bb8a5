using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace NetPolHost.Model;

/// <summary>An immutable set of Kubernetes labels (key → value), sorted by key and compared by value.</summary>
public sealed class LabelMap : IReadOnlyDictionary<string, string>, IEquatable<LabelMap>
{
    private readonly string[] _keys;
    private readonly string[] _values;

    /// <summary>The map without labels.</summary>
    public static LabelMap Empty { get; } = new([], []);

    private LabelMap(string[] keys, string[] values)
    {
        _keys = keys;
        _values = values;
    }

    /// <summary>Creates a label map from key/value pairs; a later duplicate key replaces an earlier one.</summary>
    /// <param name="pairs">The labels.</param>
    /// <returns>The map.</returns>
    public static LabelMap From(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            ArgumentNullException.ThrowIfNull(key);
            sorted[key] = value ?? string.Empty;
        }

        return sorted.Count == 0 ? Empty : new LabelMap([.. sorted.Keys], [.. sorted.Values]);
    }

    /// <summary>Creates a label map from <c>key, value</c> arguments, e.g. <c>LabelMap.Of("app", "web")</c>.</summary>
    /// <param name="keysAndValues">An even number of strings: key, value, key, value…</param>
    /// <returns>The map.</returns>
    /// <exception cref="ArgumentException">An odd number of strings was given.</exception>
    public static LabelMap Of(params string[] keysAndValues)
    {
        ArgumentNullException.ThrowIfNull(keysAndValues);
        if (keysAndValues.Length % 2 != 0)
        {
            throw new ArgumentException("Labels are given as key, value pairs: the count must be even.", nameof(keysAndValues));
        }

        var pairs = new List<KeyValuePair<string, string>>(keysAndValues.Length / 2);
        for (var i = 0; i < keysAndValues.Length; i += 2)
        {
            pairs.Add(new(keysAndValues[i], keysAndValues[i + 1]));
        }

        return From(pairs);
    }

    /// <summary>Returns a copy with one label set.</summary>
    /// <param name="key">The label key.</param>
    /// <param name="value">The label value.</param>
    /// <returns>The new map.</returns>
    public LabelMap With(string key, string value) => From(this.Where(p => p.Key != key).Append(new(key, value)));

    /// <summary>Returns a copy without the label <paramref name="key"/>.</summary>
    /// <param name="key">The label key.</param>
    /// <returns>The new map.</returns>
    public LabelMap Without(string key) => ContainsKey(key) ? From(this.Where(p => p.Key != key)) : this;

    /// <inheritdoc/>
    public int Count => _keys.Length;

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _keys;

    /// <inheritdoc/>
    public IEnumerable<string> Values => _values;

    /// <inheritdoc/>
    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"Label '{key}' is not set.");

    /// <inheritdoc/>
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            value = null;
            return false;
        }

        value = _values[index];
        return true;
    }

    private int IndexOf(string key)
    {
        int lo = 0, hi = _keys.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var cmp = string.CompareOrdinal(_keys[mid], key);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            yield return new(_keys[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(LabelMap? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        return other is not null && _keys.AsSpan().SequenceEqual(other._keys) && _values.AsSpan().SequenceEqual(other._values);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as LabelMap);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (var i = 0; i < _keys.Length; i++)
        {
            hash.Add(_keys[i], StringComparer.Ordinal);
            hash.Add(_values[i], StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>Formats the labels as <c>k1=v1,k2=v2</c> (the kubectl selector form).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Join(",", this.Select(p => p.Key + "=" + p.Value));
}
