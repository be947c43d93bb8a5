using System.Numerics;

namespace NetPolHost.Matching;

/// <summary>A dense matrix of booleans stored one bit per cell, rows of 64-bit words.</summary>
public sealed class BitMatrix
{
    private readonly ulong[] _bits;

    /// <summary>Creates a matrix of <paramref name="rows"/> × <paramref name="columns"/> false cells.</summary>
    /// <param name="rows">The number of rows.</param>
    /// <param name="columns">The number of columns.</param>
    public BitMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        WordsPerRow = (columns + 63) >> 6;
        _bits = new ulong[(long)rows * WordsPerRow];
    }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    internal int WordsPerRow { get; }

    /// <summary>Gets or sets one cell.</summary>
    /// <param name="row">The row.</param>
    /// <param name="column">The column.</param>
    /// <returns>The value.</returns>
    public bool this[int row, int column]
    {
        get
        {
            Check(row, column);
            return (_bits[((long)row * WordsPerRow) + (column >> 6)] & (1UL << column)) != 0;
        }

        set
        {
            Check(row, column);
            ref var word = ref _bits[((long)row * WordsPerRow) + (column >> 6)];
            word = value ? word | (1UL << column) : word & ~(1UL << column);
        }
    }

    /// <summary>The number of true cells.</summary>
    /// <returns>The count.</returns>
    public long CountTrue()
    {
        long count = 0;
        foreach (var word in _bits)
        {
            count += BitOperations.PopCount(word);
        }

        return count;
    }

    /// <summary>One row as booleans.</summary>
    /// <param name="row">The row.</param>
    /// <returns>The values.</returns>
    public bool[] GetRow(int row)
    {
        var result = new bool[Columns];
        for (var c = 0; c < Columns; c++)
        {
            result[c] = this[row, c];
        }

        return result;
    }

    internal Span<ulong> Row(int row) => _bits.AsSpan((int)((long)row * WordsPerRow), WordsPerRow);

    internal ulong[] Raw => _bits;

    private void Check(int row, int column)
    {
        if ((uint)row >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row));
        }

        if ((uint)column >= (uint)Columns)
        {
            throw new ArgumentOutOfRangeException(nameof(column));
        }
    }

    /// <summary>Returns the transpose of a square matrix, 64×64 bits at a time.</summary>
    internal BitMatrix Transpose()
    {
        var result = new BitMatrix(Columns, Rows);
        Span<ulong> block = stackalloc ulong[64];
        var rowBlocks = (Rows + 63) >> 6;
        var columnBlocks = WordsPerRow;
        for (var rb = 0; rb < rowBlocks; rb++)
        {
            for (var cb = 0; cb < columnBlocks; cb++)
            {
                var baseRow = rb << 6;
                var count = Math.Min(64, Rows - baseRow);
                for (var r = 0; r < 64; r++)
                {
                    block[r] = r < count ? _bits[((long)(baseRow + r) * WordsPerRow) + cb] : 0;
                }

                Transpose64(block);
                var outBase = cb << 6;
                var outCount = Math.Min(64, result.Rows - outBase);
                for (var r = 0; r < outCount; r++)
                {
                    result._bits[((long)(outBase + r) * result.WordsPerRow) + rb] = block[r];
                }
            }
        }

        return result;
    }

    /// <summary>Transposes a 64×64 bit block in place (bit c of word r moves to bit r of word c).</summary>
    internal static void Transpose64(Span<ulong> a)
    {
        var m = 0x00000000FFFFFFFFUL;
        for (var j = 32; j != 0; j >>= 1, m ^= m << j)
        {
            for (var k = 0; k < 64; k = ((k | j) + 1) & ~j)
            {
                var t = ((a[k] >> j) ^ a[k | j]) & m;
                a[k] ^= t << j;
                a[k | j] ^= t;
            }
        }
    }
}
