using System.Net;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Parsing;

/// <content>Services: the fields that turn a connection to a Service into connections to its backend pods.</content>
internal sealed partial class ObjectBinder
{
    private BoundObject BindService(MappingNode root, string apiVersion)
    {
        _strict = false;
        CheckApiVersion(root, apiVersion, "v1", "Service");
        var (name, ns, labels) = Metadata(root, requireNamespace: true);
        var service = new Service { Namespace = ns, Name = name, Labels = labels };
        if (Map(root.Get("spec"), "spec") is { } spec)
        {
            var selectorNode = spec.Get("selector");
            var selector = Labels(selectorNode, "spec.selector");
            var type = String(spec.Get("type"), "spec.type");
            var addresses = new List<IPAddress>();
            var clusterIps = Seq(spec.Get("clusterIPs"), "spec.clusterIPs");
            for (var i = 0; i < clusterIps.Count; i++)
            {
                if (ClusterIP(clusterIps[i], Index("spec.clusterIPs", i)) is { } ip && !addresses.Contains(ip))
                {
                    addresses.Add(ip);
                }
            }

            if (ClusterIP(spec.Get("clusterIP"), "spec.clusterIP") is { } first && !addresses.Contains(first))
            {
                addresses.Insert(0, first);
            }

            var ports = new List<ServicePort>();
            var portNodes = Seq(spec.Get("ports"), "spec.ports");
            for (var p = 0; p < portNodes.Count; p++)
            {
                var portPath = Index("spec.ports", p);
                if (Map(portNodes[p], portPath) is not { } portMap)
                {
                    ports.Add(Unbound(portPath, new ServicePort { Port = 0 }));
                    continue;
                }

                var portName = String(portMap.Get("name"), portPath + ".name");
                var number = Int(portMap.Get("port"), portPath + ".port");
                var protocol = ProtocolField(portMap.Get("protocol"), portPath + ".protocol");
                var nodePort = Int(portMap.Get("nodePort"), portPath + ".nodePort");
                var target = TargetPort(portMap.Get("targetPort"), portPath + ".targetPort");
                if (number is null)
                {
                    if (IsAbsent(portMap.Get("port")))
                    {
                        Error(portMap, portPath + ".port", "expected a port number, found none");
                    }

                    ports.Add(Unbound(portPath, new ServicePort { Port = 0 }));
                    continue;
                }

                ports.Add(new ServicePort
                {
                    Name = string.IsNullOrEmpty(portName) ? null : portName,
                    Port = Clamp(number.Value),
                    TargetPort = target,
                    Protocol = protocol,
                    NodePort = nodePort is { } n && n != 0 ? Clamp(n) : null,
                });
            }

            service = service with
            {
                Selector = selectorNode is null or ScalarNode { Kind: ScalarKind.Null } || selector.Count == 0 ? null : selector,
                Type = string.IsNullOrEmpty(type) ? "ClusterIP" : type,
                ClusterIPs = addresses.ToValueList(),
                Ports = ports.ToValueList(),
            };
        }

        foreach (var error in PolicyValidator.Validate(service))
        {
            AddValidationError(error);
        }

        return new BoundObject("Service", $"Service {ns}/{name}", _errors.Count == 0 ? service : null, root.Line, root.Column);

        static int Clamp(long value) => (int)Math.Clamp(value, int.MinValue, int.MaxValue);
    }

    /// <summary>A cluster IP: an address, or nothing for <c>None</c> (headless) and the empty string (not allocated).</summary>
    private IPAddress? ClusterIP(TreeNode? node, string path) =>
        node is ScalarNode { Kind: ScalarKind.String, Value: "None" or "" } ? null : Address(node, path);

    /// <summary>A <c>targetPort</c>: a number, or the name of a container port (IntOrString).</summary>
    private PolicyPortValue? TargetPort(TreeNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        Position(path, node);
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.Null }:
                return null;
            case ScalarNode { Kind: ScalarKind.Int or ScalarKind.Float } scalar when IntegerValue(scalar) is { } number:
                if (Validation.Rules.PortNumber(number) is { } problem)
                {
                    Error(node, path, problem);
                    return null;
                }

                return PolicyPortValue.FromNumber((int)number);
            case ScalarNode { Kind: ScalarKind.String } scalar:
                // A quoted number is a name for the API server, and not a valid one.
                return PolicyPortValue.FromName(scalar.Value);
            default:
                Error(node, path, $"expected a port number or name, found {node.Describe()}");
                return null;
        }
    }
}
