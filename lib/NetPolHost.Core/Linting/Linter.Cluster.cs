using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Linting;

/// <content>The rules about the given cluster: NPH003, NPH004, NPH008, NPH009, NPH012, NPH013.</content>
internal sealed partial class Linter
{
    // ---- NPH003 and NPH013 -----------------------------------------------------------------------------------------

    private void SelectsNoPod()
    {
        var index = _index!;
        foreach (var info in _policies)
        {
            if (!SelectorIndex.IsEmpty(info.Selected!))
            {
                continue;
            }

            var range = index.NamespaceRanges.TryGetValue(info.Namespace, out var r) ? r : (0, 0);
            var hostNetwork = _selectors!.NewBits();
            for (var i = range.Item1; i < range.Item2; i++)
            {
                var e = index.Endpoints[i];
                if (e.HostNetwork && info.Policy.PodSelector.Matches(e.Labels))
                {
                    SelectorIndex.Set(hostNetwork, i);
                }
            }

            if (!SelectorIndex.IsEmpty(hostNetwork))
            {
                Add(LintRules.OnlyHostNetworkPods, info.Name, "spec.podSelector",
                    $"podSelector {info.Policy.PodSelector} matches only hostNetwork pods: policies never select them (they use their node's network), so the policy has no effect",
                    "protect the node instead (a HostEndpoint for it), or run the pods without hostNetwork", hostNetwork);
                continue;
            }

            var count = range.Item2 - range.Item1;
            Add(LintRules.SelectsNoPod, info.Name, "spec.podSelector",
                count switch
                {
                    0 => $"the policy selects no pod: namespace {info.Namespace} has no pods in the manifests",
                    1 => $"the policy selects no pod: the one pod of namespace {info.Namespace} does not match podSelector {info.Policy.PodSelector}",
                    _ => $"the policy selects no pod: none of the {Count(count, "pod", "pods")} of namespace {info.Namespace} matches podSelector {info.Policy.PodSelector}",
                },
                $"check the selector against the pods' labels (kubectl get pods -n {info.Namespace} --show-labels), or delete the policy", null);
        }

        foreach (var info in _clusterPolicies)
        {
            if (!SelectorIndex.IsEmpty(info.Selected!))
            {
                continue;
            }

            var hostNetwork = _selectors!.NewBits();
            var subject = info.Policy.Subject;
            for (var i = 0; i < index.Endpoints.Length; i++)
            {
                var e = index.Endpoints[i];
                var matches = subject.Pods is { } pods ? pods.NamespaceSelector.Matches(e.NamespaceLabels) && pods.PodSelector.Matches(e.Labels)
                    : subject.Namespaces is { } namespaces && namespaces.Matches(e.NamespaceLabels);
                if (e.HostNetwork && matches)
                {
                    SelectorIndex.Set(hostNetwork, i);
                }
            }

            if (!SelectorIndex.IsEmpty(hostNetwork))
            {
                Add(LintRules.OnlyHostNetworkPods, info.Name, "spec.subject",
                    $"the subject ({subject}) matches only hostNetwork pods: cluster policies never select them as subjects, so the policy has no effect",
                    "protect the node instead, or run the pods without hostNetwork", hostNetwork);
                continue;
            }

            Add(LintRules.SelectsNoPod, info.Name, "spec.subject",
                $"the policy selects no pod: no pod of the manifests matches its subject ({subject})",
                "check the subject's selectors against the namespaces' and pods' labels, or delete the policy", null);
        }
    }

    // ---- NPH004 ---------------------------------------------------------------------------------------------------

