using System.Globalization;
using System.Net;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Parsing;

/// <summary>The outcome of binding one Kubernetes object from a tree.</summary>
internal sealed record BoundObject(string Kind, string Identity, object? Value, int Line, int Column);

/// <summary>
/// Turns one object's <see cref="TreeNode"/> tree into a model object, with the API server's strictness: unknown fields,
/// duplicate fields and wrong types are errors (for NetworkPolicy and HostEndpoint); for Pods, Namespaces and Nodes only
/// the fields NetPolHost reads are checked. Every error carries the field path and the position of the value.
/// </summary>
internal sealed class ObjectBinder
{
    private static readonly string[] s_objectFields = ["apiVersion", "kind", "metadata", "spec", "status"];
    private static readonly string[] s_metadataFields =
    [
        "name", "namespace", "labels", "annotations", "generateName", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
        "managedFields", "selfLink",
    ];

    private static readonly string[] s_specFields = ["podSelector", "policyTypes", "ingress", "egress"];
    private static readonly string[] s_ingressRuleFields = ["from", "ports"];
    private static readonly string[] s_egressRuleFields = ["to", "ports"];
    private static readonly string[] s_peerFields = ["podSelector", "namespaceSelector", "ipBlock"];
    private static readonly string[] s_ipBlockFields = ["cidr", "except"];
    private static readonly string[] s_portFields = ["port", "endPort", "protocol"];
    private static readonly string[] s_selectorFields = ["matchLabels", "matchExpressions"];
    private static readonly string[] s_requirementFields = ["key", "operator", "values"];
    private static readonly string[] s_hostEndpointSpecFields = ["nodeName", "interfaceName", "ips", "ports"];
    private static readonly string[] s_hostPortFields = ["name", "port", "protocol"];
    private static readonly string[] s_operators = ["In", "NotIn", "Exists", "DoesNotExist"];

    private const string OperatorList = "one of \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"";
    private const string PolicyTypeList = "one of \"Ingress\", \"Egress\"";
    private const string ProtocolList = "one of \"TCP\", \"UDP\", \"SCTP\"";
    private const string CidrExample = "a CIDR such as 10.9.8.0/24 or 2001:db8::/64";

    private static readonly Dictionary<string, string> s_fieldHomes = new(StringComparer.Ordinal)
    {
        ["podSelector"] = "spec, or a from/to peer",
        ["namespaceSelector"] = "a from/to peer",
        ["ipBlock"] = "a from/to peer",
        ["policyTypes"] = "spec",
        ["ingress"] = "spec",
        ["egress"] = "spec",
        ["from"] = "an ingress rule",
        ["to"] = "an egress rule",
        ["ports"] = "an ingress or egress rule",
        ["matchLabels"] = "a podSelector or namespaceSelector",
        ["matchExpressions"] = "a podSelector or namespaceSelector",
        ["cidr"] = "an ipBlock",
        ["except"] = "an ipBlock",
        ["port"] = "a ports entry",
        ["endPort"] = "a ports entry",
        ["protocol"] = "a ports entry",
        ["name"] = "metadata",
        ["namespace"] = "metadata",
        ["labels"] = "metadata",
        ["spec"] = "the top level of the object",
        ["metadata"] = "the top level of the object",
    };

    private readonly List<(string Path, int Line, int Column, string Message)> _errors = [];
    private readonly List<(int Line, int Column, string Path, string Message)> _notes = [];
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    // Entries that could not be bound: the model holds a placeholder there (so later entries keep their index, and
    // validation paths match the manifest), and validation errors at or inside them are not reported.
    private readonly HashSet<string> _unbound = new(StringComparer.Ordinal);

    // The paths of the binder's own errors, indexed when validation starts (validation errors never hide each other).
    private PathSet? _bindErrorPaths;
    private bool _strict;

    public IReadOnlyList<(string Path, int Line, int Column, string Message)> Errors => _errors;

    public IReadOnlyList<(int Line, int Column, string Path, string Message)> Notes => _notes;

    /// <summary>Binds an object whose kind is known to be one NetPolHost reads.</summary>
    public static bool IsKnownKind(string kind) => kind is "NetworkPolicy" or "Namespace" or "Pod" or "Node" or "HostEndpoint";

