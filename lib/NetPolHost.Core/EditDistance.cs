namespace NetPolHost;

/// <summary>The edit distance behind every "did you mean": insertions, deletions and substitutions, ignoring case, with
/// two swapped neighbouring letters ("lables") counted as one edit.</summary>
internal static class EditDistance
{
    /// <summary>The distance between <paramref name="a"/> and <paramref name="b"/>, or <see cref="int.MaxValue"/> when
    /// their lengths differ by more than <paramref name="maxLengthDifference"/> or either is longer than
    /// <paramref name="maxLength"/> (such pairs are never close).</summary>
    public static int Compute(string a, string b, int maxLengthDifference, int maxLength)
    {
        if (Math.Abs(a.Length - b.Length) > maxLengthDifference || a.Length > maxLength || b.Length > maxLength)
        {
            return int.MaxValue;
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = Same(a[i - 1], b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && Same(a[i - 1], b[j - 2]) && Same(a[i - 2], b[j - 1]))
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];

        static bool Same(char x, char y) => char.ToLowerInvariant(x) == char.ToLowerInvariant(y);
    }
}
