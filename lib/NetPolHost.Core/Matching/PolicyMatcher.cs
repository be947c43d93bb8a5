using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>
/// Decides whether a flow is allowed under the NetworkPolicies of a snapshot and explains why; builds truth tables.
/// This is the reference semantics of NetPolHost: compiled plans and real firewalls must agree with it.
/// </summary>
/// <remarks>
/// A policy selects the workloads of its own namespace matching its pod selector. A direction of an endpoint is isolated
/// when a policy of that type selects it; then a flow is allowed when any rule of any selecting policy allows it. A
/// connection needs the source's egress and the destination's ingress. Traffic between a pod and its own node, between
/// two faces of the same host, and from a pod to itself is always allowed. hostNetwork pods are not selected as
/// workloads and are matched only by address; addresses outside the cluster are matched only by ipBlock. The instance is
/// immutable and safe to use from several threads.
/// </remarks>
public sealed partial class PolicyMatcher
{
    private readonly ClusterIndex _index;
    private readonly MatcherOptions _options;

    /// <summary>Indexes a snapshot for decisions.</summary>
    /// <param name="snapshot">The snapshot.</param>
    public PolicyMatcher(ClusterSnapshot snapshot)
        : this(snapshot, null)
    {
    }

    /// <summary>Indexes a snapshot for decisions, with options.</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="options">Options (e.g. what domain names resolve to), or <see langword="null"/>.</param>
    public PolicyMatcher(ClusterSnapshot snapshot, MatcherOptions? options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _index = new ClusterIndex(snapshot);
        _options = options ?? new MatcherOptions();
    }

    /// <summary>The options decisions are made with.</summary>
    public MatcherOptions Options => _options;

    /// <summary>The snapshot decisions are made on.</summary>
    public ClusterSnapshot Snapshot => _index.Snapshot;

    internal ClusterIndex Index => _index;

    /// <summary>Decides a flow and gives the reasons for each direction.</summary>
    /// <param name="flow">The flow.</param>
    /// <returns>The verdict.</returns>
    /// <exception cref="ArgumentException">An endpoint is not in the snapshot, or the two ends have addresses of different families.</exception>
    public FlowVerdict Decide(Flow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (!flow.Protocol.HasPorts())
        {
            if (flow.Protocol is not (Protocol.Icmp or Protocol.IcmpV6))
            {
                throw new ArgumentException($"Protocol {(int)flow.Protocol} is not TCP, UDP, SCTP, ICMP or ICMPv6.", nameof(flow));
            }

            if (flow.Port != 0)
            {
                throw new ArgumentException($"{flow.Protocol.ToKubernetesName()} has no ports: the port of such a flow is 0, found {flow.Port}.", nameof(flow));
            }
        }
        else if (flow.Port is < 1 or > 65535)
        {
            throw new ArgumentException($"Port {flow.Port} is outside 1-65535.", nameof(flow));
        }

        var notes = new List<string>();
        var source = Resolve(flow.Source, notes);
        var destination = Resolve(flow.Destination, notes);
        var v6 = ChooseFamily(source, destination, flow.Protocol);
        var hasSourceAddress = source.TryGetAddress(v6, out var sourceAddress);
        var hasDestinationAddress = destination.TryGetAddress(v6, out var destinationAddress);

        DirectionVerdict egress;
        DirectionVerdict ingress;
        var special = SpecialCase(source, destination, hasSourceAddress, hasDestinationAddress, sourceAddress, destinationAddress);
        if (special is { } reason)
        {
            egress = Evaluate(Direction.Egress, source, destination, destinationAddress, hasDestinationAddress, v6, flow, reason);
            ingress = Evaluate(Direction.Ingress, destination, source, sourceAddress, hasSourceAddress, v6, flow, reason);
        }
        else
        {
            egress = Evaluate(Direction.Egress, source, destination, destinationAddress, hasDestinationAddress, v6, flow, NodeLocalFor(source, destination));
            ingress = Evaluate(Direction.Ingress, destination, source, sourceAddress, hasSourceAddress, v6, flow, NodeLocalFor(destination, source));
        }

        return new FlowVerdict
        {
            Flow = flow,
            Allowed = egress.Allowed && ingress.Allowed,
            Egress = egress,
            Ingress = ingress,
            SourceDescription = source.Describe(v6),
            DestinationDescription = destination.Describe(v6),
            SourceAddress = hasSourceAddress ? IpMath.ToAddress(sourceAddress, v6) : null,
            DestinationAddress = hasDestinationAddress ? IpMath.ToAddress(destinationAddress, v6) : null,
            Notes = notes.ToValueList(),
        };
    }

