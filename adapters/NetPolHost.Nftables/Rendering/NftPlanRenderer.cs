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
/// <para>ClusterNetworkPolicy tiers: the map sends a direction to its first stage. An Admin chain (<c>a_…</c>, per distinct
/// entry list and next stage) holds the tier's entries in order, ending in <c>return</c> (Accept), <c>counter drop</c>
/// (Deny; never a reject) or <c>goto</c> the next stage (Pass), and goes to the next stage at its end: the NetworkPolicy
/// chain above when the direction is isolated, else the Baseline chain (<c>b_…</c>: Deny drops, Accept and Pass return),
/// else back to the base chain (allowed). A <c>return</c> goes back to the base chain, which then checks the other
/// direction, so an egress Accept never skips the destination's ingress. Node-local traffic (a local pod and its host)
/// meets the same tiers in the input and output chains, through maps of their own, with the NetworkPolicy stage
/// allowing it; those maps and rules are rendered only for plans with tiers.</para>
/// </remarks>
internal sealed class NftPlanRenderer
{
    private readonly Dictionary<IPAddress, string> _addressText = [];
    private readonly Dictionary<string, (IPAddress[] Source, NftSet Set)> _hostSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _fingerprints = new(StringComparer.Ordinal);
    private readonly Dictionary<(char, ValueList<string>), string> _chainNames = [];
    private readonly Dictionary<string, string> _tierChainNames = new(StringComparer.Ordinal);
    private ShortKeys _chainKeys = NftNames.NewChainKeys();
    private readonly NftRenderOptions _options;

    /// <summary>Creates a renderer.</summary>
    /// <param name="options">Logging and audit settings, or <see langword="null"/> for the defaults (logging on, enforcing).</param>
    public NftPlanRenderer(NftRenderOptions? options = null)
    {
        _options = options ?? NftRenderOptions.Default;
    }

    /// <summary>The peers each host set of the plan being rendered was made from (to refuse one key for different peers).</summary>
    private readonly Dictionary<string, AddressSet> _hostSetPeers = new(StringComparer.Ordinal);
    private const string Established = "ct state established,related accept";
    private const string Invalid = "ct state invalid drop";
    private const string NeighbourDiscovery = "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept";

    /// <summary>Renders with a fresh renderer (no cache).</summary>
    public static NftState Render(RulePlan plan, string table, NftRenderOptions? options = null) => new NftPlanRenderer(options).RenderPlan(plan, table);

    /// <summary>Renders, reusing the address texts of earlier renders (a backend keeps one renderer).</summary>
    public NftState RenderPlan(RulePlan plan, string table)
    {
        if (_addressText.Count > 1_000_000)
        {
            _addressText.Clear();
            _hostSets.Clear();
        }

        if (_fingerprints.Count > 100_000)
        {
            _fingerprints.Clear();
            _chainNames.Clear();
            _tierChainNames.Clear();
            _chainKeys = NftNames.NewChainKeys();
        }

        _hostSetPeers.Clear();
        var sets = new Dictionary<string, NftSet>(StringComparer.Ordinal);
        var chains = new List<NftChain>();
        var ruleMatches = new Dictionary<string, (string[] Matches, PlanRule Rule)>(StringComparer.Ordinal);
        var limits = new Dictionary<string, string>(StringComparer.Ordinal);
        var denyLimit = _options.LogFlows ? NftNames.Limit("deny", _options.LogRate, _options.LogBurst) : null;
        var allowLimit = _options.LogFlows ? NftNames.Limit("allow", _options.LogRate, _options.LogBurst) : null;

        // Set names come from rule ids; ids a hand-built plan makes alike after escaping get a long hash instead.
        var ruleKeys = NftNames.NewRuleKeys();
        var hostsKeys = NftNames.NewHostsKeys();
        foreach (var rule in plan.Rules)
        {
            ruleMatches[rule.Id] = (RenderRule(rule, NftNames.Rule(rule.Id, ruleKeys), sets, hostsKeys), rule);
        }

        var hasTiers = plan.HasTiers;
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
        if (hasTiers)
        {
            foreach (var name in NftNames.NodeLocalMaps)
            {
                maps[name] = [];
            }
        }

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

            // The endpoint's name rides on its map elements, so counters and flow records can name it from the table.
            var endpointComment = $" comment \"{NftNames.Comment(endpoint.Name, 100)}\"";
            foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
            {
                var directionPlan = endpoint.For(direction);
                var letter = direction == Direction.Ingress ? 'i' : 'e';
                var chainName = EntryChain(directionPlan, letter, nodeLocal: false);
                // Traffic between the node's pods and its host endpoints meets the tiers whatever the interface: an
                // interface bounds where the endpoint's traffic with other peers is checked, not its traffic with the pods.
                var nodeLocalChain = hasTiers ? EntryChain(directionPlan, letter, nodeLocal: true) : null;
                foreach (var address in endpoint.Addresses)
                {
                    var v6 = IsV6(address);
                    if (nodeLocalChain is not null)
                    {
                        maps[NftNames.NodeLocalMap(isHost, direction, v6)].Add($"{address}{endpointComment} : jump {nodeLocalChain}");
                    }

                    if (chainName is null)
                    {
                        continue;
                    }

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

                    maps[key].Add($"{address}{endpointComment} : jump {chainName}");
                }
            }
        }

