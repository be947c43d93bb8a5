using System.Globalization;
using System.Text;

namespace NetPolHost.TestKit;

/// <summary>
/// Seeded random edits of manifest text, for property tests of the loader: characters and lines deleted, inserted,
/// duplicated and swapped, indentation changed, YAML special characters inserted, text truncated, scalars replaced
/// with hostile values, quotes flipped. The same seed and input always give the same output.
/// </summary>
public sealed class ManifestMutator
{
    private static readonly string[] s_specials =
    [
        ":", ": ", "- ", "-", "[", "]", "{", "}", "#", "# ", "&a ", "*a", "*b ", "!", "!!str ", "!!int ", "!!binary ", "|", "|-\n", ">",
        "'", "\"", "%", "%YAML 1.1\n", "@", "`", ",", "?", "? ", "---\n", "---", "...\n", "<<: ", "<<: *a\n", "\t", "\n", " ", "    ",
        "\r", "\r\n", "\\", "~", "null", "&", "*", "\u0085", "\uFEFF", "\u00e9", "\U0001F4A5", "\u2028", "\0", "\u0007", "\uD800", "=", "/", ".",
    ];

    private static readonly string[] s_scalars =
    [
        "0", "-1", "1", "80", "65535", "65536", "70000", "99999999999999999999999", "-9223372036854775809", "1e400", "1e3", "80.0", "80.5",
        ".inf", "-.inf", ".nan", "0x1F", "0o17", "017", "019", "1_000", "+80", "yes", "no", "on", "off", "y", "true", "False", "null", "~",
        string.Empty, "\"\"", "''", "[]", "{}", "[[[]]]", "{a: {b: {c: []}}}", "[a, b", "{a: 1", "10.0.0.0/8", "10.0.0.0/33", "10.0.0.1",
        "010.0.0.0/8", "::/0", "2001:db8::/129", "*a", "&a x", "!!binary aGk=", "- x", "a: b", "a=b", "app=web,tier=db", new string('x', 300),
        "Ingress", "Egress", "ingress", "TCP", "tcp", "UDP", "SCTP", "ICMP", "In", "in", "NotIn", "Exists", "DoesNotExist", "http", "-x-", "a--b",
        "Http_Port", "\"80\"", "'8080'", "\"unterminated", "'", "\U0001F4A5", "kubernetes.io/metadata.name", "example.com/", "/app", "a/b/c",
        "2024-05-03T11:22:10Z", "2024-05-03", "|\n  literal", ">\n  folded", "\"\\u0000\"", "\"\\x41\"", "\"\\q\"",
    ];

    private static readonly string[] s_keys =
    [
        "apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "status", "podSelector", "namespaceSelector",
        "ipBlock", "cidr", "except", "policyTypes", "ingress", "egress", "from", "to", "ports", "port", "endPort", "protocol", "matchLabels",
        "matchExpressions", "key", "operator", "values", "items", "podIP", "podIPs", "ip", "hostNetwork", "containers", "containerPort",
        "nodeName", "ips", "<<", "lables", "ingres", "x", "app",
    ];

    private readonly Random _random;
    private readonly List<string> _applied = [];

    /// <summary>Creates a mutator.</summary>
    /// <param name="seed">The seed: the same seed gives the same edits.</param>
    public ManifestMutator(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
    }

    /// <summary>The seed.</summary>
    public int Seed { get; }

    /// <summary>The edits made by the last <see cref="Mutate"/>, in order, for failure messages.</summary>
    public IReadOnlyList<string> Applied => _applied;

    /// <summary>Applies one to four random edits to <paramref name="text"/>.</summary>
    /// <param name="text">The original text.</param>
    /// <returns>The edited text.</returns>
    public string Mutate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _applied.Clear();
        var count = _random.Next(1, 5);
        for (var i = 0; i < count; i++)
        {
            text = MutateOnce(text);
        }

