using System.Globalization;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Linting;

/// <content>The rules about the policies themselves: NPH001, NPH002, NPH005, NPH006, NPH007.</content>
internal sealed partial class Linter
{
    // ---- NPH001 ---------------------------------------------------------------------------------------------------

    private void CustomNamespaceLabels()
    {
        var known = _snapshot.Namespaces.Select(n => n.Name)
            .Concat(_snapshot.Pods.Select(p => p.Namespace))
            .Concat(_snapshot.HostEndpoints.Select(h => h.Namespace))
            .Concat(_snapshot.Policies.Select(p => p.Namespace))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        foreach (var info in _policies)
        {
            foreach (var direction in s_directions)
            {
                if (!info.Applies(direction))
                {
                    // Ignored rules admit nothing (NPH007 says so).
                    continue;
                }

                var rules = info.Policy.Rules(direction);
                for (var i = 0; i < rules.Count; i++)
                {
                    for (var j = 0; j < rules[i].Peers.Count; j++)
                    {
                        var peer = rules[i].Peers[j];
                        if (peer.NamespaceSelector is { } selector && CustomKey(selector) is { } custom)
                        {
                            var path = $"spec.{Dir(direction)}[{i}].{PeersField(direction)}[{j}].namespaceSelector{custom.Path}";
                            var matched = known.Where(n => selector.Matches(_snapshot.NamespaceLabels(n))).ToList();
                            var suggestion = matched.Count == 1 && matched[0] == info.Namespace
                                ? $"select the namespace by name (namespaceSelector: {{matchLabels: {{{Namespace.NameLabel}: {info.Namespace}}}}}); for \"the same namespace\", leave out namespaceSelector" + (peer.PodSelector is null ? " and write podSelector: {}" : " and keep podSelector")
                                : ByName(matched);
                            Add(LintRules.CustomNamespaceLabel, info.Name, path, CustomMessage(custom.Text, matched), suggestion, info.Selected);
                        }
                    }
                }
            }
        }

        foreach (var info in _clusterPolicies)
        {
            foreach (var direction in s_directions)
            {
                var rules = info.Rules(direction);
                for (var i = 0; i < rules.Length; i++)
                {
                    if (rules[i].Rule.Action != ClusterPolicyAction.Accept)
                    {
                        continue;
                    }

                    for (var j = 0; j < rules[i].Rule.Peers.Count; j++)
                    {
                        var peer = rules[i].Rule.Peers[j];
                        var (selector, field) = peer.Namespaces is { } n ? (n, "namespaces") : peer.Pods is { } p ? (p.NamespaceSelector, "pods.namespaceSelector") : (null, string.Empty);
                        if (selector is not null && CustomKey(selector) is { } custom)
                        {
                            var path = $"spec.{Dir(direction)}[{i}].{PeersField(direction)}[{j}].{field}{custom.Path}";
                            var matched = known.Where(ns => selector.Matches(_snapshot.NamespaceLabels(ns))).ToList();
                            Add(LintRules.CustomNamespaceLabel, info.Name, path, CustomMessage(custom.Text, matched), ByName(matched), info.Selected);
                        }
                    }
                }
            }
        }

        static string CustomMessage(string label, List<string> matched) =>
            $"namespaces are selected by {label}: anyone who may label a namespace can set (or remove) that label, so every namespace labelled so is admitted"
            + (matched.Count == 0 ? string.Empty : $" (in the manifests: {string.Join(", ", matched.Take(10))}{(matched.Count > 10 ? ", …" : string.Empty)})");

        static string ByName(List<string> matched) => matched.Count switch
        {
            0 => $"select namespaces by name with {Namespace.NameLabel}, which the API server sets and nobody can change",
            1 => $"select the namespace by name: {{matchLabels: {{{Namespace.NameLabel}: {matched[0]}}}}}",
            _ => $"select the namespaces by name: {{matchExpressions: [{{key: {Namespace.NameLabel}, operator: In, values: [{string.Join(", ", matched)}]}}]}}",
        };
    }