        // Node-local traffic meets the tiers in the input and output hooks, so those chains are needed for tiers too.
        var nodeLocalTiers = hasTiers && NftNames.NodeLocalMaps.Any(m => maps[m].Count > 0);
        var hostHooks = hasHostEndpoints || nodeLocalTiers;
        foreach (var (name, elements) in maps)
        {
            if (!hostHooks && name.StartsWith("np_h", StringComparison.Ordinal))
            {
                continue;
            }

            if (!nodeLocalTiers && NftNames.NodeLocalMaps.Contains(name))
            {
                continue;
            }

            var type = name.EndsWith('4') ? "ipv4_addr" : "ipv6_addr";
            sets[name] = new NftSet(name, $"type {type} : verdict;", [.. elements.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], isMap: true);
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

        if (hostHooks)
        {
            var local4 = plan.LocalPodAddresses.Where(a => !IsV6(a)).Select(Text).ToArray();
            var local6 = plan.LocalPodAddresses.Where(IsV6).Select(Text).ToArray();
            sets[NftNames.LocalPods4] = new NftSet(NftNames.LocalPods4, "type ipv4_addr;", local4, isMap: false);
            sets[NftNames.LocalPods6] = new NftSet(NftNames.LocalPods6, "type ipv6_addr;", local6, isMap: false);

            // A local pod and its host: the pod's egress (or ingress) tiers, then the host endpoint's, then accepted.
            string[] inputTiers = nodeLocalTiers
                ?
                [
                    $"ip saddr vmap @{NftNames.LocalEgress4}",
                    $"ip6 saddr vmap @{NftNames.LocalEgress6}",
                    $"ip saddr @{NftNames.LocalPods4} ip daddr vmap @{NftNames.LocalHostIngress4}",
                    $"ip6 saddr @{NftNames.LocalPods6} ip6 daddr vmap @{NftNames.LocalHostIngress6}",
                ]
                : [];
            string[] outputTiers = nodeLocalTiers
                ?
                [
                    $"ip daddr @{NftNames.LocalPods4} ip saddr vmap @{NftNames.LocalHostEgress4}",
                    $"ip6 daddr @{NftNames.LocalPods6} ip6 saddr vmap @{NftNames.LocalHostEgress6}",
                    $"ip daddr vmap @{NftNames.LocalIngress4}",
                    $"ip6 daddr vmap @{NftNames.LocalIngress6}",
                ]
                : [];
            chains.Add(BaseChain(NftNames.Input, "type filter hook input priority filter; policy accept;",
            [
                Established,
                Invalid,
                NeighbourDiscovery,
                "iifname \"lo\" accept",
                .. inputTiers,
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
                .. outputTiers,
                $"ip daddr @{NftNames.LocalPods4} accept",
                $"ip6 daddr @{NftNames.LocalPods6} accept",
                .. interfaceOutput,
                $"ip saddr vmap @{NftNames.HostEgress4}",
                $"ip6 saddr vmap @{NftNames.HostEgress6}",
            ]));
        }

        return new NftState(table, sets.Values, chains, limits);

        // The first stage of a direction (null: nothing restricts it). Node-local traffic skips the NetworkPolicy stage,
        // which allows it.
        string? EntryChain(DirectionPlan directionPlan, char letter, bool nodeLocal)
        {
            string? next;
            if (directionPlan.Isolated)
            {
                next = nodeLocal ? null : NetworkPolicyChain(directionPlan, letter);
            }
            else
            {
                next = directionPlan.Baseline.IsEmpty ? null : TierChain('b', letter, directionPlan.Baseline, null);
            }

            return directionPlan.Admin.IsEmpty ? next : TierChain('a', letter, directionPlan.Admin, next);
        }

        string NetworkPolicyChain(DirectionPlan directionPlan, char letter)
        {
            // Two different rule lists never share a chain: their short keys differ.
            if (!_chainNames.TryGetValue((letter, directionPlan.Rules), out var chainName))
            {
                chainName = NftNames.Chain(letter, directionPlan.Rules, _chainKeys);
                _chainNames[(letter, directionPlan.Rules)] = chainName;
            }

            if (chainNames.Add(chainName))
            {
                var lines = directionPlan.Rules.SelectMany(id => Lines(id, 'n', "return")).ToList();
                var dropLabel = $"np {(letter == 'i' ? "ingress" : "egress")} {(_options.Audit ? "would-deny" : "drop")}";
                if (denyLimit is not null)
                {
                    lines.Add(WithCommentCached(LogRule(denyLimit, _options.DenyGroup, dropLabel), null));
                }

                lines.Add(WithCommentCached(_options.Audit ? "counter return" : "counter drop", dropLabel));
                chains.Add(new NftChain(chainName, null, [.. lines]));
            }

            return chainName;
        }

        // An Admin ('a') or Baseline ('b') chain: the entries in order, each with its action's verdict; the Admin tier's
        // Pass and end go to the next stage (null: back to the base chain, allowed).
        string TierChain(char tier, char letter, ValueList<string> ids, string? next)
        {
            var definition = (tier == 'a' ? "admin|" : "baseline|") + letter + "|" + string.Join(",", ids) + ">" + (next ?? string.Empty);
            if (!_tierChainNames.TryGetValue(definition, out var chainName))
            {
                chainName = NftNames.TierChain(tier, letter, definition, _chainKeys);
                _tierChainNames[definition] = chainName;
            }

            if (chainNames.Add(chainName))
            {
                var pass = tier == 'a' && next is not null ? "goto " + next : "return";
                var lines = new List<string>();
                foreach (var id in ids)
                {
                    lines.AddRange(Lines(id, tier, pass));
                }

                if (next is not null)
                {
                    lines.Add(WithCommentCached("goto " + next, $"netpolhost {(letter == 'i' ? "ingress" : "egress")} admin tier end"));
                }

                chains.Add(new NftChain(chainName, null, [.. lines]));
            }

            return chainName;
        }

        // The rules of one plan entry in a chain of the tier ('n' NetworkPolicy, 'a' Admin, 'b' Baseline), each with a
        // counter: an allow returns (through its log chain when logging), a deny drops (in audit mode: logs would-deny and
        // returns), a pass goes to the next stage.
        IEnumerable<string> Lines(string id, char tier, string pass)
        {
            var (matches, rule) = ruleMatches[id];
            var action = tier == 'n' ? ClusterPolicyAction.Accept : rule.Action;
            string word, verdict;
            switch (action)
            {
                case ClusterPolicyAction.Accept:
                    word = "allow";
                    verdict = allowLimit is null ? "return" : "goto " + LogChain(Label(rule, tier, word), allowLimit, _options.AllowGroup, null);
                    break;
                case ClusterPolicyAction.Deny:
                    word = _options.Audit ? "would-deny" : "deny";
                    verdict = denyLimit is null
                        ? (_options.Audit ? "return" : "drop")
                        : "goto " + LogChain(Label(rule, tier, word), denyLimit, _options.DenyGroup, _options.Audit ? null : "drop");
                    break;
                default:
                    word = "pass";
                    verdict = pass;
                    break;
            }

            var label = Label(rule, tier, word);
            return matches.Select(m => WithCommentCached(m.Length == 0 ? "counter " + verdict : m + " counter " + verdict, label));
        }

        // The chain an entry's verdict goes to when flows are logged: it logs a new connection under the shared limit of
        // its verdict, then ends in the verdict (an allow, or a deny in audit mode, falls off the end: a return to the
        // base chain, as the entry's own return would be). One chain per label, shared by the entry's match lines.
        string LogChain(string label, string limit, int group, string? end)
        {
            var chainName = "l_" + _chainKeys.Get("log|" + label);
            if (chainNames.Add(chainName))
            {
                limits.TryAdd(limit, NftNames.LimitDeclaration(_options.LogRate, _options.LogBurst));
                var rules = new List<string> { WithCommentCached(LogRule(limit, group, label), null) };
                if (end is not null)
                {
                    rules.Add(WithCommentCached(end, null));
                }

                chains.Add(new NftChain(chainName, null, [.. rules]));
            }

            return chainName;
        }

        string LogRule(string limit, int group, string label)
        {
            limits.TryAdd(limit, NftNames.LimitDeclaration(_options.LogRate, _options.LogBurst));
            return $"ct state new limit name \"{limit}\" log group {group.ToString(CultureInfo.InvariantCulture)} prefix \"{NftNames.LogPrefix(label)}\"";
        }
    }