        return text;
    }

    /// <summary>Formats text so that every character can be read in a failure message.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with control characters and unusual characters escaped.</returns>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c == '\n')
            {
                builder.Append("\\n\n");
            }
            else if (c == '\t')
            {
                builder.Append("\\t");
            }
            else if (c == '\\')
            {
                builder.Append("\\\\");
            }
            else if (c < ' ' || c > '~')
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private string MutateOnce(string text)
    {
        var lines = text.Split('\n').ToList();
        switch (_random.Next(16))
        {
            case 0 when text.Length > 0:
            {
                var at = _random.Next(text.Length);
                var length = Math.Min(text.Length - at, _random.Next(1, 4));
                Note($"delete {length} characters at {at}");
                return text.Remove(at, length);
            }

            case 1:
            {
                var at = _random.Next(text.Length + 1);
                var c = (char)_random.Next(32, 127);
                Note($"insert '{c}' at {at}");
                return text.Insert(at, c.ToString());
            }

            case 2:
            {
                var at = _random.Next(text.Length + 1);
                var special = Pick(s_specials);
                Note($"insert \"{Escape(special)}\" at {at}");
                return text.Insert(at, special);
            }

            case 3 when text.Length > 0:
            {
                var from = _random.Next(text.Length);
                var length = Math.Min(text.Length - from, _random.Next(1, 80));
                var at = _random.Next(text.Length + 1);
                Note($"copy {length} characters from {from} to {at}");
                return text.Insert(at, text.Substring(from, length));
            }

            case 4 when text.Length > 1:
            {
                var at = _random.Next(text.Length - 1);
                Note($"swap characters at {at}");
                var chars = text.ToCharArray();
                (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]);
                return new string(chars);
            }

            case 5 when lines.Count > 1:
            {
                var at = _random.Next(lines.Count);
                Note($"delete line {at + 1}");
                lines.RemoveAt(at);
                return string.Join('\n', lines);
            }

            case 6:
            {
                var at = _random.Next(lines.Count);
                Note($"duplicate line {at + 1}");
                lines.Insert(at, lines[at]);
                return string.Join('\n', lines);
            }

            case 7 when lines.Count > 1:
            {
                var a = _random.Next(lines.Count);
                var b = _random.Next(lines.Count);
                Note($"swap lines {a + 1} and {b + 1}");
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return string.Join('\n', lines);
            }

            case 8:
            {
                var at = _random.Next(lines.Count);
                var line = lines[at];
                var indent = line.Length - line.TrimStart(' ').Length;
                var change = _random.Next(4) switch
                {
                    0 => -Math.Min(indent, _random.Next(1, 5)),
                    1 => _random.Next(1, 5),
                    2 => -indent,
                    _ => 0,
                };
                if (change == 0)
                {
                    Note($"indent line {at + 1} with a tab");
                    lines[at] = "\t" + line.TrimStart(' ');
                }
                else
                {
                    Note($"indent line {at + 1} by {change}");
                    lines[at] = change > 0 ? new string(' ', change) + line : line[-change..];
                }

                return string.Join('\n', lines);
            }

            case 9 when text.Length > 0:
            {
                var at = _random.Next(text.Length);
                Note($"truncate at {at}");
                return text[..at];
            }

            case 10:
            case 11:
            {
                var at = _random.Next(lines.Count);
                var line = lines[at];
                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                var dash = line.IndexOf("- ", StringComparison.Ordinal);
                var cut = colon >= 0 ? colon + 2 : dash >= 0 ? dash + 2 : line.Length;
                var value = Pick(s_scalars);
                Note($"replace the value on line {at + 1} with \"{Escape(value)}\"");
                lines[at] = line[..cut] + value;
                return string.Join('\n', lines);
            }

            case 12:
            {
                var quotes = Enumerable.Range(0, text.Length).Where(i => text[i] is '"' or '\'').ToList();
                if (quotes.Count == 0)
                {
                    var at = _random.Next(text.Length + 1);
                    Note($"insert a quote at {at}");
                    return text.Insert(at, _random.Next(2) == 0 ? "\"" : "'");
                }

                var q = quotes[_random.Next(quotes.Count)];
                var flipped = text[q] == '"' ? "'" : "\"";
                var replacement = _random.Next(3) == 0 ? string.Empty : flipped;
                Note($"replace the quote at {q} with \"{replacement}\"");
                return text.Remove(q, 1).Insert(q, replacement);
            }

            case 13:
            {
                var at = _random.Next(lines.Count);
                var to = _random.Next(lines.Count);
                Note($"move line {at + 1} to {to + 1}");
                var line = lines[at];
                lines.RemoveAt(at);
                lines.Insert(Math.Min(to, lines.Count), line);
                return string.Join('\n', lines);
            }

            case 14:
            {
                var at = _random.Next(lines.Count);
                var line = lines[at];
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var start = line.Length - line.TrimStart(' ', '-').Length;
                if (colon <= start)
                {
                    goto case 2;
                }

                var key = Pick(s_keys);
                Note($"rename the key on line {at + 1} to \"{key}\"");
                lines[at] = line[..start] + key + line[colon..];
                return string.Join('\n', lines);
            }

            default:
            {
                // Also reached when a guarded case does not apply (e.g. the text is empty).
                var at = _random.Next(text.Length + 1);
                if (_random.Next(2) == 0 && text.Contains('\n', StringComparison.Ordinal))
                {
                    var newline = text.IndexOf('\n', Math.Min(at, text.Length - 1));
                    if (newline >= 0)
                    {
                        Note($"join the line ending at {newline} with the next");
                        return text.Remove(newline, 1);
                    }
                }

                Note($"split the line at {at}");
                return text.Insert(at, "\n");
            }
        }
    }

    private string Pick(string[] values) => values[_random.Next(values.Length)];

    private void Note(string edit) => _applied.Add(edit);
}
