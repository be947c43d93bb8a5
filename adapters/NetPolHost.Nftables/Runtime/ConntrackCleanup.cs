using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Nftables.Runtime;

/// <summary>Decides which established connections a plan change must cut: those of endpoints whose allowances may
/// have shrunk, judged the way the rendered chains judge a new packet.</summary>
internal static class ConntrackCleanup
{
    /// <summary>Addresses of endpoints whose allowed traffic may be smaller under <paramref name="next"/> than under
    /// <paramref name="previous"/>; every isolated endpoint when the previous plan is unknown.</summary>
    public static HashSet<IPAddress> AffectedAddresses(RulePlan? previous, RulePlan next)
    {
        var affected = new HashSet<IPAddress>();
        var before = new Dictionary<(IPAddress, PlanEndpointKind), PlanEndpoint>();
        if (previous is not null)
        {
            foreach (var endpoint in previous.Endpoints)
            {
                foreach (var address in endpoint.Addresses)
                {
                    before.TryAdd((address, endpoint.Kind), endpoint);
                }
            }
        }

        var ruleChanged = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var endpoint in next.Endpoints)
        {
            foreach (var address in endpoint.Addresses)
            {
                before.TryGetValue((address, endpoint.Kind), out var old);
                if (MayShrink(previous, old?.Ingress, next, endpoint.Ingress, ruleChanged)
                    || MayShrink(previous, old?.Egress, next, endpoint.Egress, ruleChanged)
                    || (old is not null && old.InterfaceName != endpoint.InterfaceName))
                {
                    affected.Add(address);
                }
            }
        }

        // A pod that left the node no longer passes the host's input and output hooks as node-local traffic.
        if (previous is not null && (next.HasTiers || next.Endpoints.Any(e => e.Kind == PlanEndpointKind.HostEndpoint)))
        {
            var still = new HashSet<IPAddress>(next.LocalPodAddresses);
            affected.UnionWith(previous.LocalPodAddresses.Where(a => !still.Contains(a)));
        }

        return affected;
    }

    /// <summary>The entries touching <paramref name="affected"/> that a new packet of the same flow would be dropped for,
    /// judged by <see cref="RulePlan.Evaluate(IPAddress, IPAddress, Protocol, int, IReadOnlySet{IPAddress})"/> with the
    /// namespace's own addresses. Connections of interface-bound host endpoints are kept: their rules match the
    /// interface, which the entry does not record.</summary>
    /// <param name="plan">The plan now applied.</param>
    /// <param name="entries">The connection tracking entries.</param>
    /// <param name="affected">Addresses whose allowances may have shrunk.</param>
    /// <param name="local">The addresses of the network namespace (traffic to them is input, from them output).</param>
    public static List<ConntrackEntry> Denied(RulePlan plan, IEnumerable<ConntrackEntry> entries, IReadOnlySet<IPAddress> affected, IReadOnlySet<IPAddress> local)
    {
        bool InterfaceBound(IPAddress address) =>
            local.Contains(address) && plan.FindEndpoint(address, PlanEndpointKind.HostEndpoint) is { InterfaceName: not null };

        return [.. entries.Where(e => (affected.Contains(e.Source) || affected.Contains(e.FilteredDestination))
            && !InterfaceBound(e.Source) && !InterfaceBound(e.FilteredDestination)
            && !plan.Evaluate(e.Source, e.FilteredDestination, e.Protocol, e.FilteredDestinationPort, local).Allowed)];
    }

    private static bool MayShrink(RulePlan? previous, DirectionPlan? before, RulePlan next, DirectionPlan now, Dictionary<string, bool> ruleChanged)
    {
        if (!now.Applies)
        {
            return false;
        }

        if (previous is null || before is null || before.Isolated != now.Isolated
            || !before.Rules.Equals(now.Rules) || !before.Admin.Equals(now.Admin) || !before.Baseline.Equals(now.Baseline))
        {
            return true;
        }

        foreach (var id in now.AllRules)
        {
            if (!ruleChanged.TryGetValue(id, out var changed))
            {
                changed = !previous.GetRule(id).Equals(next.GetRule(id));
                ruleChanged[id] = changed;
            }

            if (changed)
            {
                return true;
            }
        }

        return false;
    }
}
