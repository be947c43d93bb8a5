using System.Globalization;
using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Firewalld.Mapping;

/// <summary>ClusterNetworkPolicy tiers.</summary>
/// <remarks>
/// <para>Rich rules have no jump and firewalld's <c>accept</c> is final (it ends firewalld's whole hook, so an egress
/// Accept written as <c>accept</c> would skip the destination's ingress and the zones). A direction with tier entries is
/// therefore flattened (<see cref="DirectionDecisions.Flatten(RulePlan, DirectionPlan, bool, bool)"/>): per class of traffic (a TCP, UDP or SCTP port range
/// that every entry treats alike, or the protocols without ports) the tiers, the NetworkPolicy stage and the default
/// come down to one set of denied peers, computed exactly from the ordered entries (Pass included). Each class becomes at
/// most one <c>drop</c> whose peer side is an ipset of the class's decision: <c>ipset=</c> the denied peers, or, for a
/// direction NetworkPolicies isolate, <c>NOT ipset=</c> the allowed ones (the smaller set there). When every class denies
/// the same peers (a guardrail such as a Deny of 169.254.169.254 on any port), one rule without element stands for them
/// all. Drops can run in any order, so those rules fit the priorities the NetworkPolicy rules already use:</para>
/// <list type="bullet">
/// <item>forwarded pod traffic (<c>ANY → ANY</c>): egress at -80 (ports) / -40 (other protocols), ingress at -60 / -20,
/// before the accepts of the local pods' traffic at -50 / -10 (those decide TCP, UDP and SCTP before the rules of other
/// protocols, which have no protocol element, are reached);</item>
/// <item>node-local traffic and host endpoints (<c>ANY → HOST</c>, <c>HOST → ANY</c>): a local pod's egress to its host
/// and ingress from it (the NetworkPolicy stage allows such traffic; the tiers decide it), and the tiered directions of
/// host endpoints (local pods node-local, other peers not): ports at -90, other protocols at -75. A host endpoint that
/// NetworkPolicies isolate is then accepted (TCP, UDP and SCTP at -85, the rest at -70), like the isolated host endpoints
/// without tiers (-30 … -10, after these).</item>
/// </list>
/// <para>What cannot be written: in the input and output policies, where accepting would bypass firewalld's zones (a
/// pod's traffic with its node, a host endpoint no NetworkPolicy isolates), nothing can stop the rule of other protocols
/// from also matching TCP, UDP and SCTP. A plan that denies other protocols to a peer while allowing some of its TCP,
/// UDP or SCTP ports there is refused (<see cref="UnsupportedPolicyFeatureException"/>, naming the policy).</para>
/// </remarks>
internal static partial class FirewalldPolicyMapper
{
    internal const int TierPorts = -90;
    internal const int TierAcceptPorts = -85;
    internal const int TierOther = -75;
    internal const int TierAcceptAll = -70;

    private sealed partial class Builder
    {
        /// <summary>Forwarded traffic of pods with tiers: one drop per class and group.</summary>
        private void ForwardTiers(List<PlanEndpoint> pods, bool v6, List<string> rules)
        {
            foreach (var direction in new[] { Direction.Egress, Direction.Ingress })
            {
                var egress = direction == Direction.Egress;
                foreach (var (key, directionPlan, members) in TierGroups(pods, direction))
                {
                    var endpoint = new RichRule.Match(EndpointSet(egress ? 'e' : 'i', ["|tiers|", key], members, v6, egress ? "pods whose egress these tiers govern" : "pods whose ingress these tiers govern"));
                    foreach (var (decision, every) in Uniform(plan.Flatten(directionPlan, v6, nodeLocal: false)))
                    {
                        var priority = decision.Ports is null && !every ? (egress ? EgressOther : IngressDeny) : (egress ? EgressPorts : IngressDenyPorts);
                        AddDrop(rules, priority, v6, endpoint, egress, decision, every, (egress ? "fwd-e|" : "fwd-i|") + key, directionPlan.Isolated, members);
                    }
                }
            }
        }

