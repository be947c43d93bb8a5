using System.Globalization;
using System.Runtime.ExceptionServices;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace NetPolHost.Parsing;

/// <summary>Reads YAML text (one or more documents) into <see cref="TreeNode"/> trees with positions.</summary>
/// <remarks>
/// Plain scalars resolve with YAML 1.1 rules as the Kubernetes YAML reader does (<c>yes</c>, <c>on</c> are booleans,
/// <c>80</c> is an integer). Aliases share the anchored node; their expanded size is counted and limited. Nesting is
/// limited. Errors stop the reading of the stream; documents read before are kept. Each document is handed over as
/// soon as it ends, so a file of many documents never holds more than one tree.
/// </remarks>
internal static class YamlTreeReader
{
    public readonly record struct Document(TreeNode? Root, int Line);

    public static List<Document> Read(string text, Action<int, int, string> error)
    {
        var documents = new List<Document>();
        Read(text, documents.Add, error);
        return documents;
    }

    public static void Read(string text, Action<Document> document, Action<int, int, string> error)
    {
        var parser = new Parser(new StringReader(text));
        var stack = new Stack<Frame>();
        var anchors = new Dictionary<string, (TreeNode Node, long Size)>(StringComparer.Ordinal);
        TreeNode? root = null;
        long aliasExpansion = 0;
        var documentLine = 1;
        ExceptionDispatchInfo? callbackFailure = null;
        try
        {
            while (callbackFailure is null && parser.MoveNext())
            {
                var current = parser.Current!;
                switch (current)
                {
                    case DocumentStart start:
                        root = null;
                        anchors.Clear();
                        aliasExpansion = 0;
                        documentLine = (int)start.Start.Line;
                        break;
                    case DocumentEnd:
                        var done = root;
                        root = null;
                        try
                        {
                            document(new Document(done, documentLine));
                        }
                        catch (Exception ex)
                        {
                            // Not a YAML problem: let it reach the caller as it is.
                            callbackFailure = ExceptionDispatchInfo.Capture(ex);
                        }

                        break;
                    case Scalar scalar:
                        if (scalar.Value == "<<" && scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty
                            && stack.TryPeek(out var owner) && owner.Node is MappingNode && owner.PendingKey is null)
                        {
                            // A merge key ("<<: *defaults"), which the Kubernetes YAML reader (YAML 1.1) applies.
                            owner.PendingMerge = true;
                        }

                        Add(new ScalarNode(scalar.Value, Resolve(scalar), (int)scalar.Start.Line, (int)scalar.Start.Column), scalar, 1);
                        break;
                    case MappingStart mapping:
                        Push(new MappingNode((int)mapping.Start.Line, (int)mapping.Start.Column), mapping);
                        break;
                    case SequenceStart sequence:
                        Push(new SequenceNode((int)sequence.Start.Line, (int)sequence.Start.Column), sequence);
                        break;
                    case MappingEnd:
                    case SequenceEnd:
                        var frame = stack.Pop();
                        if (frame.PendingKey is not null)
                        {
                            throw new YamlException(current.Start, current.End, "expected a value for the last mapping key, found none");
                        }

                        frame.ApplyMerges();

                        Add(frame.Node, frame.Event, frame.Size);
                        break;
                    case AnchorAlias alias:
                        if (!anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            throw new YamlException(alias.Start, alias.End, $"expected an anchor &{alias.Value.Value} before the alias *{alias.Value.Value}, found none");
                        }

                        aliasExpansion += target.Size;
                        if (aliasExpansion > TreeLimits.MaxAliasExpansion)
                        {
                            throw new YamlException(
                                alias.Start,
                                alias.End,
                                $"expected aliases to expand the document to at most {TreeLimits.MaxAliasExpansion.ToString("N0", CultureInfo.InvariantCulture)} nodes, found more (a \"billion laughs\" document?); not expanding it");
                        }

                        AddNode(target.Node, alias.Start, target.Size);
                        break;
                }
            }
        }
        catch (YamlException ex)
        {
            var line = ex.Start.Line > 0 ? (int)ex.Start.Line : 1;
            var column = ex.Start.Column > 0 ? (int)ex.Start.Column : 1;
            if (ex.Message.Contains(" tab", StringComparison.Ordinal) && FindIndentationTab(text, line) is { } tab)
            {
                // The parser reports tabs at the start of the enclosing mapping or scalar; point at the tab itself.
                error(tab.Line, tab.Column, "invalid YAML: expected spaces for indentation, found a tab (YAML does not allow tabs there)");
            }
            else
            {
                error(line, column, "invalid YAML: " + CleanMessage(ex));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error(1, 1, "invalid YAML: the parser failed (" + ex.GetType().Name + ": " + ex.Message + ")");
        }

        callbackFailure?.Throw();

        void Push(TreeNode node, NodeEvent nodeEvent)
        {
            if (stack.Count >= TreeLimits.MaxDepth)
            {
                throw new YamlException(nodeEvent.Start, nodeEvent.End, $"expected at most {TreeLimits.MaxDepth.ToString(CultureInfo.InvariantCulture)} levels of nesting, found more");
            }

            stack.Push(new Frame(node, nodeEvent));
        }

        void Add(TreeNode node, NodeEvent nodeEvent, long size)
        {
            if (!nodeEvent.Anchor.IsEmpty)
            {
                anchors[nodeEvent.Anchor.Value] = (node, size);
            }

            AddNode(node, nodeEvent.Start, size);
        }

        void AddNode(TreeNode node, Mark start, long size)
        {
            if (stack.Count == 0)
            {
                root = node;
                return;
            }

            var parent = stack.Peek();
            parent.Size += size;
            switch (parent.Node)
            {
                case SequenceNode sequence:
                    sequence.Items.Add(node);
                    break;
                case MappingNode mapping when parent.PendingKey is null:
                    if (node is not ScalarNode key)
                    {
                        throw new YamlException(start, start, "expected a plain value as mapping key, found " + node.Describe());
                    }

                    parent.PendingKey = key;
                    break;
                case MappingNode when parent.PendingMerge:
                    parent.PendingKey = null;
                    parent.PendingMerge = false;
                    switch (node)
                    {
                        case MappingNode source:
                            (parent.Merges ??= []).Add(source);
                            break;
                        case SequenceNode sources when sources.Items.All(i => i is MappingNode):
                            (parent.Merges ??= []).AddRange(sources.Items.Cast<MappingNode>());
                            break;
                        default:
                            throw new YamlException(start, start, "expected a mapping or a list of mappings to merge after '<<', found " + node.Describe());
                    }

                    break;
                case MappingNode mapping:
                    var pendingKey = parent.PendingKey!;
                    parent.PendingKey = null;
                    parent.Keys ??= new Dictionary<string, int>(StringComparer.Ordinal);
                    if (parent.Keys.TryGetValue(pendingKey.Value, out var firstLine))
                    {
                        (mapping.Duplicates ??= []).Add((pendingKey, firstLine));
                    }
                    else
                    {
                        parent.Keys[pendingKey.Value] = pendingKey.Line;
                        mapping.Entries.Add(new(pendingKey, node));
                    }

                    break;
            }
        }
    }

    private static string CleanMessage(YamlException ex)
    {
        var message = ex.Message;

        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 40) - (Line: …): "; the place is reported separately.
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && marker > 0)
        {
            message = message[(marker + 3)..];
        }

