using System.Net;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Parsing;

/// <content>The objects policies select and protect: namespaces, pods, nodes and host endpoints.</content>
internal sealed partial class ObjectBinder
{
    private static readonly string[] s_hostEndpointSpecFields = ["nodeName", "interfaceName", "ips", "ports"];
    private static readonly string[] s_hostPortFields = ["name", "port", "protocol"];

    private BoundObject BindNamespace(MappingNode root, string apiVersion)
    {
        _strict = false;
        CheckApiVersion(root, apiVersion, "v1", "Namespace");
        var (name, _, labels) = Metadata(root, requireNamespace: false);
        var ns = new Model.Namespace { Name = name, Labels = labels };
        foreach (var error in PolicyValidator.Validate(ns))
        {
            AddValidationError(error);
        }

        return new BoundObject("Namespace", "Namespace " + name, _errors.Count == 0 ? ns.Normalize() : null, root.Line, root.Column);
    }

    private BoundObject BindPod(MappingNode root, string apiVersion)
    {
        _strict = false;
        CheckApiVersion(root, apiVersion, "v1", "Pod");
        var (name, ns, labels) = Metadata(root, requireNamespace: true);
        string? nodeName = null;
        var hostNetwork = false;
        var ports = new List<ContainerPort>();
        var ips = new List<IPAddress>();
        if (Map(root.Get("spec"), "spec") is { } spec)
        {
            nodeName = String(spec.Get("nodeName"), "spec.nodeName");
            hostNetwork = Bool(spec.Get("hostNetwork"), "spec.hostNetwork") ?? false;
            var containers = Seq(spec.Get("containers"), "spec.containers");
            for (var c = 0; c < containers.Count; c++)
            {
                var containerPath = Index("spec.containers", c);
                if (Map(containers[c], containerPath) is not { } container)
                {
                    continue;
                }

                var portNodes = Seq(container.Get("ports"), containerPath + ".ports");
                for (var p = 0; p < portNodes.Count; p++)
                {
                    var portPath = Index(containerPath + ".ports", p);
                    if (Map(portNodes[p], portPath) is not { } portMap)
                    {
                        continue;
                    }

                    var portName = String(portMap.Get("name"), portPath + ".name");
                    var number = Int(portMap.Get("containerPort"), portPath + ".containerPort");
                    var protocol = ProtocolField(portMap.Get("protocol"), portPath + ".protocol");
                    if (number is null)
                    {
                        if (IsAbsent(portMap.Get("containerPort")))
                        {
                            Error(portMap, portPath + ".containerPort", "expected a port number, found none");
                        }

                        continue;
                    }

                    if (Validation.Rules.PortNumber(number.Value) is { } problem)
                    {
                        Error(portMap.Get("containerPort")!, portPath + ".containerPort", problem);
                        continue;
                    }

                    if (portName is not null && Validation.Rules.PortName(portName) is { } nameProblem)
                    {
                        Error(portMap.Get("name")!, portPath + ".name", nameProblem);
                    }

                    ports.Add(new ContainerPort(string.IsNullOrEmpty(portName) ? null : portName, (int)number.Value, protocol));
                }
            }
        }

        string? phase = null;
        if (Map(root.Get("status"), "status") is { } status)
        {
            phase = String(status.Get("phase"), "status.phase");
            var podIps = Seq(status.Get("podIPs"), "status.podIPs");
            for (var i = 0; i < podIps.Count; i++)
            {
                var itemPath = Index("status.podIPs", i);
                if (Map(podIps[i], itemPath) is { } item && Address(item.Get("ip"), itemPath + ".ip") is { } ip && !ips.Contains(ip))
                {
                    ips.Add(ip);
                }
            }

            if (Address(status.Get("podIP"), "status.podIP") is { } podIp && !ips.Contains(podIp))
            {
                ips.Insert(0, podIp);
            }
        }

        var pod = new Pod
        {
            Namespace = ns,
            Name = name,
            Labels = labels,
            NodeName = string.IsNullOrEmpty(nodeName) ? null : nodeName,
            HostNetwork = hostNetwork,
            IPs = ips.ToValueList(),
            Ports = ports.ToValueList(),
        };
        foreach (var error in PolicyValidator.Validate(pod))
        {
            AddValidationError(error);
        }

        if (phase is "Succeeded" or "Failed" && _errors.Count == 0)
        {
            // A finished pod has no network activity, and its address may already belong to another pod.
            Note(root, "status.phase", $"skipped pod {ns}/{name}: it has finished (phase {phase}), and its address may already belong to another pod");
            return new BoundObject("Pod", $"Pod {ns}/{name}", null, root.Line, root.Column);
        }

        return new BoundObject("Pod", $"Pod {ns}/{name}", _errors.Count == 0 ? pod : null, root.Line, root.Column);
    }

