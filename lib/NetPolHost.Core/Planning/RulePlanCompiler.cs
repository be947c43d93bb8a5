using System.Globalization;
using System.Net;
using System.Text;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>What to compile a plan for.</summary>
public sealed class RulePlanOptions
{
    /// <summary>The node's name: its pods are those with <c>spec.nodeName</c> equal to it (not hostNetwork).</summary>
    public required string NodeName { get; init; }

    /// <summary>The node's own addresses; <see langword="null"/> to take them from the Node object of the snapshot.</summary>
    public IReadOnlyList<IPAddress>? NodeAddresses { get; init; }

    /// <summary>Host endpoints (<c>namespace/name</c>) to enforce here besides those whose <c>spec.nodeName</c> is this node.</summary>
    public IReadOnlyList<string>? HostEndpoints { get; init; }
}

/// <summary>Compiles a snapshot and a local node into a <see cref="RulePlan"/>.</summary>
/// <remarks>
/// Only the selections, peers and named ports of policies that select a local endpoint are computed. Peer addresses of a
/// policy rule are computed once and shared by every endpoint the rule applies to. Ingress named ports resolve against
/// the local endpoint; egress named ports resolve against each destination, which splits the rule into one entry per
/// resolved port. The compiled plan agrees with <see cref="PolicyMatcher"/> (a differential test checks it).
/// </remarks>
public static class RulePlanCompiler
{
    /// <summary>Compiles the plan of one node.</summary>
    /// <param name="snapshot">The cluster snapshot.</param>
    /// <param name="options">The node.</param>
    /// <returns>The plan.</returns>
    public static RulePlan Compile(ClusterSnapshot snapshot, RulePlanOptions options) => Compile(new PolicyMatcher(snapshot), options);