    /// <summary>Decides a flow between two pods (or host endpoints) given as <c>namespace</c> and <c>name</c>.</summary>
    /// <param name="source">The source, <c>namespace/name</c>.</param>
    /// <param name="destination">The destination, <c>namespace/name</c>.</param>
    /// <param name="port">The destination port.</param>
    /// <param name="protocol">The protocol.</param>
    /// <returns>Whether the connection is allowed.</returns>
    /// <exception cref="ArgumentException">An endpoint is not in the snapshot or not well-formed.</exception>
    public bool IsAllowed(string source, string destination, int port, Protocol protocol = Protocol.Tcp)
    {
        if (!FlowEndpoint.TryParse(source, out var from))
        {
            throw new ArgumentException($"'{source}' is not namespace/name, node:NAME or an IP address.", nameof(source));
        }

        if (!FlowEndpoint.TryParse(destination, out var to))
        {
            throw new ArgumentException($"'{destination}' is not namespace/name, node:NAME or an IP address.", nameof(destination));
        }

        return Decide(new Flow(from, to, port, protocol)).Allowed;
    }

    /// <summary>Builds ingress-only, egress-only and combined truth tables over pods and host endpoints, and addresses.</summary>
    /// <param name="endpoints">The endpoints (rows and columns); <see langword="null"/> for every pod and host endpoint.
    /// Addresses (<see cref="FlowEndpoint.ForAddress"/>) come after the pods and host endpoints, in the order given, as
    /// their text; each cell with one is decided by <see cref="Decide"/> (a cell between addresses of different families
    /// is denied: no such flow exists).</param>
    /// <param name="probes">The ports; <see langword="null"/> for every distinct port the pods and host endpoints serve.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentException">An endpoint is not a pod or host endpoint of the snapshot, nor an address.</exception>
    public TruthTable BuildTruthTable(IEnumerable<FlowEndpoint>? endpoints = null, IEnumerable<PortProbe>? probes = null)
    {
        var given = endpoints?.ToList();
        var addresses = given?.Where(e => e.Kind == FlowEndpointKind.Address).Distinct().ToList() ?? [];
        var chosen = given is null
            ? _index.Endpoints
            : given.Where(e => e.Kind != FlowEndpointKind.Address).Select(e => ResolveTableEndpoint(e)).Distinct().OrderBy(e => e.Index).ToArray();
        var ports = probes?.Distinct().Order().ToArray() ?? ServedPorts(chosen);
        var table = TruthTableBuilder.Build(_index, chosen, ports, _options);
        return addresses.Count == 0 ? table : WithAddresses(table, chosen, addresses);
    }

