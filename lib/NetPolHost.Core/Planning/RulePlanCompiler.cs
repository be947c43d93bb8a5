using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
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
/// <para>ClusterNetworkPolicies: per local endpoint and direction, the rules of the Admin tier's policies that select it
/// (by priority, then name; rules in written order) become the ordered <see cref="DirectionPlan.Admin"/> entries, each
/// with its action; the Baseline tier's likewise, when no NetworkPolicy isolates that direction. Their peers compile to
/// addresses: <c>namespaces</c> and <c>pods</c> to the selected workloads' addresses, <c>networks</c> to ranges,
/// <c>nodes</c> to the addresses of the selected nodes (Node addresses and their hostNetwork pods' addresses), a peer
/// of an unknown kind to nothing in an Accept rule and to every address in Deny and Pass rules. <c>domainNames</c>
/// cannot be compiled: they are kept on the entry (<see cref="PlanRule.DomainNames"/>), for a backend that resolves
/// names. Entry ids start with <c>cnp-</c> and a short hash of the policy's name.</para>
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

    /// <summary>Compiles with the peer sets of earlier compilations that are still valid (<see cref="IncrementalPlanCompiler"/>);
    /// the plan is the one a compilation without them gives.</summary>
    internal static RulePlan Compile(ClusterIndex index, RulePlanOptions options, CompileCache cache) =>
        new Compilation(index, options, ShortKeys.Sha256Hex, cache).Run();

    /// <summary>A stable, safe identifier for a policy: 10 hex digits of SHA-256 over <c>namespace/name</c>.</summary>
    /// <remarks>Plan rule ids start with it. In the rare case that two policies of a snapshot have the same
    /// identifier, the compiler gives the one that sorts later (by namespace and name) a longer one, so their rule ids
    /// never clash.</remarks>
    /// <param name="policy">The policy.</param>
    /// <returns>The identifier.</returns>
    public static string PolicyId(PolicyRef policy) => ShortKeys.Sha256Hex(policy.Namespace + "/" + policy.Name)[..PolicyIdDigits];

    private const int PolicyIdDigits = 10;

    /// <summary>The text of a resolved port set in entry ids and hosts keys (named-port resolutions).</summary>
    internal static string PortSignature(PortSet ports) => Compilation.PortSignature(ports);

    private const int HostsKeyDigits = 12;

    private sealed class Compilation(ClusterIndex index, RulePlanOptions options, Func<string, string> digest, CompileCache? cache = null)
    {
        private SelectorIndex? _selectorIndex;

        // Ids are short hashes: collisions are resolved here, for every policy of the snapshot in its (sorted) order,
        // and for every peer definition as it is met, so different definitions never share an id or a hosts key.
        private readonly string[] _policyIds = cache?.PolicyIds(index, digest) ?? PolicyIds(index, digest);
        private readonly Dictionary<string, string> _clusterPolicyIds = ClusterPolicyIds(index, digest);
        private readonly Dictionary<string, IPAddress[]> _clusterHosts = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Policy, Direction Direction, int Rule), (AddressSet Peers, string Key)> _clusterPeers = new();
        private readonly ShortKeys _hostsKeys = new(HostsKeyDigits, digest);
        private readonly Dictionary<string, AddressSet> _peers = new(StringComparer.Ordinal);
        private readonly Dictionary<(int Policy, Direction Direction, int Rule), (string Definition, string Key)> _peerKeys = new();
        private readonly Dictionary<string, List<(PortSet Ports, AddressSet Peers, string PeersKey, string Signature)>> _namedEgress = new(StringComparer.Ordinal);
        private readonly Dictionary<string, PlanRule> _rules = new(StringComparer.Ordinal);
        private readonly List<string> _notes = [];
        private readonly List<(PortRange[] Resolved, PortSet Ports, string Signature)> _resolutions = [];
        private (UInt128 Value, bool V6, int Endpoint, IPAddress Address)[]? _byAddress;

        /// <summary>Selectors over the snapshot's endpoints, indexed on first use (a compilation whose peer sets all come
        /// from the cache never builds it).</summary>
        private SelectorIndex Selectors => _selectorIndex ??= new(index.Endpoints);

        public RulePlan Run()
        {
            var plan = Build();
            cache?.Retain();
            return plan;
        }

        private RulePlan Build()
        {
            var node = options.NodeName;
            var extraHosts = new HashSet<string>(options.HostEndpoints ?? [], StringComparer.Ordinal);
            var local = index.Endpoints.Where(e =>
                    (e.Kind == EndpointKind.Pod && !e.HostNetwork && e.NodeName == node)
                    || (e.Kind == EndpointKind.HostEndpoint && (e.NodeName == node || extraHosts.Contains(e.Display))))
                .ToList();
            foreach (var name in extraHosts.Where(n => !local.Any(e => e.Kind == EndpointKind.HostEndpoint && e.Display == n)))
            {
                _notes.Add($"host endpoint {name} is not in the manifests: nothing is enforced for it");
            }

            var endpoints = new List<PlanEndpoint>();
            foreach (var endpoint in local)
            {
                var ingress = CompileDirection(endpoint, Direction.Ingress);
                var egress = CompileDirection(endpoint, Direction.Egress);
                if (!ingress.Applies && !egress.Applies)
                {
                    continue;
                }

                if (endpoint.Addresses.IsEmpty)
                {
                    _notes.Add(ingress.Isolated || egress.Isolated
                        ? $"{endpoint.Display} is isolated but has no address yet: nothing to enforce until it has one"
                        : $"{endpoint.Display} is a subject of ClusterNetworkPolicies but has no address yet: nothing to enforce until it has one");
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

            // The host's own addresses: the node's, its host endpoints' (with a policy or not) and its hostNetwork pods'.
            var hostAddresses = nodeAddresses
                .Concat(local.Where(e => e.Kind == EndpointKind.HostEndpoint).SelectMany(e => e.Addresses))
                .Concat(index.Endpoints.Where(e => e.HostNetwork && e.NodeName == node).SelectMany(e => e.Addresses))
                .Select(a => (Value: IpMath.ToUInt128(a, out var v6), V6: v6, Address: a))
                .OrderBy(a => a.V6).ThenBy(a => a.Value).DistinctBy(a => (a.V6, a.Value)).Select(a => a.Address).ToValueList();

            // Only the entries endpoints refer to are kept (a rule of a non-isolating direction is never referenced).
            var used = endpoints.SelectMany(e => e.Ingress.AllRules.Concat(e.Egress.AllRules)).ToHashSet(StringComparer.Ordinal);
            return new RulePlan
            {
                NodeName = node,
                NodeAddresses = nodeAddresses,
                HostAddresses = hostAddresses,
                LocalPodAddresses = localPods,
                Endpoints = endpoints.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Kind).ToValueList(),
                Rules = _rules.Values.Where(r => used.Contains(r.Id)).OrderBy(r => r.Id, StringComparer.Ordinal).ToValueList(),
                Notes = _notes.ToValueList(),
            };
        }

        private DirectionPlan CompileDirection(EndpointInfo endpoint, Direction direction)
        {
            var admin = TierEntries(index.AdminPolicies, endpoint, direction);
            var networkPolicies = CompileNetworkPolicies(endpoint, direction);

            // The Baseline tier is reached only when no NetworkPolicy isolates the direction.
            var baseline = networkPolicies.Isolated ? [] : TierEntries(index.BaselinePolicies, endpoint, direction);
            if (admin.Count == 0 && baseline.Count == 0)
            {
                return networkPolicies;
            }

            return networkPolicies with { Admin = admin.ToValueList(), Baseline = baseline.ToValueList() };
        }

        /// <summary>The entries of one tier for an endpoint and direction, in the order of evaluation.</summary>
        private List<string> TierEntries(CompiledClusterPolicy[] tier, EndpointInfo endpoint, Direction direction)
        {
            var ids = new List<string>();
            foreach (var policy in tier)
            {
                if (!policy.Selects(endpoint))
                {
                    continue;
                }

                foreach (var rule in policy.Rules(direction))
                {
                    foreach (var entry in CompileClusterRule(policy, direction, rule, endpoint))
                    {
                        _rules.TryAdd(entry.Id, entry);
                        ids.Add(entry.Id);
                    }
                }
            }

            return ids;
        }

        private DirectionPlan CompileNetworkPolicies(EndpointInfo endpoint, Direction direction)
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
            var peers = Peers(policy, direction, rule, peersKey);
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
                foreach (var (ports, namedPeers, namedKey, signature) in NamedEgress(policy, direction, rule, peersKey))
                {
                    yield return Entry(baseId + "-n" + signature, source, direction, namedPeers, namedKey, ports);
                }
            }
        }

        /// <summary>The entries of one ClusterNetworkPolicy rule: one, or (egress named ports) one per resolution. They
        /// carry the rule's action and sit side by side in the tier's order.</summary>
        private IEnumerable<PlanRule> CompileClusterRule(CompiledClusterPolicy policy, Direction direction, CompiledClusterRule rule, EndpointInfo endpoint)
        {
            var baseId = _clusterPolicyIds[policy.Policy.Name] + "-" + (direction == Direction.Ingress ? "i" : "e") + rule.Index.ToString(CultureInfo.InvariantCulture);
            var source = new RuleRef(policy.Ref, rule.Index);
            var domains = rule.Rule.Peers.SelectMany(p => p.DomainNames).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToValueList();
            var (peers, peersKey) = ClusterPeers(policy, direction, rule);
            PlanRule Make(string id, AddressSet entryPeers, string key, PortSet ports) =>
                Entry(id, source, direction, entryPeers, key, ports) with { Action = rule.Action, DomainNames = domains };

            if (rule.AllPorts)
            {
                yield return Make(baseId, peers, peersKey, PortSet.All);
                yield break;
            }

            var numeric = rule.Rule.Protocols.Where(p => p.NamedPort is null)
                .Select(p => p.IsAllPorts ? new PortRange(p.Protocol, 0, 65535) : new PortRange(p.Protocol, p.Port, p.EndPort))
                .ToList();
            var names = rule.Rule.Protocols.Where(p => p.NamedPort is not null).Select(p => p.NamedPort!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (direction == Direction.Ingress)
            {
                // Named ports resolve on the endpoint itself, for every protocol it serves the name on.
                var resolved = ResolveAnyProtocol(endpoint, names);
                if (numeric.Count + resolved.Count == 0)
                {
                    yield break;
                }

                var ports = PortSet.Create(numeric.Concat(resolved));
                yield return Make(rule.HasNamedPorts ? baseId + "-" + PortSignature(ports) : baseId, peers, peersKey, ports);
                yield break;
            }

            if (numeric.Count > 0)
            {
                yield return Make(baseId, peers, peersKey, PortSet.Create(numeric));
            }

            if (names.Count > 0)
            {
                foreach (var (ports, namedPeers, namedKey, signature) in ClusterNamedEgress(peers, peersKey, names))
                {
                    yield return Make(baseId + "-n" + signature, namedPeers, namedKey, ports);
                }
            }
        }

        /// <summary>A named port of a ClusterNetworkPolicy names a container port of any protocol: every protocol the
        /// endpoint serves one of the names on (the first such port per name and protocol, as the matcher resolves it).</summary>
        private static List<PortRange> ResolveAnyProtocol(EndpointInfo endpoint, List<string> names)
        {
            var result = new List<PortRange>();
            foreach (var name in names)
            {
                foreach (var protocol in new[] { Protocol.Tcp, Protocol.Udp, Protocol.Sctp })
                {
                    var port = endpoint.ResolveNamedPort(name, protocol);
                    if (port > 0)
                    {
                        result.Add(new PortRange(protocol, port, port));
                    }
                }
            }

            return result;
        }

        /// <summary>Egress named ports of a ClusterNetworkPolicy rule: per destination workload the rule's peers admit,
        /// one entry per distinct resolution, computed once per peer definition and set of names.</summary>
        private List<(PortSet Ports, AddressSet Peers, string PeersKey, string Signature)> ClusterNamedEgress(AddressSet peers, string peersKey, List<string> names)
        {
            var cacheKey = "cnp|" + (peers.IsAll ? "all" : peersKey + "|" + string.Join(";", peers.Ranges)) + "|" + string.Join(",", names);
            if (_namedEgress.TryGetValue(cacheKey, out var cached))
            {
                return cached;
            }

            var groups = new SortedDictionary<string, (PortSet Ports, List<IPAddress> Hosts)>(StringComparer.Ordinal);
            foreach (var destination in index.Endpoints)
            {
                if (!destination.IsWorkload || destination.Addresses.IsEmpty)
                {
                    continue;
                }

                var resolved = ResolveAnyProtocol(destination, names);
                if (resolved.Count == 0)
                {
                    continue;
                }

                var addresses = destination.Addresses.Where(peers.Contains).ToList();
                if (addresses.Count == 0)
                {
                    continue;
                }

                AddToGroup(groups, resolved, addresses);
            }

            return FinishGroups(groups, cacheKey);
        }

        /// <summary>The addresses a ClusterNetworkPolicy rule's peers admit, and the hosts key of their selector part
        /// (namespaces, pods and nodes), computed once per rule; hosts once per distinct selector definition.</summary>
        private (AddressSet Peers, string Key) ClusterPeers(CompiledClusterPolicy policy, Direction direction, CompiledClusterRule rule)
        {
            var cacheKey = (policy.Policy.Name, direction, rule.Index);
            if (_clusterPeers.TryGetValue(cacheKey, out var known))
            {
                return known;
            }

            var peerList = rule.Rule.Peers;
            (AddressSet, string) result;
            if (rule.Action != ClusterPolicyAction.Accept && peerList.Any(p => p.IsUnknown))
            {
                // A peer of a newer API version fails closed: a Deny or Pass rule with one applies to every address.
                result = (AddressSet.All, string.Empty);
            }
            else
            {
                var definition = ClusterPeerDefinition(peerList);
                var key = Hash(definition);
                if (!_clusterHosts.TryGetValue(key, out var hosts))
                {
                    hosts = ClusterHosts(peerList);
                    _clusterHosts[key] = hosts;
                }

                var ranges = AddressRange.Merge(peerList.SelectMany(p => p.Networks).Select(AddressRange.FromCidr));
                result = (AddressSet.CreateSorted(hosts, ranges), key);
            }

            _clusterPeers[cacheKey] = result;
            return result;
        }

        /// <summary>The workload addresses of the <c>namespaces</c> and <c>pods</c> peers and the node addresses of the
        /// <c>nodes</c> peers, sorted and distinct.</summary>
        private IPAddress[] ClusterHosts(ValueList<ClusterPolicyPeer> peers)
        {
            var bits = Selectors.NewBits();
            var nodeHosts = new List<IPAddress>();
            foreach (var peer in peers)
            {
                if (peer.Namespaces is not null)
                {
                    SelectorIndex.Or(bits, Selectors.Select(null, peer.Namespaces, string.Empty));
                }
                else if (peer.Pods is not null)
                {
                    SelectorIndex.Or(bits, Selectors.Select(peer.Pods.PodSelector, peer.Pods.NamespaceSelector, string.Empty));
                }
                else if (peer.Nodes is not null)
                {
                    foreach (var (value, v6, node) in index.NodeAddresses)
                    {
                        if (peer.Nodes.Matches(index.FindNode(node)?.Labels ?? LabelMap.Empty))
                        {
                            nodeHosts.Add(IpMath.ToAddress(value, v6));
                        }
                    }
                }
            }

            var workloads = SelectedHosts(bits);
            return nodeHosts.Count == 0 ? [.. workloads] : [.. AddressSet.Create(workloads.Concat(nodeHosts), []).Hosts];
        }

        /// <summary>An unambiguous text of the selector peers of a ClusterNetworkPolicy rule (networks, domain names and
        /// unknown peers are not part of it), distinct from every NetworkPolicy definition.</summary>
        private static string ClusterPeerDefinition(ValueList<ClusterPolicyPeer> peers)
        {
            var text = new StringBuilder("cnp:");
            foreach (var peer in peers)
            {
                if (peer.Namespaces is not null)
                {
                    text.Append("ns(");
                    Selector(text, peer.Namespaces);
                    text.Append(')');
                }
                else if (peer.Pods is not null)
                {
                    text.Append("pods(");
                    Selector(text, peer.Pods.NamespaceSelector);
                    text.Append(")(");
                    Selector(text, peer.Pods.PodSelector);
                    text.Append(')');
                }
                else if (peer.Nodes is not null)
                {
                    text.Append("nodes(");
                    Selector(text, peer.Nodes);
                    text.Append(')');
                }
            }

            return text.ToString();
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
        private List<(PortSet Ports, AddressSet Peers, string PeersKey, string Signature)> NamedEgress(CompiledPolicy policy, Direction direction, CompiledRule rule, string peersKey)
        {
            var names = string.Join(",", rule.Ports.Where(p => p.Name is not null).Select(p => p.Protocol.ToKubernetesName() + "/" + p.Name));
            var blockText = string.Join(";", rule.Peers.Where(p => p.Block is not null).Select(p => p.Block!.ToString()));
            var cacheKey = peersKey + "|" + (rule.AllPeers ? "all" : blockText) + "|" + names;
            if (_namedEgress.TryGetValue(cacheKey, out var cached))
            {
                return cached;
            }

            // The same resolution by an earlier compilation (known by the peer definition, not its key), still valid.
            var lookup = cache is null ? null : PeerKey(policy, direction, rule).Definition + "|" + (rule.AllPeers ? "all" : blockText) + "|" + names;
            if (lookup is not null && cache!.TryGetNamedEgress(lookup, out var known))
            {
                var reused = known.Select(g => (g.Ports, g.Peers, Hash(cacheKey + "|" + g.Signature), g.Signature)).ToList();
                _namedEgress[cacheKey] = reused;
                return reused;
            }

            var (selectorBits, blocks) = PeerParts(policy, rule);
            var groups = new SortedDictionary<string, (PortSet Ports, List<IPAddress> Hosts)>(StringComparer.Ordinal);
            foreach (var destination in index.Endpoints)
            {
                if (!destination.IsWorkload || destination.Addresses.IsEmpty)
                {
                    continue;
                }

                var bySelector = rule.AllPeers || SelectorIndex.Get(selectorBits, destination.Index);
                if (!bySelector && blocks.Count == 0)
                {
                    continue; // no peer admits it
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

                AddToGroup(groups, resolved, addresses);
            }

            var result = FinishGroups(groups, cacheKey);
            if (lookup is not null)
            {
                cache!.SetNamedEgress(lookup, [.. result.Select(g => (g.Ports, g.Peers, g.Signature))], CompileCache.Terms(policy, rule), rule);
            }

            return result;
        }

        /// <summary>Adds destination addresses to the group of their resolved ports (destinations whose named ports resolve
        /// alike share one entry).</summary>
        private void AddToGroup(SortedDictionary<string, (PortSet Ports, List<IPAddress> Hosts)> groups, List<PortRange> resolved, List<IPAddress> addresses)
        {
            // Destinations mostly resolve alike: the port set and its signature of each distinct resolution, once.
            (PortSet Ports, string Signature)? known = null;
            foreach (var (seen, seenPorts, seenSignature) in _resolutions)
            {
                if (seen.AsSpan().SequenceEqual(CollectionsMarshal.AsSpan(resolved)))
                {
                    known = (seenPorts, seenSignature);
                    break;
                }
            }

            if (known is null)
            {
                var created = PortSet.Create(resolved);
                known = (created, PortSignature(created));
                if (_resolutions.Count < 64)
                {
                    _resolutions.Add(([.. resolved], created, known.Value.Signature));
                }
            }

            var (ports, signature) = known.Value;
            if (!groups.TryGetValue(signature, out var group))
            {
                group = (ports, []);
                groups[signature] = group;
            }

            group.Hosts.AddRange(addresses);
        }

        /// <summary>The entries of the groups, remembered for the rule (<paramref name="cacheKey"/>).</summary>
        private List<(PortSet Ports, AddressSet Peers, string PeersKey, string Signature)> FinishGroups(SortedDictionary<string, (PortSet Ports, List<IPAddress> Hosts)> groups, string cacheKey)
        {
            var result = groups
                .Select(g => (g.Value.Ports, AddressSet.Create(g.Value.Hosts, []), Hash(cacheKey + "|" + g.Key), g.Key))
                .ToList();
            _namedEgress[cacheKey] = result;
            return result;
        }

        private string HostsKey(CompiledPolicy policy, Direction direction, CompiledRule rule) => PeerKey(policy, direction, rule).Key;

        private (string Definition, string Key) PeerKey(CompiledPolicy policy, Direction direction, CompiledRule rule)
        {
            if (!_peerKeys.TryGetValue((policy.Index, direction, rule.Index), out var known))
            {
                var definition = PeerDefinition(policy, rule);
                known = (definition, Hash(definition));
                _peerKeys[(policy.Index, direction, rule.Index)] = known;
            }

            return known;
        }

        /// <summary>The peer addresses of a rule, computed once per distinct peer definition. Hosts come out sorted by
        /// walking an address-sorted index of every workload address.</summary>
        private AddressSet Peers(CompiledPolicy policy, Direction direction, CompiledRule rule, string key)
        {
            if (rule.AllPeers)
            {
                return AddressSet.All;
            }

            var blocks = rule.Peers.Where(p => p.Block is not null).Select(p => p.Block!);
            var ranges = AddressRange.Merge(blocks.SelectMany(AddressRange.FromBlock));
            if (_peers.TryGetValue(key, out var cached))
            {
                return AddressSet.ShareSorted(cached.Hosts, ranges);
            }

            // Hosts of a definition an earlier compilation computed, still valid for this snapshot.
            var definition = cache is null ? null : PeerKey(policy, direction, rule).Definition;
            if (definition is not null && cache!.TryGetPeers(definition, out var hosts))
            {
                var reused = AddressSet.ShareSorted(hosts, ranges);
                _peers[key] = reused;
                return reused;
            }

            var (selectorBits, _) = PeerParts(policy, rule);
            var set = AddressSet.CreateSorted([.. SelectedHosts(selectorBits)], ranges);
            _peers[key] = set;
            if (definition is not null)
            {
                cache!.SetPeers(definition, set.Hosts, CompileCache.Terms(policy, rule));
            }

            return set;
        }

        /// <summary>The addresses of the workloads in <paramref name="bits"/>, in address order (IPv4 first) and
        /// distinct, from one address-sorted list of the cluster's workloads (no sorting per peer set).</summary>
        private List<IPAddress> SelectedHosts(ulong[] bits)
        {
            var hosts = new List<IPAddress>();
            if (SelectorIndex.IsEmpty(bits))
            {
                return hosts;
            }

            if (_byAddress is null && SelectorIndex.CountOf(bits) * 16 < index.Endpoints.Length)
            {
                // A few workloads: sorting their addresses gives the same list as walking the sorted list of all of them.
                var selected = new List<(UInt128 Value, bool V6, int Endpoint, IPAddress Address)>();
                foreach (var member in SelectorIndex.Members(bits))
                {
                    var endpoint = index.Endpoints[member];
                    if (!endpoint.IsWorkload)
                    {
                        continue;
                    }

                    foreach (var address in endpoint.Addresses)
                    {
                        selected.Add((IpMath.ToUInt128(address, out var isV6), isV6, member, address));
                    }
                }

                selected.Sort((a, b) => a.V6 != b.V6 ? a.V6.CompareTo(b.V6) : a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Endpoint.CompareTo(b.Endpoint));
                for (var i = 0; i < selected.Count; i++)
                {
                    if (i == 0 || selected[i].Value != selected[i - 1].Value || selected[i].V6 != selected[i - 1].V6)
                    {
                        hosts.Add(selected[i].Address);
                    }
                }

                return hosts;
            }

            _byAddress ??= ByAddress(index.Endpoints);
            var haveLast = false;
            UInt128 last = default;
            var lastV6 = false;
            foreach (var (value, v6, endpoint, address) in _byAddress)
            {
                if (SelectorIndex.Get(bits, endpoint) && !(haveLast && last == value && lastV6 == v6))
                {
                    hosts.Add(address);
                    (haveLast, last, lastV6) = (true, value, v6);
                }
            }

            return hosts;
        }

        /// <summary>Every workload address with its endpoint, sorted by family (IPv4 first), value and endpoint.</summary>
        private static (UInt128 Value, bool V6, int Endpoint, IPAddress Address)[] ByAddress(EndpointInfo[] endpoints)
        {
            // IPv4: the value and the endpoint's index packed in one key, sorted as numbers; IPv6 (rare) by comparison.
            var v4Keys = new List<ulong>(endpoints.Length);
            var v4 = new List<(UInt128 Value, bool V6, int Endpoint, IPAddress Address)>(endpoints.Length);
            var v6 = new List<(UInt128 Value, bool V6, int Endpoint, IPAddress Address)>();
            foreach (var e in endpoints)
            {
                if (!e.IsWorkload)
                {
                    continue;
                }

                foreach (var a in e.Addresses)
                {
                    var value = IpMath.ToUInt128(a, out var isV6);
                    if (isV6)
                    {
                        v6.Add((value, true, e.Index, a));
                    }
                    else
                    {
                        v4Keys.Add(((ulong)value << 32) | (uint)e.Index);
                        v4.Add((value, false, e.Index, a));
                    }
                }
            }

            var keys = v4Keys.ToArray();
            var sorted = new (UInt128 Value, bool V6, int Endpoint, IPAddress Address)[v4.Count + v6.Count];
            v4.CopyTo(sorted);
            Array.Sort(keys, sorted, 0, v4.Count);
            v6.Sort(static (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Endpoint.CompareTo(b.Endpoint));
            v6.CopyTo(sorted, v4.Count);
            return sorted;
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
        }

        private static void Selector(StringBuilder text, LabelSelector selector)
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

        private static void Field(StringBuilder text, string value) =>
            text.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);

        private (ulong[] Selectors, List<IPBlock> Blocks) PeerParts(CompiledPolicy policy, CompiledRule rule)
        {
            var bits = Selectors.NewBits();
            var blocks = new List<IPBlock>();
            foreach (var peer in rule.Peers)
            {
                if (peer.Block is not null)
                {
                    blocks.Add(peer.Block);
                }
                else
                {
                    SelectorIndex.Or(bits, Selectors.Select(peer.PodSelector, peer.NamespaceSelector, policy.Policy.Namespace));
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

        private static Dictionary<string, string> ClusterPolicyIds(ClusterIndex index, Func<string, string> digest)
        {
            // Cluster policies have their own keys (by name, in the snapshot's sorted order) and the prefix "cnp-", which
            // no NetworkPolicy id (hex digits) starts with.
            var keys = new ShortKeys(PolicyIdDigits, digest);
            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var policy in index.Snapshot.ClusterPolicies)
            {
                ids[policy.Name] = "cnp-" + keys.Get(policy.Name);
            }

            return ids;
        }

        /// <summary>The hosts key of a peer definition (or of a named-port resolution of one): unique to it.</summary>
        private string Hash(string definition) => _hostsKeys.Get(definition);

        internal static string PortSignature(PortSet ports) =>
            string.Join("-", ports.Ranges.Select(r => r.Protocol.ToKubernetesName().ToLowerInvariant() + r.First.ToString(CultureInfo.InvariantCulture) + (r.First == r.Last ? string.Empty : "x" + r.Last.ToString(CultureInfo.InvariantCulture))));
    }
}
