using System.Globalization;
using System.Net;
using System.Text;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>Turns a <see cref="RulePlan"/> into Windows Firewall rules for the host's own endpoints.</summary>
/// <remarks>
/// <para>For each isolated direction of each host endpoint and each address family it has, the translation emits:</para>
/// <list type="bullet">
/// <item>allow rules: one for node-local peers (the node's addresses, local host endpoints and local pods, always allowed)
/// and one per (plan rule, protocol), with the rule's peers as remote addresses and its ports;</item>
/// <item>block rules that make the allowed set exact even when other allow rules exist on the host (block beats allow):
/// one over every address no rule admits (any protocol), and, for peers that some rule admits only on some ports, one
/// per (protocol, blocked port list) over the peers whose blocked ports are that list. Peers are grouped by the ports
/// they may use (a sweep over the address space), so the number of block rules follows the number of distinct port
/// signatures, not peers × ports.</item>
/// </list>
/// <para>What it cannot express: a Windows Firewall rule names one protocol or all of them, so for a peer admitted only
/// on some TCP/UDP/SCTP ports, other protocols (ICMP, GRE…) are not blocked by these rules; they pass only when another
/// allow rule on the host admits them. SCTP rules carry no ports on Windows: a policy with SCTP ports is refused
/// (<see cref="UnsupportedPolicyFeatureException"/>); SCTP with all ports is enforced as protocol 132.</para>
/// <para>Remote address lists are never empty (empty means any) and hold at most
/// <see cref="WindowsFirewallOptions.MaxAddressesPerRule"/> entries each. Names are the prefix and a hash: of the rule's
/// identity (endpoint, direction, family, plan rule, protocol, shard) for allow rules, which are updated in place, and
/// of the whole content for block rules, which are replaced by adding the new rule before removing the old one.</para>
/// </remarks>
internal static class FirewallRuleTranslator
{
    /// <summary>The backend name used in errors.</summary>
    public const string BackendName = "windows-firewall";

    private static readonly AddressRange[] s_exemptV4 = [new(0x7F000000u, 0x7FFFFFFFu, false)];
    private static readonly AddressRange s_loopbackV6 = new(UInt128.Zero, UInt128.One, true);
    private static readonly AddressRange s_linkLocalV6 = new(new UInt128(0xFE80_0000_0000_0000UL, 0), new UInt128(0xFEBF_FFFF_FFFF_FFFFUL, ulong.MaxValue), true);

    /// <summary>Translates a plan.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="options">The options (group, prefix, shard size).</param>
    /// <returns>The rules and warnings.</returns>
    /// <exception cref="UnsupportedPolicyFeatureException">A host endpoint's policy uses SCTP ports.</exception>
    public static FirewallTranslation Translate(RulePlan plan, WindowsFirewallOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var warnings = new List<string>();
        // Windows Firewall rules carry ports only for TCP and UDP: the backend does not declare Sctp, and such plans are refused.
        BackendContract.EnsureCanExpress(plan, BackendName, WindowsFirewallBackend.Supported);
        var hosts = plan.Endpoints.Where(e => e.Kind == PlanEndpointKind.HostEndpoint).ToList();
        var nodeLocal = plan.NodeAddresses.Concat(hosts.SelectMany(e => e.Addresses)).Concat(plan.LocalPodAddresses).ToList();
        var rules = new List<FirewallRule>();
        var names = NewRuleNameKeys();
        foreach (var endpoint in plan.Endpoints)
        {
            if (endpoint.Kind == PlanEndpointKind.Pod)
            {
                warnings.Add($"pod {endpoint.Name}: pod traffic on a Windows node is policed in the virtual switch (HNS/VFP), not by Windows Firewall; this backend does not enforce it");
                continue;
            }

            if (endpoint.InterfaceName is not null)
            {
                warnings.Add($"host endpoint {endpoint.Name}: interface '{Sanitize(endpoint.InterfaceName)}' is not used; the rules match the endpoint's addresses on every interface");
            }

            foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
            {
                if (!endpoint.For(direction).Isolated)
                {
                    continue;
                }

                foreach (var v6 in new[] { false, true })
                {
                    var local = AddressRange.Merge(endpoint.Addresses.Select(AddressRange.FromAddress).Where(r => r.IsIPv6 == v6));
                    if (local.Count == 0)
                    {
                        continue;
                    }

                    new Section(plan, endpoint, direction, v6, local, nodeLocal, options, names, rules).Run();
                }
            }
        }

        return new FirewallTranslation(rules, warnings);
    }

