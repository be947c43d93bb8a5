namespace NetPolHost.Parsing;

/// <summary>
/// A set of field paths (<c>spec.ingress[0].ports[1].port</c>) that tells, in time linear in the length of the path
/// asked about and whatever the number of paths held, whether it holds that path, a path inside it, or a path it is
/// inside.
/// </summary>
/// <remarks>
/// A path is inside another when the other is a non-empty proper prefix of it followed by <c>'.'</c> or <c>'['</c>
/// (a string rule, as label keys with dots in them are also cut there). Paths are kept as a tree of segments, each
/// segment after the first starting at a <c>'.'</c> or <c>'['</c>, so the containers of a path are exactly the nodes
/// on its way down the tree, and the paths inside it are exactly the nodes below it.
/// </remarks>
internal sealed class PathSet
{
    private readonly Node _root = new();

    /// <summary>What the set holds around one path.</summary>
    /// <param name="Same">The path itself.</param>
    /// <param name="Inside">A path inside it.</param>
    /// <param name="Enclosing">A path it is inside.</param>
    public readonly record struct Near(bool Same, bool Inside, bool Enclosing)
    {
        /// <summary>Whether the set holds the path, a path inside it, or a path it is inside.</summary>
        public bool Any => Same || Inside || Enclosing;
    }

    public void Add(string path)
    {
        var node = _root;
        var start = 0;
        var first = true;
        while (true)
        {
            var end = NextSegmentEnd(path, start, first);
            first = false;
            var segment = path[start..end];
            node.Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
            if (!node.Children.TryGetValue(segment, out var child))
            {
                child = new Node();
                node.Children[segment] = child;
            }

            node = child;
            if (end == path.Length)
            {
                break;
            }

            start = end;
        }

        node.Terminal = true;
    }

    public Near Find(string path)
    {
        var node = _root;
        var start = 0;
        var first = true;
        var enclosing = false;
        while (true)
        {
            var end = NextSegmentEnd(path, start, first);
            first = false;
            if (node.Children is null
                || !node.Children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(path.AsSpan(start, end - start), out var child))
            {
                return new Near(false, false, enclosing);
            }

            node = child;
            if (end == path.Length)
            {
                return new Near(node.Terminal, path.Length > 0 && node.Children is { Count: > 0 }, enclosing);
            }

            // A held path that ends here, before a '.' or '[' of the path, encloses it (an empty one never does).
            enclosing |= node.Terminal && end > 0;
            start = end;
        }
    }

    /// <summary>The end of the segment starting at <paramref name="start"/>: the next '.' or '[' from its start
    /// (for the first segment, which may be empty) or after its first character (for the others, which start with
    /// '.' or '['), or the end of the path.</summary>
    private static int NextSegmentEnd(string path, int start, bool first)
    {
        var from = first ? start : start + 1;
        if (from >= path.Length)
        {
            return path.Length;
        }

        var next = path.AsSpan(from).IndexOfAny('.', '[');
        return next < 0 ? path.Length : from + next;
    }

    private sealed class Node
    {
        public Dictionary<string, Node>? Children { get; set; }

        public bool Terminal { get; set; }
    }
}