    /// <summary>The label of an entry, in its comment and log prefix: tier (<c>np</c>, <c>admin</c>, <c>baseline</c>),
    /// direction and rule index, action (<c>allow</c>, <c>deny</c>, <c>pass</c>, <c>would-deny</c>) and policy
    /// (<c>namespace/name</c>, or a ClusterNetworkPolicy's name) last, so a cut loses only the end of the name.</summary>
    /// <remarks><see cref="NftProvenance"/> reads it back.</remarks>
    private static string Label(PlanRule rule, char tier, string action)
    {
        var direction = $"{(rule.Direction == Direction.Ingress ? "ingress" : "egress")}[{rule.Source.Rule.ToString(CultureInfo.InvariantCulture)}]";
        var tierWord = tier switch { 'a' => "admin", 'b' => "baseline", _ => "np" };
        var policy = rule.Source.Policy.Namespace.Length == 0 ? rule.Source.Policy.Name : rule.Source.Policy.ToString();
        return $"{tierWord} {direction} {action} {policy}";
    }

    private string Text(IPAddress address)
    {
        if (!_addressText.TryGetValue(address, out var text))
        {
            text = address.ToString();
            _addressText[address] = text;
        }

        return text;
    }

    /// <summary>The match expressions of one plan entry, each to be followed by a verdict (an empty expression matches
    /// every packet; no expression at all matches none). Host sets are named after the entry's selector peers, so
    /// entries with the same selectors share one set; range and port sets belong to the entry.</summary>
    private string[] RenderRule(PlanRule rule, string own, Dictionary<string, NftSet> sets, ShortKeys hostsKeys)
    {
        var ports = string.Empty;
        if (!rule.Ports.IsAll)
        {
            if (rule.Ports.Ranges.IsEmpty)
            {
                return [];
            }

            // Port sets belong to one plan entry (a stable id), so editing a rule's ports changes elements only.
            var portSet = own + "_p";
            sets[portSet] = new NftSet(portSet, "type inet_proto . inet_service; flags interval;", [.. rule.Ports.Ranges.Select(PortElement)], isMap: false);
            ports = $" meta l4proto . th dport @{portSet}";
        }

        if (rule.Peers.IsAll)
        {
            return [ports.Trim()];
        }

        var peerKeyword = rule.Direction == Direction.Ingress ? "saddr" : "daddr";
        var lines = new List<string>(4);
        var hosts = NftNames.HostsKey(rule.HostsKey, hostsKeys);
        AddHosts("h4_" + hosts, "type ipv4_addr;", false, "ip");
        AddHosts("h6_" + hosts, "type ipv6_addr;", true, "ip6");
        Add(own + "_b4", "type ipv4_addr; flags interval;", () => [.. rule.Peers.Ranges.Where(r => !r.IsIPv6).Select(r => r.ToString())], "ip");
        Add(own + "_b6", "type ipv6_addr; flags interval;", () => [.. rule.Peers.Ranges.Where(r => r.IsIPv6).Select(r => r.ToString())], "ip6");
        return [.. lines];

        // Host sets are the large ones: when the plan's addresses are the ones rendered last time (compared by reference,
        // then by value), the rendered set is reused instead of being built again.
        void AddHosts(string set, string declaration, bool v6, string family)
        {
            var slice = rule.Peers.HostsOfFamily(v6);
            if (slice.IsEmpty)
            {
                return;
            }

            if (!sets.ContainsKey(set))
            {
                _hostSetPeers[set] = rule.Peers;
                if (_hostSets.TryGetValue(set, out var previous) && SameAddresses(previous.Source, slice))
                {
                    sets[set] = previous.Set;
                }
                else
                {
                    var values = new string[slice.Length];
                    for (var i = 0; i < slice.Length; i++)
                    {
                        values[i] = Text(slice[i]);
                    }

                    var rendered = new NftSet(set, declaration, values, isMap: false);
                    sets[set] = rendered;
                    _hostSets[set] = (slice.ToArray(), rendered);
                }
            }
            else if (!ReferenceEquals(_hostSetPeers[set], rule.Peers) && !SameAddresses(_hostSetPeers[set].HostsOfFamily(v6), slice))
            {
                // Only a hand-built plan can do this: the compiler gives different peers different keys.
                throw new InvalidOperationException($"plan rule {NftNames.Comment(rule.Id)} shares HostsKey {NftNames.Comment(rule.HostsKey)} with another rule but lists other peers; a HostsKey must name one list of peers");
            }

            lines.Add($"{family} {peerKeyword} @{set}{ports}");
        }

        void Add(string set, string declaration, Func<string[]> elements, string family)
        {
            if (!sets.TryGetValue(set, out var existing))
            {
                var values = elements();
                if (values.Length == 0)
                {
                    return;
                }

                existing = new NftSet(set, declaration, values, isMap: false);
                sets[set] = existing;
            }

            lines.Add($"{family} {peerKeyword} @{set}{ports}");
        }
    }

