using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NetPolHost.Parsing;

/// <summary>Reads JSON text (one value, or several values in a row as kubectl accepts) into <see cref="TreeNode"/> trees.</summary>
internal static class JsonTreeReader
{
    public static List<YamlTreeReader.Document> Read(byte[] utf8, Action<int, int, string> error)
    {
        var documents = new List<YamlTreeReader.Document>();
        var lines = new LineMap(utf8);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            AllowMultipleValues = true,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            MaxDepth = TreeLimits.MaxDepth + 1,
        });
        var stack = new Stack<Frame>();
        try
        {
            while (reader.Read())
            {
                var (line, column) = lines.Position((int)reader.TokenStartIndex);
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        if (stack.Count >= TreeLimits.MaxDepth)
                        {
                            error(line, column, $"invalid JSON: expected at most {TreeLimits.MaxDepth.ToString(CultureInfo.InvariantCulture)} levels of nesting, found more");
                            return documents;
                        }

                        stack.Push(new Frame(new MappingNode(line, column)));
                        break;
                    case JsonTokenType.StartArray:
                        if (stack.Count >= TreeLimits.MaxDepth)
                        {
                            error(line, column, $"invalid JSON: expected at most {TreeLimits.MaxDepth.ToString(CultureInfo.InvariantCulture)} levels of nesting, found more");
                            return documents;
                        }

                        stack.Push(new Frame(new SequenceNode(line, column)));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        var done = stack.Pop();
                        Add(done.Node);
                        break;
                    case JsonTokenType.PropertyName:
                    case JsonTokenType.String:
                        if (reader.ValueIsEscaped && FindLoneSurrogateEscape(reader.ValueSpan) is var lone and >= 0)
                        {
                            // GetString would throw: the escape is valid JSON syntax, but the text it makes is not
                            // valid UTF-16. The column is that of the escape (the value starts after the quote).
                            var at = column + 1 + CountCharacters(reader.ValueSpan[..lone]);
                            var escape = Encoding.ASCII.GetString(reader.ValueSpan.Slice(lone, 6));
                            error(line, at, $"invalid JSON: expected a string of Unicode characters, found the escape {escape}, half of a UTF-16 surrogate pair without its other half");
                            return documents;
                        }

                        var text = reader.GetString()!;
                        if (reader.TokenType == JsonTokenType.PropertyName)
                        {
                            stack.Peek().PendingKey = new ScalarNode(text, ScalarKind.String, line, column);
                        }
                        else
                        {
                            Add(new ScalarNode(text, ScalarKind.String, line, column));
                        }

                        break;
                    case JsonTokenType.Number:
                        var raw = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
                        var isInteger = !raw.Contains('.', StringComparison.Ordinal) && !raw.Contains('e', StringComparison.OrdinalIgnoreCase);
                        Add(new ScalarNode(raw, isInteger ? ScalarKind.Int : ScalarKind.Float, line, column));
                        break;
                    case JsonTokenType.True:
                        Add(new ScalarNode("true", ScalarKind.Bool, line, column));
                        break;
                    case JsonTokenType.False:
                        Add(new ScalarNode("false", ScalarKind.Bool, line, column));
                        break;
                    case JsonTokenType.Null:
                        Add(new ScalarNode("null", ScalarKind.Null, line, column));
                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            var line = (int)(ex.LineNumber ?? 0) + 1;
            var column = (int)(ex.BytePositionInLine ?? 0) + 1;
            error(line, column, "invalid JSON: " + CleanMessage(ex.Message));
        }

        return documents;

        void Add(TreeNode node)
        {
            if (stack.Count == 0)
            {
                documents.Add(new YamlTreeReader.Document(node, node.Line));
                return;
            }

            var parent = stack.Peek();
            if (parent.Node is SequenceNode sequence)
            {
                sequence.Items.Add(node);
                return;
            }

            var mapping = (MappingNode)parent.Node;
            var key = parent.PendingKey!;
            parent.PendingKey = null;
            parent.Keys ??= new Dictionary<string, int>(StringComparer.Ordinal);
            if (parent.Keys.TryGetValue(key.Value, out var firstLine))
            {
                (mapping.Duplicates ??= []).Add((key, firstLine));
            }
            else
            {
                parent.Keys[key.Value] = key.Line;
                mapping.Entries.Add(new(key, node));
            }
        }
    }

    /// <summary>The offset in a raw (still escaped) JSON string of the first <c>\uXXXX</c> escape of a UTF-16
    /// surrogate that is not part of a high-low pair of escapes, or -1.</summary>
    internal static int FindLoneSurrogateEscape(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }

            if (!TryEscapedUnit(raw, i, out var unit))
            {
                // Another escape (\n, \\, \" ...): skip the escaped character.
                i++;
                continue;
            }

            if (char.IsHighSurrogate((char)unit) && TryEscapedUnit(raw, i + 6, out var low) && char.IsLowSurrogate((char)low))
            {
                i += 11;
                continue;
            }

            if (char.IsSurrogate((char)unit))
            {
                return i;
            }

            i += 5;
        }

        return -1;

        static bool TryEscapedUnit(ReadOnlySpan<byte> raw, int at, out int unit)
        {
            unit = 0;
            if (at + 6 > raw.Length || raw[at] != (byte)'\\' || raw[at + 1] != (byte)'u')
            {
                return false;
            }

            for (var k = at + 2; k < at + 6; k++)
            {
                var digit = HexDigit(raw[k]);
                if (digit < 0)
                {
                    return false;
                }

                unit = (unit << 4) | digit;
            }

            return true;
        }

        static int HexDigit(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
    }

    /// <summary>The number of characters (not bytes) of UTF-8 text.</summary>
    private static int CountCharacters(ReadOnlySpan<byte> utf8)
    {
        var count = 0;
        foreach (var b in utf8)
        {
            if ((b & 0xC0) != 0x80)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Rewords the reader's message as "expected …, found …" where the reason is known.</summary>
    internal static string CleanMessage(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        message = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var quoted = message.StartsWith('\'') && message.IndexOf("' is ", 1, StringComparison.Ordinal) is var end and > 0 ? message[..(end + 1)] : null;
        if (message.Contains("trailing comma", StringComparison.Ordinal))
        {
            return message.Contains("JSON array", StringComparison.Ordinal)
                ? "expected another value after ',', found ']' (JSON does not allow a trailing comma)"
                : "expected another field after ',', found '}' (JSON does not allow a trailing comma)";
        }

        if (message.StartsWith("Expected depth to be zero", StringComparison.Ordinal))
        {
            return "expected '}' or ']' to close every object and list, found the end of the text";
        }

        if (message.Contains("reached end of data", StringComparison.Ordinal) && message.Contains("end of string", StringComparison.Ordinal))
        {
            return "expected the closing '\"' of a string, found the end of the text";
        }

        if (quoted is not null)
        {
            if (message.Contains("is invalid after a value", StringComparison.Ordinal))
            {
                return $"expected ',', '}}' or ']' after a value, found {quoted}";
            }

            if (message.Contains("is an invalid start of a value", StringComparison.Ordinal))
            {
                return $"expected a value, found {quoted}";
            }

            if (message.Contains("is invalid after a property name", StringComparison.Ordinal))
            {
                return $"expected ':' after a field name, found {quoted}";
            }

            if (message.Contains("is an invalid start of a property name", StringComparison.Ordinal))
            {
                return $"expected a field name in double quotes, found {quoted}";
            }

            if (message.Contains("is invalid within a JSON string", StringComparison.Ordinal))
            {
                return $"expected a closing '\"' or an escaped character in the string, found the control character {quoted}";
            }

            var literal = message.IndexOf("Expected the literal ", StringComparison.Ordinal);
            if (message.Contains("is an invalid JSON literal", StringComparison.Ordinal) && literal > 0)
            {
                return $"expected {message[(literal + 21)..].TrimEnd('.')}, found {quoted}";
            }
        }

        message = message.Replace(" Change the reader options.", string.Empty, StringComparison.Ordinal).TrimEnd('.', ' ');
        return message.Length > 1 && char.IsUpper(message[0]) && char.IsLower(message[1])
            ? char.ToLowerInvariant(message[0]) + message[1..]
            : message;
    }

    private sealed class Frame(TreeNode node)
    {
        public TreeNode Node { get; } = node;

        public ScalarNode? PendingKey { get; set; }

        public Dictionary<string, int>? Keys { get; set; }
    }

    /// <summary>Maps byte offsets to 1-based line and column (columns count characters, not bytes).</summary>
    private sealed class LineMap
    {
        private readonly byte[] _text;
        private readonly List<int> _starts = [0];

        public LineMap(byte[] text)
        {
            _text = text;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == (byte)'\n')
                {
                    _starts.Add(i + 1);
                }
            }
        }

        private int _lastIndex = -1;
        private int _lastOffset;
        private int _lastColumn;

        public (int Line, int Column) Position(int offset)
        {
            var index = _starts.BinarySearch(offset);
            if (index < 0)
            {
                index = ~index - 1;
            }

            // Tokens arrive in order: continue from the previous token on the same line (keeps long lines linear).
            int start, column;
            if (index == _lastIndex && offset >= _lastOffset)
            {
                start = _lastOffset;
                column = _lastColumn;
            }
            else
            {
                start = _starts[index];
                column = 1;
            }

            for (var i = start; i < offset && i < _text.Length; i++)
            {
                if ((_text[i] & 0xC0) != 0x80)
                {
                    column++;
                }
            }

            _lastIndex = index;
            _lastOffset = offset;
            _lastColumn = column;
            return (index + 1, column);
        }
    }
}