    /// <summary>The first label of a namespace selector other than the name label, when the selector does not pin the
    /// name label to given names: its path below the selector and its text.</summary>
    private static (string Path, string Text)? CustomKey(LabelSelector selector)
    {
        if (selector.MatchLabels.ContainsKey(Namespace.NameLabel)
            || selector.MatchExpressions.Any(e => e.Key == Namespace.NameLabel && e.Operator == SelectorOperator.In))
        {
            return null;
        }

        foreach (var (key, value) in selector.MatchLabels)
        {
            if (key != Namespace.NameLabel)
            {
                return (".matchLabels." + key, "the label " + key + "=" + value);
            }
        }

        for (var i = 0; i < selector.MatchExpressions.Count; i++)
        {
            if (selector.MatchExpressions[i].Key != Namespace.NameLabel)
            {
                return (".matchExpressions[" + i.ToString(CultureInfo.InvariantCulture) + "]", "the expression '" + selector.MatchExpressions[i] + "'");
            }
        }

        return null;
    }

    // ---- NPH002 ---------------------------------------------------------------------------------------------------

    private void GuardrailsUndone()
    {
        foreach (var group in _policies.GroupBy(p => p.Namespace, StringComparer.Ordinal))
        {
            var list = group.ToList();
            if (list.Count < 2)
            {
                continue;
            }

            foreach (var a in list)
            {
                foreach (var direction in s_directions)
                {
                    if (!a.Applies(direction))
                    {
                        continue;
                    }

                    var others = list.Where(b => !ReferenceEquals(a, b) && b.Applies(direction) && b.Rules(direction).Length > 0 && _logic.Overlaps(a.Subject, b.Subject)).ToList();
                    if (others.Count == 0)
                    {
                        continue;
                    }

                    var rules = a.Rules(direction);
                    for (var i = 0; i < rules.Length; i++)
                    {
                        ExceptsUndone(a, direction, i, others);
                        HolesUndone(a, direction, i, others);
                    }
                }
            }
        }
    }

    private void ExceptsUndone(PolicyInfo a, Direction direction, int i, List<PolicyInfo> others)
    {
        var rule = a.Rules(direction)[i];
        for (var j = 0; j < rule.Rule.Peers.Count; j++)
        {
            if (rule.Rule.Peers[j].IPBlock is not { } block)
            {
                continue;
            }

            for (var e = 0; e < block.Except.Count; e++)
            {
                var excluded = AddressCover.Intersect([AddressRange.FromCidr(block.Except[e])], [AddressRange.FromCidr(block.Cidr)]);
                if (excluded.Count == 0)
                {
                    continue;
                }

                var reallowed = new List<AddressRange>();
                var related = new List<string>();
                ulong[]? pods = null;
                foreach (var b in others)
                {
                    var bRules = b.Rules(direction);
                    for (var k = 0; k < bRules.Length; k++)
                    {
                        // Egress named ports resolve on the destination, an address here: only numbers surely meet.
                        if (direction == Direction.Egress ? !rule.Ports.OverlapsByNumber(bRules[k].Ports) : !rule.Ports.Overlaps(bRules[k].Ports))
                        {
                            continue;
                        }

                        var hit = bRules[k].Peers.All ? excluded : AddressCover.Intersect(excluded, bRules[k].Peers.Ranges);
                        if (hit.Count == 0 || AdminDenies(direction, a.Subject.And(b.Subject), hit, rule.Ports))
                        {
                            continue;
                        }

                        reallowed.AddRange(hit);
                        related.Add(b.RuleName(direction, k));
                        pods = Or(pods, And(a.Selected, b.Selected));
                    }
                }

                if (related.Count == 0)
                {
                    continue;
                }

                var addresses = AddressRange.Merge(reallowed);
                var text = AddressCover.Describe(addresses);
                var by = related.Count == 1 ? related[0] : related[0] + " (and " + Count(related.Count - 1, "more rule", "more rules") + ")";
                var path = $"spec.{Dir(direction)}[{i}].{PeersField(direction)}[{j}].ipBlock.except[{e}]";
                var message = $"{text} is excluded here, but {by} allows it {(direction == Direction.Egress ? "to" : "from")} pods this policy selects: NetworkPolicies add up, so for those pods the exclusion has no effect";
                var networks = string.Join(", ", addresses.SelectMany(r => r.ToCidrs()).Select(c => c.ToString()).Take(5));
                var suggestion = direction == Direction.Egress
                    ? $"make it a guardrail a namespace owner cannot undo: an Admin-tier ClusterNetworkPolicy with egress: [{{action: Deny, to: [{{networks: [{networks}]}}]}}] is decided before every NetworkPolicy; or narrow {related[0]}"
                    : $"deny those sources in an Admin-tier ClusterNetworkPolicy (decided before every NetworkPolicy; its ingress peers are namespaces and pods), or narrow {related[0]}";
                Add(LintRules.GuardrailUndone, a.Name, path, message, suggestion, pods, related);
            }
        }
    }