        /// <summary>The input (<paramref name="direction"/> ingress: to the host) or output policy's tier rules: the local
        /// pods' egress to (ingress from) their host, and the host endpoints' tiered ingress (egress).</summary>
        private void HostTiers(List<PlanEndpoint> pods, List<PlanEndpoint> hosts, Direction direction, bool v6, List<string> rules)
        {
            var input = direction == Direction.Ingress;

            // A local pod and its host: the pod's egress on input, its ingress on output, node-local.
            var podDirection = input ? Direction.Egress : Direction.Ingress;
            foreach (var (key, directionPlan, members) in TierGroups(pods, podDirection))
            {
                var endpoint = new RichRule.Match(EndpointSet(input ? 'e' : 'i', ["|tiers|", key], members, v6, input ? "pods whose egress these tiers govern" : "pods whose ingress these tiers govern"));
                // The peer is the host itself: addresses that policies select by labels (pods, namespaces, nodes) are
                // the host's only when they are among its known addresses (RulePlan.HostAddresses); the others are pods
                // and other hosts, which never take this path.
                var selected = AddressRange.Subtract(
                    AddressRange.Merge(directionPlan.Admin.Concat(directionPlan.Baseline).Select(plan.GetRule).SelectMany(r => r.Peers.Hosts).Where(a => IsV6(a) == v6).Select(AddressRange.FromAddress)),
                    HostAddresses(v6));
                var classes = OtherProtocolsAlike(plan.Flatten(directionPlan, v6, nodeLocal: true), directionPlan, members[0], v6, selected, $"traffic between pod {members[0].Name} and its node");
                foreach (var (decision, every) in Uniform(classes))
                {
                    AddDrop(rules, decision.Ports is null && !every ? TierOther : TierPorts, v6, endpoint, endpointIsSource: input, decision, every, (input ? "local-e|" : "local-i|") + key, allowedForm: false, members);
                }
            }

            // Host endpoints: local pods are node-local peers, every other peer is not.
            var local = AddressRange.Merge(plan.LocalPodAddresses.Where(a => IsV6(a) == v6).Select(AddressRange.FromAddress));
            foreach (var (key, directionPlan, members) in TierGroups(hosts, direction))
            {
                var endpoint = new RichRule.Match(EndpointSet(input ? 'h' : 'o', ["|tiers|", key], members, v6, input ? "host endpoints whose ingress these tiers govern" : "host endpoints whose egress these tiers govern"));
                var classes = plan.Flatten(directionPlan, v6, local);
                if (!directionPlan.Isolated)
                {
                    classes = OtherProtocolsAlike(classes, directionPlan, members[0], v6, [], $"traffic {(input ? "to" : "from")} host endpoint {members[0].Name}, which no NetworkPolicy isolates");
                }

                foreach (var (decision, every) in Uniform(classes))
                {
                    AddDrop(rules, decision.Ports is null && !every ? TierOther : TierPorts, v6, endpoint, endpointIsSource: !input, decision, every, (input ? "host-i|" : "host-e|") + key, directionPlan.Isolated, members);
                }

                if (directionPlan.Isolated)
                {
                    // Isolated: what the drops left is allowed, and decided here (as for host endpoints without tiers).
                    foreach (var protocol in RichRule.PortProtocols)
                    {
                        rules.Add(input
                            ? RichRule.Build(TierAcceptPorts, v6, null, endpoint, RichRule.ProtocolElement(protocol), accept: true)
                            : RichRule.Build(TierAcceptPorts, v6, endpoint, null, RichRule.ProtocolElement(protocol), accept: true));
                    }

                    rules.Add(input
                        ? RichRule.Build(TierAcceptAll, v6, null, endpoint, null, accept: true)
                        : RichRule.Build(TierAcceptAll, v6, endpoint, null, null, accept: true));
                }
            }
        }