    public BoundObject Bind(MappingNode root, string kind, string apiVersion)
    {
        Position(string.Empty, root);
        return kind switch
        {
            "NetworkPolicy" => BindPolicy(root, apiVersion),
            "Namespace" => BindNamespace(root, apiVersion),
            "Pod" => BindPod(root, apiVersion),
            "Node" => BindNode(root, apiVersion),
            "HostEndpoint" => BindHostEndpoint(root, apiVersion),
            _ => throw new InvalidOperationException("Unknown kind " + kind),
        };
    }

    /// <summary>The position of a field path, or of its nearest bound ancestor.</summary>
    public (int Line, int Column) PositionOf(string path)
    {
        while (true)
        {
            if (_positions.TryGetValue(path, out var position))
            {
                return position;
            }

            if (path.Length == 0)
            {
                return (1, 1);
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            path = cut <= 0 ? string.Empty : path[..cut];
        }
    }

    /// <summary>Whether the binder already reported an error that a validation error at <paramref name="path"/> would
    /// only repeat: at the path, inside it, on an enclosing field (what is inside could not be read), or, for
    /// <c>endPort</c>, on the <c>port</c> beside it (an unreadable port reads as "no port").</summary>
    /// <remarks>Only errors of the binder count: validation errors never hide each other. The errors are indexed by
    /// path, so an object with many errors of both kinds costs time linear in their number, not quadratic.</remarks>
    public bool HasErrorNear(string path)
    {
        var errors = _bindErrorPaths ?? IndexBindErrors();
        if (errors.Find(path).Any)
        {
            return true;
        }

        if (!path.EndsWith(".endPort", StringComparison.Ordinal))
        {
            return false;
        }

        var port = errors.Find(path[..^"endPort".Length] + "port");
        return port.Same || port.Inside;
    }

    private PathSet IndexBindErrors()
    {
        var paths = new PathSet();
        foreach (var error in _errors)
        {
            paths.Add(error.Path);
        }

        return paths;
    }

    private bool IsUnbound(string path)
    {
        if (_unbound.Count == 0)
        {
            return false;
        }

        while (true)
        {
            if (_unbound.Contains(path))
            {
                return true;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return false;
            }

            path = path[..cut];
        }
    }

    // ---- Kinds ----------------------------------------------------------------------------------------------

    private BoundObject BindPolicy(MappingNode root, string apiVersion)
    {
        _strict = true;
        ReportDuplicates(root, string.Empty);
        CheckApiVersion(root, apiVersion, "networking.k8s.io/v1", "NetworkPolicy");
        CheckFields(root, string.Empty, s_objectFields);
        var (name, ns, labels) = Metadata(root, requireNamespace: true);
        var spec = Map(root.Get("spec"), "spec");
        var policy = new NetworkPolicy { Name = name, Namespace = ns, Labels = labels };
        if (spec is null)
        {
            Note(root, "spec", $"the policy has no spec: it selects every pod of namespace {Quote(ns)} and denies all their ingress traffic");
        }
        else
        {
            CheckFields(spec, "spec", s_specFields);
            var podSelectorNode = spec.Get("podSelector");
            var podSelector = Selector(podSelectorNode, "spec.podSelector");
            if (podSelectorNode is null)
            {
                Note(spec, "spec.podSelector", $"spec.podSelector is not given: the policy selects every pod of namespace {Quote(ns)}");
            }

            var ingress = Rules(spec.Get("ingress"), "spec.ingress", "from", s_ingressRuleFields);
            var egress = Rules(spec.Get("egress"), "spec.egress", "to", s_egressRuleFields);
            var types = PolicyTypesField(spec.Get("policyTypes"), "spec.policyTypes");
            policy = policy with
            {
                PodSelector = podSelector ?? LabelSelector.Everything,
                Ingress = ingress,
                Egress = egress,
                PolicyTypes = types,
            };
        }

        foreach (var error in PolicyValidator.Validate(policy))
        {
            AddValidationError(error);
        }

        return new BoundObject("NetworkPolicy", $"NetworkPolicy {ns}/{name}", _errors.Count == 0 ? policy : null, root.Line, root.Column);
    }

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
        ReportDuplicates(root, string.Empty);
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

    // ---- Shared parts ---------------------------------------------------------------------------------------

    private void CheckApiVersion(MappingNode root, string apiVersion, string expected, string kind)
    {
        if (apiVersion == expected)
        {
            return;
        }

        var node = (TreeNode?)root.Get("apiVersion") ?? root;
        if (apiVersion.Length == 0)
        {
            Error(node, "apiVersion", $"expected apiVersion {Quote(expected)} for kind {kind}, found none");
        }
        else if (kind == "NetworkPolicy" && apiVersion is "extensions/v1beta1" or "networking.k8s.io/v1beta1")
        {
            Error(node, "apiVersion", $"expected apiVersion {Quote(expected)}, found {Quote(apiVersion)}, which Kubernetes no longer serves for NetworkPolicy");
        }
        else
        {
            Error(node, "apiVersion", $"expected apiVersion {Quote(expected)} for kind {kind}, found {Quote(apiVersion)}");
        }
    }

    private (string Name, string Namespace, LabelMap Labels) Metadata(MappingNode root, bool requireNamespace)
    {
        var metadata = Map(root.Get("metadata"), "metadata");
        if (metadata is null)
        {
            if (IsAbsent(root.Get("metadata")))
            {
                Error(root, "metadata", "expected metadata with a name, found none");
            }

            return (string.Empty, string.Empty, LabelMap.Empty);
        }

        if (_strict)
        {
            CheckFields(metadata, "metadata", s_metadataFields);
        }

        var name = String(metadata.Get("name"), "metadata.name") ?? string.Empty;
        var ns = requireNamespace ? String(metadata.Get("namespace"), "metadata.namespace") ?? string.Empty : string.Empty;
        var labels = Labels(metadata.Get("labels"), "metadata.labels");
        if (metadata.Get("annotations") is { } annotations)
        {
            _ = Labels(annotations, "metadata.annotations", validateOnly: true);
        }

        return (name, ns, labels);
    }

    private ValueList<NetworkPolicyRule> Rules(TreeNode? node, string path, string peersField, string[] fields)
    {
        var items = Seq(node, path);
        var rules = new List<NetworkPolicyRule>(items.Count);
        for (var r = 0; r < items.Count; r++)
        {
            var rulePath = Index(path, r);
            var ruleNode = items[r];
            if (ruleNode is ScalarNode { Kind: ScalarKind.Null })
            {
                // "- " with nothing after it is an empty rule, as in JSON [null] → {}.
                Position(rulePath, ruleNode);
                rules.Add(NetworkPolicyRule.AllowAll);
                continue;
            }

            if (Map(ruleNode, rulePath) is not { } map)
            {
                rules.Add(Unbound(rulePath, NetworkPolicyRule.AllowAll));
                continue;
            }

            CheckFields(map, rulePath, fields);
            var ports = new List<NetworkPolicyPort>();
            var portNodes = Seq(map.Get("ports"), rulePath + ".ports");
            for (var p = 0; p < portNodes.Count; p++)
            {
                var portPath = Index(rulePath + ".ports", p);
                ports.Add(PolicyPort(portNodes[p], portPath) ?? Unbound(portPath, new NetworkPolicyPort()));
            }

            var peers = new List<NetworkPolicyPeer>();
            var peerPath = rulePath + "." + peersField;
            var peerNodes = Seq(map.Get(peersField), peerPath);
            for (var p = 0; p < peerNodes.Count; p++)
            {
                var itemPath = Index(peerPath, p);
                peers.Add(Peer(peerNodes[p], itemPath) ?? Unbound(itemPath, new NetworkPolicyPeer()));
            }

            rules.Add(new NetworkPolicyRule { Ports = ports.ToValueList(), Peers = peers.ToValueList() });
        }

        return rules.ToValueList();
    }

    private NetworkPolicyPort? PolicyPort(TreeNode node, string path)
    {
        if (Map(node, path) is not { } map)
        {
            return node is ScalarNode { Kind: ScalarKind.Null } ? new NetworkPolicyPort() : null;
        }

        CheckFields(map, path, s_portFields);
        var protocol = ProtocolField(map.Get("protocol"), path + ".protocol");
        PolicyPortValue? port = null;
        if (map.Get("port") is { } portNode)
        {
            Position(path + ".port", portNode);
            switch (portNode)
            {
                case ScalarNode { Kind: ScalarKind.Null }:
                    break;
                case ScalarNode { Kind: ScalarKind.Int or ScalarKind.Float } scalar:
                    if (IntegerValue(scalar) is { } number)
                    {
                        port = number is >= int.MinValue and <= int.MaxValue
                            ? PolicyPortValue.FromNumber((int)number)
                            : Fail(scalar, path + ".port", Validation.Rules.PortNumber(number)!);
                    }
                    else
                    {
                        Error(scalar, path + ".port", $"expected a port number or name, found {scalar.Describe()}");
                    }

                    break;
                case ScalarNode { Kind: ScalarKind.String } scalar:
                    port = PolicyPortValue.FromName(scalar.Value);
                    break;
                default:
                    Error(portNode, path + ".port", $"expected a port number or name, found {portNode.Describe()}");
                    break;
            }
        }

        var endPort = Int(map.Get("endPort"), path + ".endPort");
        int? end = null;
        if (endPort is { } e)
        {
            if (e is < int.MinValue or > int.MaxValue)
            {
                Error(map.Get("endPort")!, path + ".endPort", Validation.Rules.PortNumber(e)!);
            }
            else
            {
                end = (int)e;
            }
        }

        return new NetworkPolicyPort { Protocol = protocol, Port = port, EndPort = end };

        PolicyPortValue? Fail(TreeNode at, string errorPath, string message)
        {
            Error(at, errorPath, message);
            return null;
        }
    }

    private NetworkPolicyPeer? Peer(TreeNode node, string path)
    {
        if (Map(node, path) is not { } map)
        {
            if (node is ScalarNode { Kind: ScalarKind.Null })
            {
                Position(path, node);
                Error(node, path, "expected at least one of podSelector, namespaceSelector or ipBlock, found an empty peer");
            }

            return null;
        }

        CheckFields(map, path, s_peerFields);
        var nullFields = map.Entries.Where(e => e.Value is ScalarNode { Kind: ScalarKind.Null } && s_peerFields.Contains(e.Key.Value)).Select(e => e.Key.Value).ToList();
        var peer = new NetworkPolicyPeer
        {
            PodSelector = Selector(map.Get("podSelector"), path + ".podSelector"),
            NamespaceSelector = Selector(map.Get("namespaceSelector"), path + ".namespaceSelector"),
            IPBlock = IPBlockField(map.Get("ipBlock"), path + ".ipBlock"),
        };
        if (peer.PodSelector is null && peer.NamespaceSelector is null && peer.IPBlock is null && nullFields.Count > 0
            && map.Entries.All(e => e.Value is ScalarNode { Kind: ScalarKind.Null } || !s_peerFields.Contains(e.Key.Value)))
        {
            var field = nullFields[0];
            Error(map, path, $"expected at least one of podSelector, namespaceSelector or ipBlock, found {field} with no value (null); write {field}: {{}} to select everything, or check the indentation of the lines below it");
        }

        return peer;
    }

    private IPBlock? IPBlockField(TreeNode? node, string path)
    {
        if (Map(node, path) is not { } map)
        {
            return null;
        }

        CheckFields(map, path, s_ipBlockFields);
        var cidr = CidrField(map.Get("cidr"), path + ".cidr", required: true, map);
        var excepts = new List<Cidr>();
        var exceptNodes = Seq(map.Get("except"), path + ".except");
        for (var i = 0; i < exceptNodes.Count; i++)
        {
            var exceptPath = Index(path + ".except", i);
            excepts.Add(CidrField(exceptNodes[i], exceptPath, required: true, map) ?? Unbound(exceptPath, default(Cidr)));
        }

        return cidr is null ? null : new IPBlock(cidr.Value, excepts.ToValueList());
    }

    private Cidr? CidrField(TreeNode? node, string path, bool required, MappingNode parent)
    {
        var text = String(node, path, CidrExample);
        if (text is null)
        {
            if (required && node is null or ScalarNode { Kind: ScalarKind.Null })
            {
                Error(node ?? parent, path, $"expected {CidrExample}, found none");
            }

            return null;
        }

        if (Cidr.TryParse(text, out var cidr))
        {
            return cidr;
        }

        Error(node!, path, $"expected {CidrExample}, found {Quote(text)}{CidrHint(text)}");
        return null;
    }

    /// <summary>Why a text is not a CIDR, when a common mistake explains it.</summary>
    private static string CidrHint(string text)
    {
        if (MappedCidrHint(text) is { } mapped)
        {
            return mapped;
        }

        if (IpMath.TryParseAddress(text, out var address))
        {
            return $" (for the single address, write {address}/{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32)})";
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!addressText.Contains(':', StringComparison.Ordinal) && addressText.Split('.') is { Length: 4 } octets
            && octets.All(o => o.Length is > 0 and <= 3 && o.All(char.IsAsciiDigit))
            && octets.Any(o => o.Length > 1 && o[0] == '0'))
        {
            return " (an IPv4 address must not have leading zeros in its numbers)";
        }

        if (slash > 0 && IpMath.TryParseAddress(addressText, out var network)
            && int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            var max = network.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
            if (prefix > max)
            {
                return $" (the prefix length of an {(max == 32 ? "IPv4" : "IPv6")} block is at most {max.ToString(CultureInfo.InvariantCulture)})";
            }
        }

        return string.Empty;
    }

    /// <summary>The hint for a block written as an IPv4-mapped IPv6 address (<c>::ffff:10.0.0.0/104</c>), which the
    /// API server rejects (it would never match the IPv4 traffic it seems to name), or null.</summary>
    private static string? MappedCidrHint(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text.AsSpan() : text.AsSpan(0, slash);
        if (!IpMath.TryParseAddress(addressText, out var value, out var isV6) || !IpMath.IsV4Mapped(value, isV6))
        {
            return null;
        }

        const string Why = " (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: ";
        var prefix = 128;
        if (slash >= 0 && !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix))
        {
            prefix = -1;
        }

        // Only a block of at least 96 bits lies inside ::ffff:0:0/96 and has an IPv4 equivalent.
        return prefix is >= 96 and <= 128
            ? Why + $"write the IPv4 block {new Cidr(IpMath.ToAddress(value & uint.MaxValue, false), prefix - 96)})"
            : Why + "write IPv4 blocks in IPv4 notation)";
    }

