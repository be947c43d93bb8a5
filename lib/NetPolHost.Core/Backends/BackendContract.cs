using NetPolHost.Planning;

namespace NetPolHost.Backends;

/// <summary>What a backend's declared <see cref="BackendCapabilities"/> mean for a plan: the one check, shared by every
/// backend and by the code that makes plans, that refuses a plan a backend cannot express before anything is applied.</summary>
/// <remarks>
/// <para>Scope: <see cref="BackendCapabilities.PodTraffic"/> and <see cref="BackendCapabilities.HostTraffic"/> say which
/// endpoints a backend enforces. Endpoints outside that scope are not refused: the backend leaves them alone and says so
/// in its warnings (e.g. pods on a Windows node are policed in the virtual switch). Every other capability is a feature
/// the endpoints in scope may need; a plan that needs one the backend lacks is refused.</para>
/// <para>Needed features: <see cref="BackendCapabilities.IPv4"/> or <see cref="BackendCapabilities.IPv6"/> for an
/// endpoint address or a peer address of that family; <see cref="BackendCapabilities.Sctp"/> for an allow entry with
/// SCTP ports (SCTP with all ports is an IP protocol and needs nothing); <see cref="BackendCapabilities.PortRanges"/>
/// for an allow entry with a range of more than one port (other than all ports);
/// <see cref="BackendCapabilities.ClusterPolicyTiers"/> for an endpoint direction with entries of a ClusterNetworkPolicy
/// tier (<see cref="DirectionPlan.HasTiers"/>); <see cref="BackendCapabilities.DomainNames"/> for an entry with domain
/// names (<see cref="PlanRule.DomainNames"/>).</para>
/// </remarks>
public static class BackendContract
{
    /// <summary>The endpoints of <paramref name="plan"/> that a backend with <paramref name="capabilities"/> enforces.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="capabilities">The backend's capabilities.</param>
    /// <returns>The endpoints in scope, in plan order.</returns>
    public static IEnumerable<PlanEndpoint> EndpointsInScope(RulePlan plan, BackendCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Endpoints.Where(e => e.Kind == PlanEndpointKind.Pod
            ? capabilities.HasFlag(BackendCapabilities.PodTraffic)
            : capabilities.HasFlag(BackendCapabilities.HostTraffic));
    }

    /// <summary>The first feature of <paramref name="plan"/> that a backend with <paramref name="capabilities"/> cannot
    /// express, or <see langword="null"/> when it can express all of the plan that is in its scope.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="capabilities">The backend's capabilities.</param>
    /// <returns>The missing capability, the feature in words, and the policy (or endpoint) that needs it; or
    /// <see langword="null"/>.</returns>
    public static (BackendCapabilities Missing, string Feature, string NeededBy)? FindUnsupported(RulePlan plan, BackendCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var endpoint in EndpointsInScope(plan, capabilities))
        {
            foreach (var address in endpoint.Addresses)
            {
                var family = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? BackendCapabilities.IPv6 : BackendCapabilities.IPv4;
                if (!capabilities.HasFlag(family))
                {
                    return (family, family == BackendCapabilities.IPv6 ? "IPv6 addresses" : "IPv4 addresses", endpoint.Name);
                }
            }

            foreach (var direction in new[] { endpoint.Ingress, endpoint.Egress })
            {
                if (direction.HasTiers && !capabilities.HasFlag(BackendCapabilities.ClusterPolicyTiers))
                {
                    var first = plan.GetRule(direction.Admin.IsEmpty ? direction.Baseline[0] : direction.Admin[0]);
                    return (BackendCapabilities.ClusterPolicyTiers, "ClusterNetworkPolicy tiers (ordered Accept, Deny and Pass rules)", "ClusterNetworkPolicy " + first.Source.Policy.Name);
                }
            }

            foreach (var id in endpoint.Ingress.AllRules.Concat(endpoint.Egress.AllRules))
            {
                var rule = plan.GetRule(id);
                var missing = Missing(rule, capabilities);
                if (missing is { } m)
                {
                    return (m.Capability, m.Feature, rule.Source.Policy.Namespace.Length == 0 ? "ClusterNetworkPolicy " + rule.Source.Policy.Name : rule.Source.Policy.ToString());
                }
            }
        }

        return null;
    }

    /// <summary>Refuses <paramref name="plan"/> when <paramref name="backend"/> cannot express it, naming the capability
    /// it lacks. Call it where plans are made for a backend, and at the start of an apply, before anything changes.</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="plan">The plan.</param>
    /// <exception cref="UnsupportedPolicyFeatureException">The plan needs a capability the backend does not declare.</exception>
    public static void EnsureCanExpress(this IFirewallBackend backend, RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(backend);
        EnsureCanExpress(plan, backend.Name, backend.Capabilities);
    }

    /// <summary>Refuses <paramref name="plan"/> when a backend named <paramref name="backend"/> with
    /// <paramref name="capabilities"/> cannot express it.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="backend">The backend name, for the message.</param>
    /// <param name="capabilities">The backend's capabilities.</param>
    /// <exception cref="UnsupportedPolicyFeatureException">The plan needs a capability the backend does not declare.</exception>
    public static void EnsureCanExpress(RulePlan plan, string backend, BackendCapabilities capabilities)
    {
        if (FindUnsupported(plan, capabilities) is { } unsupported)
        {
            throw new UnsupportedPolicyFeatureException(backend, unsupported.Feature, unsupported.NeededBy, unsupported.Missing);
        }
    }

    private static (BackendCapabilities Capability, string Feature)? Missing(PlanRule rule, BackendCapabilities capabilities)
    {
        if (!rule.DomainNames.IsEmpty && !capabilities.HasFlag(BackendCapabilities.DomainNames))
        {
            return (BackendCapabilities.DomainNames, "domainNames peers (resolving domain names while enforcing)");
        }

        if (!capabilities.HasFlag(BackendCapabilities.IPv4) && HasFamily(rule.Peers, ipv6: false))
        {
            return (BackendCapabilities.IPv4, "IPv4 addresses");
        }

        if (!capabilities.HasFlag(BackendCapabilities.IPv6) && HasFamily(rule.Peers, ipv6: true))
        {
            return (BackendCapabilities.IPv6, "IPv6 addresses");
        }

        if (rule.Ports.IsAll)
        {
            return null;
        }

        foreach (var range in rule.Ports.Ranges)
        {
            if (range.IsAllPorts)
            {
                continue;
            }

            if (range.Protocol == Model.Protocol.Sctp && !capabilities.HasFlag(BackendCapabilities.Sctp))
            {
                return (BackendCapabilities.Sctp, "SCTP ports");
            }

            if (range.First != range.Last && !capabilities.HasFlag(BackendCapabilities.PortRanges))
            {
                return (BackendCapabilities.PortRanges, "port ranges (endPort)");
            }
        }

        return null;
    }

    private static bool HasFamily(AddressSet peers, bool ipv6) =>
        peers.IsAll || !peers.HostsOfFamily(ipv6).IsEmpty || peers.Ranges.Any(r => r.IsIPv6 == ipv6);
}