    /// <summary>The table with rows and columns for addresses added after the workloads, each of their cells decided
    /// flow by flow.</summary>
    private TruthTable WithAddresses(TruthTable table, EndpointInfo[] chosen, List<FlowEndpoint> addresses)
    {
        var ends = chosen.Select(e => e.Kind == EndpointKind.Pod ? FlowEndpoint.ForPod(e.Namespace, e.Name) : FlowEndpoint.ForHostEndpoint(e.Namespace, e.Name))
            .Concat(addresses).ToArray();
        var n = chosen.Length;
        var size = ends.Length;
        var probes = new List<ProbeMatrix>(table.Probes.Count);
        foreach (var probe in table.Probes)
        {
            var allowed = new BitMatrix(size, size);
            var ingress = new BitMatrix(size, size);
            var egress = new BitMatrix(size, size);
            for (var r = 0; r < size; r++)
            {
                for (var c = 0; c < size; c++)
                {
                    bool a, i, e;
                    if (r < n && c < n)
                    {
                        (a, i, e) = (probe.Allowed[r, c], probe.Ingress[r, c], probe.Egress[r, c]);
                    }
                    else
                    {
                        try
                        {
                            var verdict = Decide(new Flow(ends[r], ends[c], probe.Probe.Port, probe.Probe.Protocol));
                            (a, i, e) = (verdict.Allowed, verdict.Ingress.Allowed, verdict.Egress.Allowed);
                        }
                        catch (ArgumentException)
                        {
                            // Two addresses of different families: there is no such flow.
                            (a, i, e) = (false, false, false);
                        }
                    }

                    allowed[r, c] = a;
                    ingress[r, c] = i;
                    egress[r, c] = e;
                }
            }

            probes.Add(new ProbeMatrix(probe.Probe, allowed, ingress, egress));
        }

        return new TruthTable([.. table.Endpoints, .. addresses.Select(a => a.ToString())], probes);
    }

    /// <summary>Every distinct (port, protocol) that the given endpoints serve, sorted.</summary>
    /// <param name="endpoints">The endpoints; <see langword="null"/> for all.</param>
    /// <returns>The probes.</returns>
    public IReadOnlyList<PortProbe> ServedPorts(IEnumerable<FlowEndpoint>? endpoints = null) =>
        ServedPorts(endpoints is null ? _index.Endpoints : endpoints.Select(e => ResolveTableEndpoint(e)).ToArray());

    private static PortProbe[] ServedPorts(IEnumerable<EndpointInfo> endpoints) =>
        [.. endpoints.SelectMany(e => e.Ports).Select(p => new PortProbe(p.Port, p.Protocol)).Distinct().Order()];

    private EndpointInfo ResolveTableEndpoint(FlowEndpoint endpoint)
    {
        var info = endpoint.Kind switch
        {
            FlowEndpointKind.Pod => _index.FindPod(endpoint.Namespace!, endpoint.Name!) ?? _index.FindHostEndpoint(endpoint.Namespace!, endpoint.Name!),
            FlowEndpointKind.HostEndpoint => _index.FindHostEndpoint(endpoint.Namespace!, endpoint.Name!),
            _ => null,
        };
        return info ?? throw new ArgumentException(
            endpoint.Kind is FlowEndpointKind.Pod or FlowEndpointKind.HostEndpoint ? UnknownWorkload(endpoint) : $"Truth tables are over pods, host endpoints and addresses; '{endpoint}' is none of them.",
            nameof(endpoint));
    }

    // ---- Resolution -----------------------------------------------------------------------------------------

