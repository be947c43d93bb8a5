using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>Options of a <see cref="PolicyMatcher"/>.</summary>
public sealed record MatcherOptions
{
    /// <summary>What domain names resolve to, for ClusterNetworkPolicy <c>domainNames</c> peers (keys are lower-case
    /// names without a trailing dot). A peer whose names are not all in the map cannot be decided offline: verdicts that
    /// depend on it say so (<see cref="FlowVerdict.Decidable"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPAddress>>? DomainAddresses { get; init; }
}

/// <summary>How a ClusterNetworkPolicy peer relates to one end of a flow.</summary>
internal enum PeerMatch
{
    No,
    Yes,

    /// <summary>The peer names domains whose addresses are not known offline.</summary>
    Unknown,
}

/// <summary>One rule of a ClusterNetworkPolicy, ready for matching.</summary>
internal sealed class CompiledClusterRule
{
    public required int Index { get; init; }

    public required ClusterNetworkPolicyRule Rule { get; init; }

    public ClusterPolicyAction Action => Rule.Action;

    public bool AllPorts => Rule.Protocols.IsEmpty;

    public bool HasNamedPorts { get; init; }

    /// <summary>Whether the rule's protocols admit <paramref name="port"/>/<paramref name="protocol"/> towards
    /// <paramref name="destination"/> (null for an address outside the cluster or a node).</summary>
    public bool PortMatches(int port, Protocol protocol, EndpointInfo? destination)
    {
        if (AllPorts)
        {
            return true;
        }

        foreach (var spec in Rule.Protocols)
        {
            if (spec.NamedPort is not null)
            {
                if (destination is not null && destination.ResolveNamedPort(spec.NamedPort, protocol) == port)
                {
                    return true;
                }
            }
            else if (spec.Protocol == protocol && (spec.IsAllPorts || (port >= spec.Port && port <= spec.EndPort)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a peer of the rule admits the other end of the flow.</summary>
    public PeerMatch PeerMatches(EndpointInfo? peer, UInt128 address, bool hasAddress, bool v6, ClusterIndex index, MatcherOptions options)
    {
        var result = PeerMatch.No;
        foreach (var spec in Rule.Peers)
        {
            var match = MatchesPeer(spec, peer, address, hasAddress, v6, index, options);
            if (match == PeerMatch.Yes)
            {
                return PeerMatch.Yes;
            }

            if (match == PeerMatch.Unknown)
            {
                result = PeerMatch.Unknown;
            }
        }

        return result;
    }

    /// <summary>Whether one peer of the rule admits the other end of the flow.</summary>
    public PeerMatch MatchesPeer(ClusterPolicyPeer spec, EndpointInfo? peer, UInt128 address, bool hasAddress, bool v6, ClusterIndex index, MatcherOptions options)
    {
        if (spec.IsUnknown)
        {
            // A peer of a newer API version fails closed: it never widens an Accept and always applies a Deny or Pass.
            return Action == ClusterPolicyAction.Accept ? PeerMatch.No : PeerMatch.Yes;
        }

        if (spec.Namespaces is not null)
        {
            return peer is not null && peer.IsWorkload && spec.Namespaces.Matches(peer.NamespaceLabels) ? PeerMatch.Yes : PeerMatch.No;
        }

        if (spec.Pods is not null)
        {
            return peer is not null && peer.IsWorkload && spec.Pods.NamespaceSelector.Matches(peer.NamespaceLabels) && spec.Pods.PodSelector.Matches(peer.Labels)
                ? PeerMatch.Yes
                : PeerMatch.No;
        }

        if (!spec.Networks.IsEmpty)
        {
            if (!hasAddress)
            {
                return PeerMatch.No;
            }

            foreach (var cidr in spec.Networks)
            {
                if (cidr.Contains(address, v6))
                {
                    return PeerMatch.Yes;
                }
            }

            return PeerMatch.No;
        }

        if (spec.Nodes is not null)
        {
            if (!hasAddress || index.NodeByAddress(address, v6) is not { } nodeName)
            {
                return PeerMatch.No;
            }

            var labels = index.FindNode(nodeName)?.Labels ?? LabelMap.Empty;
            return spec.Nodes.Matches(labels) ? PeerMatch.Yes : PeerMatch.No;
        }

        return MatchDomains(spec.DomainNames, address, hasAddress, v6, options);
    }

    private static PeerMatch MatchDomains(ValueList<string> names, UInt128 address, bool hasAddress, bool v6, MatcherOptions options)
    {
        var map = options.DomainAddresses;
        var unknown = false;
        foreach (var name in names)
        {
            var wanted = name.TrimEnd('.').ToLowerInvariant();
            var known = false;
            if (map is not null)
            {
                foreach (var (key, addresses) in map)
                {
                    var entry = key.TrimEnd('.').ToLowerInvariant();
                    var covered = wanted.StartsWith("*.", StringComparison.Ordinal)
                        ? entry.EndsWith(wanted[1..], StringComparison.Ordinal) && entry.Length > wanted.Length - 1
                        : entry == wanted;
                    if (!covered)
                    {
                        continue;
                    }

                    known = true;
                    if (hasAddress && addresses.Any(a => IpMath.ToUInt128(a, out var isV6) == address && isV6 == v6))
                    {
                        return PeerMatch.Yes;
                    }
                }
            }

            unknown |= !known || wanted.StartsWith("*.", StringComparison.Ordinal);
        }

        // A wildcard is never fully known offline: other names under it may resolve to the address.
        return unknown ? PeerMatch.Unknown : PeerMatch.No;
    }
}

/// <summary>A ClusterNetworkPolicy ready for matching.</summary>
internal sealed class CompiledClusterPolicy
{
    public required ClusterNetworkPolicy Policy { get; init; }

    /// <summary>The position in its tier's order of evaluation (priority, then name).</summary>
    public required int Order { get; init; }

    public required CompiledClusterRule[] IngressRules { get; init; }

    public required CompiledClusterRule[] EgressRules { get; init; }

    public PolicyRef Ref => Policy.Ref;

    public CompiledClusterRule[] Rules(Direction direction) => direction == Direction.Ingress ? IngressRules : EgressRules;

    /// <summary>Whether the subject selects <paramref name="endpoint"/> (never a hostNetwork pod).</summary>
    public bool Selects(EndpointInfo endpoint)
    {
        if (!endpoint.IsWorkload)
        {
            return false;
        }

        var subject = Policy.Subject;
        if (subject.Pods is { } pods)
        {
            return pods.NamespaceSelector.Matches(endpoint.NamespaceLabels) && pods.PodSelector.Matches(endpoint.Labels);
        }

        return subject.Namespaces is { } namespaces && namespaces.Matches(endpoint.NamespaceLabels);
    }

    /// <summary>The tier's policies in the order of evaluation.</summary>
    public static CompiledClusterPolicy[] CompileTier(IEnumerable<ClusterNetworkPolicy> policies, PolicyTier tier)
    {
        var ordered = policies.Where(p => p.Tier == tier).ToList();
        ordered.Sort(ClusterNetworkPolicy.CompareEvaluationOrder);
        return [.. ordered.Select((p, i) => new CompiledClusterPolicy
        {
            Policy = p,
            Order = i,
            IngressRules = [.. p.Ingress.Select(Compile)],
            EgressRules = [.. p.Egress.Select(Compile)],
        })];
    }

    private static CompiledClusterRule Compile(ClusterNetworkPolicyRule rule, int index) => new()
    {
        Index = index,
        Rule = rule,
        HasNamedPorts = rule.Protocols.Any(p => p.NamedPort is not null),
    };
}