    private LabelSelector? Selector(TreeNode? node, string path)
    {
        if (node is ScalarNode { Kind: ScalarKind.String } scalar && scalar.Value.Contains('=', StringComparison.Ordinal))
        {
            Position(path, node);
            Error(node, path, $"expected a label selector (a mapping with matchLabels and/or matchExpressions), found {scalar.Describe()}; write matchLabels: {{{SuggestLabels(scalar.Value)}}}");
            return null;
        }

        if (Map(node, path, "a label selector (a mapping with matchLabels and/or matchExpressions)") is not { } map)
        {
            return null;
        }

        CheckFields(map, path, s_selectorFields);
        var matchLabels = Labels(map.Get("matchLabels"), path + ".matchLabels");
        var requirements = new List<LabelSelectorRequirement>();
        var items = Seq(map.Get("matchExpressions"), path + ".matchExpressions");
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = Index(path + ".matchExpressions", i);
            if (Map(items[i], itemPath) is not { } item)
            {
                if (IsAbsent(items[i]))
                {
                    Error(items[i], itemPath, "expected a requirement (a mapping with key, operator and values), found null");
                }

                requirements.Add(Unbound(itemPath, new LabelSelectorRequirement(string.Empty, SelectorOperator.Exists, default)));
                continue;
            }

            CheckFields(item, itemPath, s_requirementFields);
            var key = String(item.Get("key"), itemPath + ".key");
            if (key is null && IsAbsent(item.Get("key")))
            {
                Error(item, itemPath + ".key", "expected a label key, found none");
            }

            var operatorText = String(item.Get("operator"), itemPath + ".operator", OperatorList);
            SelectorOperator? op = operatorText switch
            {
                "In" => SelectorOperator.In,
                "NotIn" => SelectorOperator.NotIn,
                "Exists" => SelectorOperator.Exists,
                "DoesNotExist" => SelectorOperator.DoesNotExist,
                _ => null,
            };
            if (op is null && (operatorText is not null || IsAbsent(item.Get("operator"))))
            {
                var found = operatorText is null ? "none" : Quote(operatorText);
                var hint = operatorText is not null && s_operators.FirstOrDefault(o => o.Equals(operatorText, StringComparison.OrdinalIgnoreCase)) is { } fixedCase
                    ? $" (operators are case-sensitive: write {fixedCase})"
                    : string.Empty;
                Error(item.Get("operator") ?? item, itemPath + ".operator", $"expected {OperatorList}, found {found}{hint}");
            }

            var values = new List<string>();
            var valueNodes = Seq(item.Get("values"), itemPath + ".values");
            for (var v = 0; v < valueNodes.Count; v++)
            {
                if (LabelString(valueNodes[v], Index(itemPath + ".values", v)) is { } value)
                {
                    values.Add(value);
                }
            }

            // A requirement that could not be read keeps its place, so the entries after it keep their paths; its operator
            // is chosen to agree with its values, so validation adds nothing to the error already reported.
            requirements.Add(new LabelSelectorRequirement(key ?? string.Empty, op ?? (values.Count > 0 ? SelectorOperator.In : SelectorOperator.Exists), values.ToValueList()));
        }