    private Resolved Resolve(FlowEndpoint endpoint, List<string> notes)
    {
        switch (endpoint.Kind)
        {
            case FlowEndpointKind.Pod:
            case FlowEndpointKind.HostEndpoint:
            {
                var info = endpoint.Kind == FlowEndpointKind.Pod
                    ? _index.FindPod(endpoint.Namespace!, endpoint.Name!) ?? _index.FindHostEndpoint(endpoint.Namespace!, endpoint.Name!)
                    : _index.FindHostEndpoint(endpoint.Namespace!, endpoint.Name!);
                if (info is null)
                {
                    throw new ArgumentException(UnknownWorkload(endpoint), nameof(endpoint));
                }

                if (endpoint.Address is { } address && !info.Addresses.Contains(address))
                {
                    throw new ArgumentException($"{info.Display} does not have the address {address}.", nameof(endpoint));
                }

                return new Resolved(info, info.HostNetwork ? info.NodeName : null, endpoint.Address, null);
            }

            case FlowEndpointKind.Node:
            {
                var node = _index.FindNode(endpoint.Name!);
                if (node is null && !_index.Endpoints.Any(e => e.NodeName == endpoint.Name))
                {
                    throw new ArgumentException(UnknownNode(endpoint.Name!), nameof(endpoint));
                }

                return new Resolved(null, endpoint.Name, endpoint.Address, node);
            }

            default:
            {
                var address = endpoint.Address!;
                var value = IpMath.ToUInt128(address, out var v6);
                if (_index.WorkloadByAddress(value, v6) is { } owner)
                {
                    notes.Add($"{address} is the address of {(owner.Kind == EndpointKind.Pod ? "pod" : "host endpoint")} {owner.Display}: evaluated as that {(owner.Kind == EndpointKind.Pod ? "pod" : "host endpoint")}");
                    return new Resolved(owner, null, address, null);
                }

                if (_index.NodeByAddress(value, v6) is { } nodeName)
                {
                    notes.Add($"{address} is an address of node {nodeName}: evaluated as that node");
                    return new Resolved(null, nodeName, address, _index.FindNode(nodeName));
                }

                if (Snapshot.FindServiceByClusterIP(address) is { } service)
                {
                    notes.Add($"{address} is the cluster IP of Service {service}: connections to it go to its backend pods, which this verdict does not look at; decide those with {nameof(DecideService)}");
                }

                return new Resolved(null, null, address, null);
            }
        }
    }

    private static bool ChooseFamily(Resolved source, Resolved destination, Protocol protocol)
    {
        var v6 = ChooseFamily(source, destination);
        if (protocol is Protocol.Icmp or Protocol.IcmpV6 && (source.ExplicitAddress ?? destination.ExplicitAddress) is { } given && v6 != (protocol == Protocol.IcmpV6))
        {
            throw new ArgumentException($"{protocol.ToKubernetesName()} is a protocol of {(protocol == Protocol.IcmpV6 ? "IPv6" : "IPv4")}, and {given} is an {(v6 ? "IPv6" : "IPv4")} address; use {(v6 ? "ICMPv6" : "ICMP")}.");
        }

        if (protocol is Protocol.Icmp or Protocol.IcmpV6 && source.ExplicitAddress is null && destination.ExplicitAddress is null)
        {
            // ICMP is IPv4's and ICMPv6 IPv6's: between dual-stack ends the protocol chooses the family.
            var wanted = protocol == Protocol.IcmpV6 ? 2 : 1;
            if ((source.AddressClass & destination.AddressClass & wanted) != 0)
            {
                return protocol == Protocol.IcmpV6;
            }
        }

        return v6;
    }

    private static bool ChooseFamily(Resolved source, Resolved destination)
    {
        var sourceExplicit = source.ExplicitAddress;
        var destinationExplicit = destination.ExplicitAddress;
        if (sourceExplicit is not null && destinationExplicit is not null)
        {
            var a = sourceExplicit.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !sourceExplicit.IsIPv4MappedToIPv6;
            var b = destinationExplicit.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !destinationExplicit.IsIPv4MappedToIPv6;
            if (a != b)
            {
                throw new ArgumentException($"The source address {sourceExplicit} and the destination address {destinationExplicit} are of different families; a flow has one.");
            }

            return a;
        }

        if (sourceExplicit is not null || destinationExplicit is not null)
        {
            var given = (sourceExplicit ?? destinationExplicit)!;
            return given.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !given.IsIPv4MappedToIPv6;
        }

        return PairFamilyIsV6(source.AddressClass, destination.AddressClass);
    }

