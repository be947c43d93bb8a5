using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>What one direction of a local endpoint decides for one class of traffic: the peer addresses (of one family)
/// it denies. Every entry of the direction treats every packet of the class alike, so the class's decision is a set of
/// addresses, whatever the tiers, actions and order that led to it.</summary>
/// <param name="Ports">A TCP, UDP or SCTP port range, or <see langword="null"/> for the protocols without ports (ICMP,
/// GRE…), which only entries without ports match.</param>
/// <param name="Denied">The denied peers, sorted and merged (<see cref="AddressRange.Merge"/>); every other peer is
/// allowed.</param>
public sealed record ClassDecision(PortRange? Ports, ValueList<AddressRange> Denied)
{
    /// <summary>The allowed peers of the family: the complement of <see cref="Denied"/>.</summary>
    /// <param name="ipv6">The family of the decision.</param>
    /// <returns>Sorted, merged ranges.</returns>
    public IReadOnlyList<AddressRange> Allowed(bool ipv6) => AddressRange.Complement(Denied, ipv6);
}

/// <summary>Flattens the ordered decision of a direction (<see cref="DirectionPlan"/>: Admin tier, NetworkPolicy stage,
/// Baseline tier, default) into one address set per class of traffic, for firewalls that cannot jump between ordered
/// lists of rules: they can enforce a tier exactly by denying each class's <see cref="ClassDecision.Denied"/> peers
/// (Pass included, which needs no jump once flattened).</summary>
public static class DirectionDecisions
{
    private static readonly Protocol[] s_portProtocols = [Protocol.Tcp, Protocol.Udp, Protocol.Sctp];

    /// <summary>The decisions of one direction for peers of one family of which some are node-local (a host endpoint's
    /// direction: the node's pods are node-local peers, every other peer is not), as <see cref="Flatten(RulePlan, DirectionPlan, bool, bool)"/>
    /// gives them for each kind of peer, over the ranges of ports both cut the port space into.</summary>
    /// <param name="plan">The plan holding the direction's entries.</param>
    /// <param name="direction">The direction of an endpoint of <paramref name="plan"/>.</param>
    /// <param name="ipv6">The family of the peers.</param>
    /// <param name="nodeLocalPeers">The node-local peers, sorted and merged (<see cref="AddressRange.Merge"/>).</param>
    /// <returns>The decisions, TCP, UDP and SCTP ranges in port order, then the protocols without ports.</returns>
    public static IReadOnlyList<ClassDecision> Flatten(this RulePlan plan, DirectionPlan direction, bool ipv6, IReadOnlyList<AddressRange> nodeLocalPeers)
    {
        ArgumentNullException.ThrowIfNull(nodeLocalPeers);
        var others = plan.Flatten(direction, ipv6, nodeLocal: false);
        if (nodeLocalPeers.Count == 0)
        {
            return others;
        }

        var local = plan.Flatten(direction, ipv6, nodeLocal: true);
        var result = new List<ClassDecision>();
        foreach (var protocol in s_portProtocols)
        {
            var a = others.Where(c => c.Ports?.Protocol == protocol).ToList();
            var b = local.Where(c => c.Ports?.Protocol == protocol).ToList();
            int i = 0, j = 0, first = 0;
            while (i < a.Count && j < b.Count)
            {
                var last = Math.Min(a[i].Ports!.Value.Last, b[j].Ports!.Value.Last);
                Add(new PortRange(protocol, first, last), a[i], b[j]);
                first = last + 1;
                i += a[i].Ports!.Value.Last == last ? 1 : 0;
                j += b[j].Ports!.Value.Last == last ? 1 : 0;
            }
        }

        Add(null, others[^1], local[^1]);
        return result;

        void Add(PortRange? ports, ClassDecision other, ClassDecision nodeLocal)
        {
            var denied = AddressRange.Merge(AddressRange.Subtract(other.Denied, nodeLocalPeers).Concat(AddressRange.Intersect(nodeLocal.Denied, nodeLocalPeers)));
            if (ports is { } range && result.Count > 0 && result[^1].Ports is { } previous && previous.Protocol == range.Protocol && result[^1].Denied.SequenceEqual(denied))
            {
                result[^1] = result[^1] with { Ports = previous with { Last = range.Last } };
                return;
            }

            result.Add(new ClassDecision(ports, denied.ToValueList()));
        }
    }

