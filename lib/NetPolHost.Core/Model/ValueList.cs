using System.Collections;
using System.Runtime.CompilerServices;

namespace NetPolHost.Model;

/// <summary>An immutable list that compares by its elements, so records holding it compare by value.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>The default value is the empty list: Kubernetes stores an absent list and <c>[]</c> the same way.</remarks>
[CollectionBuilder(typeof(ValueList), nameof(ValueList.Create))]
public readonly struct ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[]? _items;

    /// <summary>Creates a list holding a copy of <paramref name="items"/>.</summary>
    /// <param name="items">The elements, in order.</param>
    public ValueList(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var array = items.ToArray();
        _items = array.Length == 0 ? null : array;
    }

    private ValueList(T[]? items, bool _) => _items = items is { Length: 0 } ? null : items;

    internal static ValueList<T> Wrap(T[] items) => new(items, true);

    /// <summary>The empty list.</summary>
    public static ValueList<T> Empty => default;

    /// <inheritdoc/>
    public int Count => _items?.Length ?? 0;

    /// <summary>Whether the list has no elements.</summary>
    public bool IsEmpty => Count == 0;

    /// <inheritdoc/>
    public T this[int index] => _items is null ? throw new ArgumentOutOfRangeException(nameof(index)) : _items[index];

    /// <summary>The elements as a read-only span.</summary>
    public ReadOnlySpan<T> AsSpan() => _items;

    /// <summary>Returns an enumerator over the elements.</summary>
    public Enumerator GetEnumerator() => new(_items);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(ValueList<T> other)
    {
        var a = AsSpan();
        var b = other.AsSpan();
        if (a.Length != b.Length)
        {
            return false;
        }

        if (a == b)
        {
            return true; // the same items (plans compiled incrementally share their address lists)
        }

        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Length; i++)
        {
            if (!comparer.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in AsSpan())
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => "[" + string.Join(", ", _items ?? []) + "]";

    /// <summary>Compares two lists by their elements.</summary>
    public static bool operator ==(ValueList<T> left, ValueList<T> right) => left.Equals(right);

    /// <summary>Compares two lists by their elements.</summary>
    public static bool operator !=(ValueList<T> left, ValueList<T> right) => !left.Equals(right);

    /// <summary>Enumerates the elements without allocating.</summary>
    public struct Enumerator : IEnumerator<T>
    {
        private readonly T[]? _items;
        private int _index;

        internal Enumerator(T[]? items)
        {
            _items = items;
            _index = -1;
        }

        /// <inheritdoc/>
        public readonly T Current => _items![_index];

        readonly object? IEnumerator.Current => Current;

        /// <inheritdoc/>
        public bool MoveNext() => _items is not null && ++_index < _items.Length;

        /// <inheritdoc/>
        public void Reset() => _index = -1;

        /// <inheritdoc/>
        public readonly void Dispose()
        {
        }
    }
}

/// <summary>Factory methods for <see cref="ValueList{T}"/>.</summary>
public static class ValueList
{
    /// <summary>Creates a list from a span (used by collection expressions).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The elements.</param>
    /// <returns>A list holding a copy of the elements.</returns>
    public static ValueList<T> Create<T>(ReadOnlySpan<T> items) => ValueList<T>.Wrap(items.ToArray());

    /// <summary>Creates a list from a sequence.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The elements.</param>
    /// <returns>A list holding a copy of the elements.</returns>
    public static ValueList<T> ToValueList<T>(this IEnumerable<T> items) => new(items);
}
