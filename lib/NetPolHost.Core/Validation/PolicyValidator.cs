using System.Globalization;
using NetPolHost.Model;

namespace NetPolHost.Validation;

/// <summary>Checks objects the way the API server would before storing them, and reports every reason it would reject them.</summary>
/// <remarks>
/// Rules: label keys and values; ports 1–65535; port names (IANA_SVC_NAME); <c>endPort</c> only with a numeric port and
/// not below it; every <c>except</c> strictly inside its <c>cidr</c> and of the same family; a peer sets at least one
/// field; <c>ipBlock</c> is not combined with selectors; selector operators have values exactly when they need them;
/// names and namespaces are present and well-formed. Syntax that the model cannot hold (an unknown protocol, a CIDR
/// that does not parse) is reported by the loader with the same wording.
/// </remarks>
public static partial class PolicyValidator
{
    /// <summary>Validates a NetworkPolicy.</summary>
    /// <param name="policy">The policy.</param>
    /// <returns>Every error; empty when the policy is valid.</returns>
    public static IReadOnlyList<ValidationError> Validate(NetworkPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var errors = new List<ValidationError>();
        ValidateMeta(policy.Name, policy.Namespace, policy.Labels, "policy", errors);
        ValidateSelector(policy.PodSelector, "spec.podSelector", errors);
        ValidateRules(policy.Ingress, "spec.ingress", "from", errors);
        ValidateRules(policy.Egress, "spec.egress", "to", errors);
        return errors;
    }

    /// <summary>Validates a namespace.</summary>
    /// <param name="ns">The namespace.</param>
    /// <returns>Every error; empty when the namespace is valid.</returns>
    public static IReadOnlyList<ValidationError> Validate(Model.Namespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var errors = new List<ValidationError>();
        if (string.IsNullOrEmpty(ns.Name))
        {
            errors.Add(new("metadata.name", "expected a name, found none"));
        }
        else if (Rules.DnsLabelName(ns.Name) is { } problem)
        {
            errors.Add(new("metadata.name", problem));
        }

        ValidateLabels(ns.Labels, "metadata.labels", errors);
        return errors;
    }

    /// <summary>Validates a pod (the fields NetPolHost uses).</summary>
    /// <param name="pod">The pod.</param>
    /// <returns>Every error; empty when the pod is valid.</returns>
    public static IReadOnlyList<ValidationError> Validate(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var errors = new List<ValidationError>();
        ValidateMeta(pod.Name, pod.Namespace, pod.Labels, "pod", errors);
        if (pod.IPs.Count(ip => ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) > 1
            || pod.IPs.Count(ip => ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) > 1)
        {
            errors.Add(new("status.podIPs", $"expected at most one address of each family, found {string.Join(", ", pod.IPs)}"));
        }

        return errors;
    }

    /// <summary>Validates a host endpoint.</summary>
    /// <param name="endpoint">The host endpoint.</param>
    /// <returns>Every error; empty when the endpoint is valid.</returns>
    public static IReadOnlyList<ValidationError> Validate(HostEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var errors = new List<ValidationError>();
        ValidateMeta(endpoint.Name, endpoint.Namespace, endpoint.Labels, "host endpoint", errors);
        if (endpoint.IPs.IsEmpty)
        {
            errors.Add(new("spec.ips", "expected at least one IP address, found none"));
        }

        ValidatePorts(endpoint.Ports, i => $"spec.ports[{i.ToString(CultureInfo.InvariantCulture)}]", errors);
        return errors;
    }

    /// <summary>Validates a Service (the fields NetPolHost uses).</summary>
    /// <param name="service">The Service.</param>
    /// <returns>Every error; empty when the Service is valid.</returns>
    public static IReadOnlyList<ValidationError> Validate(Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var errors = new List<ValidationError>();
        ValidateMeta(service.Name, service.Namespace, service.Labels, "service", errors);
        if (service.Selector is { } selector)
        {
            ValidateLabels(selector, "spec.selector", errors);
        }

        for (var i = 0; i < service.Ports.Count; i++)
        {
            var port = service.Ports[i];
            var path = $"spec.ports[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (Rules.PortNumber(port.Port) is { } problem)
            {
                errors.Add(new(path + ".port", problem));
            }

            if (port.TargetPort is { } target)
            {
                if ((target.IsNamed ? Rules.PortName(target.Name!) : Rules.PortNumber(target.Number)) is { } targetProblem)
                {
                    errors.Add(new(path + ".targetPort", targetProblem));
                }
            }

            if (port.NodePort is { } nodePort && Rules.PortNumber(nodePort) is { } nodePortProblem)
            {
                errors.Add(new(path + ".nodePort", nodePortProblem));
            }

            if (!port.Protocol.HasPorts())
            {
                errors.Add(new(path + ".protocol", ProtocolProblem(port.Protocol)));
            }

            if (service.Ports.Count > 1 && string.IsNullOrEmpty(port.Name))
            {
                errors.Add(new(path + ".name", "expected a name for each port of a Service with several ports, found none"));
            }
            else if (port.Name is not null && service.Ports.Take(i).Any(p => p.Name == port.Name))
            {
                errors.Add(new(path + ".name", $"expected each port name once, found {Rules.Quote(port.Name)} again"));
            }
        }

        return errors;
    }

