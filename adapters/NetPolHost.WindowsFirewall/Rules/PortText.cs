using System.Globalization;
using System.Text;

namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>Writes and reads Windows Firewall port lists (<c>80,8000-8080</c>, <c>*</c> for any).</summary>
internal static class PortText
{
    /// <summary>Formats inclusive ranges; <c>*</c> when they cover 0–65535.</summary>
    public static string Format(IReadOnlyList<(int First, int Last)> ranges)
    {
        if (ranges.Count == 1 && ranges[0].First <= 0 && ranges[0].Last >= 65535)
        {
            return "*";
        }

        var builder = new StringBuilder();
        foreach (var (first, last) in ranges)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(first.ToString(CultureInfo.InvariantCulture));
            if (last != first)
            {
                builder.Append('-').Append(last.ToString(CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Reads a port list into sorted merged ranges (0–65535 for <c>*</c>, <c>Any</c> or empty).</summary>
    /// <returns><see langword="false"/> for keywords such as <c>RPC</c>.</returns>
    public static bool TryParse(string? text, out List<(int First, int Last)> ranges)
    {
        ranges = [];
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0 || trimmed == "*" || trimmed.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            ranges.Add((0, 65535));
            return true;
        }

        var parsed = new List<(int First, int Last)>();
        foreach (var raw in trimmed.Split(','))
        {
            var token = raw.Trim();
            var dash = token.IndexOf('-', StringComparison.Ordinal);
            var firstText = dash < 0 ? token : token[..dash];
            var lastText = dash < 0 ? token : token[(dash + 1)..];
            if (!int.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || first > last || last > 65535)
            {
                return false;
            }

            parsed.Add((first, last));
        }

        parsed.Sort();
        foreach (var range in parsed)
        {
            if (ranges.Count > 0 && range.First <= ranges[^1].Last + 1)
            {
                ranges[^1] = (ranges[^1].First, Math.Max(ranges[^1].Last, range.Last));
            }
            else
            {
                ranges.Add(range);
            }
        }

        return true;
    }

    /// <summary>The ports of 0–65535 not in <paramref name="ranges"/> (sorted, merged).</summary>
    public static List<(int First, int Last)> Complement(IReadOnlyList<(int First, int Last)> ranges)
    {
        var result = new List<(int First, int Last)>();
        var next = 0;
        foreach (var (first, last) in ranges)
        {
            if (first > next)
            {
                result.Add((next, first - 1));
            }

            next = Math.Max(next, last + 1);
        }

        if (next <= 65535)
        {
            result.Add((next, 65535));
        }

        return result;
    }
}