    /// <summary>Why a pod or host endpoint is not found, with the names closest to it.</summary>
    private string UnknownWorkload(FlowEndpoint endpoint)
    {
        var what = endpoint.Kind == FlowEndpointKind.Pod ? "pod or host endpoint" : "host endpoint";
        var candidates = _index.Endpoints.Where(e => endpoint.Kind == FlowEndpointKind.Pod || e.Kind == EndpointKind.HostEndpoint).ToList();
        var ns = endpoint.Namespace!;
        var name = endpoint.Name!;
        var text = $"There is no {what} {ns}/{name}";
        var inNamespace = candidates.Where(e => e.Namespace == ns).Select(e => e.Name).ToList();
        if (inNamespace.Count > 0)
        {
            var close = NameSuggestions.Find(name, inNamespace);
            return close.Count > 0
                ? $"{text}; did you mean {NameSuggestions.Join([.. close.Select(c => ns + "/" + c)])}?"
                : $"{text}; namespace {ns} has {NameSuggestions.List(inNamespace)}.";
        }

        // The namespace has none: the typo is more likely in the namespace (or both).
        var namespaces = candidates.Select(e => e.Namespace).Distinct(StringComparer.Ordinal).ToList();
        var closeNamespaces = NameSuggestions.Find(ns, namespaces);
        var samePod = closeNamespaces.Where(n => candidates.Any(e => e.Namespace == n && e.Name == name)).Select(n => n + "/" + name).ToList();
        if (samePod.Count > 0)
        {
            return $"{text}: namespace {ns} has none; did you mean {NameSuggestions.Join(samePod)}?";
        }

        if (closeNamespaces.Count > 0)
        {
            return $"{text}: namespace {ns} has none; did you mean namespace {NameSuggestions.Join(closeNamespaces)}?";
        }

        return namespaces.Count == 0
            ? $"{text}: there are no pods or host endpoints at all."
            : $"{text}: namespace {ns} has none (namespaces with some: {NameSuggestions.List(namespaces)}).";
    }

    /// <summary>Why a node is not found, with the names closest to it.</summary>
    private string UnknownNode(string name)
    {
        var nodes = Snapshot.Nodes.Select(n => n.Name).Concat(_index.Endpoints.Select(e => e.NodeName).OfType<string>())
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var close = NameSuggestions.Find(name, nodes);
        return close.Count > 0 ? $"There is no node {name}; did you mean {NameSuggestions.Join(close)}?"
            : nodes.Count == 0 ? $"There is no node {name}: no Node object, pod or host endpoint names any node."
            : $"There is no node {name} (nodes: {NameSuggestions.List(nodes)}).";
    }

    /// <summary>The family of a flow between endpoints of the given address classes: IPv4 when both have it, else IPv6
    /// when both have it, else IPv4.</summary>
    internal static bool PairFamilyIsV6(int sourceClass, int destinationClass) =>
        (sourceClass & destinationClass & 1) == 0 && (sourceClass & destinationClass & 2) != 0;

    private static VerdictReason? SpecialCase(Resolved source, Resolved destination, bool hasSourceAddress, bool hasDestinationAddress, UInt128 sourceAddress, UInt128 destinationAddress)
    {
        if (source.Info is not null && ReferenceEquals(source.Info, destination.Info))
        {
            return VerdictReason.Self;
        }

        if (source.Info is null && destination.Info is null && source.HostOf is null && destination.HostOf is null
            && hasSourceAddress && hasDestinationAddress && sourceAddress == destinationAddress)
        {
            return VerdictReason.Self;
        }

        if (source.HostOf is { } a && destination.HostOf is { } b && string.Equals(a, b, StringComparison.Ordinal))
        {
            return VerdictReason.SameHost;
        }

        return null;
    }

    /// <summary>NodeLocal when <paramref name="subject"/> is a pod and <paramref name="peer"/> its node's host, or the
    /// subject is a node's host endpoint and the peer a pod on that node.</summary>
    private static VerdictReason? NodeLocalFor(Resolved subject, Resolved peer)
    {
        if (subject.PodNode is { } node && peer.HostOf is { } host && string.Equals(node, host, StringComparison.Ordinal))
        {
            return VerdictReason.NodeLocal;
        }

        if (subject.HostOf is { } subjectHost && peer.PodNode is { } peerNode && string.Equals(subjectHost, peerNode, StringComparison.Ordinal))
        {
            return VerdictReason.NodeLocal;
        }

        return null;
    }

