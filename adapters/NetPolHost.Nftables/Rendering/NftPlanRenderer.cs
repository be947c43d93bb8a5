using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Nftables.Rendering;

/// <summary>Turns a <see cref="RulePlan"/> into the nft objects of the backend's table.</summary>
/// <remarks>
/// Layout: base chains on forward (pod traffic) and, when the plan has host endpoints, input and output. Each starts
/// with <c>ct state established,related accept</c>, <c>ct state invalid drop</c> and IPv6 neighbour discovery, then
/// dispatches by verdict maps keyed on the endpoint address into one chain per distinct rule list. Those chains look
/// peers and ports up in sets (<c>ip saddr @hosts meta l4proto . th dport @ports return</c>) and end in a drop, so the
/// number of rules follows the number of distinct policy rules, never the number of peers. Pod addresses go to plain
/// sets (cheap element updates); ipBlock ranges go to small interval sets. Node-local traffic never reaches the
/// forward hook, and the input/output chains accept local pods before any host endpoint check.
/// </remarks>
internal static class NftPlanRenderer
{
    private const string Established = "ct state established,related accept";
    private const string Invalid = "ct state invalid drop";
    private const string NeighbourDiscovery = "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept";

    public static NftState Render(RulePlan plan, string table)
    {
        var sets = new List<NftSet>();
        var chains = new List<NftChain>();
        var ruleLines = new Dictionary<string, string[]>(StringComparer.Ordinal);

        foreach (var rule in plan.Rules)
        {
            ruleLines[rule.Id] = RenderRule(rule, sets);
        }

        var maps = new Dictionary<string, List<string>>(StringComparer.Ordinal)
        {
            [NftNames.Ingress4] = [],
            [NftNames.Ingress6] = [],
            [NftNames.Egress4] = [],
            [NftNames.Egress6] = [],
            [NftNames.HostIngress4] = [],
            [NftNames.HostIngress6] = [],
            [NftNames.HostEgress4] = [],
            [NftNames.HostEgress6] = [],
        };
        var interfaceInput = new List<string>();
        var interfaceOutput = new List<string>();
        var chainNames = new HashSet<string>(StringComparer.Ordinal);
        var hasHostEndpoints = false;

        foreach (var endpoint in plan.Endpoints)
        {
            var isHost = endpoint.Kind == PlanEndpointKind.HostEndpoint;
            hasHostEndpoints |= isHost;
            if (endpoint.InterfaceName is { } name && !NftNames.IsValidInterfaceName(name))
            {
                throw new UnsupportedPolicyFeatureException("nftables", $"the interface name {NftNames.Comment(name)} (not a valid Linux interface name)", endpoint.Name);
            }

            foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
            {
                var directionPlan = endpoint.For(direction);
                if (!directionPlan.Isolated)
                {
                    continue;
                }

                var letter = direction == Direction.Ingress ? 'i' : 'e';
                var chainName = NftNames.Chain(letter, directionPlan.Rules);
                if (chainNames.Add(chainName))
                {
                    var lines = directionPlan.Rules.SelectMany(id => ruleLines[id]).ToList();
                    lines.Add(WithComment("counter drop", $"netpolhost {(direction == Direction.Ingress ? "ingress" : "egress")} isolated"));
                    chains.Add(new NftChain(chainName, null, [.. lines]));
                }

                foreach (var address in endpoint.Addresses)
                {
                    var v6 = IsV6(address);
                    var key = (isHost, direction, v6) switch
                    {
                        (false, Direction.Ingress, false) => NftNames.Ingress4,
                        (false, Direction.Ingress, true) => NftNames.Ingress6,
                        (false, Direction.Egress, false) => NftNames.Egress4,
                        (false, Direction.Egress, true) => NftNames.Egress6,
                        (true, Direction.Ingress, false) => NftNames.HostIngress4,
                        (true, Direction.Ingress, true) => NftNames.HostIngress6,
                        (true, Direction.Egress, false) => NftNames.HostEgress4,
                        _ => NftNames.HostEgress6,
                    };
                    if (isHost && endpoint.InterfaceName is { } iface)
                    {
                        var family = v6 ? "ip6" : "ip";
                        if (direction == Direction.Ingress)
                        {
                            interfaceInput.Add($"iifname \"{iface}\" {family} daddr {address} jump {chainName}");
                        }
                        else
                        {
                            interfaceOutput.Add($"oifname \"{iface}\" {family} saddr {address} jump {chainName}");
                        }

                        continue;
                    }

                    maps[key].Add($"{address} : jump {chainName}");
                }
            }
        }

        foreach (var (name, elements) in maps)
        {
            if (!hasHostEndpoints && name.StartsWith("np_h", StringComparison.Ordinal))
            {
                continue;
            }

            var type = name.EndsWith('4') ? "ipv4_addr" : "ipv6_addr";
            sets.Add(new NftSet(name, $"type {type} : verdict;", [.. elements.Distinct(StringComparer.Ordinal)], isMap: true));
        }

        chains.Add(BaseChain(NftNames.Forward, "type filter hook forward priority filter; policy accept;",
        [
            Established,
            Invalid,
            NeighbourDiscovery,
            $"ip saddr vmap @{NftNames.Egress4}",
            $"ip6 saddr vmap @{NftNames.Egress6}",
            $"ip daddr vmap @{NftNames.Ingress4}",
            $"ip6 daddr vmap @{NftNames.Ingress6}",
        ]));

        if (hasHostEndpoints)
        {
            var local4 = plan.LocalPodAddresses.Where(a => !IsV6(a)).Select(a => a.ToString()).ToArray();
            var local6 = plan.LocalPodAddresses.Where(IsV6).Select(a => a.ToString()).ToArray();
            sets.Add(new NftSet(NftNames.LocalPods4, "type ipv4_addr;", local4, isMap: false));
            sets.Add(new NftSet(NftNames.LocalPods6, "type ipv6_addr;", local6, isMap: false));
            chains.Add(BaseChain(NftNames.Input, "type filter hook input priority filter; policy accept;",
            [
                Established,
                Invalid,
                NeighbourDiscovery,
                "iifname \"lo\" accept",
                $"ip saddr @{NftNames.LocalPods4} accept",
                $"ip6 saddr @{NftNames.LocalPods6} accept",
                .. interfaceInput,
                $"ip daddr vmap @{NftNames.HostIngress4}",
                $"ip6 daddr vmap @{NftNames.HostIngress6}",
            ]));
            chains.Add(BaseChain(NftNames.Output, "type filter hook output priority filter; policy accept;",
            [
                Established,
                Invalid,
                NeighbourDiscovery,
                "oifname \"lo\" accept",
                $"ip daddr @{NftNames.LocalPods4} accept",
                $"ip6 daddr @{NftNames.LocalPods6} accept",
                .. interfaceOutput,
                $"ip saddr vmap @{NftNames.HostEgress4}",
                $"ip6 saddr vmap @{NftNames.HostEgress6}",
            ]));
        }

        return new NftState(table, sets, chains);
    }