    private BoundObject BindNode(MappingNode root, string apiVersion)
    {
        _strict = false;
        CheckApiVersion(root, apiVersion, "v1", "Node");
        var (name, _, labels) = Metadata(root, requireNamespace: false);
        var addresses = new List<IPAddress>();
        if (Map(root.Get("status"), "status") is { } status)
        {
            var items = Seq(status.Get("addresses"), "status.addresses");
            for (var i = 0; i < items.Count; i++)
            {
                var itemPath = Index("status.addresses", i);
                if (Map(items[i], itemPath) is not { } item)
                {
                    continue;
                }

                var type = String(item.Get("type"), itemPath + ".type");
                if (type is "InternalIP" or "ExternalIP" && Address(item.Get("address"), itemPath + ".address") is { } ip && !addresses.Contains(ip))
                {
                    addresses.Add(ip);
                }
            }
        }

        var node = new Model.Node { Name = name, Labels = labels, Addresses = addresses.ToValueList() };
        foreach (var error in PolicyValidator.Validate(node))
        {
            AddValidationError(error);
        }

        return new BoundObject("Node", "Node " + name, _errors.Count == 0 ? node : null, root.Line, root.Column);
    }

    private BoundObject BindHostEndpoint(MappingNode root, string apiVersion)
    {
        _strict = true;
        CheckApiVersion(root, apiVersion, HostEndpoint.ApiVersion, "HostEndpoint");
        CheckFields(root, string.Empty, s_objectFields);
        var (name, ns, labels) = Metadata(root, requireNamespace: true);
        var endpoint = new HostEndpoint { Namespace = ns, Name = name, Labels = labels };
        if (Map(root.Get("spec"), "spec") is { } spec)
        {
            CheckFields(spec, "spec", s_hostEndpointSpecFields);
            var ips = new List<IPAddress>();
            var ipNodes = Seq(spec.Get("ips"), "spec.ips");
            for (var i = 0; i < ipNodes.Count; i++)
            {
                if (Address(ipNodes[i], Index("spec.ips", i)) is { } ip && !ips.Contains(ip))
                {
                    ips.Add(ip);
                }
            }

            var ports = new List<ContainerPort>();
            var portNodes = Seq(spec.Get("ports"), "spec.ports");
            for (var p = 0; p < portNodes.Count; p++)
            {
                var portPath = Index("spec.ports", p);
                if (Map(portNodes[p], portPath) is not { } portMap)
                {
                    if (IsAbsent(portNodes[p]))
                    {
                        Error(portNodes[p], portPath, "expected a port entry (a mapping with name, port and protocol), found null");
                    }

                    ports.Add(Unbound(portPath, new ContainerPort(null, 0)));
                    continue;
                }

                CheckFields(portMap, portPath, s_hostPortFields);
                var portName = String(portMap.Get("name"), portPath + ".name");
                var number = Int(portMap.Get("port"), portPath + ".port");
                var protocol = ProtocolField(portMap.Get("protocol"), portPath + ".protocol");
                if (number is null)
                {
                    if (IsAbsent(portMap.Get("port")))
                    {
                        Error(portMap, portPath + ".port", "expected a port number, found none");
                    }

                    ports.Add(Unbound(portPath, new ContainerPort(null, 0)));
                    continue;
                }

                ports.Add(new ContainerPort(string.IsNullOrEmpty(portName) ? null : portName, (int)Math.Clamp(number.Value, int.MinValue, int.MaxValue), protocol));
            }

            var nodeName = String(spec.Get("nodeName"), "spec.nodeName");
            var interfaceName = String(spec.Get("interfaceName"), "spec.interfaceName");
            endpoint = endpoint with
            {
                NodeName = string.IsNullOrEmpty(nodeName) ? null : nodeName,
                InterfaceName = string.IsNullOrEmpty(interfaceName) ? null : interfaceName,
                IPs = ips.ToValueList(),
                Ports = ports.ToValueList(),
            };
        }
        else
        {
            Error(root, "spec", "expected a spec with at least spec.ips, found none");
        }

        foreach (var error in PolicyValidator.Validate(endpoint))
        {
            if (error.Path != "spec.ips" || root.Get("spec") is MappingNode)
            {
                AddValidationError(error);
            }
        }

        return new BoundObject("HostEndpoint", $"HostEndpoint {ns}/{name}", _errors.Count == 0 ? endpoint : null, root.Line, root.Column);
    }
}