    private void HolesUndone(PolicyInfo a, Direction direction, int i, List<PolicyInfo> others)
    {
        var rule = a.Rules(direction)[i];
        foreach (var (hole, before, after) in rule.Ports.Holes())
        {
            var reopened = new List<PortRange>();
            var related = new List<string>();
            ulong[]? pods = null;
            foreach (var b in others)
            {
                var bRules = b.Rules(direction);
                for (var k = 0; k < bRules.Length; k++)
                {
                    var ports = bRules[k].Ports.Intersect([hole]);
                    if (ports.Count == 0 || !rule.Peers.Overlaps(bRules[k].Peers, _logic))
                    {
                        continue;
                    }

                    reopened.AddRange(ports);
                    related.Add(b.RuleName(direction, k));
                    pods = Or(pods, And(a.Selected, b.Selected));
                }
            }

            if (related.Count == 0)
            {
                continue;
            }

            var text = string.Join(", ", PortSet.Create(reopened).Ranges);
            var by = related.Count == 1 ? related[0] : related[0] + " (and " + Count(related.Count - 1, "more rule", "more rules") + ")";
            var message = $"{text} is left out by this rule (between {before} and {after}), but {by} allows it {(direction == Direction.Egress ? "to" : "from")} peers of this rule for pods this policy selects: NetworkPolicies add up, so for those pods the port is not left out";
            var suggestion = $"make it a guardrail a namespace owner cannot undo: an Admin-tier ClusterNetworkPolicy with a Deny rule for {text} is decided before every NetworkPolicy; or narrow {related[0]}";
            Add(LintRules.GuardrailUndone, a.Name, $"spec.{Dir(direction)}[{i}].ports", message, suggestion, pods, related);
        }
    }

    /// <summary>Whether an Admin-tier ClusterNetworkPolicy Deny rule, of a policy whose subject holds every pod of
    /// <paramref name="pods"/>, already blocks the addresses on every port of <paramref name="ports"/>.</summary>
    private bool AdminDenies(Direction direction, LabelSet pods, List<AddressRange> addresses, PortShape ports)
    {
        foreach (var policy in _clusterPolicies)
        {
            if (policy.Policy.Tier != PolicyTier.Admin)
            {
                continue;
            }

            foreach (var deny in policy.Rules(direction))
            {
                if (deny.Rule.Action != ClusterPolicyAction.Deny
                    || !(deny.Peers.All || AddressCover.Covers(AddressRange.Merge(deny.Peers.Ranges), addresses))
                    || !ports.Classes([deny.Ports]).All(c => c.Count > 0))
                {
                    continue;
                }

                if (_logic.Covers([policy.Subject], pods) == true)
                {
                    return true;
                }
            }
        }

        return false;
    }

    // ---- NPH005 ---------------------------------------------------------------------------------------------------