        /// <summary>The classes; or, when they all deny the same peers, one decision for every protocol and port (marked
        /// <c>Every</c>: one rule without element, at the priority of the port classes, in place of them all).</summary>
        private static IEnumerable<(ClassDecision Decision, bool Every)> Uniform(IReadOnlyList<ClassDecision> classes) =>
            classes.All(c => c.Denied == classes[0].Denied) ? [(classes[^1], true)] : classes.Select(c => (c, false));

        /// <summary>The drop of one class: the endpoint group on one side, the class's decision on the other; nothing
        /// when the class denies nothing (or holds only port 0, which port ranges never match).</summary>
        private void AddDrop(List<string> rules, int priority, bool v6, RichRule.Match endpoint, bool endpointIsSource, ClassDecision decision, bool every, string key, bool allowedForm, List<PlanEndpoint> members)
        {
            string? element = null;
            if (decision.Ports is { } ports)
            {
                element = RichRule.Port(ports);
                if (element is null)
                {
                    return;
                }
            }

            if (decision.Denied.Count == 0)
            {
                return;
            }

            RichRule.Match? peer;
            var everything = decision.Denied.Count == 1 && decision.Denied[0].First == UInt128.Zero && decision.Denied[0].Last == AddressRange.MaxValue(v6);
            if (everything)
            {
                peer = null;
            }
            else
            {
                var ranges = allowedForm ? decision.Allowed(v6) : decision.Denied;
                var label = every ? "every protocol and port" : ClassLabel(decision.Ports);
                var what = (allowedForm ? "peers allowed to " : "peers denied to ") + string.Join(", ", members.Select(m => m.Name)) + " for " + label;
                peer = new RichRule.Match(DecisionSet(key + "|" + label + (allowedForm ? "|allowed" : "|denied"), ranges, v6, what), Not: allowedForm);
            }

            rules.Add(endpointIsSource
                ? RichRule.Build(priority, v6, endpoint, peer, element, accept: false)
                : RichRule.Build(priority, v6, peer, endpoint, element, accept: false));
        }

        /// <summary>What a class holds, in words.</summary>
        private static string ClassLabel(PortRange? ports) => ports switch
        {
            null => "protocols without ports",
            { IsAllPorts: true } p => "all " + p.Protocol.ToKubernetesName() + " ports",
            { } p when p.First == p.Last => p.Protocol.ToKubernetesName() + " port " + p.First.ToString(CultureInfo.InvariantCulture),
            { } p => p.Protocol.ToKubernetesName() + " ports " + p.First.ToString(CultureInfo.InvariantCulture) + "-" + p.Last.ToString(CultureInfo.InvariantCulture),
        };