    /// <summary>Compiles the plan of one node from an already indexed snapshot.</summary>
    /// <param name="matcher">The matcher holding the indexed snapshot.</param>
    /// <param name="options">The node.</param>
    /// <returns>The plan.</returns>
    public static RulePlan Compile(PolicyMatcher matcher, RulePlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.NodeName);
        return new Compilation(matcher.Index, options, ShortKeys.Sha256Hex).Run();
    }

    /// <summary>Compiles with another digest than SHA-256 for ids and hosts keys (tests use one that collides).</summary>
    internal static RulePlan Compile(PolicyMatcher matcher, RulePlanOptions options, Func<string, string> digest) =>
        new Compilation(matcher.Index, options, digest).Run();

    /// <summary>A stable, safe identifier for a policy: 10 hex digits of SHA-256 over <c>namespace/name</c>.</summary>
    /// <remarks>Plan rule ids start with it. In the rare case that two policies of a snapshot have the same
    /// identifier, the compiler gives the one that sorts later (by namespace and name) a longer one, so their rule ids
    /// never clash.</remarks>
    /// <param name="policy">The policy.</param>
    /// <returns>The identifier.</returns>
    public static string PolicyId(PolicyRef policy) => ShortKeys.Sha256Hex(policy.Namespace + "/" + policy.Name)[..PolicyIdDigits];

    private const int PolicyIdDigits = 10;

    private const int HostsKeyDigits = 12;

    private sealed class Compilation(ClusterIndex index, RulePlanOptions options, Func<string, string> digest)
    {
        private readonly SelectorIndex _selectors = new(index.Endpoints);

        // Ids are short hashes: collisions are resolved here, for every policy of the snapshot in its (sorted) order,
        // and for every peer definition as it is met, so different definitions never share an id or a hosts key.
        private readonly string[] _policyIds = PolicyIds(index, digest);
        private readonly ShortKeys _hostsKeys = new(HostsKeyDigits, digest);
        private readonly Dictionary<string, AddressSet> _peers = new(StringComparer.Ordinal);
        private readonly Dictionary<(int Policy, Direction Direction, int Rule), string> _peerKeys = new();
        private readonly Dictionary<string, List<(PortSet Ports, AddressSet Peers, string PeersKey, string Signature)>> _namedEgress = new(StringComparer.Ordinal);
        private readonly Dictionary<string, PlanRule> _rules = new(StringComparer.Ordinal);
        private readonly List<string> _notes = [];
        private (UInt128 Value, bool V6, int Endpoint, IPAddress Address)[]? _byAddress;

        public RulePlan Run()
        {
            var node = options.NodeName;
            var extraHosts = new HashSet<string>(options.HostEndpoints ?? [], StringComparer.Ordinal);
            var local = index.Endpoints.Where(e =>
                    (e.Kind == EndpointKind.Pod && !e.HostNetwork && e.NodeName == node)
                    || (e.Kind == EndpointKind.HostEndpoint && (e.NodeName == node || extraHosts.Contains(e.Display))))
                .ToList();
            foreach (var name in extraHosts.Where(n => !local.Any(e => e.Kind == EndpointKind.HostEndpoint && e.Display == n)))
            {
                _notes.Add($"host endpoint {name} is not in the snapshot");
            }

            var endpoints = new List<PlanEndpoint>();
            foreach (var endpoint in local)
            {
                var ingress = CompileDirection(endpoint, Direction.Ingress);
                var egress = CompileDirection(endpoint, Direction.Egress);
                if (!ingress.Isolated && !egress.Isolated)
                {
                    continue;
                }

                if (endpoint.Addresses.IsEmpty)
                {
                    _notes.Add($"{endpoint.Display} is isolated but has no address yet: nothing to enforce until it has one");
                    continue;
                }

                endpoints.Add(new PlanEndpoint
                {
                    Name = endpoint.Display,
                    Kind = endpoint.Kind == EndpointKind.Pod ? PlanEndpointKind.Pod : PlanEndpointKind.HostEndpoint,
                    Addresses = endpoint.Addresses,
                    InterfaceName = endpoint.HostEndpoint?.InterfaceName,
                    Ingress = ingress,
                    Egress = egress,
                });
            }

            var nodeAddresses = options.NodeAddresses?.ToValueList() ?? index.FindNode(node)?.Addresses ?? default;
            var localPods = local.Where(e => e.Kind == EndpointKind.Pod).SelectMany(e => e.Addresses)
                .Select(a => (Value: IpMath.ToUInt128(a, out var v6), V6: v6, Address: a))
                .OrderBy(a => a.V6).ThenBy(a => a.Value).Select(a => a.Address).Distinct().ToValueList();

            // Only the entries endpoints refer to are kept (a rule of a non-isolating direction is never referenced).
            var used = endpoints.SelectMany(e => e.Ingress.Rules.Concat(e.Egress.Rules)).ToHashSet(StringComparer.Ordinal);
            return new RulePlan
            {
                NodeName = node,
                NodeAddresses = nodeAddresses,
                LocalPodAddresses = localPods,
                Endpoints = endpoints.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Kind).ToValueList(),
                Rules = _rules.Values.Where(r => used.Contains(r.Id)).OrderBy(r => r.Id, StringComparer.Ordinal).ToValueList(),
                Notes = _notes.ToValueList(),
            };
        }

        private DirectionPlan CompileDirection(EndpointInfo endpoint, Direction direction)
        {
            var policies = new List<PolicyRef>();
            var ids = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var policy in index.PoliciesIn(endpoint.Namespace))
            {
                if (!policy.Applies(direction) || !policy.Selects(endpoint))
                {
                    continue;
                }

                policies.Add(policy.Ref);
                foreach (var rule in policy.Rules(direction))
                {
                    foreach (var entry in CompileRule(policy, direction, rule, endpoint))
                    {
                        _rules.TryAdd(entry.Id, entry);
                        ids.Add(entry.Id);
                    }
                }
            }

            if (policies.Count == 0)
            {
                return DirectionPlan.Open;
            }

            policies.Sort();
            return new DirectionPlan(true, policies.ToValueList(), ids.ToValueList());
        }

        private IEnumerable<PlanRule> CompileRule(CompiledPolicy policy, Direction direction, CompiledRule rule, EndpointInfo endpoint)
        {
            var baseId = _policyIds[policy.Index] + "-" + (direction == Direction.Ingress ? "i" : "e") + rule.Index.ToString(CultureInfo.InvariantCulture);
            var source = new RuleRef(policy.Ref, rule.Index);
            var peersKey = HostsKey(policy, direction, rule);
            var peers = Peers(policy, rule, peersKey);
            if (rule.AllPorts)
            {
                yield return Entry(baseId, source, direction, peers, peersKey, PortSet.All);
                yield break;
            }

            var numeric = rule.Ports.Where(p => p.Name is null).Select(p => new PortRange(p.Protocol, p.First == 0 ? 0 : p.First, p.First == 0 ? 65535 : p.Last)).ToList();
            if (direction == Direction.Ingress)
            {
                // Named ports resolve on the endpoint itself.
                var resolved = rule.Ports.Where(p => p.Name is not null)
                    .Select(p => (Spec: p, Port: endpoint.ResolveNamedPort(p.Name!, p.Protocol)))
                    .Where(p => p.Port > 0)
                    .Select(p => new PortRange(p.Spec.Protocol, p.Port, p.Port))
                    .ToList();
                if (numeric.Count + resolved.Count == 0)
                {
                    yield break;
                }

                var ports = PortSet.Create(numeric.Concat(resolved));
                var id = rule.HasNamedPorts ? baseId + "-" + PortSignature(ports) : baseId;
                yield return Entry(id, source, direction, peers, peersKey, ports);
                yield break;
            }

            if (numeric.Count > 0)
            {
                yield return Entry(baseId, source, direction, peers, peersKey, PortSet.Create(numeric));
            }

            if (rule.HasNamedPorts)
            {
                foreach (var (ports, namedPeers, namedKey, signature) in NamedEgress(policy, rule, peersKey))
                {
                    yield return Entry(baseId + "-n" + signature, source, direction, namedPeers, namedKey, ports);
                }
            }
        }

        private static PlanRule Entry(string id, RuleRef source, Direction direction, AddressSet peers, string peersKey, PortSet ports) =>
            new()
            {
                Id = id,
                Source = source,
                Direction = direction,
                Peers = peers,
                Ports = ports,
                HostsKey = peers.IsAll ? string.Empty : peersKey,
            };

        /// <summary>Egress named ports resolve on each destination: one entry per distinct resolution, computed once
        /// per peer definition and set of port names.</summary>
        private List<(PortSet Ports, AddressSet Peers, string PeersKey, string Signature)> NamedEgress(CompiledPolicy policy, CompiledRule rule, string peersKey)
        {
            var names = string.Join(",", rule.Ports.Where(p => p.Name is not null).Select(p => p.Protocol.ToKubernetesName() + "/" + p.Name));
            var blockText = string.Join(";", rule.Peers.Where(p => p.Block is not null).Select(p => p.Block!.ToString()));
            var cacheKey = peersKey + "|" + (rule.AllPeers ? "all" : blockText) + "|" + names;
            if (_namedEgress.TryGetValue(cacheKey, out var cached))
            {
                return cached;
            }

            var (selectorBits, blocks) = PeerParts(policy, rule);
            var groups = new SortedDictionary<string, (PortSet Ports, List<IPAddress> Hosts)>(StringComparer.Ordinal);
            foreach (var destination in index.Endpoints)
            {
                if (!destination.IsWorkload || destination.Addresses.IsEmpty)
                {
                    continue;
                }

                var resolved = rule.Ports.Where(p => p.Name is not null)
                    .Select(p => (Spec: p, Port: destination.ResolveNamedPort(p.Name!, p.Protocol)))
                    .Where(p => p.Port > 0)
                    .Select(p => new PortRange(p.Spec.Protocol, p.Port, p.Port))
                    .ToList();
                if (resolved.Count == 0)
                {
                    continue;
                }

                var bySelector = rule.AllPeers || SelectorIndex.Get(selectorBits, destination.Index);
                var addresses = destination.Addresses.Where(a =>
                {
                    if (bySelector)
                    {
                        return true;
                    }

                    var value = IpMath.ToUInt128(a, out var v6);
                    return blocks.Any(b => b.Contains(value, v6));
                }).ToList();
                if (addresses.Count == 0)
                {
                    continue;
                }

                var ports = PortSet.Create(resolved);
                var signature = PortSignature(ports);
                if (!groups.TryGetValue(signature, out var group))
                {
                    group = (ports, []);
                    groups[signature] = group;
                }

                group.Hosts.AddRange(addresses);
            }

            var result = groups
                .Select(g => (g.Value.Ports, AddressSet.Create(g.Value.Hosts, []), Hash(cacheKey + "|" + g.Key), g.Key))
                .ToList();
            _namedEgress[cacheKey] = result;
            return result;
        }

        private string HostsKey(CompiledPolicy policy, Direction direction, CompiledRule rule)
        {
            if (!_peerKeys.TryGetValue((policy.Index, direction, rule.Index), out var key))
            {
                key = Hash(PeerDefinition(policy, rule));
                _peerKeys[(policy.Index, direction, rule.Index)] = key;
            }

            return key;
        }

        /// <summary>The peer addresses of a rule, computed once per distinct peer definition. Hosts come out sorted by
        /// walking an address-sorted index of every workload address.</summary>
        private AddressSet Peers(CompiledPolicy policy, CompiledRule rule, string key)
        {
            if (rule.AllPeers)
            {
                return AddressSet.All;
            }

            var (selectorBits, blocks) = PeerParts(policy, rule);
            var ranges = AddressRange.Merge(blocks.SelectMany(AddressRange.FromBlock));
            if (_peers.TryGetValue(key, out var cached))
            {
                return AddressSet.CreateSorted([.. cached.Hosts], ranges);
            }

            _byAddress ??= [.. index.Endpoints.Where(e => e.IsWorkload)
                .SelectMany(e => e.Addresses.Select(a => (Value: IpMath.ToUInt128(a, out var v6), V6: v6, Endpoint: e.Index, Address: a)))
                .OrderBy(a => a.V6).ThenBy(a => a.Value)];
            var hosts = new List<IPAddress>();
            var haveLast = false;
            UInt128 last = default;
            var lastV6 = false;
            if (!SelectorIndex.IsEmpty(selectorBits))
            {
                foreach (var (value, v6, endpoint, address) in _byAddress)
                {
                    if (SelectorIndex.Get(selectorBits, endpoint) && !(haveLast && last == value && lastV6 == v6))
                    {
                        hosts.Add(address);
                        (haveLast, last, lastV6) = (true, value, v6);
                    }
                }
            }

            var set = AddressSet.CreateSorted([.. hosts], ranges);
            _peers[key] = set;
            return set;
        }

        /// <summary>An unambiguous text of the selector peers of a rule (blocks are not part of it): selectors and, for
        /// peers without a namespace selector, the policy's namespace (every string is length-prefixed).</summary>
        private static string PeerDefinition(CompiledPolicy policy, CompiledRule rule)
        {
            if (rule.AllPeers)
            {
                return "all";
            }

            var text = new StringBuilder();
            foreach (var peer in rule.Peers)
            {
                if (peer.Block is not null)
                {
                    continue;
                }

                text.Append("ns(");
                if (peer.NamespaceSelector is null)
                {
                    Field(text, "=" + policy.Policy.Namespace);
                }
                else
                {
                    Selector(text, peer.NamespaceSelector);
                }

                text.Append(")pod(");
                if (peer.PodSelector is null)
                {
                    text.Append('*');
                }
                else
                {
                    Selector(text, peer.PodSelector);
                }

                text.Append(')');
            }

            return text.ToString();

            static void Selector(StringBuilder text, LabelSelector selector)
            {
                foreach (var (key, value) in selector.MatchLabels)
                {
                    Field(text, key);
                    Field(text, value);
                }

                text.Append('|');
                foreach (var requirement in selector.MatchExpressions)
                {
                    Field(text, requirement.Key);
                    text.Append((int)requirement.Operator);
                    foreach (var value in requirement.Values)
                    {
                        Field(text, value);
                    }

                    text.Append(';');
                }
            }

            static void Field(StringBuilder text, string value) =>
                text.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
        }

        private (ulong[] Selectors, List<IPBlock> Blocks) PeerParts(CompiledPolicy policy, CompiledRule rule)
        {
            var bits = _selectors.NewBits();
            var blocks = new List<IPBlock>();
            foreach (var peer in rule.Peers)
            {
                if (peer.Block is not null)
                {
                    blocks.Add(peer.Block);
                }
                else
                {
                    SelectorIndex.Or(bits, _selectors.Select(peer.PodSelector, peer.NamespaceSelector, policy.Policy.Namespace));
                }
            }

            return (bits, blocks);
        }

        private static string[] PolicyIds(ClusterIndex index, Func<string, string> digest)
        {
            var keys = new ShortKeys(PolicyIdDigits, digest);
            var ids = new string[index.Policies.Length];
            foreach (var policy in index.Policies)
            {
                ids[policy.Index] = keys.Get(policy.Ref.Namespace + "/" + policy.Ref.Name);
            }

            return ids;
        }

        /// <summary>The hosts key of a peer definition (or of a named-port resolution of one): unique to it.</summary>
        private string Hash(string definition) => _hostsKeys.Get(definition);

        private static string PortSignature(PortSet ports) =>
            string.Join("-", ports.Ranges.Select(r => r.Protocol.ToKubernetesName().ToLowerInvariant() + r.First.ToString(CultureInfo.InvariantCulture) + (r.First == r.Last ? string.Empty : "x" + r.Last.ToString(CultureInfo.InvariantCulture))));
    }
}