    private DirectionVerdict Evaluate(Direction direction, Resolved subject, Resolved peer, UInt128 peerAddress, bool hasPeerAddress, bool v6, Flow flow, VerdictReason? forced)
    {
        var info = subject.Info;
        if (info is null || !info.IsWorkload)
        {
            return new DirectionVerdict(direction, true, false, forced ?? VerdictReason.NotApplicable, default, default);
        }

        var destination = direction == Direction.Ingress ? info : peer.Info;
        var exempt = forced is VerdictReason.Self or VerdictReason.SameHost;
        var passed = new List<DecidingRule>();
        var undecided = new List<DecidingRule>();

        // 1. The Admin tier: the first matching rule of the first policy (priority, then name) decides; Pass leaves it.
        var admin = exempt ? null : EvaluateTier(_index.AdminPolicies, direction, info, peer, peerAddress, hasPeerAddress, v6, flow, destination, passed, undecided);

        // 2. NetworkPolicies: isolation and the union of their rules (also reported when a tier decided).
        var policies = new List<PolicyRef>();
        var matched = new List<RuleRef>();
        CompiledPolicy? firstMatchedPolicy = null;
        CompiledRule? firstMatchedRule = null;
        foreach (var policy in _index.PoliciesIn(info.Namespace))
        {
            if (!policy.Applies(direction) || !policy.Policy.PodSelector.Matches(info.Labels))
            {
                continue;
            }

            policies.Add(policy.Ref);
            foreach (var rule in policy.Rules(direction))
            {
                if (rule.PortMatches(flow.Port, flow.Protocol, destination)
                    && rule.PeerMatches(peer.Info, peerAddress, hasPeerAddress, v6, policy.Policy.Namespace))
                {
                    matched.Add(new RuleRef(policy.Ref, rule.Index));
                    if (firstMatchedPolicy is null || policy.Ref.CompareTo(firstMatchedPolicy.Ref) < 0)
                    {
                        (firstMatchedPolicy, firstMatchedRule) = (policy, rule);
                    }
                }
            }
        }

        policies.Sort();
        matched.Sort((x, y) => x.Policy.CompareTo(y.Policy) is var c && c != 0 ? c : x.Rule.CompareTo(y.Rule));
        var isolated = policies.Count > 0;
        var verdict = new DirectionVerdict(direction, true, isolated, VerdictReason.NotIsolated, policies.ToValueList(), matched.ToValueList())
        {
            Passed = passed.ToValueList(),
            Undecided = undecided.ToValueList(),
        };
        if (exempt)
        {
            return verdict with { Reason = forced!.Value };
        }

        if (admin is { } decidedByAdmin)
        {
            return Decided(verdict, DecisionTier.Admin, decidedByAdmin);
        }

        if (isolated)
        {
            var allowed = forced is not null || matched.Count > 0;
            return verdict with
            {
                Allowed = allowed,
                Reason = forced ?? (matched.Count > 0 ? VerdictReason.AllowedByRule : VerdictReason.NoRuleMatched),
                Tier = DecisionTier.NetworkPolicy,
                DecidedBy = forced is null && firstMatchedRule is not null
                    ? new DecidingRule("NetworkPolicy", firstMatchedPolicy!.Ref.ToString(), firstMatchedRule.Index, null, ClusterPolicyAction.Accept)
                    : null,
            };
        }

        // 3. The Baseline tier, for directions no NetworkPolicy isolates; Pass there means the default.
        var baseline = EvaluateTier(_index.BaselinePolicies, direction, info, peer, peerAddress, hasPeerAddress, v6, flow, destination, passed, undecided);
        verdict = verdict with { Passed = passed.ToValueList(), Undecided = undecided.ToValueList() };
        if (baseline is { } decidedByBaseline)
        {
            return Decided(verdict, DecisionTier.Baseline, decidedByBaseline);
        }

        // 4. Allowed by default.
        return verdict with { Reason = forced ?? VerdictReason.NotIsolated };
    }

