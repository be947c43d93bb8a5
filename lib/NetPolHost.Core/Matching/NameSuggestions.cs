namespace NetPolHost.Matching;

/// <summary>"Did you mean …" for names that are not found: the known names closest to what was typed.</summary>
/// <remarks>A known name is close when its edit distance to the typed one (ignoring letter case; swapping two
/// neighbouring letters is one edit) is at most a third of the typed name's length (at least 1), or when it starts with
/// the typed name (<c>web</c> for <c>web-7d9f8-x2xkq</c>, as pods of a Deployment are named). Only the closest are
/// suggested: those at the smallest distance, else the names the typed one starts.</remarks>
public static class NameSuggestions
{
    /// <summary>The known names closest to <paramref name="typed"/>, closest first, at most <paramref name="max"/>.</summary>
    /// <param name="typed">The name that was not found.</param>
    /// <param name="known">The names that exist.</param>
    /// <param name="max">How many to return at most.</param>
    /// <returns>The suggestions; empty when nothing is close.</returns>
    public static IReadOnlyList<string> Find(string typed, IEnumerable<string> known, int max = 3)
    {
        ArgumentNullException.ThrowIfNull(typed);
        ArgumentNullException.ThrowIfNull(known);
        var limit = Math.Max(1, typed.Length / 3);
        var scored = new List<(string Name, int Score)>();
        foreach (var name in known.Distinct(StringComparer.Ordinal))
        {
            if (name == typed)
            {
                continue;
            }

            var distance = EditDistance.Compute(typed, name, maxLengthDifference: limit, maxLength: 253);
            if (distance <= limit)
            {
                scored.Add((name, distance));
            }
            else if (typed.Length >= 2 && name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            {
                scored.Add((name, limit + 1));
            }
        }

        if (scored.Count == 0)
        {
            return [];
        }

        var best = scored.Min(s => s.Score);
        return [.. scored.Where(s => s.Score == best).OrderBy(s => s.Name, StringComparer.Ordinal).Take(max).Select(s => s.Name)];
    }

    /// <summary>The suggestions as text: <c>a</c>, <c>a or b</c>, <c>a, b or c</c>; empty when there are none.</summary>
    /// <param name="suggestions">The suggestions.</param>
    /// <returns>The text.</returns>
    public static string Join(IReadOnlyList<string> suggestions)
    {
        ArgumentNullException.ThrowIfNull(suggestions);
        return suggestions.Count switch
        {
            0 => string.Empty,
            1 => suggestions[0],
            _ => string.Join(", ", suggestions.Take(suggestions.Count - 1)) + " or " + suggestions[^1],
        };
    }

    /// <summary>A list of names for a message: at most <paramref name="max"/> of them, then "and N more".</summary>
    /// <param name="names">The names.</param>
    /// <param name="max">How many to show.</param>
    /// <returns>The text.</returns>
    public static string List(IReadOnlyCollection<string> names, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(names);
        return names.Count <= max
            ? string.Join(", ", names)
            : string.Join(", ", names.Take(max)) + ", and " + (names.Count - max).ToString(System.Globalization.CultureInfo.InvariantCulture) + " more";
    }
}