    private static string[] RenderRule(PlanRule rule, List<NftSet> sets)
    {
        var name = NftNames.Rule(rule.Id);
        var label = $"{rule.Source.Policy} {(rule.Direction == Direction.Ingress ? "ingress" : "egress")}[{rule.Source.Rule.ToString(CultureInfo.InvariantCulture)}]";
        var ports = string.Empty;
        if (!rule.Ports.IsAll)
        {
            if (rule.Ports.Ranges.IsEmpty)
            {
                return [];
            }

            var portSet = name + "_p";
            sets.Add(new NftSet(portSet, "type inet_proto . inet_service; flags interval;", [.. rule.Ports.Ranges.Select(PortElement)], isMap: false));
            ports = $" meta l4proto . th dport @{portSet}";
        }

        if (rule.Peers.IsAll)
        {
            return [WithComment((ports.Trim() + " return").Trim(), label)];
        }

        var peerKeyword = rule.Direction == Direction.Ingress ? "saddr" : "daddr";
        var lines = new List<string>(4);
        var hosts4 = rule.Peers.Hosts.Where(a => !IsV6(a)).Select(a => a.ToString()).ToArray();
        var hosts6 = rule.Peers.Hosts.Where(IsV6).Select(a => a.ToString()).ToArray();
        var ranges4 = rule.Peers.Ranges.Where(r => !r.IsIPv6).Select(RangeElement).ToArray();
        var ranges6 = rule.Peers.Ranges.Where(r => r.IsIPv6).Select(RangeElement).ToArray();
        Add(name + "_h4", "type ipv4_addr;", hosts4, "ip");
        Add(name + "_h6", "type ipv6_addr;", hosts6, "ip6");
        Add(name + "_b4", "type ipv4_addr; flags interval;", ranges4, "ip");
        Add(name + "_b6", "type ipv6_addr; flags interval;", ranges6, "ip6");
        return [.. lines];

        void Add(string set, string declaration, string[] elements, string family)
        {
            if (elements.Length == 0)
            {
                return;
            }

            sets.Add(new NftSet(set, declaration, elements, isMap: false));
            lines.Add(WithComment($"{family} {peerKeyword} @{set}{ports} return", label));
        }
    }

    private static NftChain BaseChain(string name, string hook, string[] rules) =>
        new(name, hook, [.. rules.Select(r => WithComment(r, null))]);

    /// <summary>Appends a comment holding a sanitised label and a hash of the rule's text, so a rule read back from the
    /// kernel can be compared exactly with the rendered one.</summary>
    internal static string WithComment(string rule, string? label)
    {
        var fingerprint = "h:" + NftNames.Hash(rule, 8);
        var text = label is null ? fingerprint : NftNames.Comment(label) + " " + fingerprint;
        return $"{rule} comment \"{text}\"";
    }

    internal static string PortElement(PortRange range)
    {
        var protocol = range.Protocol switch
        {
            Protocol.Tcp => "tcp",
            Protocol.Udp => "udp",
            _ => "sctp",
        };
        return range.First == range.Last
            ? $"{protocol} . {range.First.ToString(CultureInfo.InvariantCulture)}"
            : $"{protocol} . {range.First.ToString(CultureInfo.InvariantCulture)}-{range.Last.ToString(CultureInfo.InvariantCulture)}";
    }

    internal static string RangeElement(AddressRange range)
    {
        if (range.IsSingle)
        {
            return range.FirstAddress.ToString();
        }

        var cidrs = range.ToCidrs();
        return cidrs.Count == 1 ? cidrs[0].ToString() : $"{range.FirstAddress}-{range.LastAddress}";
    }

    private static bool IsV6(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6;
}
