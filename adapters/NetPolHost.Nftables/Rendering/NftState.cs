using System.Text;

namespace NetPolHost.Nftables.Rendering;

/// <summary>A named set or verdict map and its elements (canonical text, sorted).</summary>
internal sealed class NftSet
{
    public NftSet(string name, string declaration, string[] elements, bool isMap)
    {
        Name = name;
        Declaration = declaration;
        Elements = elements;
        IsMap = isMap;
    }

    public string Name { get; }

    /// <summary>The inside of the set's braces without elements, e.g. <c>type ipv4_addr; flags interval;</c>.</summary>
    public string Declaration { get; }

    /// <summary>Elements as rendered (for maps, <c>key : verdict</c>), distinct, in the plan's canonical order.</summary>
    public string[] Elements { get; }

    public bool IsMap { get; }

    /// <summary>Whether both hold the same elements in the same order (element strings are usually shared
    /// instances, so this is mostly reference comparisons).</summary>
    public bool SameElements(NftSet other) =>
        ReferenceEquals(this, other) || Elements.AsSpan().SequenceEqual(other.Elements);

    public string Kind => IsMap ? "map" : "set";
}

/// <summary>A chain: a base chain (with its hook line) or a regular one, and its rules as rendered.</summary>
internal sealed class NftChain
{
    public NftChain(string name, string? hook, string[] rules)
    {
        Name = name;
        Hook = hook;
        Rules = rules;
    }

    public string Name { get; }

    /// <summary>For base chains, e.g. <c>type filter hook forward priority filter; policy accept;</c>.</summary>
    public string? Hook { get; }

    public string[] Rules { get; }

    public bool SameAs(NftChain other) => Hook == other.Hook && Rules.AsSpan().SequenceEqual(other.Rules);
}

/// <summary>Everything the backend owns in its table, as it should be in the kernel.</summary>
internal sealed class NftState
{
    public NftState(string table, IEnumerable<NftSet> sets, IEnumerable<NftChain> chains, IReadOnlyDictionary<string, string>? limits = null)
    {
        Table = table;
        Sets = sets.ToDictionary(s => s.Name, StringComparer.Ordinal);
        Chains = chains.ToDictionary(c => c.Name, StringComparer.Ordinal);
        Limits = limits is null ? new(StringComparer.Ordinal) : new(limits, StringComparer.Ordinal);
    }

    /// <summary>Named limit objects (the shared rate limits of the log rules): name and declaration
    /// (<c>rate 10/second burst 50 packets</c>).</summary>
    public Dictionary<string, string> Limits { get; }

    public string Table { get; }

    public Dictionary<string, NftSet> Sets { get; }

    public Dictionary<string, NftChain> Chains { get; }

    public int RuleCount => Chains.Values.Sum(c => c.Rules.Length);

    public int ElementCount => Sets.Values.Sum(s => s.Elements.Length);

    /// <summary>The script that replaces the table with this state in one transaction.</summary>
    /// <remarks>
    /// <c>add table</c> then <c>delete table</c> removes any earlier content (and works when there is none); the new
    /// table follows in the same transaction, so packets never see a missing or half-built table.
    /// </remarks>
    public string FullScript(bool replace = true)
    {
        var builder = new StringBuilder(1024 + (ElementCount * 24));
        if (replace)
        {
            builder.Append("add table inet ").Append(Table).Append('\n');
            builder.Append("delete table inet ").Append(Table).Append('\n');
        }

        builder.Append("table inet ").Append(Table).Append(" {\n");
        foreach (var (name, declaration) in Limits.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            builder.Append("\tlimit ").Append(name).Append(" { ").Append(declaration).Append(" }\n");
        }

        foreach (var set in Sets.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            builder.Append('\t').Append(set.Kind).Append(' ').Append(set.Name).Append(" {\n\t\t").Append(set.Declaration).Append('\n');
            if (set.Elements.Length > 0)
            {
                builder.Append("\t\telements = { ");
                AppendElements(builder, set.Elements);
                builder.Append(" }\n");
            }

            builder.Append("\t}\n");
        }

        // Regular chains first: base chains jump to them through maps.
        foreach (var chain in Chains.Values.OrderBy(c => c.Hook is null ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal))
        {
            builder.Append("\tchain ").Append(chain.Name).Append(" {\n");
            if (chain.Hook is not null)
            {
                builder.Append("\t\t").Append(chain.Hook).Append('\n');
            }

            foreach (var rule in chain.Rules)
            {
                builder.Append("\t\t").Append(rule).Append('\n');
            }

            builder.Append("\t}\n");
        }

        builder.Append("}\n");
        return builder.ToString();
    }

    public static void AppendElements(StringBuilder builder, IReadOnlyList<string> elements)
    {
        for (var i = 0; i < elements.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(i % 8 == 0 ? ",\n\t\t\t" : ", ");
            }

            builder.Append(elements[i]);
        }
    }
}