    private void NoDns()
    {
        var protocols = new[] { Protocol.Udp, Protocol.Tcp };
        var admin = protocols.ToDictionary(p => p, p => _clusterPolicies
            .Where(c => c.Policy.Tier == PolicyTier.Admin && c.Egress.Any(r => r.Rule.Action == ClusterPolicyAction.Accept && r.Ports.MayAdmit(p, 53) && !r.Peers.IsEmpty))
            .ToList());
        foreach (var group in _policies.GroupBy(p => p.Namespace, StringComparer.Ordinal))
        {
            var egress = group.Where(p => p.Applies(Direction.Egress)).ToList();
            if (egress.Count == 0)
            {
                continue;
            }

            var dns = protocols.ToDictionary(p => p, p => egress.Where(x => x.Egress.Any(r => r.Ports.MayAdmit(p, 53) && !r.Peers.IsEmpty)).ToList());
            foreach (var a in egress)
            {
                var missing = new List<Protocol>();
                ulong[]? pods = null;
                foreach (var protocol in protocols)
                {
                    if (dns[protocol].Contains(a))
                    {
                        continue;
                    }

                    var excluded = dns[protocol].Select(p => p.Subject).Concat(admin[protocol].Select(c => c.Subject)).ToList();
                    if (_logic.SomeOutside(a.Subject, excluded) != true)
                    {
                        continue;
                    }

                    missing.Add(protocol);
                    var without = a.Selected;
                    foreach (var other in dns[protocol])
                    {
                        without = Minus(without, other.Selected);
                    }

                    foreach (var other in admin[protocol])
                    {
                        without = Minus(without, other.Selected);
                    }

                    pods = Or(pods, without);
                }

                if (missing.Count == 0)
                {
                    continue;
                }

                var what = missing.Count == 2
                    ? "no egress rule of any policy selecting them allows DNS (UDP or TCP port 53)"
                    : missing[0] == Protocol.Tcp
                        ? "egress rules allow DNS over UDP port 53 but none over TCP port 53 (needed for answers too large for UDP)"
                        : "egress rules allow DNS over TCP port 53 but none over UDP port 53";
                var message = $"the policy isolates the egress of its pods, and {what}: they cannot resolve names";
                var ports = string.Join(", ", missing.Select(p => $"{{port: 53, protocol: {p.ToKubernetesName()}}}"));
                var suggestion = $"add an egress rule for DNS, e.g. - to: [{{namespaceSelector: {{matchLabels: {{{Namespace.NameLabel}: kube-system}}}}, podSelector: {{matchLabels: {{k8s-app: kube-dns}}}}}}], ports: [{ports}]";
                Add(LintRules.NoDns, a.Name, "spec.podSelector", message, suggestion, pods);
            }
        }
    }

    // ---- NPH006 ---------------------------------------------------------------------------------------------------

    private void OpenToEveryone()
    {
        foreach (var a in _policies)
        {
            if (!a.Applies(Direction.Ingress))
            {
                continue;
            }

            for (var i = 0; i < a.Ingress.Length; i++)
            {
                var rule = a.Ingress[i];
                var ports = rule.Ports.All ? "every port" : (rule.Rule.Ports.Count == 1 ? "port " : "ports ") + rule.Ports;
                if (rule.Rule.Peers.IsEmpty)
                {
                    Add(LintRules.OpenToEveryone, a.Name, $"spec.ingress[{i}]",
                        $"{ports} open to every source: the rule has no from, so every pod and every address outside the cluster may connect",
                        "if it is not meant for everyone, list the sources in from (podSelector, namespaceSelector or ipBlock)", a.Selected);
                    continue;
                }

                for (var j = 0; j < rule.Rule.Peers.Count; j++)
                {
                    if (rule.Rule.Peers[j].IPBlock is { } block && block.Except.IsEmpty && block.Cidr.PrefixLength == 0)
                    {
                        Add(LintRules.OpenToEveryone, a.Name, $"spec.ingress[{i}].from[{j}].ipBlock.cidr",
                            $"{ports} open to every {(block.Cidr.IsIPv6 ? "IPv6" : "IPv4")} source: ipBlock {block.Cidr} admits every address, pods' and the internet's",
                            "if it is not meant for everyone, give the networks that may connect", a.Selected);
                    }
                }
            }
        }
    }

