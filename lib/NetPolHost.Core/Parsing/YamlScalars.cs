using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace NetPolHost.Parsing;

/// <summary>YAML 1.1 scalar resolution, as the Kubernetes YAML reader does it: <c>yes</c>, <c>on</c>, <c>n</c> are
/// booleans, <c>~</c> and the empty value are null, <c>0x1F</c>, <c>0o17</c>, <c>017</c>, <c>0b101</c> and <c>1_000</c>
/// are integers.</summary>
internal static class YamlScalars
{
    /// <summary>The kind of a scalar event: by its tag when it has a specific one, a string when quoted or block, else
    /// as <see cref="ResolvePlain"/>.</summary>
    public static ScalarKind Resolve(Scalar scalar)
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
    public static ScalarKind ResolvePlain(string value)
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
    public static bool TryParseInteger(string text, out long value)
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
}