    /// <summary>The keys of the rule names of one translation: 16 hex digits of SHA-256 over a rule's identity,
    /// longer when two identities share them.</summary>
    public static ShortKeys NewRuleNameKeys() => new(16);

    /// <summary>A rule name: the prefix and the short key of the identity.</summary>
    /// <param name="prefix">The rule name prefix.</param>
    /// <param name="identity">What the rule is.</param>
    /// <param name="keys">The keys of this translation (<see cref="NewRuleNameKeys"/>).</param>
    public static string RuleName(string prefix, string identity, ShortKeys keys) => prefix + "-" + keys.Get(identity);

    /// <summary>User-derived text made safe for rule descriptions: no '|' and no control characters.</summary>
    public static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(c == '|' || char.IsControl(c) ? '_' : c);
        }

        return builder.ToString();
    }

    /// <summary>One (endpoint, direction, family): its allow rules and the blocks that make them exact.</summary>
    private sealed class Section(
        RulePlan plan,
        PlanEndpoint endpoint,
        Direction direction,
        bool v6,
        List<AddressRange> local,
        List<IPAddress> nodeLocal,
        WindowsFirewallOptions options,
        ShortKeys names,
        List<FirewallRule> output)
    {
        private readonly string _localText = AddressText.Format(local);
        private readonly bool _inbound = direction == Direction.Ingress;
        private readonly string _family = v6 ? "IPv6" : "IPv4";

        public void Run()
        {
            var sources = new List<Source>();
            var node = AddressRange.Merge(nodeLocal.Select(AddressRange.FromAddress).Where(r => r.IsIPv6 == v6));
            if (node.Count > 0)
            {
                sources.Add(new Source(node, AllowsAny: true, null, null, false));
                Allow("node", NetFw.ProtocolAny, "*", node, $"allow node-local traffic (addresses of node {plan.NodeName}, its host endpoints and pods)");
            }

            AddressRange[] exempt = v6 ? (options.ExemptIPv6LinkLocal ? [s_loopbackV6, s_linkLocalV6] : [s_loopbackV6]) : s_exemptV4;
            sources.Add(new Source(AddressRange.Merge(exempt), AllowsAny: true, null, null, false));

            foreach (var id in endpoint.For(direction).Rules)
            {
                var rule = plan.GetRule(id);
                var peers = AddressRange.Merge(rule.Peers.ToRanges(v6));
                if (peers.Count == 0)
                {
                    continue;
                }

                var what = (_inbound ? "from" : "to") + " peers of " + Sanitize(rule.Source.ToString());
                if (rule.Ports.IsAll)
                {
                    sources.Add(new Source(peers, AllowsAny: true, null, null, false));
                    Allow(rule.Id, NetFw.ProtocolAny, "*", peers, "allow any protocol " + what);
                    continue;
                }

                foreach (var range in rule.Ports.Ranges.Where(r => !r.Protocol.HasPorts()))
                {
                    throw new InvalidOperationException("Port ranges are TCP, UDP or SCTP; " + range.Protocol.ToKubernetesName() + " has no ports (only a rule without ports admits it).");
                }

                var tcp = PortsOf(rule.Ports, Protocol.Tcp);
                var udp = PortsOf(rule.Ports, Protocol.Udp);
                var sctp = rule.Ports.Ranges.Any(r => r.Protocol == Protocol.Sctp);
                sources.Add(new Source(peers, AllowsAny: false, tcp, udp, sctp));
                if (tcp is not null)
                {
                    var ports = PortText.Format(tcp);
                    Allow(rule.Id, NetFw.ProtocolTcp, ports, peers, $"allow TCP {ports} {what}");
                }

                if (udp is not null)
                {
                    var ports = PortText.Format(udp);
                    Allow(rule.Id, NetFw.ProtocolUdp, ports, peers, $"allow UDP {ports} {what}");
                }

                if (sctp)
                {
                    Allow(rule.Id, NetFw.ProtocolSctp, "*", peers, "allow SCTP " + what);
                }
            }

            Blocks(sources);
        }

        private static List<(int First, int Last)>? PortsOf(PortSet ports, Protocol protocol)
        {
            var ranges = ports.Ranges.Where(r => r.Protocol == protocol).Select(r => (r.First, r.Last)).ToList();
            return ranges.Count == 0 ? null : ranges;
        }

        /// <summary>Sweeps the address space: each elementary segment gets the union of what the sources covering it allow.</summary>
        private void Blocks(List<Source> sources)
        {
            var max = AddressRange.MaxValue(v6);
            var events = new List<(UInt128 Position, int Source, bool Start)>();
            for (var s = 0; s < sources.Count; s++)
            {
                foreach (var range in sources[s].Ranges)
                {
                    events.Add((range.First, s, true));
                    if (range.Last != max)
                    {
                        events.Add((range.Last + 1, s, false));
                    }
                }
            }

            events.Sort((a, b) => a.Position.CompareTo(b.Position));
            var active = new SortedSet<int>();
            var anyCount = 0;
            var unlisted = new List<AddressRange>();
            var groups = new Dictionary<(int Protocol, string Ports), List<AddressRange>>();
            var signatures = new Dictionary<string, List<(int Protocol, string Ports)>>(StringComparer.Ordinal);
            var start = UInt128.Zero;
            var i = 0;
            while (true)
            {
                var end = i < events.Count ? events[i].Position : max;
                var last = i >= events.Count;
                if (last || end > start)
                {
                    var segment = new AddressRange(start, last ? max : end - 1, v6);
                    if (active.Count == 0)
                    {
                        unlisted.Add(segment);
                    }
                    else if (anyCount == 0)
                    {
                        var key = string.Join(',', active);
                        if (!signatures.TryGetValue(key, out var blocked))
                        {
                            blocked = Signature(sources, active);
                            signatures[key] = blocked;
                        }

                        foreach (var entry in blocked)
                        {
                            if (!groups.TryGetValue(entry, out var list))
                            {
                                list = [];
                                groups[entry] = list;
                            }

                            list.Add(segment);
                        }
                    }
                }

                if (last)
                {
                    break;
                }

                var position = events[i].Position;
                while (i < events.Count && events[i].Position == position)
                {
                    var (_, s, isStart) = events[i];
                    if (isStart)
                    {
                        active.Add(s);
                        anyCount += sources[s].AllowsAny ? 1 : 0;
                    }
                    else
                    {
                        active.Remove(s);
                        anyCount -= sources[s].AllowsAny ? 1 : 0;
                    }

                    i++;
                }

                start = position;
            }

            if (unlisted.Count > 0)
            {
                Block(NetFw.ProtocolAny, "*", AddressRange.Merge(unlisted), "block any protocol " + (_inbound ? "from" : "to") + " addresses no rule admits");
            }

            foreach (var group in groups.OrderBy(g => g.Key.Protocol).ThenBy(g => g.Key.Ports, StringComparer.Ordinal))
            {
                var name = NetFw.ProtocolName(group.Key.Protocol);
                var ports = group.Key.Protocol == NetFw.ProtocolSctp ? string.Empty : " " + group.Key.Ports;
                Block(group.Key.Protocol, group.Key.Ports, AddressRange.Merge(group.Value), $"block {name}{ports} {(_inbound ? "from" : "to")} peers admitted only on other ports");
            }
        }

        private static List<(int Protocol, string Ports)> Signature(List<Source> sources, SortedSet<int> active)
        {
            var result = new List<(int Protocol, string Ports)>(3);
            foreach (var (protocol, select) in new (int, Func<Source, List<(int First, int Last)>?>)[] { (NetFw.ProtocolTcp, s => s.Tcp), (NetFw.ProtocolUdp, s => s.Udp) })
            {
                var allowed = new List<(int First, int Last)>();
                foreach (var s in active)
                {
                    if (select(sources[s]) is { } ranges)
                    {
                        allowed.AddRange(ranges);
                    }
                }

                var blocked = PortText.Complement(Normalize(allowed));
                if (blocked.Count > 0)
                {
                    result.Add((protocol, PortText.Format(blocked)));
                }
            }

            if (!active.Any(s => sources[s].Sctp))
            {
                result.Add((NetFw.ProtocolSctp, "*"));
            }

            return result;
        }

        private static List<(int First, int Last)> Normalize(List<(int First, int Last)> ranges)
        {
            var sorted = ranges.Order().ToList();
            var merged = new List<(int First, int Last)>(sorted.Count);
            foreach (var range in sorted)
            {
                if (merged.Count > 0 && range.First <= merged[^1].Last + 1)
                {
                    merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, range.Last));
                }
                else
                {
                    merged.Add(range);
                }
            }

            return merged;
        }

        private void Allow(string ruleId, int protocol, string ports, List<AddressRange> remote, string description)
        {
            var shards = Shards(remote);
            for (var s = 0; s < shards.Count; s++)
            {
                var identity = string.Join('\n', "allow", endpoint.Name, direction, _family, ruleId, protocol.ToString(CultureInfo.InvariantCulture), s.ToString(CultureInfo.InvariantCulture));
                output.Add(Rule(RuleName(options.RuleNamePrefix, identity, names), FirewallAction.Allow, protocol, ports, shards[s], Describe(description, s, shards.Count)));
            }
        }

        private void Block(int protocol, string ports, List<AddressRange> remote, string description)
        {
            var shards = Shards(remote);
            for (var s = 0; s < shards.Count; s++)
            {
                var identity = string.Join('\n', "block", endpoint.Name, direction, _family, protocol.ToString(CultureInfo.InvariantCulture), ports, _localText, shards[s]);
                output.Add(Rule(RuleName(options.RuleNamePrefix, identity, names), FirewallAction.Block, protocol, ports, shards[s], Describe(description, s, shards.Count)));
            }
        }

        private string Describe(string what, int shard, int shards) =>
            $"NetPolHost: {Sanitize(endpoint.Name)} {(_inbound ? "ingress" : "egress")} {_family}: {what}" +
            (shards > 1 ? $" (part {(shard + 1).ToString(CultureInfo.InvariantCulture)} of {shards.ToString(CultureInfo.InvariantCulture)})" : string.Empty);

        private FirewallRule Rule(string name, FirewallAction action, int protocol, string ports, string remote, string description)
        {
            var hasPorts = protocol is NetFw.ProtocolTcp or NetFw.ProtocolUdp;
            return new FirewallRule
            {
                Name = name,
                Description = description,
                Grouping = options.GroupName,
                Direction = _inbound ? FirewallDirection.Inbound : FirewallDirection.Outbound,
                Action = action,
                Protocol = protocol,
                LocalPorts = hasPorts && _inbound ? ports : "*",
                RemotePorts = hasPorts && !_inbound ? ports : "*",
                LocalAddresses = _localText,
                RemoteAddresses = remote,
                Enabled = true,
                Profiles = NetFw.ProfileAll,
            };
        }

        private List<string> Shards(List<AddressRange> remote)
        {
            var result = new List<string>();
            for (var i = 0; i < remote.Count; i += options.MaxAddressesPerRule)
            {
                result.Add(AddressText.Format(remote.GetRange(i, Math.Min(options.MaxAddressesPerRule, remote.Count - i))));
            }

            return result;
        }
    }

    /// <summary>Addresses a rule (or node-local traffic) admits, and on what.</summary>
    private sealed record Source(List<AddressRange> Ranges, bool AllowsAny, List<(int First, int Last)>? Tcp, List<(int First, int Last)>? Udp, bool Sctp);
}