    // ---- NPH007 ---------------------------------------------------------------------------------------------------

    private void RedundantRules()
    {
        foreach (var group in _policies.GroupBy(p => p.Namespace, StringComparer.Ordinal))
        {
            var list = group.OrderBy(p => p.Policy.Name, StringComparer.Ordinal).ToList();
            var contains = new Dictionary<(PolicyInfo Outer, PolicyInfo Inner), bool>();
            bool Contains(PolicyInfo outer, PolicyInfo inner)
            {
                if (ReferenceEquals(outer, inner))
                {
                    return true;
                }

                if (!contains.TryGetValue((outer, inner), out var result))
                {
                    result = _logic.Covers([outer.Subject], inner.Subject) == true;
                    contains[(outer, inner)] = result;
                }

                return result;
            }

            foreach (var direction in s_directions)
            {
                foreach (var a in list.Where(a => !a.Applies(direction)))
                {
                    for (var i = 0; i < a.Rules(direction).Length; i++)
                    {
                        var types = a.Policy.PolicyTypes == PolicyTypes.Ingress ? "[Ingress]" : "[Egress]";
                        Add(LintRules.RedundantRule, a.Name, $"spec.{Dir(direction)}[{i}]",
                            $"the rule adds nothing: policyTypes is {types}, so the policy's {Dir(direction)} rules are ignored",
                            $"add {(direction == Direction.Ingress ? "Ingress" : "Egress")} to policyTypes, or delete the rule", a.Selected);
                    }
                }

                var entries = list.Where(a => a.Applies(direction)).SelectMany(a => a.Rules(direction).Select((r, i) => (Policy: a, Index: i, Rule: r))).ToList();
                var removed = new HashSet<(PolicyInfo, int)>();
                for (var n = entries.Count - 1; n >= 0; n--)
                {
                    var (a, i, rule) = entries[n];
                    var candidates = entries.Where(e => !(ReferenceEquals(e.Policy, a) && e.Index == i) && !removed.Contains((e.Policy, e.Index)) && Contains(e.Policy, a)).ToList();
                    if (candidates.Count == 0)
                    {
                        continue;
                    }

                    var used = Cover(rule.Ports, rule.Peers, [.. candidates.Select(c => (c.Rule.Ports, c.Rule.Peers))]);
                    if (used is null)
                    {
                        continue;
                    }

                    removed.Add((a, i));
                    var related = used.Select(u => candidates[u]).Select(c => c.Policy.RuleName(direction, c.Index)).ToList();
                    var by = related.Count == 0 ? "other rules" : string.Join(", ", related.Take(3)) + (related.Count > 3 ? $" and {related.Count - 3} more" : string.Empty);
                    Add(LintRules.RedundantRule, a.Name, $"spec.{Dir(direction)}[{i}]",
                        $"the rule adds nothing: every {(direction == Direction.Egress ? "destination" : "source")} and port it opens to this policy's pods is already open to all of them through {by}",
                        "delete the rule, or fix it if it was meant to allow more", a.Selected, related);
                }
            }
        }
    }

    /// <summary>Whether the candidates' rules together admit every port and peer of a rule: the indexes of the candidates
    /// that take part (admit some of its ports and peers), or null when some port and peer is left.</summary>
    private List<int>? Cover(PortShape ports, PeerShape peers, List<(PortShape Ports, PeerShape Peers)> candidates)
    {
        var used = new SortedSet<int>();
        foreach (var cls in ports.Classes([.. candidates.Select(c => c.Ports)]))
        {
            if (!peers.IsCoveredBy([.. cls.Select(c => candidates[c].Peers)], _logic))
            {
                return null;
            }

            foreach (var c in cls)
            {
                if (candidates[c].Peers.All || peers.All || peers.IsEmpty || peers.Overlaps(candidates[c].Peers, _logic))
                {
                    used.Add(c);
                }
            }
        }

        return [.. used];
    }
}