        /// <summary>Where nothing can accept TCP, UDP and SCTP first, the rule of other protocols (no protocol element)
        /// also matches those: it may drop only the peers that every port class denies too. Returns the classes with
        /// the other protocols' decision cut down to those peers; refuses a plan whose other protocols are denied to a
        /// peer that some TCP, UDP or SCTP port may reach, unless that peer is in <paramref name="unreachable"/> (peers
        /// that never take this path).</summary>
        private IReadOnlyList<ClassDecision> OtherProtocolsAlike(IReadOnlyList<ClassDecision> classes, DirectionPlan directionPlan, PlanEndpoint endpoint, bool v6, IReadOnlyList<AddressRange> unreachable, string where)
        {
            var other = classes[^1];
            IReadOnlyList<AddressRange> everywhere = other.Denied;
            foreach (var decision in classes.Where(c => c.Ports is { } p && RichRule.Port(p) is not null))
            {
                everywhere = AddressRange.Intersect(everywhere, decision.Denied);
            }

            var split = AddressRange.Subtract(AddressRange.Subtract(other.Denied, everywhere), unreachable);
            if (split.Count == 0)
            {
                return [.. classes.Take(classes.Count - 1), other with { Denied = everywhere.ToValueList() }];
            }

            var peer = split[0].FirstAddress;
            var allowed = classes.First(c => c.Ports is { } p && RichRule.Port(p) is not null && !c.Denied.Any(r => r.Contains(split[0].First, v6))).Ports!.Value;
            var port = Math.Max(allowed.First, 1);
            var denier = OtherProtocolsDenier(directionPlan, peer);
            var policy = denier is null ? endpoint.Name : denier.Source.Policy.Namespace.Length == 0 ? "ClusterNetworkPolicy " + denier.Source.Policy.Name : denier.Source.Policy.ToString();
            throw new UnsupportedPolicyFeatureException(
                Bus.FirewalldErrors.Backend,
                $"a tier that denies protocols without ports (ICMP…) to a peer whose {allowed.Protocol.ToKubernetesName()} port {port.ToString(CultureInfo.InvariantCulture)} it allows, in {FirewalldNames.Comment(where)} (peer {peer}): there firewalld could drop 'every protocol but TCP, UDP and SCTP' only after accepting those, and accepting would bypass its zones",
                policy);
        }

        /// <summary>The host's addresses as the plan knows them (<see cref="RulePlan.HostAddresses"/>, its node addresses
        /// and host endpoints), of one family.</summary>
        private List<AddressRange> HostAddresses(bool v6) =>
            AddressRange.Merge(plan.HostAddresses.Concat(plan.NodeAddresses).Concat(plan.Endpoints.Where(e => e.Kind == PlanEndpointKind.HostEndpoint).SelectMany(e => e.Addresses))
                .Where(a => IsV6(a) == v6).Select(AddressRange.FromAddress));

        /// <summary>The tier entry that denies protocols without ports to a peer, where the NetworkPolicy stage does not
        /// decide them (node-local peers, or no isolation).</summary>
        private PlanRule? OtherProtocolsDenier(DirectionPlan directionPlan, IPAddress peer)
        {
            var admin = directionPlan.Admin.Select(plan.GetRule).FirstOrDefault(r => r.Ports.IsAll && r.Peers.Contains(peer));
            if (admin is not null && admin.Action != ClusterPolicyAction.Pass)
            {
                return admin.Action == ClusterPolicyAction.Deny ? admin : null;
            }

            var baseline = directionPlan.Isolated ? null : directionPlan.Baseline.Select(plan.GetRule).FirstOrDefault(r => r.Ports.IsAll && r.Peers.Contains(peer));
            return baseline is { Action: ClusterPolicyAction.Deny } ? baseline : null;
        }

        /// <summary>The endpoints with tier entries in a direction, grouped by equal direction plans.</summary>
        private static List<(string Key, DirectionPlan Plan, List<PlanEndpoint> Members)> TierGroups(IEnumerable<PlanEndpoint> endpoints, Direction direction) =>
            endpoints.Where(e => e.For(direction).HasTiers)
                .GroupBy(e => TierKey(e.For(direction)), StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (g.Key, g.First().For(direction), g.ToList()))
                .ToList();

        private static string TierKey(DirectionPlan plan) =>
            "a:" + string.Join(",", plan.Admin) + ";n:" + (plan.Isolated ? "1:" + string.Join(",", plan.Rules) : "0") + ";b:" + string.Join(",", plan.Baseline);

        private string DecisionSet(string key, IReadOnlyList<AddressRange> ranges, bool v6, string what)
        {
            var name = FirewalldNames.Decision(prefix, key, v6, _keys);
            if (!_ipsets.ContainsKey(name))
            {
                _ipsets[name] = new IpsetSpec(name, "hash:net", v6, NetEntries(ranges, v6), "NetPolHost: peers of a ClusterNetworkPolicy tier decision", FirewalldNames.Comment(what));
            }

            return name;
        }
    }
}
