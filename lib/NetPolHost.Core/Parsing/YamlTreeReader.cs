using System.Buffers;
using System.Globalization;
using System.Runtime.ExceptionServices;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace NetPolHost.Parsing;

/// <summary>Reads YAML text (one or more documents) into <see cref="TreeNode"/> trees with positions.</summary>
/// <remarks>
/// Plain scalars resolve with YAML 1.1 rules as the Kubernetes YAML reader does (<see cref="YamlScalars"/>). Aliases
/// share the anchored node; their expanded size is counted and limited. Nesting is limited, and so are the characters a
/// stream may hold. A syntax error ends its document; reading goes on at the next document marker. Each document is
/// handed over as soon as it ends, so a file of many documents never holds more than one tree.
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

    /// <remarks>After an error, reading goes on at the next document marker (<c>---</c> at the start of a line), so one
    /// broken document does not hide the errors, or the objects, of the documents after it.</remarks>
    public static void Read(string text, Action<Document> document, Action<int, int, string> error)
    {
        if (FindDisallowedCharacter(text) is { } bad)
        {
            // The Kubernetes YAML reader refuses these too ("control characters are not allowed").
            var (line, column) = LineColumn(text, bad);
            var found = char.IsSurrogate(text[bad])
                ? $"a lone UTF-16 surrogate U+{(int)text[bad]:X4}"
                : $"the control character U+{(int)text[bad]:X4}";
            error(line, column, $"expected YAML text, found {found} (YAML allows no control characters other than tab, line feed and carriage return)");
            return;
        }

        var start = 0;
        var lineOffset = 0;
        while (ReadSegment(text, start, lineOffset, document, error) is { } failed)
        {
            // Resume at the next document marker: on the failing line when the failure is at its start (an unclosed
            // bracket noticed at the next "---"), else after it; never on the segment's own first line again.
            var from = Math.Max(failed.Column == 1 ? failed.Line : failed.Line + 1, lineOffset + 2);
            if (FindDocumentMarker(text, start, lineOffset + 1, from) is not { } next)
            {
                return;
            }

            (start, lineOffset) = (next.Index, next.Line - 1);
        }
    }

    private static readonly SearchValues<char> s_disallowed = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F" +
        "\u007F\u0080\u0081\u0082\u0083\u0084\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F" +
        "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F" +
        "\uFFFE\uFFFF");

    /// <summary>The index of the first character YAML 1.1 does not allow in a stream (C0 and C1 control characters
    /// other than tab, line feed, carriage return and next line; U+FFFE, U+FFFF; unpaired surrogates), or null.</summary>
    private static int? FindDisallowedCharacter(string text)
    {
        var span = text.AsSpan();
        var control = span.IndexOfAny(s_disallowed);
        var searchEnd = control < 0 ? span.Length : control;
        var offset = 0;
        while (offset < searchEnd)
        {
            var surrogate = span[offset..searchEnd].IndexOfAnyInRange('\uD800', '\uDFFF');
            if (surrogate < 0)
            {
                break;
            }

            var at = offset + surrogate;
            if (char.IsHighSurrogate(span[at]) && at + 1 < span.Length && char.IsLowSurrogate(span[at + 1]))
            {
                offset = at + 2;
                continue;
            }

            return at;
        }

        return control < 0 ? null : control;
    }

    private static (int Line, int Column) LineColumn(string text, int index)
    {
        var before = text.AsSpan(0, index);
        var line = before.Count('\n') + 1;
        return (line, index - (before.LastIndexOf('\n') + 1) + 1);
    }

    /// <summary>The index and 1-based line of the first line at or after <paramref name="fromLine"/> that starts a
    /// document (<c>---</c> alone or followed by a space).</summary>
    private static (int Index, int Line)? FindDocumentMarker(string text, int index, int line, int fromLine)
    {
        while (index < text.Length)
        {
            var end = text.IndexOf('\n', index);
            if (end < 0)
            {
                end = text.Length;
            }

            if (line >= fromLine && text.AsSpan(index, end - index).TrimEnd('\r') is var content
                && content.StartsWith("---", StringComparison.Ordinal) && (content.Length == 3 || content[3] is ' ' or '\t'))
            {
                return (index, line);
            }

            index = end + 1;
            line++;
        }

        return null;
    }

    /// <summary>Reads the documents of <paramref name="text"/> from <paramref name="start"/> (the start of line
    /// <paramref name="lineOffset"/> + 1); returns the place of the error that stopped it, or null at the end.</summary>
    private static (int Line, int Column)? ReadSegment(string text, int start, int lineOffset, Action<Document> document, Action<int, int, string> error)
    {
        var parser = new Parser(new SegmentReader(text, start));
        var stack = new Stack<Frame>();
        var anchors = new Dictionary<string, (TreeNode Node, long Size)>(StringComparer.Ordinal);
        TreeNode? root = null;
        long aliasExpansion = 0;
        var documentLine = 1;
        ExceptionDispatchInfo? callbackFailure = null;
        var parsing = false; // inside parser.MoveNext(): a failure now is the YAML library's, not ours
        try
        {
            while (callbackFailure is null && MoveNext())
            {
                var current = parser.Current!;
                switch (current)
                {
                    case DocumentStart documentStart:
                        root = null;
                        anchors.Clear();
                        aliasExpansion = 0;
                        documentLine = (int)documentStart.Start.Line + lineOffset;
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

                        Add(new ScalarNode(scalar.Value, YamlScalars.Resolve(scalar), (int)scalar.Start.Line + lineOffset, (int)scalar.Start.Column), scalar, 1);
                        break;
                    case MappingStart mapping:
                        Push(new MappingNode((int)mapping.Start.Line + lineOffset, (int)mapping.Start.Column), mapping);
                        break;
                    case SequenceStart sequence:
                        Push(new SequenceNode((int)sequence.Start.Line + lineOffset, (int)sequence.Start.Column), sequence);
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
            var line = (ex.Start.Line > 0 ? (int)ex.Start.Line : 1) + lineOffset;
            var column = ex.Start.Column > 0 ? (int)ex.Start.Column : 1;
            if (ex.Message.Contains(" tab", StringComparison.Ordinal) && FindIndentationTab(text, start, lineOffset + 1, line) is { } tab)
            {
                // The parser reports tabs at the start of the enclosing mapping or scalar; point at the tab itself.
                error(tab.Line, tab.Column, "invalid YAML: expected spaces for indentation, found a tab (YAML does not allow tabs there)");
                return tab.Line > line ? tab : (line, column);
            }

            error(line, column, "invalid YAML: " + CleanMessage(ex));
            return (line, column);
        }
        catch (InvalidOperationException ex) when (parsing && IsBare(ex))
        {
            // YamlDotNet's scanner fails this way (a bare InvalidOperationException, without position or message of
            // its own) on a plain value inside [ ] or { } that goes on at a line indented no more than the key:
            // "metadata: {name: a,\nnamespace: b}". The scanner reads ahead of the events, so the [ or { may not have
            // been reported yet. Point at that line.
            var lastLine = (parser.Current is { } last ? (int)last.End.Line : 0) + lineOffset;
            var (line, column) = FirstContentAfter(text, start, lineOffset + 1, lastLine) ?? (lastLine, 1);
            error(line, column, "invalid YAML: expected the lines inside [ ] or { } to be indented more than the key they belong to, found this line (or a bracket above is not closed)");
            return (line, column);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failure inside the YAML library itself: report it where reading stopped.
            var line = (parser.Current is { } last ? (int)last.End.Line : 1) + lineOffset;
            var column = parser.Current is { } at ? (int)at.End.Column : 1;
            error(line, column, $"invalid YAML: expected text the YAML reader can read, found text it fails on ({ex.GetType().Name}: {ex.Message})");
            return (line, column);
        }

        callbackFailure?.Throw();
        return null;

        bool MoveNext()
        {
            parsing = true;
            var more = parser.MoveNext();
            parsing = false;
            return more;
        }

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

    /// <summary>Whether an exception was thrown without a message or inner exception of its own (its message is the
    /// runtime's default, in the current culture): how YamlDotNet's scanner reports a plain value inside [ ] or { }
    /// indented too little. Other failures of the library (an empty stack, a bug) carry messages of their own.</summary>
    private static bool IsBare(InvalidOperationException ex) =>
        ex.InnerException is null && ex.GetType() == typeof(InvalidOperationException)
        && string.Equals(ex.Message, new InvalidOperationException().Message, StringComparison.Ordinal);

    private static string CleanMessage(YamlException ex)
    {
        var message = ex.Message;

        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 40) - (Line: …): "; the place is reported separately.
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && marker > 0)
        {
            message = message[(marker + 3)..];
        }

        message = string.Join(' ', message.Split(' ', StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.');

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

    /// <summary>The line and column of the first non-blank character on a line after <paramref name="afterLine"/>,
    /// searching from <paramref name="lineStart"/>, the start of line <paramref name="line"/>.</summary>
    private static (int Line, int Column)? FirstContentAfter(string text, int lineStart, int line, int afterLine)
    {
        while (lineStart < text.Length)
        {
            var lineEnd = text.IndexOf('\n', lineStart);
            if (lineEnd < 0)
            {
                lineEnd = text.Length;
            }

            if (line > afterLine)
            {
                for (var i = lineStart; i < lineEnd; i++)
                {
                    if (text[i] is not (' ' or '\t' or '\r'))
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

    /// <summary>The first tab in the indentation of a line at or after <paramref name="fromLine"/>, searching from
    /// <paramref name="lineStart"/>, the start of line <paramref name="line"/>.</summary>
    private static (int Line, int Column)? FindIndentationTab(string text, int lineStart, int line, int fromLine)
    {
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

    /// <summary>Reads a string from an index on, without copying it.</summary>
    private sealed class SegmentReader(string text, int start) : TextReader
    {
        private int _position = start;

        public override int Peek() => _position < text.Length ? text[_position] : -1;

        public override int Read() => _position < text.Length ? text[_position++] : -1;

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer)
        {
            var count = Math.Min(buffer.Length, text.Length - _position);
            text.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override string ReadToEnd()
        {
            var rest = text[_position..];
            _position = text.Length;
            return rest;
        }
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
