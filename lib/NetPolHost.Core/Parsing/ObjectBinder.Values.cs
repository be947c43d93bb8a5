using System.Globalization;
using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Parsing;

/// <content>Readers of single values (mappings, lists, strings, integers, booleans, protocols, addresses, labels):
/// each records the position of what it reads and reports a wrong type at it.</content>
internal sealed partial class ObjectBinder
{
    private const string ProtocolList = "one of \"TCP\", \"UDP\", \"SCTP\"";

    private Protocol ProtocolField(TreeNode? node, string path)
    {
        var text = String(node, path, ProtocolList);
        if (text is null)
        {
            return Protocol.Tcp;
        }

        if (ProtocolNames.TryParse(text, out var protocol))
        {
            return protocol;
        }

        Error(node!, path, $"expected {ProtocolList}, found {Quote(text)}{Hints.ProtocolCase(text)}");
        return Protocol.Tcp;
    }

    private IPAddress? Address(TreeNode? node, string path)
    {
        var text = String(node, path);
        if (text is null)
        {
            return null;
        }

        if (IpMath.TryParseAddress(text, out var address))
        {
            return address;
        }

        Error(node!, path, $"expected an IPv4 or IPv6 address, found {Quote(text)}");
        return null;
    }

    private LabelMap Labels(TreeNode? node, string path, bool validateOnly = false)
    {
        if (node is ScalarNode { Kind: ScalarKind.String } scalar && !validateOnly)
        {
            Position(path, node);
            var suggestion = scalar.Value.Contains('=', StringComparison.Ordinal) || scalar.Value.Contains(':', StringComparison.Ordinal)
                ? $"; write {{{Hints.Labels(scalar.Value.Replace(':', '='))}}}, or one key: value per line, indented below"
                : string.Empty;
            Error(node, path, $"expected a mapping of label keys to values, found {scalar.Describe()}{suggestion}");
            return LabelMap.Empty;
        }

        if (Map(node, path, validateOnly ? "a mapping of keys to values" : "a mapping of label keys to values") is not { } map)
        {
            return LabelMap.Empty;
        }

        var pairs = new List<KeyValuePair<string, string>>(map.Entries.Count);
        foreach (var (key, value) in map.Entries)
        {
            var itemPath = path + "." + key.Value;
            if (!validateOnly && Validation.Rules.LabelKey(key.Value) is { } keyProblem)
            {
                // Reported here, at the key itself; the validator's report of it (same path) is then left out.
                Error(key, itemPath, keyProblem);
            }

            if (LabelString(value, itemPath) is { } text)
            {
                pairs.Add(new(key.Value, text));
            }
        }

        return validateOnly ? LabelMap.Empty : LabelMap.From(pairs);
    }

    /// <summary>A label value or selector value: a string; null reads as the empty string, as in Go.</summary>
    private string? LabelString(TreeNode node, string path)
    {
        Position(path, node);
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.String } scalar:
                return scalar.Value;
            case ScalarNode { Kind: ScalarKind.Null }:
                return string.Empty;
            case ScalarNode scalar:
                Error(node, path, $"expected a string, found {scalar.Describe()} (quote it: {Quote(scalar.Value)})");
                return null;
            default:
                Error(node, path, $"expected a string, found {node.Describe()}");
                return null;
        }
    }

    private MappingNode? Map(TreeNode? node, string path, string expected = "a mapping")
    {
        if (node is null)
        {
            return null;
        }

        Position(path, node);
        switch (node)
        {
            case MappingNode map:
                return map;
            case ScalarNode { Kind: ScalarKind.Null }:
                return null;
            default:
                Error(node, path, $"expected {expected}, found {node.Describe()}");
                return null;
        }
    }

    private List<TreeNode> Seq(TreeNode? node, string path)
    {
        if (node is null)
        {
            return [];
        }

        Position(path, node);
        switch (node)
        {
            case SequenceNode sequence:
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    Position(Index(path, i), sequence.Items[i]);
                }

                return sequence.Items;
            case ScalarNode { Kind: ScalarKind.Null }:
                return [];
            default:
                var hint = node is MappingNode ? " (start each entry with '- ')" : string.Empty;
                Error(node, path, $"expected a list, found {node.Describe()}{hint}");
                return [];
        }
    }

    /// <param name="node">The node, or <see langword="null"/> when absent.</param>
    /// <param name="path">The field path.</param>
    /// <param name="expected">For fields with a fixed set of values: what the message says is expected (no hint to
    /// quote the value, which would not make it valid).</param>
    private string? String(TreeNode? node, string path, string? expected = null)
    {
        if (node is null)
        {
            return null;
        }

        Position(path, node);
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.String } scalar:
                return scalar.Value;
            case ScalarNode { Kind: ScalarKind.Null }:
                return null;
            case ScalarNode scalar when expected is null:
                Error(node, path, $"expected a string, found {scalar.Describe()} (quote it: {Quote(scalar.Value)})");
                return null;
            default:
                Error(node, path, $"expected {expected ?? "a string"}, found {node.Describe()}");
                return null;
        }
    }

    /// <summary>Whether a field is absent or null (so "found none" is the right thing to say about it).</summary>
    private static bool IsAbsent(TreeNode? node) => node is null or ScalarNode { Kind: ScalarKind.Null };

    /// <summary>Records that the entry at <paramref name="path"/> could not be bound and returns its placeholder.</summary>
    private T Unbound<T>(string path, T placeholder)
    {
        _unbound.Add(path);
        return placeholder;
    }

    private long? Int(TreeNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        Position(path, node);
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.Null }:
                return null;
            case ScalarNode { Kind: ScalarKind.Int or ScalarKind.Float } scalar when IntegerValue(scalar) is { } value:
                return value;
            case ScalarNode { Kind: ScalarKind.String } scalar when long.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out _):
                Error(node, path, $"expected an integer, found {scalar.Describe()} (remove the quotes)");
                return null;
            default:
                Error(node, path, $"expected an integer, found {node.Describe()}");
                return null;
        }
    }

    private bool? Bool(TreeNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        Position(path, node);
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.Null }:
                return null;
            case ScalarNode { Kind: ScalarKind.Bool } scalar:
                return scalar.Value is "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON";
            case ScalarNode { Kind: ScalarKind.String, Value: "true" or "false" } scalar:
                Error(node, path, $"expected true or false, found {scalar.Describe()} (remove the quotes)");
                return null;
            default:
                Error(node, path, $"expected true or false, found {node.Describe()}");
                return null;
        }
    }

    /// <summary>The integer value of an integer scalar, or of a float scalar with an integral value (as JSON allows).</summary>
    private static long? IntegerValue(ScalarNode scalar)
    {
        var text = scalar.Value.Replace("_", string.Empty, StringComparison.Ordinal);
        if (scalar.Kind == ScalarKind.Int && YamlScalars.TryParseInteger(text, out var value))
        {
            return value;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && Math.Floor(number) == number && !double.IsInfinity(number))
        {
            // Beyond 2^53 a double no longer holds every integer: say what the text was rather than a rounded value.
            return Math.Abs(number) <= 9_007_199_254_740_992d ? (long)number : null;
        }

        return null;
    }
}
