using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Firewalld.Mapping;

/// <summary>Turns a <see cref="RulePlan"/> into firewalld objects: ipsets of addresses and up to three policies whose
/// rich rules refer to them.</summary>
/// <remarks>
/// <para>Forwarded pod traffic: one policy <c>ANY → ANY</c>. A connection needs the source pod's egress and the
/// destination pod's ingress to allow it, but in firewalld an <c>accept</c> ends all checking. So the egress checks are
/// written as drops only, and placed first: for each egress rule list, the TCP/UDP/SCTP port space is cut into classes
/// covered by the same rules, and each class drops traffic whose destination is NOT in the union of those rules' peers
/// (<c>destination NOT ipset=…</c>). Then come the ingress accepts, the ingress drops, and the accept of the remaining
/// traffic of local pods (not isolated). Other protocols (ICMP…) are handled after TCP/UDP/SCTP are decided, in the
/// same order. Rich rule priorities fix the order:</para>
/// <list type="number">
/// <item>-80 egress drops (TCP/UDP/SCTP by port class; everything for a rule list without rules)</item>
/// <item>-70 ingress accepts (TCP/UDP/SCTP)</item>
/// <item>-60 ingress drops (TCP/UDP/SCTP; everything for a rule list without rules)</item>
/// <item>-50 accept TCP/UDP/SCTP from or to local pods</item>
/// <item>-40 egress drops of other protocols</item>
/// <item>-30 ingress accepts of other protocols (rules without ports)</item>
/// <item>-20 ingress drops of everything else</item>
/// <item>-10 accept everything else from or to local pods</item>
/// </list>
/// <para>Within one priority every rule has the same action, so their relative order never matters.</para>
/// <para>Host endpoints: policy <c>ANY → HOST</c> for their ingress and <c>HOST → ANY</c> for their egress: accept
/// node-local traffic (local pods), then the allowed entries, then drop. Traffic of endpoints that no policy isolates is
/// left to firewalld's zones (host) or accepted (pods, as Kubernetes does).</para>
/// <para>Rule count follows the distinct rule lists and port ranges, never the number of peers: peers and endpoint
/// addresses live in ipsets, which change at runtime without touching the policies.</para>
/// </remarks>
internal static partial class FirewalldPolicyMapper
{
    internal const int EgressPorts = -80;
    internal const int IngressAllowPorts = -70;
    internal const int IngressDenyPorts = -60;
    internal const int LocalPorts = -50;
    internal const int EgressOther = -40;
    internal const int IngressAllowOther = -30;
    internal const int IngressDeny = -20;
    internal const int Local = -10;

    internal const int HostNodeLocal = -30;
    internal const int HostAllow = -20;
    internal const int HostDeny = -10;