    /// <summary>The decisions of one direction of an endpoint for peers of one family: per TCP, UDP and SCTP port range
    /// that the direction's entries cut the port space into (adjacent ranges with the same decision joined; every port
    /// of the three protocols is in exactly one), then one for the protocols without ports.</summary>
    /// <param name="plan">The plan holding the direction's entries.</param>
    /// <param name="direction">The direction of an endpoint of <paramref name="plan"/>.</param>
    /// <param name="ipv6">The family of the peers.</param>
    /// <param name="nodeLocal">Whether the peers are node-local (a local pod and its host): the NetworkPolicy stage then
    /// allows them, and only the tiers decide (see <see cref="RulePlan.Evaluate(System.Net.IPAddress, System.Net.IPAddress, Protocol, int)"/>).</param>
    /// <returns>The decisions, TCP, UDP and SCTP ranges in port order, then the protocols without ports.</returns>
    /// <remarks>Domain names of entries are left out, as <see cref="PlanRule.Matches"/> leaves them out (a backend that
    /// lacks <see cref="Backends.BackendCapabilities.DomainNames"/> refuses such plans anyway).</remarks>
    public static IReadOnlyList<ClassDecision> Flatten(this RulePlan plan, DirectionPlan direction, bool ipv6, bool nodeLocal)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(direction);
        var admin = direction.Admin.Select(plan.GetRule).ToList();
        var networkPolicy = direction.Isolated && !nodeLocal ? direction.Rules.Select(plan.GetRule).ToList() : [];
        var baseline = direction.Isolated ? [] : direction.Baseline.Select(plan.GetRule).ToList();
        var peers = new Dictionary<string, IReadOnlyList<AddressRange>>(StringComparer.Ordinal);
        IReadOnlyList<AddressRange> PeersOf(PlanRule rule)
        {
            if (!peers.TryGetValue(rule.Id, out var ranges))
            {
                ranges = rule.Peers.ToRanges(ipv6);
                peers[rule.Id] = ranges;
            }

            return ranges;
        }

        var result = new List<ClassDecision>();
        var all = admin.Concat(networkPolicy).Concat(baseline).Where(r => !r.Ports.IsAll).ToList();
        foreach (var protocol in s_portProtocols)
        {
            var cuts = new SortedSet<int> { 0 };
            foreach (var range in all.SelectMany(r => r.Ports.Ranges).Where(r => r.Protocol == protocol))
            {
                cuts.Add(range.First);
                if (range.Last < 65535)
                {
                    cuts.Add(range.Last + 1);
                }
            }

            var points = cuts.ToList();
            for (var i = 0; i < points.Count; i++)
            {
                var first = points[i];
                var last = i + 1 < points.Count ? points[i + 1] - 1 : 65535;
                var denied = Denied(rule => rule.Ports.Contains(protocol, first));
                if (result.Count > 0 && result[^1].Ports is { } previous && previous.Protocol == protocol && result[^1].Denied.SequenceEqual(denied))
                {
                    result[^1] = result[^1] with { Ports = previous with { Last = last } };
                    continue;
                }

                result.Add(new ClassDecision(new PortRange(protocol, first, last), denied.ToValueList()));
            }
        }

        result.Add(new ClassDecision(null, Denied(rule => rule.Ports.IsAll).ToValueList()));
        return result;

        // The peers denied for packets the predicate says an entry covers, decided as RulePlan.Evaluate decides.
        List<AddressRange> Denied(Func<PlanRule, bool> covers)
        {
            List<AddressRange> undecided = [new AddressRange(UInt128.Zero, AddressRange.MaxValue(ipv6), ipv6)];
            var denied = new List<AddressRange>();
            var passed = new List<AddressRange>();
            foreach (var rule in admin)
            {
                if (!covers(rule) || undecided.Count == 0)
                {
                    continue;
                }

                var matched = AddressRange.Intersect(PeersOf(rule), undecided);
                if (matched.Count == 0)
                {
                    continue;
                }

                undecided = AddressRange.Subtract(undecided, matched);
                if (rule.Action == ClusterPolicyAction.Deny)
                {
                    denied = AddressRange.Merge(denied.Concat(matched));
                }
                else if (rule.Action == ClusterPolicyAction.Pass)
                {
                    passed = AddressRange.Merge(passed.Concat(matched));
                }
            }

            // Undecided and passed peers go on to the NetworkPolicy stage.
            var rest = AddressRange.Merge(undecided.Concat(passed));
            if (direction.Isolated)
            {
                if (!nodeLocal)
                {
                    var allowed = AddressRange.Merge(networkPolicy.Where(covers).SelectMany(PeersOf));
                    denied = AddressRange.Merge(denied.Concat(AddressRange.Subtract(rest, allowed)));
                }

                return denied;
            }

            foreach (var rule in baseline)
            {
                if (!covers(rule) || rest.Count == 0)
                {
                    continue;
                }

                var matched = AddressRange.Intersect(PeersOf(rule), rest);
                rest = AddressRange.Subtract(rest, matched);
                if (rule.Action == ClusterPolicyAction.Deny)
                {
                    denied = AddressRange.Merge(denied.Concat(matched));
                }
            }

            return denied;
        }
    }
}
