using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using NetPolHost.Firewalld.Mapping;
using NetPolHost.Model;

namespace NetPolHost.Firewalld.Tests.Fakes;

/// <summary>Evaluates the rich rules of one firewalld policy the way firewalld's nftables chains do: rules sorted by
/// priority (stable), the first that matches decides; none matching means the policy continues (the zones decide).</summary>
internal static partial class RichRuleEvaluator
{
    /// <summary>The verdict of a policy for a packet: true accept, false drop, null continue.</summary>
    /// <param name="protocol">"tcp", "udp", "sctp" or another protocol name (e.g. "icmp", which has no ports).</param>
    public static bool? Evaluate(PolicySpec policy, IReadOnlyList<IpsetSpec> ipsets, IPAddress source, IPAddress destination, string protocol, int port)
    {
        var sets = ipsets.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var ordered = policy.RichRules.Select((r, i) => (Rule: Parse(r), Index: i)).OrderBy(r => r.Rule.Priority).ThenBy(r => r.Index);
        var v6 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        foreach (var (rule, _) in ordered)
        {
            if (rule.V6 != v6)
            {
                continue;
            }

            if (rule.Source is { } s && In(sets[s.Set], source) == s.Not)
            {
                continue;
            }

            if (rule.Destination is { } d && In(sets[d.Set], destination) == d.Not)
            {
                continue;
            }

            if (rule.Protocol is { } p && p != protocol)
            {
                continue;
            }

            if (rule.Ports is { } ports && (port < ports.First || port > ports.Last))
            {
                continue;
            }

            return rule.Accept;
        }

        return null;
    }

    public static ParsedRule Parse(string rule)
    {
        var match = Grammar().Match(rule);
        if (!match.Success)
        {
            throw new FormatException("Not a rich rule the backend writes: " + rule);
        }

        string? protocol = null;
        (int, int)? ports = null;
        if (match.Groups["pport"].Success)
        {
            var first = int.Parse(match.Groups["pport"].Value, CultureInfo.InvariantCulture);
            var last = match.Groups["plast"].Success ? int.Parse(match.Groups["plast"].Value, CultureInfo.InvariantCulture) : first;
            ports = (first, last);
            protocol = match.Groups["pproto"].Value;
        }
        else if (match.Groups["proto"].Success)
        {
            protocol = match.Groups["proto"].Value;
        }

        return new ParsedRule(
            int.Parse(match.Groups["prio"].Value, CultureInfo.InvariantCulture),
            match.Groups["family"].Value == "ipv6",
            match.Groups["src"].Success ? (match.Groups["src"].Value, match.Groups["snot"].Success) : null,
            match.Groups["dst"].Success ? (match.Groups["dst"].Value, match.Groups["dnot"].Success) : null,
            protocol,
            ports,
            match.Groups["action"].Value == "accept");
    }

    private static bool In(IpsetSpec set, IPAddress address) =>
        set.Entries.Any(e => e.Contains('/', StringComparison.Ordinal) ? Cidr.Parse(e).Contains(address) : IPAddress.Parse(e).Equals(address));

    [GeneratedRegex("^rule priority=\"(?<prio>-?\\d+)\" family=\"(?<family>ipv4|ipv6)\"( source (?<snot>NOT )?ipset=\"(?<src>[^\"]+)\")?( destination (?<dnot>NOT )?ipset=\"(?<dst>[^\"]+)\")?( port port=\"(?<pport>\\d+)(-(?<plast>\\d+))?\" protocol=\"(?<pproto>\\w+)\"| protocol value=\"(?<proto>\\w+)\")? (?<action>accept|drop)$")]
    private static partial Regex Grammar();

    internal sealed record ParsedRule(int Priority, bool V6, (string Set, bool Not)? Source, (string Set, bool Not)? Destination, string? Protocol, (int First, int Last)? Ports, bool Accept);
}