    private static DirectionVerdict Decided(DirectionVerdict verdict, DecisionTier tier, DecidingRule rule) => verdict with
    {
        Allowed = rule.Action == ClusterPolicyAction.Accept,
        Reason = rule.Action == ClusterPolicyAction.Accept ? VerdictReason.AcceptedByClusterPolicy : VerdictReason.DeniedByClusterPolicy,
        Tier = tier,
        DecidedBy = rule,
    };

    /// <summary>The Accept or Deny rule of a tier that decides the direction, or <see langword="null"/> when no rule
    /// matches or a Pass rule leaves the tier (added to <paramref name="passed"/>).</summary>
    private DecidingRule? EvaluateTier(CompiledClusterPolicy[] tier, Direction direction, EndpointInfo subject, Resolved peer, UInt128 peerAddress, bool hasPeerAddress, bool v6, Flow flow, EndpointInfo? destination, List<DecidingRule> passed, List<DecidingRule> undecided)
    {
        foreach (var policy in tier)
        {
            if (!policy.Selects(subject))
            {
                continue;
            }

            foreach (var rule in policy.Rules(direction))
            {
                if (!rule.PortMatches(flow.Port, flow.Protocol, destination))
                {
                    continue;
                }

                var match = rule.PeerMatches(peer.Info, peerAddress, hasPeerAddress, v6, _index, _options);
                var deciding = new DecidingRule(policy.Policy.SourceKind, policy.Policy.Name, rule.Index, rule.Rule.Name, rule.Action);
                if (match == PeerMatch.Unknown)
                {
                    undecided.Add(deciding);
                    continue;
                }

                if (match == PeerMatch.No)
                {
                    continue;
                }

                if (rule.Action == ClusterPolicyAction.Pass)
                {
                    passed.Add(deciding);
                    return null;
                }

                return deciding;
            }
        }

        return null;
    }

    private sealed class Resolved(EndpointInfo? info, string? hostOf, IPAddress? explicitAddress, Node? node)
    {
        public EndpointInfo? Info { get; } = info;

        public IPAddress? ExplicitAddress { get; } = explicitAddress;

        /// <summary>The node this end is the host of (a node, a hostNetwork pod, a host endpoint of a node).</summary>
        public string? HostOf { get; } = hostOf ?? info?.HostOf;

        public string? PodNode => Info?.PodNode;

        public int AddressClass
        {
            get
            {
                if (Info is not null)
                {
                    return Info.AddressClass;
                }

                if (node is null)
                {
                    return 0;
                }

                return (node.Addresses.Any(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ? 1 : 0)
                    | (node.Addresses.Any(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) ? 2 : 0);
            }
        }

        public bool TryGetAddress(bool v6, out UInt128 value)
        {
            if (ExplicitAddress is not null)
            {
                value = IpMath.ToUInt128(ExplicitAddress, out var isV6);
                return isV6 == v6;
            }

            if (Info is not null)
            {
                return Info.TryGetAddress(v6, out value);
            }

            var match = node?.Addresses.FirstOrDefault(a => (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) == v6);
            value = match is null ? default : IpMath.ToUInt128(match, out _);
            return match is not null;
        }

        public string Describe(bool v6)
        {
            var address = TryGetAddress(v6, out var value) ? " (" + IpMath.ToAddress(value, v6) + ")" : " (no " + (v6 ? "IPv6" : "IPv4") + " address)";
            if (Info is not null)
            {
                if (Info.Kind == EndpointKind.HostEndpoint)
                {
                    return "host endpoint " + Info.Display + address;
                }

                return (Info.HostNetwork ? "hostNetwork pod " : "pod ") + Info.Display + address;
            }

            if (HostOf is not null)
            {
                return "node " + HostOf + address;
            }

            return (ExplicitAddress?.ToString() ?? "?") + " (outside the cluster)";
        }
    }
}