        message = message.Trim().TrimEnd('.');

        // The parser's sentences start with a capital ("While parsing…"); ours and names ("YAML") are kept as they are.
        if (message.Length > 1 && char.IsUpper(message[0]) && char.IsLower(message[1]))
        {
            message = char.ToLowerInvariant(message[0]) + message[1..];
        }

        if (message.Contains("did not find expected key", StringComparison.Ordinal)
            || message.Contains("mapping values are not allowed", StringComparison.Ordinal)
            || message.Contains("did not find expected '-' indicator", StringComparison.Ordinal)
            || message.Contains("while scanning a simple key", StringComparison.Ordinal))
        {
            message += " (check the indentation of this line and the one above it)";
        }

        return message;
    }

    /// <summary>The first tab in the indentation of a line at or after <paramref name="fromLine"/>.</summary>
    private static (int Line, int Column)? FindIndentationTab(string text, int fromLine)
    {
        var line = 1;
        var lineStart = 0;
        while (lineStart <= text.Length)
        {
            var lineEnd = text.IndexOf('\n', lineStart);
            if (lineEnd < 0)
            {
                lineEnd = text.Length;
            }

            if (line >= fromLine)
            {
                for (var i = lineStart; i < lineEnd && text[i] is ' ' or '\t'; i++)
                {
                    if (text[i] == '\t')
                    {
                        return (line, i - lineStart + 1);
                    }
                }
            }

            line++;
            lineStart = lineEnd + 1;
        }

        return null;
    }

    private static ScalarKind Resolve(Scalar scalar)
    {
        var tag = scalar.Tag;
        if (!tag.IsEmpty && !tag.IsNonSpecific)
        {
            return tag.Value switch
            {
                "tag:yaml.org,2002:str" => ScalarKind.String,
                "tag:yaml.org,2002:int" => ScalarKind.Int,
                "tag:yaml.org,2002:float" => ScalarKind.Float,
                "tag:yaml.org,2002:bool" => ScalarKind.Bool,
                "tag:yaml.org,2002:null" => ScalarKind.Null,
                _ => ScalarKind.String,
            };
        }

        if (scalar.Style != ScalarStyle.Plain || tag.IsNonSpecific)
        {
            return ScalarKind.String;
        }

        return ResolvePlain(scalar.Value);
    }

    /// <summary>Resolves a plain scalar as YAML 1.1 (the Kubernetes YAML reader) does.</summary>
    internal static ScalarKind ResolvePlain(string value)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return ScalarKind.Null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "n" or "N" or "no" or "No" or "NO"
                or "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
                or "on" or "On" or "ON" or "off" or "Off" or "OFF":
                return ScalarKind.Bool;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                return ScalarKind.Float;
        }

        var c = value[0];
        if (c is not ((>= '0' and <= '9') or '-' or '+' or '.'))
        {
            return ScalarKind.String;
        }

        var plain = value.Replace("_", string.Empty, StringComparison.Ordinal);
        if (TryParseInteger(plain, out _))
        {
            return ScalarKind.Int;
        }

        return double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && !plain.EndsWith('.') && plain.Any(char.IsAsciiDigit)
            ? ScalarKind.Float
            : ScalarKind.String;
    }

    /// <summary>Parses a YAML 1.1 integer: decimal, <c>0x</c> hex, <c>0o</c> or leading-zero octal, <c>0b</c> binary.</summary>
    internal static bool TryParseInteger(string text, out long value)
    {
        value = 0;
        var span = text.AsSpan();
        var negative = false;
        if (span.Length > 0 && (span[0] == '-' || span[0] == '+'))
        {
            negative = span[0] == '-';
            span = span[1..];
        }

        if (span.IsEmpty)
        {
            return false;
        }

        int radix = 10;
        if (span.Length > 2 && span[0] == '0' && (span[1] == 'x' || span[1] == 'X'))
        {
            radix = 16;
            span = span[2..];
        }
        else if (span.Length > 2 && span[0] == '0' && (span[1] == 'o' || span[1] == 'O'))
        {
            radix = 8;
            span = span[2..];
        }
        else if (span.Length > 2 && span[0] == '0' && (span[1] == 'b' || span[1] == 'B'))
        {
            radix = 2;
            span = span[2..];
        }
        else if (span.Length > 1 && span[0] == '0')
        {
            radix = 8;
            span = span[1..];
        }

        ulong result = 0;
        foreach (var ch in span)
        {
            int digit = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'a' and <= 'f' => ch - 'a' + 10,
                >= 'A' and <= 'F' => ch - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix)
            {
                return false;
            }

            if (result > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return false;
            }

            result = (result * (ulong)radix) + (ulong)digit;
        }

        if (negative ? result > (ulong)long.MaxValue + 1 : result > long.MaxValue)
        {
            return false;
        }

        value = negative ? (long)(0 - result) : (long)result;
        return true;
    }

    private sealed class Frame(TreeNode node, NodeEvent nodeEvent)
    {
        public TreeNode Node { get; } = node;

        public NodeEvent Event { get; } = nodeEvent;

        public ScalarNode? PendingKey { get; set; }

        /// <summary>Whether the pending key is the merge key <c>&lt;&lt;</c>.</summary>
        public bool PendingMerge { get; set; }

        /// <summary>Mappings merged into this one, first one first.</summary>
        public List<MappingNode>? Merges { get; set; }

        public Dictionary<string, int>? Keys { get; set; }

        public long Size { get; set; } = 1;

        /// <summary>Adds the merged entries whose keys the mapping does not set itself (explicit keys win; among
        /// merged mappings, the first one wins).</summary>
        public void ApplyMerges()
        {
            if (Merges is null || Node is not MappingNode mapping)
            {
                return;
            }

            Keys ??= new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var source in Merges)
            {
                foreach (var entry in source.Entries)
                {
                    if (Keys.TryAdd(entry.Key.Value, entry.Key.Line))
                    {
                        mapping.Entries.Add(entry);
                    }
                }
            }
        }
    }
}