    public static FirewalldState Map(RulePlan plan, string prefix, int policyPriority)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new Builder(plan, prefix, policyPriority).Build();
    }

    /// <summary>Cuts the TCP/UDP/SCTP port space into ranges covered by the same rules (rules without ports cover all).</summary>
    /// <returns>Each range with the rules covering it, by protocol and port.</returns>
    internal static List<(PortRange Range, List<PlanRule> Covering)> PortClasses(IReadOnlyList<PlanRule> rules)
    {
        var result = new List<(PortRange, List<PlanRule>)>();
        foreach (var protocol in RichRule.PortProtocols)
        {
            var cuts = new SortedSet<int> { 0, 65536 };
            foreach (var rule in rules.Where(r => !r.Ports.IsAll))
            {
                foreach (var range in rule.Ports.Ranges.Where(r => r.Protocol == protocol))
                {
                    cuts.Add(range.First);
                    cuts.Add(range.Last + 1);
                }
            }

            var points = cuts.ToList();
            List<PlanRule>? current = null;
            var start = 0;
            for (var i = 0; i < points.Count - 1; i++)
            {
                var first = points[i];
                var covering = rules.Where(r => r.Ports.Contains(protocol, first)).ToList();
                if (current is not null && current.Select(r => r.Id).SequenceEqual(covering.Select(r => r.Id), StringComparer.Ordinal))
                {
                    continue;
                }

                if (current is not null)
                {
                    result.Add((new PortRange(protocol, start, first - 1), current));
                }

                current = covering;
                start = first;
            }

            result.Add((new PortRange(protocol, start, 65535), current!));
        }

        return result;
    }

    private sealed partial class Builder(RulePlan plan, string prefix, int policyPriority)
    {
        private readonly Dictionary<string, IpsetSpec> _ipsets = new(StringComparer.Ordinal);

        /// <summary>The keys of the hashed ipset names: two sources never share one.</summary>
        private readonly ShortKeys _keys = FirewalldNames.NewKeys();
        private readonly List<string> _warnings = [];

        public FirewalldState Build()
        {
            var pods = plan.Endpoints.Where(e => e.Kind == PlanEndpointKind.Pod).ToList();
            var hosts = plan.Endpoints.Where(e => e.Kind == PlanEndpointKind.HostEndpoint).ToList();
            var everyAddress = plan.LocalPodAddresses.Concat(plan.NodeAddresses).Concat(plan.Endpoints.SelectMany(e => e.Addresses));
            bool[] families = everyAddress.Any(IsV6) ? [false, true] : [false];
            var policies = new List<PolicySpec>();

            if (!plan.LocalPodAddresses.IsEmpty || pods.Count > 0)
            {
                var rules = new List<string>();
                foreach (var v6 in families)
                {
                    Forward(pods, v6, rules);
                    ForwardTiers(pods, v6, rules);
                }

                policies.Add(new PolicySpec(FirewalldNames.ForwardPolicy(prefix), "ANY", "ANY", policyPriority, Distinct(rules), "NetPolHost: NetworkPolicy for forwarded pod traffic"));
            }

            var input = Groups(hosts, Direction.Ingress);
            var inputRules = new List<string>();
            foreach (var v6 in families)
            {
                HostTiers(pods, hosts, Direction.Ingress, v6, inputRules);
                if (input.Count > 0)
                {
                    Host(input, Direction.Ingress, v6, inputRules);
                }
            }

            if (inputRules.Count > 0)
            {
                policies.Add(new PolicySpec(FirewalldNames.InputPolicy(prefix), "ANY", "HOST", policyPriority, Distinct(inputRules), "NetPolHost: NetworkPolicy for traffic to host endpoints"));
            }

            var output = Groups(hosts, Direction.Egress);
            var outputRules = new List<string>();
            foreach (var v6 in families)
            {
                HostTiers(pods, hosts, Direction.Egress, v6, outputRules);
                if (output.Count > 0)
                {
                    Host(output, Direction.Egress, v6, outputRules);
                }
            }

            if (outputRules.Count > 0)
            {
                policies.Add(new PolicySpec(FirewalldNames.OutputPolicy(prefix), "HOST", "ANY", policyPriority, Distinct(outputRules), "NetPolHost: NetworkPolicy for traffic from host endpoints"));
            }

            foreach (var endpoint in hosts.Where(h => h.InterfaceName is not null))
            {
                _warnings.Add($"host endpoint {FirewalldNames.Comment(endpoint.Name)}: firewalld policies cannot match an interface without moving it to another zone; its rules apply on every interface");
            }

            return new FirewalldState(_ipsets.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList(), policies, _warnings);
        }

        private void Forward(List<PlanEndpoint> pods, bool v6, List<string> rules)
        {
            var local = LocalPods(v6);
            foreach (var (ids, members) in Groups(pods, Direction.Egress))
            {
                var source = new RichRule.Match(EndpointSet('e', ids, members, v6, "pods whose egress these rules govern"));
                var planRules = ids.Select(plan.GetRule).ToList();
                if (planRules.Count == 0)
                {
                    rules.Add(RichRule.Build(EgressPorts, v6, source, null, null, accept: false));
                    continue;
                }

                foreach (var (range, covering) in PortClasses(planRules))
                {
                    var element = RichRule.Port(range);
                    if (element is null || covering.Any(r => r.Peers.IsAll))
                    {
                        continue;
                    }

                    var destination = covering.Count == 0 ? (RichRule.Match?)null : new RichRule.Match(PeerSet(covering, v6), Not: true);
                    rules.Add(RichRule.Build(EgressPorts, v6, source, destination, element, accept: false));
                }

                var anyPort = planRules.Where(r => r.Ports.IsAll).ToList();
                if (!anyPort.Any(r => r.Peers.IsAll))
                {
                    var destination = anyPort.Count == 0 ? (RichRule.Match?)null : new RichRule.Match(PeerSet(anyPort, v6), Not: true);
                    rules.Add(RichRule.Build(EgressOther, v6, source, destination, null, accept: false));
                }
            }

            foreach (var (ids, members) in Groups(pods, Direction.Ingress))
            {
                var destination = new RichRule.Match(EndpointSet('i', ids, members, v6, "pods whose ingress these rules govern"));
                var planRules = ids.Select(plan.GetRule).ToList();
                if (planRules.Count == 0)
                {
                    rules.Add(RichRule.Build(IngressDenyPorts, v6, null, destination, null, accept: false));
                    continue;
                }

                foreach (var rule in planRules)
                {
                    var source = rule.Peers.IsAll ? (RichRule.Match?)null : new RichRule.Match(PeerSet([rule], v6));
                    if (rule.Ports.IsAll)
                    {
                        foreach (var protocol in RichRule.PortProtocols)
                        {
                            rules.Add(RichRule.Build(IngressAllowPorts, v6, source, destination, RichRule.ProtocolElement(protocol), accept: true));
                        }

                        rules.Add(RichRule.Build(IngressAllowOther, v6, source, destination, null, accept: true));
                        continue;
                    }

                    foreach (var range in rule.Ports.Ranges)
                    {
                        if (RichRule.Port(range) is { } element)
                        {
                            rules.Add(RichRule.Build(IngressAllowPorts, v6, source, destination, element, accept: true));
                        }
                    }
                }

                foreach (var protocol in RichRule.PortProtocols)
                {
                    rules.Add(RichRule.Build(IngressDenyPorts, v6, null, destination, RichRule.ProtocolElement(protocol), accept: false));
                }

                rules.Add(RichRule.Build(IngressDeny, v6, null, destination, null, accept: false));
            }

            foreach (var protocol in RichRule.PortProtocols)
            {
                rules.Add(RichRule.Build(LocalPorts, v6, new RichRule.Match(local), null, RichRule.ProtocolElement(protocol), accept: true));
                rules.Add(RichRule.Build(LocalPorts, v6, null, new RichRule.Match(local), RichRule.ProtocolElement(protocol), accept: true));
            }

            rules.Add(RichRule.Build(Local, v6, new RichRule.Match(local), null, null, accept: true));
            rules.Add(RichRule.Build(Local, v6, null, new RichRule.Match(local), null, accept: true));
        }

        private void Host(List<(IReadOnlyList<string> Ids, List<PlanEndpoint> Members)> groups, Direction direction, bool v6, List<string> rules)
        {
            var ingress = direction == Direction.Ingress;
            var local = new RichRule.Match(LocalPods(v6));
            foreach (var (ids, members) in groups)
            {
                var endpoint = new RichRule.Match(EndpointSet(ingress ? 'h' : 'o', ids, members, v6, ingress ? "host endpoints whose ingress these rules govern" : "host endpoints whose egress these rules govern"));
                rules.Add(ingress
                    ? RichRule.Build(HostNodeLocal, v6, local, endpoint, null, accept: true)
                    : RichRule.Build(HostNodeLocal, v6, endpoint, local, null, accept: true));
                foreach (var rule in ids.Select(plan.GetRule))
                {
                    var peer = rule.Peers.IsAll ? (RichRule.Match?)null : new RichRule.Match(PeerSet([rule], v6));
                    IEnumerable<string?> elements = rule.Ports.IsAll ? [null] : rule.Ports.Ranges.Select(RichRule.Port).Where(e => e is not null);
                    foreach (var element in elements)
                    {
                        rules.Add(ingress
                            ? RichRule.Build(HostAllow, v6, peer, endpoint, element, accept: true)
                            : RichRule.Build(HostAllow, v6, endpoint, peer, element, accept: true));
                    }
                }

                rules.Add(ingress
                    ? RichRule.Build(HostDeny, v6, null, endpoint, null, accept: false)
                    : RichRule.Build(HostDeny, v6, endpoint, null, null, accept: false));
            }
        }

        /// <summary>The endpoints a direction of which NetworkPolicies isolate and no tier applies to, by rule list
        /// (those with tiers: <see cref="TierGroups"/>).</summary>
        private static List<(IReadOnlyList<string> Ids, List<PlanEndpoint> Members)> Groups(IEnumerable<PlanEndpoint> endpoints, Direction direction) =>
            endpoints.Where(e => e.For(direction).Isolated && !e.For(direction).HasTiers)
                .GroupBy(e => string.Join(",", e.For(direction).Rules), StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => ((IReadOnlyList<string>)[.. g.First().For(direction).Rules], g.ToList()))
                .ToList();

        private string LocalPods(bool v6)
        {
            var name = FirewalldNames.LocalPods(prefix, v6);
            if (!_ipsets.ContainsKey(name))
            {
                _ipsets[name] = new IpsetSpec(name, "hash:ip", v6, HostEntries(plan.LocalPodAddresses, v6), "NetPolHost: addresses of the pods on this node", "every pod on this node");
            }

            return name;
        }

        private string EndpointSet(char kind, IReadOnlyList<string> ids, List<PlanEndpoint> members, bool v6, string what)
        {
            var name = FirewalldNames.EndpointGroup(prefix, kind, ids, v6, _keys);
            if (!_ipsets.ContainsKey(name))
            {
                var comment = what + ": " + string.Join(", ", members.Select(m => m.Name));
                _ipsets[name] = new IpsetSpec(name, "hash:ip", v6, HostEntries(members.SelectMany(m => m.Addresses), v6), "NetPolHost: " + what, FirewalldNames.Comment(comment));
            }

            return name;
        }

        private string PeerSet(IReadOnlyList<PlanRule> rules, bool v6)
        {
            var ordered = rules.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
            var type = ordered.Any(r => !r.Peers.Ranges.IsEmpty) ? "hash:net" : "hash:ip";
            var name = FirewalldNames.Peers(prefix, type, ordered.Select(r => r.Id), v6, _keys);
            if (!_ipsets.ContainsKey(name))
            {
                var entries = type == "hash:ip"
                    ? HostEntries(ordered.SelectMany(r => r.Peers.Hosts), v6)
                    : NetEntries(ordered.SelectMany(r => r.Peers.ToRanges(v6)), v6);
                var comment = "peers of " + string.Join(", ", ordered.Select(r => r.Source + (r.Direction == Direction.Ingress ? " ingress" : " egress")));
                _ipsets[name] = new IpsetSpec(name, type, v6, entries, "NetPolHost: peer addresses of policy rules", FirewalldNames.Comment(comment));
            }

            return name;
        }
    }

    private static List<string> Distinct(List<string> rules)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return rules.Where(seen.Add).ToList();
    }

    /// <summary>Distinct addresses of one family, sorted numerically (IPv4-mapped IPv6 counts as IPv4).</summary>
    internal static List<string> HostEntries(IEnumerable<IPAddress> addresses, bool v6) =>
        addresses.Select(Unmap).Where(a => IsV6(a) == v6)
            .Select(a => (Value: ToNumber(a), Address: a))
            .DistinctBy(a => a.Value)
            .OrderBy(a => a.Value)
            .Select(a => a.Address.ToString())
            .ToList();

    /// <summary>Ranges of one family merged (overlapping or adjacent ranges joined) and written as CIDR blocks; a block of
    /// one address is written as the address. firewalld's setEntries rejects overlapping entries, so merging is required.</summary>
    internal static List<string> NetEntries(IEnumerable<AddressRange> ranges, bool v6) =>
        AddressRange.Merge(ranges.Where(r => r.IsIPv6 == v6))
            .SelectMany(r => r.ToCidrs())
            .Select(c => AddressRange.FromCidr(c).ToString())
            .ToList();

    /// <summary>The canonical text of an ipset entry (address or network), for comparing with what firewalld returns.</summary>
    internal static string NormalizeEntry(string entry)
    {
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && Cidr.TryParse(entry, out var cidr))
        {
            return AddressRange.FromCidr(cidr).ToString();
        }

        return IPAddress.TryParse(entry, out var address) ? Unmap(address).ToString() : entry;
    }

    internal static bool IsV6(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6;

    private static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}
