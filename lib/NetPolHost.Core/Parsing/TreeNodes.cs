namespace NetPolHost.Parsing;

/// <summary>The type a plain YAML scalar resolves to (YAML 1.1 rules, as the API server's YAML reader applies them).</summary>
internal enum ScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}

/// <summary>A node of a parsed YAML or JSON document, with its position.</summary>
internal abstract class TreeNode
{
    protected TreeNode(int line, int column)
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }

    /// <summary>How the node is described in messages ("a mapping", "the integer 80").</summary>
    public abstract string Describe();
}

internal sealed class ScalarNode : TreeNode
{
    public ScalarNode(string value, ScalarKind kind, int line, int column)
        : base(line, column)
    {
        Value = value;
        Kind = kind;
    }

    public string Value { get; }

    public ScalarKind Kind { get; }

    public override string Describe() => Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Bool => "the boolean " + Value,
        ScalarKind.Int => "the integer " + Value,
        ScalarKind.Float => "the number " + Value,
        _ => "the string " + Quote(Value),
    };

    public static string Quote(string value)
    {
        var text = value.Length > 60 ? value[..57] + "..." : value;
        var builder = new System.Text.StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}

internal sealed class MappingNode : TreeNode
{
    public MappingNode(int line, int column)
        : base(line, column)
    {
    }

    public List<KeyValuePair<ScalarNode, TreeNode>> Entries { get; } = [];

    /// <summary>Keys that appeared twice: the second occurrence and the line of the first.</summary>
    public List<(ScalarNode Key, int FirstLine)>? Duplicates { get; set; }

    public TreeNode? Get(string key)
    {
        foreach (var (k, v) in Entries)
        {
            if (k.Value == key)
            {
                return v;
            }
        }

        return null;
    }

    public override string Describe() => "a mapping";
}

internal sealed class SequenceNode : TreeNode
{
    public SequenceNode(int line, int column)
        : base(line, column)
    {
    }

    public List<TreeNode> Items { get; } = [];

    public override string Describe() => "a list";
}

/// <summary>Limits that keep hostile input from exhausting memory, stack or time.</summary>
internal static class TreeLimits
{
    /// <summary>Deepest nesting of mappings and lists accepted (Kubernetes objects need about 15).</summary>
    public const int MaxDepth = 100;

    /// <summary>Most nodes that YAML aliases may add to one document when expanded.</summary>
    public const long MaxAliasExpansion = 1_000_000;
}
