using System.Globalization;
using System.Text.RegularExpressions;

namespace NetPolHost.Validation;

/// <summary>The syntax rules of Kubernetes names, label keys, label values and port names, with messages that say what
/// was expected and what was found.</summary>
internal static partial class Rules
{
    public const string LabelNamePattern = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    public const string SubdomainPattern = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
    public const string DnsLabelPattern = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

    // Anchored with \z, not $: $ also matches before a final "\n", which would let "web\n" pass.
    [GeneratedRegex("^" + LabelNamePattern + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelName();

    [GeneratedRegex("^" + SubdomainPattern + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Subdomain();

    [GeneratedRegex("^" + DnsLabelPattern + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    public static string Quote(string value) => Parsing.ScalarNode.Quote(value);

    /// <summary>Checks a label key (<c>[prefix/]name</c>); returns null when valid.</summary>
    public static string? LabelKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        string name;
        string? problem = null;
        if (slash < 0)
        {
            name = key;
        }
        else if (key.IndexOf('/', slash + 1) >= 0)
        {
            return $"expected a label key of the form [prefix/]name with at most one '/', found {Quote(key)}";
        }
        else
        {
            var prefix = key[..slash];
            name = key[(slash + 1)..];
            if (prefix.Length == 0)
            {
                problem = "the prefix before '/' is empty";
            }
            else if (prefix.Length > 253)
            {
                problem = $"the prefix is {prefix.Length} characters long, more than 253";
            }
            else if (!Subdomain().IsMatch(prefix))
            {
                problem = $"the prefix {Quote(prefix)} is not a DNS subdomain (lower-case letters, digits, '-' and '.', regex '{SubdomainPattern}')";
            }
        }

        if (problem is null)
        {
            if (name.Length == 0)
            {
                problem = "the name part is empty";
            }
            else if (name.Length > 63)
            {
                problem = $"the name part is {name.Length} characters long, more than 63";
            }
            else if (!LabelName().IsMatch(name))
            {
                problem = $"the name part {Quote(name)} must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (regex '{LabelNamePattern}')";
            }
        }

        return problem is null ? null : $"expected a label key ([prefix/]name), found {Quote(key)}: {problem}";
    }

    /// <summary>Checks a label value; returns null when valid.</summary>
    public static string? LabelValue(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        if (value.Length > 63)
        {
            return $"expected a label value of at most 63 characters, found {value.Length} characters ({Quote(value)})";
        }

        return LabelName().IsMatch(value)
            ? null
            : $"expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '({LabelNamePattern})?'), found {Quote(value)}";
    }

    /// <summary>Checks an object name that must be a DNS subdomain; returns null when valid.</summary>
    public static string? SubdomainName(string value)
    {
        if (value.Length > 253)
        {
            return $"expected a name of at most 253 characters, found {value.Length} characters";
        }

        return Subdomain().IsMatch(value)
            ? null
            : $"expected a lower-case DNS subdomain name (letters a-z, digits, '-' and '.', starting and ending with a letter or digit; regex '{SubdomainPattern}'), found {Quote(value)}";
    }

    /// <summary>Checks a namespace name, which must be a DNS label; returns null when valid.</summary>
    public static string? DnsLabelName(string value)
    {
        if (value.Length > 63)
        {
            return $"expected a namespace name of at most 63 characters, found {value.Length} characters";
        }

        return DnsLabel().IsMatch(value)
            ? null
            : $"expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '{DnsLabelPattern}'), found {Quote(value)}";
    }

    /// <summary>Checks a port name (IANA_SVC_NAME); returns null when valid.</summary>
    public static string? PortName(string value)
    {
        var problems = new List<string>();
        if (value.Length > 15)
        {
            problems.Add($"it is {value.Length} characters long, more than 15");
        }

        if (value.Any(c => c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')))
        {
            problems.Add("it may contain only lower-case letters a-z, digits and '-'");
        }

        // Upper-case letters are already reported above: "HTTP" lacks a lower-case letter, but not a letter.
        if (!value.Any(char.IsAsciiLetter))
        {
            problems.Add(value.Length > 0 && value.All(char.IsAsciiDigit)
                ? "it must contain at least one letter (for a port number, write it without quotes)"
                : "it must contain at least one letter");
        }

        if (value.Contains("--", StringComparison.Ordinal))
        {
            problems.Add("it must not contain '--'");
        }

        if (value.StartsWith('-') || value.EndsWith('-'))
        {
            problems.Add("it must not begin or end with '-'");
        }

        return problems.Count == 0 ? null : $"expected a port name (IANA_SVC_NAME), found {Quote(value)}: {string.Join("; ", problems)}";
    }

    /// <summary>Checks a port number; returns null when valid.</summary>
    public static string? PortNumber(long value) =>
        value is >= 1 and <= 65535 ? null : $"expected a port number between 1 and 65535, found {value.ToString(CultureInfo.InvariantCulture)}";
}