    /// <summary>Validates a node.</summary>
    /// <param name="node">The node.</param>
    /// <returns>Every error; empty when the node is valid.</returns>
    public static IReadOnlyList<ValidationError> Validate(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var errors = new List<ValidationError>();
        if (string.IsNullOrEmpty(node.Name))
        {
            errors.Add(new("metadata.name", "expected a name, found none"));
        }
        else if (Rules.SubdomainName(node.Name) is { } problem)
        {
            errors.Add(new("metadata.name", problem));
        }

        ValidateLabels(node.Labels, "metadata.labels", errors);
        return errors;
    }

    private static void ValidateMeta(string name, string ns, LabelMap labels, string what, List<ValidationError> errors)
    {
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new("metadata.name", "expected a name, found none"));
        }
        else if (Rules.SubdomainName(name) is { } problem)
        {
            errors.Add(new("metadata.name", problem));
        }

        if (string.IsNullOrEmpty(ns))
        {
            errors.Add(new("metadata.namespace", $"expected the namespace of the {what}, found none (kubectl would take it from the current context; write it in the manifest)"));
        }
        else if (Rules.DnsLabelName(ns) is { } problem)
        {
            errors.Add(new("metadata.namespace", problem));
        }

        ValidateLabels(labels, "metadata.labels", errors);
    }

    private static void ValidateLabels(LabelMap labels, string path, List<ValidationError> errors)
    {
        foreach (var (key, value) in labels)
        {
            if (Rules.LabelKey(key) is { } keyProblem)
            {
                errors.Add(new(path + "." + key, keyProblem));
            }

            if (Rules.LabelValue(value) is { } valueProblem)
            {
                errors.Add(new(path + "." + key, valueProblem));
            }
        }
    }

    private static void ValidateSelector(LabelSelector selector, string path, List<ValidationError> errors)
    {
        ValidateLabels(selector.MatchLabels, path + ".matchLabels", errors);
        for (var i = 0; i < selector.MatchExpressions.Count; i++)
        {
            var requirement = selector.MatchExpressions[i];
            var itemPath = $"{path}.matchExpressions[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (Rules.LabelKey(requirement.Key) is { } keyProblem)
            {
                errors.Add(new(itemPath + ".key", keyProblem));
            }

            switch (requirement.Operator)
            {
                case SelectorOperator.In or SelectorOperator.NotIn when requirement.Values.IsEmpty:
                    errors.Add(new(itemPath + ".values", $"expected at least one value for operator {requirement.Operator}, found none"));
                    break;
                case SelectorOperator.Exists or SelectorOperator.DoesNotExist when !requirement.Values.IsEmpty:
                    errors.Add(new(itemPath + ".values", $"expected no values for operator {requirement.Operator}, found {requirement.Values.Count.ToString(CultureInfo.InvariantCulture)}"));
                    break;
            }

            for (var v = 0; v < requirement.Values.Count; v++)
            {
                if (Rules.LabelValue(requirement.Values[v]) is { } valueProblem)
                {
                    errors.Add(new($"{itemPath}.values[{v.ToString(CultureInfo.InvariantCulture)}]", valueProblem));
                }
            }
        }
    }

    private static void ValidateRules(ValueList<NetworkPolicyRule> rules, string path, string peersField, List<ValidationError> errors)
    {
        for (var r = 0; r < rules.Count; r++)
        {
            var rulePath = $"{path}[{r.ToString(CultureInfo.InvariantCulture)}]";
            var rule = rules[r];
            for (var p = 0; p < rule.Ports.Count; p++)
            {
                ValidatePolicyPort(rule.Ports[p], $"{rulePath}.ports[{p.ToString(CultureInfo.InvariantCulture)}]", errors);
            }

            for (var p = 0; p < rule.Peers.Count; p++)
            {
                ValidatePeer(rule.Peers[p], $"{rulePath}.{peersField}[{p.ToString(CultureInfo.InvariantCulture)}]", errors);
            }
        }
    }

    private static void ValidatePolicyPort(NetworkPolicyPort port, string path, List<ValidationError> errors)
    {
        if (!port.Protocol.HasPorts())
        {
            errors.Add(new(path + ".protocol", ProtocolProblem(port.Protocol)));
        }

        if (port.Port is { } value)
        {
            if (value.IsNamed)
            {
                if (Rules.PortName(value.Name!) is { } problem)
                {
                    errors.Add(new(path + ".port", problem));
                }
            }
            else if (Rules.PortNumber(value.Number) is { } problem)
            {
                errors.Add(new(path + ".port", problem));
            }
        }

        if (port.EndPort is not { } end)
        {
            return;
        }

        if (port.Port is null)
        {
            errors.Add(new(path + ".endPort", "expected endPort only together with a numeric port, found endPort without port"));
        }
        else if (port.Port.Value.IsNamed)
        {
            errors.Add(new(path + ".endPort", $"expected endPort only together with a numeric port, found the named port {Rules.Quote(port.Port.Value.Name!)}"));
        }
        else if (Rules.PortNumber(end) is { } problem)
        {
            errors.Add(new(path + ".endPort", problem));
        }
        else if (end < port.Port.Value.Number)
        {
            errors.Add(new(path + ".endPort", $"expected endPort of at least port {port.Port.Value.Number.ToString(CultureInfo.InvariantCulture)}, found {end.ToString(CultureInfo.InvariantCulture)}"));
        }
    }

    private static void ValidatePeer(NetworkPolicyPeer peer, string path, List<ValidationError> errors)
    {
        if (peer.PodSelector is null && peer.NamespaceSelector is null && peer.IPBlock is null)
        {
            errors.Add(new(path, "expected at least one of podSelector, namespaceSelector or ipBlock, found an empty peer"));
            return;
        }

        if (peer.IPBlock is not null && (peer.PodSelector is not null || peer.NamespaceSelector is not null))
        {
            var others = string.Join(" and ", new[] { peer.PodSelector is null ? null : "podSelector", peer.NamespaceSelector is null ? null : "namespaceSelector" }.OfType<string>());
            errors.Add(new(path, $"expected ipBlock alone in its peer, found ipBlock together with {others} (make them separate peers)"));
        }

        if (peer.PodSelector is not null)
        {
            ValidateSelector(peer.PodSelector, path + ".podSelector", errors);
        }

        if (peer.NamespaceSelector is not null)
        {
            ValidateSelector(peer.NamespaceSelector, path + ".namespaceSelector", errors);
        }

        if (peer.IPBlock is { } block)
        {
            for (var e = 0; e < block.Except.Count; e++)
            {
                var except = block.Except[e];
                var exceptPath = $"{path}.ipBlock.except[{e.ToString(CultureInfo.InvariantCulture)}]";
                if (except.IsIPv6 != block.Cidr.IsIPv6)
                {
                    errors.Add(new(exceptPath, $"expected an {(block.Cidr.IsIPv6 ? "IPv6" : "IPv4")} block strictly inside cidr {block.Cidr}, found the {(except.IsIPv6 ? "IPv6" : "IPv4")} block {except}"));
                }
                else if (!block.Cidr.Contains(except) || except.PrefixLength <= block.Cidr.PrefixLength)
                {
                    var detail = except == block.Cidr || (block.Cidr.Contains(except) && except.PrefixLength == block.Cidr.PrefixLength) ? " (it equals the cidr)" : string.Empty;
                    errors.Add(new(exceptPath, $"expected a block strictly inside cidr {block.Cidr}, found {except}{detail}"));
                }
            }
        }
    }

    /// <summary>Checks container ports or host endpoint ports; <paramref name="pathOf"/> names the entry.</summary>
    internal static void ValidatePorts(ValueList<ContainerPort> ports, Func<int, string> pathOf, List<ValidationError> errors)
    {
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            if (Rules.PortNumber(port.Port) is { } problem)
            {
                errors.Add(new(pathOf(i) + ".port", problem));
            }

            if (port.Name is not null && Rules.PortName(port.Name) is { } nameProblem)
            {
                errors.Add(new(pathOf(i) + ".name", nameProblem));
            }

            if (!port.Protocol.HasPorts())
            {
                errors.Add(new(pathOf(i) + ".protocol", ProtocolProblem(port.Protocol)));
            }
        }
    }

    /// <summary>The loader's wording for a protocol a port cannot have (ICMP is for flows only).</summary>
    private static string ProtocolProblem(Protocol protocol) =>
        $"expected one of \"TCP\", \"UDP\", \"SCTP\", found {Rules.Quote(Enum.IsDefined(protocol) ? protocol.ToKubernetesName() : ((int)protocol).ToString(CultureInfo.InvariantCulture))}";
}
