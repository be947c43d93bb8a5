using System.Globalization;

namespace NetPolHost.Parsing;

/// <summary>Where the fields of one policy are in its manifest: field path (<c>spec.ingress[0].from[1].ipBlock</c>) to
/// the line and column of its key (or, for a list entry, of the entry). Recorded only when
/// <see cref="ManifestLoaderOptions.RecordPolicyFieldLocations"/> is set, and only for NetworkPolicies and cluster
/// policies: what a linter needs to point at a field, without keeping any parse tree.</summary>
public sealed class FieldLocations
{
    private readonly Dictionary<string, long> _positions;

    internal FieldLocations(string objectIdentity, string file, int line, int column, Dictionary<string, long> positions)
    {
        Object = objectIdentity;
        File = file;
        Line = line;
        Column = column;
        _positions = positions;
    }

    /// <summary>The object, as diagnostics name it: <c>NetworkPolicy namespace/name</c> or <c>ClusterNetworkPolicy name</c>.</summary>
    public string Object { get; }

    /// <summary>The file (or source name) the object was read from.</summary>
    public string File { get; }

    /// <summary>The 1-based line of the object's first field.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of the object's first field.</summary>
    public int Column { get; }

    /// <summary>The number of field paths held.</summary>
    public int Count => _positions.Count;

    /// <summary>The place of a field path, or of the nearest enclosing field that is there (the object itself at
    /// last): a finding about a field that is absent (a <c>podSelector</c> left out) points at what holds it.</summary>
    /// <param name="path">The field path, e.g. <c>spec.egress[0].to[0].ipBlock.except[0]</c>.</param>
    /// <returns>The 1-based line and column.</returns>
    public (int Line, int Column) Find(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        while (path.Length > 0)
        {
            if (_positions.TryGetValue(path, out var packed))
            {
                return Unpack(packed);
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            path = cut <= 0 ? string.Empty : path[..cut];
        }

        return (Line, Column);
    }

    /// <summary>Whether the path itself is in the manifest.</summary>
    /// <param name="path">The field path.</param>
    /// <returns><see langword="true"/> when it was recorded.</returns>
    public bool Contains(string path) => _positions.ContainsKey(path);

    /// <inheritdoc/>
    public override string ToString() => Object + " at " + File + ":" + Line.ToString(CultureInfo.InvariantCulture) + ":" + Column.ToString(CultureInfo.InvariantCulture);

    internal static long Pack(int line, int column) => ((long)line << 32) | (uint)column;

    private static (int, int) Unpack(long packed) => ((int)(packed >> 32), (int)(packed & 0xFFFFFFFF));

    /// <summary>Walks an object's tree once and records every field path: a mapping entry at its key, a list entry at
    /// the entry (aliases are walked where they are used, at most <see cref="MaxPaths"/> paths).</summary>
    internal static Dictionary<string, long> Record(MappingNode root)
    {
        var positions = new Dictionary<string, long>(StringComparer.Ordinal);
        var pending = new Stack<(TreeNode Node, string Path)>();
        pending.Push((root, string.Empty));
        while (pending.Count > 0 && positions.Count < MaxPaths)
        {
            var (node, path) = pending.Pop();
            switch (node)
            {
                case MappingNode map:
                    foreach (var (key, value) in map.Entries)
                    {
                        var child = path.Length == 0 ? key.Value : path + "." + key.Value;
                        if (positions.TryAdd(child, Pack(key.Line, key.Column)))
                        {
                            pending.Push((value, child));
                        }
                    }

                    break;
                case SequenceNode sequence:
                    for (var i = 0; i < sequence.Items.Count; i++)
                    {
                        var item = sequence.Items[i];
                        var child = path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                        positions.TryAdd(child, Pack(item.Line, item.Column));
                        pending.Push((item, child));
                    }

                    break;
            }
        }

        positions.TrimExcess();
        return positions;
    }

    /// <summary>The most paths recorded for one object (a policy has far fewer; aliases could make more).</summary>
    internal const int MaxPaths = 100_000;
}
