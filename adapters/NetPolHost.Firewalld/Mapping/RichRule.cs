using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Firewalld.Mapping;

/// <summary>Writes rich rules in exactly the form firewalld prints them back (<c>rule priority="-80" family="ipv4"
/// source ipset="…" destination NOT ipset="…" port port="80" protocol="tcp" drop</c>), so rules read back from
/// firewalld compare equal to rendered ones. Only generated names, addresses and numbers appear in them.</summary>
internal static partial class RichRule
{
    /// <summary>Every protocol a Kubernetes port can name, in a fixed order.</summary>
    public static readonly Protocol[] PortProtocols = [Protocol.Tcp, Protocol.Udp, Protocol.Sctp];

    /// <summary>One side of a rule: an ipset, possibly negated.</summary>
    /// <param name="Ipset">The ipset name.</param>
    /// <param name="Not">Whether the rule matches addresses outside the ipset.</param>
    public readonly record struct Match(string Ipset, bool Not = false);

    /// <summary>Writes one rule.</summary>
    /// <param name="priority">The rich rule priority (non-zero: rules are ordered by it).</param>
    /// <param name="v6">The family.</param>
    /// <param name="source">The source match, if any.</param>
    /// <param name="destination">The destination match, if any.</param>
    /// <param name="element">The element (<see cref="Port"/> or <see cref="ProtocolElement"/>), if any.</param>
    /// <param name="accept"><see langword="true"/> for accept, else drop.</param>
    /// <returns>The rule text.</returns>
    public static string Build(int priority, bool v6, Match? source, Match? destination, string? element, bool accept)
    {
        var builder = new StringBuilder("rule");
        builder.Append(CultureInfo.InvariantCulture, $" priority=\"{priority}\"");
        builder.Append(v6 ? " family=\"ipv6\"" : " family=\"ipv4\"");
        if (source is { } s)
        {
            builder.Append(s.Not ? " source NOT ipset=\"" : " source ipset=\"").Append(s.Ipset).Append('"');
        }

        if (destination is { } d)
        {
            builder.Append(d.Not ? " destination NOT ipset=\"" : " destination ipset=\"").Append(d.Ipset).Append('"');
        }

        if (element is not null)
        {
            builder.Append(' ').Append(element);
        }

        builder.Append(accept ? " accept" : " drop");
        return builder.ToString();
    }

    /// <summary>The element of a port range of a protocol: <c>protocol value="tcp"</c> for every port, else
    /// <c>port port="80"</c> / <c>port port="80-90"</c>. Port 0 (never a usable port) is left out of ranges.</summary>
    /// <returns>The element, or <see langword="null"/> when the range holds only port 0.</returns>
    public static string? Port(PortRange range)
    {
        if (range.IsAllPorts)
        {
            return ProtocolElement(range.Protocol);
        }

        var first = Math.Max(range.First, 1);
        if (range.Last < first)
        {
            return null;
        }

        var ports = first == range.Last
            ? first.ToString(CultureInfo.InvariantCulture)
            : first.ToString(CultureInfo.InvariantCulture) + "-" + range.Last.ToString(CultureInfo.InvariantCulture);
        return $"port port=\"{ports}\" protocol=\"{Name(range.Protocol)}\"";
    }

    /// <summary>The element matching every packet of a protocol.</summary>
    public static string ProtocolElement(Protocol protocol) => $"protocol value=\"{Name(protocol)}\"";

    /// <summary>firewalld's protocol name.</summary>
    public static string Name(Protocol protocol) => protocol switch
    {
        Protocol.Tcp => "tcp",
        Protocol.Udp => "udp",
        Protocol.Sctp => "sctp",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Port ranges are TCP, UDP or SCTP; " + protocol.ToKubernetesName() + " has no ports (only a rule without ports admits it)."),
    };

    /// <summary>The ipsets a rule refers to.</summary>
    public static IEnumerable<string> ReferencedIpsets(string rule) => IpsetReference().Matches(rule).Select(m => m.Groups[1].Value);

    /// <summary>Whether a rule is of family ipv6.</summary>
    public static bool IsV6(string rule) => rule.Contains("family=\"ipv6\"", StringComparison.Ordinal);

    [GeneratedRegex("ipset=\"([^\"]*)\"")]
    private static partial Regex IpsetReference();
}