    private static NftChain BaseChain(string name, string hook, string[] rules) =>
        new(name, hook, [.. rules.Select(r => WithComment(r, null))]);

    /// <summary>Appends a comment holding a sanitised label and a hash of the rule's text, so a rule read back from the
    /// kernel can be compared exactly with the rendered one.</summary>
    internal static string WithComment(string rule, string? label) => WithComment(rule, label, "h:" + ShortKeys.Hash(rule, 8));

    private string WithCommentCached(string rule, string? label)
    {
        if (!_fingerprints.TryGetValue(rule, out var fingerprint))
        {
            fingerprint = "h:" + ShortKeys.Hash(rule, 8);
            _fingerprints[rule] = fingerprint;
        }

        return WithComment(rule, label, fingerprint);
    }

    private static string WithComment(string rule, string? label, string fingerprint)
    {
        // nft takes at most 128 characters: the label is cut to leave room for the fingerprint.
        var text = label is null ? fingerprint : NftNames.Comment(label, 128 - 1 - fingerprint.Length) + " " + fingerprint;
        return $"{rule} comment \"{text}\"";
    }

    private static bool SameAddresses(ReadOnlySpan<IPAddress> x, ReadOnlySpan<IPAddress> y)
    {
        if (x.Length != y.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Length; i++)
        {
            if (!ReferenceEquals(x[i], y[i]) && !x[i].Equals(y[i]))
            {
                return false;
            }
        }

        return true;
    }

    internal static string PortElement(PortRange range)
    {
        var protocol = range.Protocol switch
        {
            Protocol.Tcp => "tcp",
            Protocol.Udp => "udp",
            Protocol.Sctp => "sctp",
            _ => throw new ArgumentOutOfRangeException(nameof(range), range.Protocol, "Port ranges are TCP, UDP or SCTP; " + range.Protocol.ToKubernetesName() + " has no ports (only a rule without ports admits it)."),
        };
        return range.First == range.Last
            ? $"{protocol} . {range.First.ToString(CultureInfo.InvariantCulture)}"
            : $"{protocol} . {range.First.ToString(CultureInfo.InvariantCulture)}-{range.Last.ToString(CultureInfo.InvariantCulture)}";
    }

    private static bool IsV6(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6;
}