    private void PeersMatchNothing()
    {
        var selectors = _selectors!;
        var namespaces = _snapshot.Namespaces.Select(n => n.Name).Concat(_index!.NamespaceRanges.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var info in _policies)
        {
            foreach (var direction in s_directions)
            {
                if (!info.Applies(direction))
                {
                    continue;
                }

                var rules = info.Policy.Rules(direction);
                for (var i = 0; i < rules.Count; i++)
                {
                    for (var j = 0; j < rules[i].Peers.Count; j++)
                    {
                        var peer = rules[i].Peers[j];
                        if (peer.IPBlock is not null || !SelectorIndex.IsEmpty(selectors.Select(peer.PodSelector, peer.NamespaceSelector, info.Namespace)))
                        {
                            continue;
                        }

                        var message = peer.NamespaceSelector is { } ns ? Nothing(ns, peer.PodSelector, namespaces) : $"the peer matches nothing: no pod of namespace {info.Namespace} matches podSelector {peer.PodSelector}";
                        Add(LintRules.PeerMatchesNothing, info.Name, $"spec.{Dir(direction)}[{i}].{PeersField(direction)}[{j}]", message,
                            "check the peer's labels against the namespaces' and pods' labels (kubectl get ns,pods -A --show-labels)", info.Selected);
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
                    for (var j = 0; j < rules[i].Rule.Peers.Count; j++)
                    {
                        var peer = rules[i].Rule.Peers[j];
                        var (ns, pod) = peer.Namespaces is { } n ? (n, null) : peer.Pods is { } p ? (p.NamespaceSelector, p.PodSelector) : ((LabelSelector?)null, (LabelSelector?)null);
                        if (ns is null || !SelectorIndex.IsEmpty(selectors.Select(pod, ns, string.Empty)))
                        {
                            continue;
                        }

                        Add(LintRules.PeerMatchesNothing, info.Name, $"spec.{Dir(direction)}[{i}].{PeersField(direction)}[{j}]", Nothing(ns, pod, namespaces),
                            "check the peer's labels against the namespaces' and pods' labels (kubectl get ns,pods -A --show-labels)", info.Selected);
                    }
                }
            }
        }

        string Nothing(LabelSelector ns, LabelSelector? pod, List<string> all)
        {
            var matched = all.Where(n => ns.Matches(_snapshot.NamespaceLabels(n))).ToList();
            if (matched.Count == 0)
            {
                return $"the peer matches nothing: namespaceSelector {ns} matches no namespace";
            }

            return pod is null || pod.IsEmpty
                ? $"the peer matches nothing: the namespaces it selects ({NameSuggestions.List(matched, 5)}) have no pods in the manifests"
                : $"the peer matches nothing: no pod matches podSelector {pod} in the namespaces it selects ({NameSuggestions.List(matched, 5)})";
        }
    }

    // ---- NPH008 ---------------------------------------------------------------------------------------------------

    private void UndeclaredNamedPorts()
    {
        var index = _index!;
        var selectors = _selectors!;
        foreach (var info in _policies)
        {
            foreach (var direction in s_directions)
            {
                if (!info.Applies(direction))
                {
                    continue;
                }

                var rules = info.Policy.Rules(direction);
                for (var i = 0; i < rules.Count; i++)
                {
                    ulong[]? pods = null;
                    for (var k = 0; k < rules[i].Ports.Count; k++)
                    {
                        if (rules[i].Ports[k].Port is not { IsNamed: true } named)
                        {
                            continue;
                        }

                        pods ??= direction == Direction.Ingress ? info.Selected! : PeerEndpoints(rules[i].Peers, info.Namespace);
                        CheckNamedPort(info.Name, $"spec.{Dir(direction)}[{i}].ports[{k}].port", named.Name!, [rules[i].Ports[k].Protocol], direction, pods, info.Selected);
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
                    ulong[]? pods = null;
                    for (var k = 0; k < rules[i].Rule.Protocols.Count; k++)
                    {
                        if (rules[i].Rule.Protocols[k].NamedPort is not { } name)
                        {
                            continue;
                        }

                        pods ??= direction == Direction.Ingress ? info.Selected! : ClusterPeerEndpoints(rules[i].Rule);
                        var field = info.PortsField == "protocols" ? "destinationNamedPort" : "namedPort";
                        CheckNamedPort(info.Name, $"spec.{Dir(direction)}[{i}].{info.PortsField}[{k}].{field}", name, [Protocol.Tcp, Protocol.Udp, Protocol.Sctp], direction, pods, info.Selected);
                    }
                }
            }
        }

        void CheckNamedPort(string policy, string path, string name, Protocol[] protocols, Direction direction, ulong[] pods, ulong[]? selected)
        {
            var declared = new SortedSet<string>(StringComparer.Ordinal);
            var otherProtocols = new SortedSet<string>(StringComparer.Ordinal);
            var any = false;
            foreach (var j in SelectorIndex.Members(pods))
            {
                var e = index.Endpoints[j];
                if (!e.IsWorkload)
                {
                    continue;
                }

                any = true;
                foreach (var port in e.Ports)
                {
                    if (port.Name is null)
                    {
                        continue;
                    }

                    if (port.Name == name)
                    {
                        if (protocols.Contains(port.Protocol))
                        {
                            return;
                        }

                        otherProtocols.Add(port.Protocol.ToKubernetesName());
                    }

                    declared.Add(port.Name);
                }
            }

            if (!any)
            {
                // No pod at all: NPH003 or NPH004 says so.
                return;
            }

            var whose = direction == Direction.Ingress ? "the pods the policy selects" : "the pods of the rule's peers";
            var protocolText = protocols.Length == 1 ? protocols[0].ToKubernetesName() + " " : string.Empty;
            var close = NameSuggestions.Find(name, declared);
            var suggestion = otherProtocols.Count > 0 ? $"they declare {name} as {string.Join(", ", otherProtocols)}: write protocol: {otherProtocols.First()}"
                : close.Count > 0 ? $"did you mean {NameSuggestions.Join(close)}?"
                : declared.Count > 0 ? $"use a port name they declare ({NameSuggestions.List(declared, 8)}) or the port number"
                : "they declare no named ports: use the port number";
            Add(LintRules.UndeclaredNamedPort, policy, path,
                $"none of {whose} declares a {protocolText}port named {name}: it resolves to nothing, and the rule admits no traffic through it",
                suggestion, direction == Direction.Ingress ? pods : selected);
        }
    }

    /// <summary>The workloads a NetworkPolicy rule's peers hold (every one for a rule without peers).</summary>
    private ulong[] PeerEndpoints(ValueList<NetworkPolicyPeer> peers, string policyNamespace)
    {
        var selectors = _selectors!;
        if (peers.IsEmpty)
        {
            return selectors.Workloads;
        }

        var result = selectors.NewBits();
        foreach (var peer in peers)
        {
            SelectorIndex.Or(result, peer.IPBlock is { } block ? selectors.BlockMembers(block).Inside : selectors.Select(peer.PodSelector, peer.NamespaceSelector, policyNamespace));
        }

        return result;
    }

    /// <summary>The workloads a cluster policy rule's peers hold: namespaces and pods peers, and the pods in its networks.</summary>
    private ulong[] ClusterPeerEndpoints(ClusterNetworkPolicyRule rule)
    {
        var selectors = _selectors!;
        var result = selectors.NewBits();
        foreach (var peer in rule.Peers)
        {
            if (peer.Namespaces is { } ns)
            {
                SelectorIndex.Or(result, selectors.Select(null, ns, string.Empty));
            }
            else if (peer.Pods is { } pods)
            {
                SelectorIndex.Or(result, selectors.Select(pods.PodSelector, pods.NamespaceSelector, string.Empty));
            }
            else
            {
                foreach (var cidr in peer.Networks)
                {
                    SelectorIndex.Or(result, PodsIn(cidr));
                }
            }
        }

        return result;
    }

    // ---- NPH009 and NPH012 -----------------------------------------------------------------------------------------

    private void AddressesCoverPods()
    {
        var selectors = _selectors!;
        var pods = selectors.NewBits();
        for (var i = 0; i < _index!.Endpoints.Length; i++)
        {
            if (_index.Endpoints[i] is { Kind: EndpointKind.Pod, IsWorkload: true })
            {
                SelectorIndex.Set(pods, i);
            }
        }

        foreach (var info in _policies)
        {
            foreach (var direction in s_directions)
            {
                if (!info.Applies(direction))
                {
                    continue;
                }

                var rules = info.Policy.Rules(direction);
                for (var i = 0; i < rules.Count; i++)
                {
                    for (var j = 0; j < rules[i].Peers.Count; j++)
                    {
                        if (rules[i].Peers[j].IPBlock is not { } block)
                        {
                            continue;
                        }

                        var inside = And(selectors.BlockMembers(block).Inside, pods)!;
                        if (SelectorIndex.IsEmpty(inside))
                        {
                            continue;
                        }

                        var (list, count) = Pods(inside);
                        Add(LintRules.IPBlockCoversPods, info.Name, $"spec.{Dir(direction)}[{i}].{PeersField(direction)}[{j}].ipBlock.cidr",
                            $"ipBlock {block} covers the addresses of {Count(count, "pod", "pods")} ({string.Join(", ", list.Take(3))}{(count > 3 ? ", …" : string.Empty)}): an ipBlock matches pods too, by address, and pod addresses change when pods are recreated",
                            "select pods with podSelector/namespaceSelector, and keep ipBlock for addresses outside the cluster (put the pod network in except)", inside);
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
                    for (var j = 0; j < rules[i].Rule.Peers.Count; j++)
                    {
                        var networks = rules[i].Rule.Peers[j].Networks;
                        for (var k = 0; k < networks.Count; k++)
                        {
                            var inside = PodsIn(networks[k]);
                            if (SelectorIndex.IsEmpty(inside))
                            {
                                continue;
                            }

                            var (list, count) = Pods(inside);
                            Add(LintRules.NetworksCoverPods, info.Name, $"spec.{Dir(direction)}[{i}].{PeersField(direction)}[{j}].networks[{k}]",
                                $"networks entry {networks[k]} covers the addresses of {Count(count, "pod", "pods")} ({string.Join(", ", list.Take(3))}{(count > 3 ? ", …" : string.Empty)}): networks peers match pods too, so this {rules[i].Rule.Action} applies to their traffic",
                                "use namespaces or pods peers for pods, and networks for addresses outside the cluster", inside);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The workload pods with an address in a network.</summary>
    private ulong[] PodsIn(Cidr cidr)
    {
        var result = _selectors!.NewBits();
        var endpoints = _index!.Endpoints;
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (e.Kind == EndpointKind.Pod && e.IsWorkload && e.TryGetAddress(cidr.IsIPv6, out var address) && cidr.Contains(address, cidr.IsIPv6))
            {
                SelectorIndex.Set(result, i);
            }
        }

        return result;
    }
}