        return new LabelSelector { MatchLabels = matchLabels, MatchExpressions = requirements.ToValueList() };
    }

    private static string SuggestLabels(string text)
    {
        var pairs = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => p.Length == 2 ? $"{p[0].Trim()}: {p[1].Trim()}" : p[0]);
        return string.Join(", ", pairs);
    }

    private PolicyTypes PolicyTypesField(TreeNode? node, string path)
    {
        if (node is ScalarNode { Kind: ScalarKind.String } single)
        {
            Position(path, node);
            Error(node, path, $"expected a list such as [Ingress, Egress], found {single.Describe()} (write [{single.Value}])");
            return PolicyTypes.None;
        }

        var items = Seq(node, path);
        var types = PolicyTypes.None;
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = Index(path, i);
            var text = String(items[i], itemPath, PolicyTypeList);
            switch (text)
            {
                case null:
                    if (items[i] is ScalarNode { Kind: ScalarKind.Null })
                    {
                        Error(items[i], itemPath, $"expected {PolicyTypeList}, found null");
                    }

                    break;
                case "Ingress":
                    types |= PolicyTypes.Ingress;
                    break;
                case "Egress":
                    types |= PolicyTypes.Egress;
                    break;
                default:
                    var hint = text.Equals("ingress", StringComparison.OrdinalIgnoreCase) || text.Equals("egress", StringComparison.OrdinalIgnoreCase)
                        ? " (values are case-sensitive)"
                        : string.Empty;
                    Error(items[i], itemPath, $"expected {PolicyTypeList}, found {Quote(text)}{hint}");
                    break;
            }
        }

        if (items.Count > 2)
        {
            Error(node!, path, $"expected at most two policyTypes, found {items.Count.ToString(CultureInfo.InvariantCulture)}");
        }

        return types;
    }

    private Protocol ProtocolField(TreeNode? node, string path)
    {
        var text = String(node, path, ProtocolList);
        if (text is null)
        {
            return Protocol.Tcp;
        }

        if (ProtocolNames.TryParse(text, out var protocol))
        {
            return protocol;
        }

        var hint = ProtocolNames.TryParseIgnoreCase(text, out var fixedCase) ? $" (protocols are case-sensitive: write {fixedCase.ToKubernetesName()})" : string.Empty;
        Error(node!, path, $"expected {ProtocolList}, found {Quote(text)}{hint}");
        return Protocol.Tcp;
    }

    private IPAddress? Address(TreeNode? node, string path)
    {
        var text = String(node, path);
        if (text is null)
        {
            return null;
        }

        if (IpMath.TryParseAddress(text, out var address))
        {
            return address;
        }

        Error(node!, path, $"expected an IPv4 or IPv6 address, found {Quote(text)}");
        return null;
    }

    private LabelMap Labels(TreeNode? node, string path, bool validateOnly = false)
    {
        if (node is ScalarNode { Kind: ScalarKind.String } scalar && !validateOnly)
        {
            Position(path, node);
            var suggestion = scalar.Value.Contains('=', StringComparison.Ordinal) || scalar.Value.Contains(':', StringComparison.Ordinal)
                ? $"; write {{{SuggestLabels(scalar.Value.Replace(':', '='))}}}, or one key: value per line, indented below"
                : string.Empty;
            Error(node, path, $"expected a mapping of label keys to values, found {scalar.Describe()}{suggestion}");
            return LabelMap.Empty;
        }

        if (Map(node, path, validateOnly ? "a mapping of keys to values" : "a mapping of label keys to values") is not { } map)
        {
            return LabelMap.Empty;
        }

        var pairs = new List<KeyValuePair<string, string>>(map.Entries.Count);
        foreach (var (key, value) in map.Entries)
        {
            var itemPath = path + "." + key.Value;
            if (!validateOnly && Validation.Rules.LabelKey(key.Value) is { } keyProblem)
            {
                // Reported here, at the key itself; the validator's report of it (same path) is then left out.
                Error(key, itemPath, keyProblem);
            }

            if (LabelString(value, itemPath) is { } text)
            {
                pairs.Add(new(key.Value, text));
            }
        }

        return validateOnly ? LabelMap.Empty : LabelMap.From(pairs);
    }

    /// <summary>A label value or selector value: a string; null reads as the empty string, as in Go.</summary>
    private string? LabelString(TreeNode node, string path)
    {
        Position(path, node);
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.String } scalar:
                return scalar.Value;
            case ScalarNode { Kind: ScalarKind.Null }:
                return string.Empty;
            case ScalarNode scalar:
                Error(node, path, $"expected a string, found {scalar.Describe()} (quote it: {Quote(scalar.Value)})");
                return null;
            default:
                Error(node, path, $"expected a string, found {node.Describe()}");
                return null;
        }
    }

    // ---- Primitive readers ----------------------------------------------------------------------------------

    private MappingNode? Map(TreeNode? node, string path, string expected = "a mapping")
    {
        if (node is null)
        {
            return null;
        }

        Position(path, node);
        switch (node)
        {
            case MappingNode map:
                ReportDuplicates(map, path);
                return map;
            case ScalarNode { Kind: ScalarKind.Null }:
                return null;
            default:
                Error(node, path, $"expected {expected}, found {node.Describe()}");
                return null;
        }
    }

    private List<TreeNode> Seq(TreeNode? node, string path)
    {
        if (node is null)
        {
            return [];
        }

        Position(path, node);
        switch (node)
        {
            case SequenceNode sequence:
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    Position(Index(path, i), sequence.Items[i]);
                }

                return sequence.Items;
            case ScalarNode { Kind: ScalarKind.Null }:
                return [];
            default:
                var hint = node is MappingNode ? " (start each entry with '- ')" : string.Empty;
                Error(node, path, $"expected a list, found {node.Describe()}{hint}");
                return [];
        }
    }

    /// <param name="node">The node, or <see langword="null"/> when absent.</param>
    /// <param name="path">The field path.</param>
    /// <param name="expected">For fields with a fixed set of values: what the message says is expected (no hint to
    /// quote the value, which would not make it valid).</param>
    private string? String(TreeNode? node, string path, string? expected = null)
    {
        if (node is null)
        {
            return null;
        }

        Position(path, node);
        switch (node)
        {
            case ScalarNode { Kind: ScalarKind.String } scalar:
                return scalar.Value;
            case ScalarNode { Kind: ScalarKind.Null }:
                return null;
            case ScalarNode scalar when expected is null:
                Error(node, path, $"expected a string, found {scalar.Describe()} (quote it: {Quote(scalar.Value)})");
                return null;
            default:
                Error(node, path, $"expected {expected ?? "a string"}, found {node.Describe()}");
                return null;
        }
    }

    private void ReportDuplicates(MappingNode map, string path)
    {
        if (map.Duplicates is { } duplicates && _strict)
        {
            foreach (var (key, firstLine) in duplicates)
            {
                Error(key, Join(path, key.Value), $"expected each field once, found {Quote(key.Value)} again (first at line {firstLine.ToString(CultureInfo.InvariantCulture)})");
            }
        }
    }

    /// <summary>Whether a field is absent or null (so "found none" is the right thing to say about it).</summary>
    private static bool IsAbsent(TreeNode? node) => node is null or ScalarNode { Kind: ScalarKind.Null };

    /// <summary>Records that the entry at <paramref name="path"/> could not be bound and returns its placeholder.</summary>
    private T Unbound<T>(string path, T placeholder)
    {
        _unbound.Add(path);
        return placeholder;
    }

    private long? Int(TreeNode? node, string path)
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
            case ScalarNode { Kind: ScalarKind.Int or ScalarKind.Float } scalar when IntegerValue(scalar) is { } value:
                return value;
            case ScalarNode { Kind: ScalarKind.String } scalar when long.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out _):
                Error(node, path, $"expected an integer, found {scalar.Describe()} (remove the quotes)");
                return null;
            default:
                Error(node, path, $"expected an integer, found {node.Describe()}");
                return null;
        }
    }

    private bool? Bool(TreeNode? node, string path)
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
            case ScalarNode { Kind: ScalarKind.Bool } scalar:
                return scalar.Value is "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON";
            case ScalarNode { Kind: ScalarKind.String, Value: "true" or "false" } scalar:
                Error(node, path, $"expected true or false, found {scalar.Describe()} (remove the quotes)");
                return null;
            default:
                Error(node, path, $"expected true or false, found {node.Describe()}");
                return null;
        }
    }

    /// <summary>The integer value of an integer scalar, or of a float scalar with an integral value (as JSON allows).</summary>
    private static long? IntegerValue(ScalarNode scalar)
    {
        var text = scalar.Value.Replace("_", string.Empty, StringComparison.Ordinal);
        if (scalar.Kind == ScalarKind.Int && YamlTreeReader.TryParseInteger(text, out var value))
        {
            return value;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && Math.Floor(number) == number && !double.IsInfinity(number))
        {
            // Beyond 2^53 a double no longer holds every integer: say what the text was rather than a rounded value.
            return Math.Abs(number) <= 9_007_199_254_740_992d ? (long)number : null;
        }

        return null;
    }

    // ---- Bookkeeping ----------------------------------------------------------------------------------------

    private void CheckFields(MappingNode map, string path, string[] known)
    {
        for (var i = 0; i < map.Entries.Count; i++)
        {
            var key = map.Entries[i].Key;
            if (Array.IndexOf(known, key.Value) >= 0)
            {
                continue;
            }

            var fieldPath = Join(path, key.Value);
            var message = $"unknown field {Quote(key.Value)}; expected one of: {string.Join(", ", known)}";

            // "podSelector:" with nothing after it, and the selector's lines at the same indentation instead of below.
            var emptyAbove = i > 0 && map.Entries[i - 1] is { Value: ScalarNode { Kind: ScalarKind.Null } } previous
                && Array.IndexOf(known, previous.Key.Value) >= 0 && previous.Key.Line < key.Line
                ? Quote(previous.Key.Value)
                : null;
            // A field NetPolHost knows elsewhere is most likely indented wrongly; a near miss of a field that belongs
            // here is most likely a typo.
            var close = known.Where(k => Distance(k, key.Value) <= Math.Max(1, k.Length / 4)).OrderBy(k => Distance(k, key.Value)).FirstOrDefault();
            if (s_fieldHomes.TryGetValue(key.Value, out var home))
            {
                message += emptyAbove is not null ? $"; {key.Value} belongs in {home}: indent it further than {emptyAbove} just above, which has no value"
                    : close is not null ? $" (did you mean {Quote(close)}? {key.Value} itself belongs in {home}: check the indentation)"
                    : $"; {key.Value} belongs in {home}: check the indentation";
            }
            else if (emptyAbove is not null)
            {
                message += $"; {emptyAbove} just above has no value: if this line belongs to it, indent it further";
            }
            else if (close is not null)
            {
                message += $" (did you mean {Quote(close)}?)";
            }

            Error(key, fieldPath, message);
        }
    }

    /// <summary>The edit distance between two field names, ignoring case; swapping two neighbouring letters
    /// ("lables") counts as one edit.</summary>
    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 3 || a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue;
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = Same(a[i - 1], b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && Same(a[i - 1], b[j - 2]) && Same(a[i - 2], b[j - 1]))
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];

        static bool Same(char x, char y) => char.ToLowerInvariant(x) == char.ToLowerInvariant(y);
    }

    private void AddValidationError(ValidationError error)
    {
        _bindErrorPaths ??= IndexBindErrors();
        if (IsUnbound(error.Path) || HasErrorNear(error.Path))
        {
            return;
        }

        var (line, column) = PositionOf(error.Path);
        _errors.Add((error.Path, line, column, error.Message));
    }

    private void Position(string path, TreeNode node) => _positions.TryAdd(path, (node.Line, node.Column));

    private void Error(TreeNode node, string path, string message) => _errors.Add((path, node.Line, node.Column, message));

    private void Note(TreeNode node, string path, string message) => _notes.Add((node.Line, node.Column, path, message));

    private static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    private static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private static string Quote(string value) => ScalarNode.Quote(value);
}
