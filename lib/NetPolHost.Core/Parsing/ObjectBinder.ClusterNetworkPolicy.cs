using System.Globalization;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Parsing;

/// <content>ClusterNetworkPolicy (<c>policy.networking.k8s.io/v1alpha2</c>), and the v1alpha1 AdminNetworkPolicy and
/// BaselineAdminNetworkPolicy, converted to it: subject, rules, peers (unknown peer fields fail closed), protocols and
/// ports.</content>
internal sealed partial class ObjectBinder
{
    private static readonly string[] s_clusterSpecFields = ["tier", "priority", "subject", "ingress", "egress"];
    private static readonly string[] s_adminSpecFields = ["priority", "subject", "ingress", "egress"];
    private static readonly string[] s_baselineSpecFields = ["subject", "ingress", "egress"];
    private static readonly string[] s_subjectFields = ["namespaces", "pods"];
    private static readonly string[] s_namespacedPodFields = ["namespaceSelector", "podSelector"];
    private static readonly string[] s_allPeerFields = ["namespaces", "pods", "nodes", "networks", "domainNames"];
    private static readonly string[] s_protocolFields = ["tcp", "udp", "sctp", "destinationNamedPort"];
    private static readonly string[] s_destinationPortParentFields = ["destinationPort"];
    private static readonly string[] s_destinationPortFields = ["number", "range"];
    private static readonly string[] s_rangeFields = ["start", "end"];
    private static readonly string[] s_v1Alpha1PortFields = ["portNumber", "namedPort", "portRange"];
    private static readonly string[] s_portNumberFields = ["protocol", "port"];
    private static readonly string[] s_portRangeFields = ["protocol", "start", "end"];

    /// <summary>Where a mapping of a cluster policy is, for the hints of unknown fields.</summary>
    private enum ClusterPlace
    {
        Object,
        Spec,
        Subject,
        Pods,
        Rule,
        Peer,
        PortEntry,
        PortDetail,
    }

    private BoundObject BindClusterPolicy(MappingNode root, string apiVersion, ClusterPolicyKind kind)
    {
        _strict = true;
        CheckApiVersion(root, apiVersion, kind.ApiVersion, kind.Kind);
        CheckClusterFields(root, string.Empty, s_objectFields, kind, ClusterPlace.Object);
        var (name, _, labels) = Metadata(root, requireNamespace: false);
        if (root.Get("metadata") is MappingNode metadata && metadata.Get("namespace") is { } namespaceNode
            && String(namespaceNode, "metadata.namespace") is { Length: > 0 } ns)
        {
            Error(namespaceNode, "metadata.namespace", $"expected no namespace ({kind.Kind} is cluster-scoped), found {Quote(ns)}");
        }

        var policy = new ClusterNetworkPolicy
        {
            SourceKind = kind.Kind,
            Name = name,
            Tier = kind.FixedTier ?? PolicyTier.Admin,
            Subject = new ClusterPolicySubject(),
        };
        var specNode = root.Get("spec");
        if (Map(specNode, "spec") is { } spec)
        {
            CheckClusterFields(spec, "spec", kind.IsV1Alpha1 ? kind.HasPriority ? s_adminSpecFields : s_baselineSpecFields : s_clusterSpecFields, kind, ClusterPlace.Spec);
            policy = policy with
            {
                Tier = kind.FixedTier ?? TierField(spec),
                Priority = kind.HasPriority ? PriorityField(spec) : 0,
                Subject = SubjectField(spec, kind),
                Ingress = ClusterRules(spec.Get("ingress"), "spec.ingress", Direction.Ingress, kind),
                Egress = ClusterRules(spec.Get("egress"), "spec.egress", Direction.Egress, kind),
            };
        }
        else if (IsAbsent(specNode))
        {
            var required = kind.IsV1Alpha1 ? kind.HasPriority ? "priority and subject" : "subject" : "tier, priority and subject";
            Error(specNode ?? root, "spec", $"expected a spec with {required}, found none");
        }

        foreach (var error in PolicyValidator.Validate(policy))
        {
            AddValidationError(error);
        }

        foreach (var (key, value) in labels)
        {
            if (Validation.Rules.LabelValue(value) is { } problem)
            {
                AddValidationError(new ValidationError("metadata.labels." + key, problem));
            }
        }

        return new BoundObject(kind.Kind, $"{kind.Kind} {name}", _errors.Count == 0 ? policy : null, root.Line, root.Column);
    }

    private PolicyTier TierField(MappingNode spec)
    {
        const string Expected = "one of \"Admin\", \"Baseline\"";
        var node = spec.Get("tier");
        switch (String(node, "spec.tier", Expected))
        {
            case "Admin":
                return PolicyTier.Admin;
            case "Baseline":
                return PolicyTier.Baseline;
            case null:
                if (IsAbsent(node))
                {
                    Error(node ?? spec, "spec.tier", $"expected {Expected}, found none");
                }

                return PolicyTier.Admin;
            case var text:
                var hint = text.Equals("Admin", StringComparison.OrdinalIgnoreCase) || text.Equals("Baseline", StringComparison.OrdinalIgnoreCase)
                    ? " (values are case-sensitive)"
                    : string.Empty;
                Error(node!, "spec.tier", $"expected {Expected}, found {Quote(text)}{hint}");
                return PolicyTier.Admin;
        }
    }

    private int PriorityField(MappingNode spec)
    {
        var node = spec.Get("priority");
        var value = Int(node, "spec.priority");
        if (value is null)
        {
            if (IsAbsent(node))
            {
                Error(node ?? spec, "spec.priority", "expected a priority between 0 and 1000, found none");
            }

            return 0;
        }

        if (value is < int.MinValue or > int.MaxValue)
        {
            Error(node!, "spec.priority", PolicyValidator.PriorityProblem(value.Value));
            return 0;
        }

        return (int)value.Value;
    }

    private ClusterPolicySubject SubjectField(MappingNode spec, ClusterPolicyKind kind)
    {
        const string Path = "spec.subject";
        if (Map(spec.Get("subject"), Path, "a subject (a mapping with namespaces or pods)") is not { } map)
        {
            return new ClusterPolicySubject();
        }

        CheckClusterFields(map, Path, s_subjectFields, kind, ClusterPlace.Subject);
        var subject = new ClusterPolicySubject
        {
            Namespaces = Selector(map.Get("namespaces"), Path + ".namespaces"),
            Pods = NamespacedPods(map.Get("pods"), Path + ".pods", kind),
        };
        if (subject.Namespaces is null && subject.Pods is null)
        {
            ReportNullFields(map, Path, s_subjectFields, kind);
        }

        return subject;
    }

    private NamespacedPodSelector? NamespacedPods(TreeNode? node, string path, ClusterPolicyKind kind)
    {
        if (Map(node, path, "a mapping with namespaceSelector and podSelector") is not { } map)
        {
            return null;
        }

        CheckClusterFields(map, path, s_namespacedPodFields, kind, ClusterPlace.Pods);
        var namespaceNode = map.Get("namespaceSelector");
        var podNode = map.Get("podSelector");
        var namespaces = Selector(namespaceNode, path + ".namespaceSelector");
        var pods = Selector(podNode, path + ".podSelector");
        if (kind.IsV1Alpha1 && IsAbsent(namespaceNode))
        {
            Error(namespaceNode ?? map, path + ".namespaceSelector", "expected a namespaceSelector (a label selector; {} selects every namespace), found none");
        }

        if (IsAbsent(podNode))
        {
            Error(podNode ?? map, path + ".podSelector", "expected a podSelector (a label selector; {} selects every pod), found none");
        }

        return new NamespacedPodSelector(namespaces ?? LabelSelector.Everything, pods ?? LabelSelector.Everything);
    }

    private ValueList<ClusterNetworkPolicyRule> ClusterRules(TreeNode? node, string path, Direction direction, ClusterPolicyKind kind)
    {
        var peersField = direction == Direction.Ingress ? "from" : "to";
        string[] fields = ["name", "action", peersField, kind.PortsField];
        var items = Seq(node, path);
        var rules = new List<ClusterNetworkPolicyRule>(items.Count);
        for (var r = 0; r < items.Count; r++)
        {
            var rulePath = Index(path, r);
            if (Map(items[r], rulePath) is not { } map)
            {
                if (IsAbsent(items[r]))
                {
                    Error(items[r], rulePath, $"expected a rule (a mapping with action and {peersField}), found null");
                }

                rules.Add(Unbound(rulePath, new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Deny }));
                continue;
            }

            CheckClusterFields(map, rulePath, fields, kind, ClusterPlace.Rule);
            var name = String(map.Get("name"), rulePath + ".name");
            var action = ActionField(map, rulePath + ".action", kind);
            var peers = ClusterPeers(map.Get(peersField), rulePath + "." + peersField, direction, kind, action);
            var ports = kind.IsV1Alpha1
                ? ClusterPorts(map.Get("ports"), rulePath + ".ports", kind, V1Alpha1Port)
                : ClusterPorts(map.Get("protocols"), rulePath + ".protocols", kind, ProtocolEntry);
            rules.Add(new ClusterNetworkPolicyRule
            {
                Name = string.IsNullOrEmpty(name) ? null : name,
                Action = action ?? ClusterPolicyAction.Deny,
                Peers = peers,
                Protocols = ports,
            });
        }

        return rules.ToValueList();
    }

    private ClusterPolicyAction? ActionField(MappingNode rule, string path, ClusterPolicyKind kind)
    {
        var node = rule.Get("action");
        var text = String(node, path, kind.ActionList);
        if (text is null)
        {
            if (IsAbsent(node))
            {
                Error(node ?? rule, path, $"expected {kind.ActionList}, found none");
            }

            return null;
        }

        if (kind.TryParseAction(text, out var action))
        {
            return action;
        }

        var hint = kind.Actions.Any(a => kind.ActionName(a).Equals(text, StringComparison.OrdinalIgnoreCase)) ? " (values are case-sensitive)"
            : text == "Allow" && !kind.IsV1Alpha1 ? " (a ClusterNetworkPolicy says Accept; Allow is the v1alpha1 spelling)"
            : text == "Accept" && kind.IsV1Alpha1 ? $" (a {kind.Kind} says Allow; Accept is the ClusterNetworkPolicy spelling)"
            : text == "Pass" ? $" (a {kind.Kind} is the last tier: there is nothing to pass to)"
            : string.Empty;
        Error(node!, path, $"expected {kind.ActionList}, found {Quote(text)}{hint}");
        return null;
    }

    private ValueList<ClusterPolicyPeer> ClusterPeers(TreeNode? node, string path, Direction direction, ClusterPolicyKind kind, ClusterPolicyAction? action)
    {
        var items = Seq(node, path);
        var peers = new List<ClusterPolicyPeer>(items.Count);
        for (var p = 0; p < items.Count; p++)
        {
            var peerPath = Index(path, p);
            if (IsAbsent(items[p]))
            {
                // "- " with nothing after it: an empty peer, which validation reports.
                peers.Add(new ClusterPolicyPeer());
                continue;
            }

            var expected = $"a peer (a mapping with one of {ClusterPolicyKind.OrList(kind.PeerFields(direction))})";
            peers.Add(Map(items[p], peerPath, expected) is { } map
                ? ClusterPeer(map, peerPath, direction, kind, action)
                : Unbound(peerPath, new ClusterPolicyPeer()));
        }

        return peers.ToValueList();
    }

    private ClusterPolicyPeer ClusterPeer(MappingNode map, string path, Direction direction, ClusterPolicyKind kind, ClusterPolicyAction? action)
    {
        var allowed = kind.PeerFields(direction);
        var unknown = new List<string>();
        for (var i = 0; i < map.Entries.Count; i++)
        {
            var key = map.Entries[i].Key;
            if (Array.IndexOf(s_allPeerFields, key.Value) >= 0)
            {
                // Known peer types in the wrong direction or kind are bound, and validation says where they belong.
                continue;
            }

            var fieldPath = Join(path, key.Value);
            var known = $"unknown field {Quote(key.Value)}; expected one of: {string.Join(", ", allowed)}";
            if (ClusterFieldHint(ClusterPlace.Peer, key.Value, kind) is { } hint)
            {
                Error(key, fieldPath, $"{known}; {hint}");
            }
            else if (Closest(s_allPeerFields, key.Value) is { } close)
            {
                // A near miss is a typo, not a peer type of a newer API: failing closed would hide it.
                Error(key, fieldPath, $"{known} (did you mean {Quote(close)}?)");
            }
            else
            {
                unknown.Add(key.Value);
                Note(key, fieldPath, FailClosed(key.Value, direction, kind, action));
            }
        }

        var peer = new ClusterPolicyPeer
        {
            Namespaces = Selector(map.Get("namespaces"), path + ".namespaces"),
            Pods = NamespacedPods(map.Get("pods"), path + ".pods", kind),
            Nodes = Selector(map.Get("nodes"), path + ".nodes"),
            Networks = Networks(map.Get("networks"), path + ".networks"),
            DomainNames = DomainNames(map.Get("domainNames"), path + ".domainNames"),
            UnknownFields = unknown.Order(StringComparer.Ordinal).ToValueList(),
        };
        if (peer.IsUnknown && peer.UnknownFields.IsEmpty)
        {
            ReportNullFields(map, path, allowed, kind);
        }

        return peer;
    }

    /// <summary>The note for a peer field of a newer API version: the peer fails closed, as the API asks.</summary>
    private static string FailClosed(string field, Direction direction, ClusterPolicyKind kind, ClusterPolicyAction? action)
    {
        var other = direction == Direction.Ingress ? "source" : "destination";
        var accept = kind.ActionName(ClusterPolicyAction.Accept);
        var effect = action switch
        {
            ClusterPolicyAction.Accept => $"for this {accept} rule it matches nothing",
            ClusterPolicyAction.Deny or ClusterPolicyAction.Pass => $"for this {kind.ActionName(action.Value)} rule it matches every {other}",
            _ => $"it matches nothing for {accept} and every {other} for Deny and Pass",
        };
        return $"unknown peer field {Quote(field)}, perhaps a peer type of a newer API version: the peer fails closed ({effect})";
    }

    /// <summary>A subject or peer whose only known fields are null: "namespaces:" with its selector not indented below.</summary>
    private void ReportNullFields(MappingNode map, string path, string[] fields, ClusterPolicyKind kind)
    {
        var nullField = map.Entries.FirstOrDefault(e => e.Value is ScalarNode { Kind: ScalarKind.Null } && Array.IndexOf(fields, e.Key.Value) >= 0).Key?.Value;
        if (nullField is null || map.Entries.Any(e => e.Value is not ScalarNode { Kind: ScalarKind.Null } && Array.IndexOf(s_allPeerFields, e.Key.Value) >= 0))
        {
            return;
        }

        var write = nullField switch
        {
            "namespaces" => "write namespaces: {} to select every namespace",
            "nodes" => "write nodes: {} to select every node",
            "pods" => kind.IsV1Alpha1
                ? "write pods: {namespaceSelector: {}, podSelector: {}} to select every pod"
                : "write pods: {podSelector: {}} to select every pod",
            _ => $"list at least one entry in {nullField}",
        };
        Error(map, path, $"expected exactly one of {ClusterPolicyKind.OrList(fields)}, found {nullField} with no value (null); {write}, or check the indentation of the lines below it");
    }

    private ValueList<Cidr> Networks(TreeNode? node, string path)
    {
        var items = Seq(node, path);
        if (node is SequenceNode && items.Count == 0)
        {
            Error(node, path, "expected 1 to 25 networks, found none");
        }

        var networks = new List<Cidr>(items.Count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = Index(path, i);
            var text = String(items[i], itemPath, CidrExample);
            string? problem = null;
            var cidr = default(Cidr);
            if (text is null)
            {
                problem = IsAbsent(items[i]) ? $"expected {CidrExample}, found null" : null;
            }
            else if (text.EnumerateRunes().Count() is var length && length > ClusterPolicyKind.MaxCidrLength)
            {
                problem = $"expected a CIDR of at most 43 characters, found {length.ToString(CultureInfo.InvariantCulture)} characters ({Quote(text)})";
            }
            else if (!Cidr.TryParse(text, out cidr))
            {
                problem = $"expected {CidrExample}, found {Quote(text)}{Hints.Cidr(text)}";
            }
            else if (seen.TryGetValue(text, out var first))
            {
                problem = $"expected each network once, found {Quote(text)} again (first at networks[{first.ToString(CultureInfo.InvariantCulture)}])";
            }

            if (text is null || problem is not null)
            {
                if (problem is not null)
                {
                    Error(items[i], itemPath, problem);
                }

                networks.Add(Unbound(itemPath, cidr));
                continue;
            }

            seen[text] = i;
            networks.Add(cidr);
        }

        return networks.ToValueList();
    }

    private ValueList<string> DomainNames(TreeNode? node, string path)
    {
        var items = Seq(node, path);
        if (node is SequenceNode && items.Count == 0)
        {
            Error(node, path, "expected 1 to 25 domain names, found none");
        }

        var names = new List<string>(items.Count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = Index(path, i);
            var text = String(items[i], itemPath);
            if (text is null)
            {
                if (IsAbsent(items[i]))
                {
                    Error(items[i], itemPath, "expected a domain name such as example.com or *.example.com, found null");
                }

                names.Add(Unbound(itemPath, string.Empty));
                continue;
            }

            if (seen.TryGetValue(text, out var first))
            {
                Error(items[i], itemPath, $"expected each domain name once, found {Quote(text)} again (first at domainNames[{first.ToString(CultureInfo.InvariantCulture)}])");
                names.Add(Unbound(itemPath, text));
                continue;
            }

            seen[text] = i;
            names.Add(text);
        }

        return names.ToValueList();
    }

    /// <summary>Reads <c>protocols</c> (v1alpha2) or <c>ports</c> (v1alpha1). An entry with an error keeps its place
    /// and is left out of validation: the binder has said what is wrong with it.</summary>
    private ValueList<ClusterPolicyPort> ClusterPorts(TreeNode? node, string path, ClusterPolicyKind kind, Func<TreeNode, string, ClusterPolicyKind, ClusterPolicyPort?> entry)
    {
        var items = Seq(node, path);
        if (node is SequenceNode && items.Count == 0)
        {
            var leaveOut = kind.IsV1Alpha1 ? "leave ports out to match every port" : "leave protocols out to match every protocol and port";
            Error(node, path, $"expected 1 to {kind.MaxPorts.ToString(CultureInfo.InvariantCulture)} {kind.PortsField}, found none ({leaveOut})");
        }

        var ports = new List<ClusterPolicyPort>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = Index(path, i);
            var errorsBefore = _errors.Count;
            var port = entry(items[i], itemPath, kind);
            ports.Add(port is not null && _errors.Count == errorsBefore ? port : Unbound(itemPath, port ?? new ClusterPolicyPort()));
        }

        return ports.ToValueList();
    }

    /// <summary>One entry of <c>protocols</c>: <c>tcp</c>, <c>udp</c> or <c>sctp</c> with a destinationPort (a number
    /// or a range), or <c>destinationNamedPort</c>.</summary>
    private ClusterPolicyPort? ProtocolEntry(TreeNode node, string path, ClusterPolicyKind kind)
    {
        if (ExactlyOneField(node, path, s_protocolFields, kind, "entries") is not ({ } map, { } field))
        {
            return null;
        }

        var fieldPath = path + "." + field;
        var value = map.Get(field)!;
        if (field == "destinationNamedPort")
        {
            var name = String(value, fieldPath);
            if (name is null && IsAbsent(value))
            {
                Error(value, fieldPath, "expected the name of a container port, found none");
            }

            return name is null ? null : new ClusterPolicyPort { NamedPort = name };
        }

        var protocol = field switch
        {
            "tcp" => Protocol.Tcp,
            "udp" => Protocol.Udp,
            _ => Protocol.Sctp,
        };
        const string NoPort = "expected a destinationPort (a number or a range), found none";
        var portPath = fieldPath + ".destinationPort";
        if (Map(value, fieldPath) is not { } protocolMap)
        {
            if (IsAbsent(value))
            {
                Error(value, portPath, NoPort);
            }

            return null;
        }

        CheckClusterFields(protocolMap, fieldPath, s_destinationPortParentFields, kind, ClusterPlace.PortDetail);
        var portNode = protocolMap.Get("destinationPort");
        if (portNode is null && protocolMap.Entries.Count > 0)
        {
            return null;
        }

        if (IsAbsent(portNode))
        {
            Error(portNode ?? protocolMap, portPath, NoPort);
            return null;
        }

        if (ExactlyOneField(portNode!, portPath, s_destinationPortFields, kind, null) is not ({ } destination, { } choice))
        {
            return null;
        }

        if (choice == "number")
        {
            return PortValue(destination.Get("number"), portPath + ".number", destination, "a port number") is { } number
                ? new ClusterPolicyPort { Protocol = protocol, Port = number, EndPort = number }
                : null;
        }

        var rangePath = portPath + ".range";
        var rangeNode = destination.Get("range");
        if (Map(rangeNode, rangePath, "a range (a mapping with start and end)") is not { } range)
        {
            if (IsAbsent(rangeNode))
            {
                Error(rangeNode!, rangePath, "expected a range with start and end, found none");
            }

            return null;
        }

        CheckClusterFields(range, rangePath, s_rangeFields, kind, ClusterPlace.PortDetail);
        var start = PortValue(range.Get("start"), rangePath + ".start", range, "a start port");
        var end = PortValue(range.Get("end"), rangePath + ".end", range, "an end port");
        if (start is not { } first || end is not { } last)
        {
            return null;
        }

        if (first >= last)
        {
            Error(range, rangePath, PolicyValidator.RangeProblem(first, last, v1Alpha1: false));
            return null;
        }

        return new ClusterPolicyPort { Protocol = protocol, Port = first, EndPort = last };
    }

    /// <summary>One entry of v1alpha1 <c>ports</c>: <c>portNumber</c> {protocol, port}, <c>portRange</c> {protocol,
    /// start, end} (protocol defaults to TCP) or <c>namedPort</c>.</summary>
    private ClusterPolicyPort? V1Alpha1Port(TreeNode node, string path, ClusterPolicyKind kind)
    {
        if (ExactlyOneField(node, path, s_v1Alpha1PortFields, kind, "entries") is not ({ } map, { } field))
        {
            return null;
        }

        var fieldPath = path + "." + field;
        var value = map.Get(field)!;
        if (field == "namedPort")
        {
            var name = String(value, fieldPath);
            if (name is null && IsAbsent(value))
            {
                Error(value, fieldPath, "expected the name of a container port, found none");
            }

            return name is null ? null : new ClusterPolicyPort { NamedPort = name };
        }

        var isNumber = field == "portNumber";
        var expected = isNumber ? "a portNumber (a mapping with protocol and port)" : "a portRange (a mapping with protocol, start and end)";
        if (Map(value, fieldPath, expected) is not { } detail)
        {
            if (IsAbsent(value))
            {
                Error(value, fieldPath, $"expected {expected}, found none");
            }

            return null;
        }

        CheckClusterFields(detail, fieldPath, isNumber ? s_portNumberFields : s_portRangeFields, kind, ClusterPlace.PortDetail);
        var protocol = ProtocolField(detail.Get("protocol"), fieldPath + ".protocol");
        if (isNumber)
        {
            return PortValue(detail.Get("port"), fieldPath + ".port", detail, "a port number") is { } number
                ? new ClusterPolicyPort { Protocol = protocol, Port = number, EndPort = number }
                : null;
        }

        var start = PortValue(detail.Get("start"), fieldPath + ".start", detail, "a start port");
        var end = PortValue(detail.Get("end"), fieldPath + ".end", detail, "an end port");
        if (start is not { } first || end is not { } last)
        {
            return null;
        }

        if (first > last)
        {
            Error(detail, fieldPath, PolicyValidator.RangeProblem(first, last, v1Alpha1: true));
            return null;
        }

        return new ClusterPolicyPort { Protocol = protocol, Port = first, EndPort = last };
    }

    /// <summary>A mapping that sets exactly one of <paramref name="fields"/> (the API's MinProperties=1 and
    /// MaxProperties=1), and that field; or <see langword="null"/> after reporting why not.</summary>
    /// <param name="node">The node.</param>
    /// <param name="path">Its path.</param>
    /// <param name="fields">The fields.</param>
    /// <param name="kind">The kind.</param>
    /// <param name="separate">What several of them should become ("entries"), or <see langword="null"/>.</param>
    private (MappingNode Map, string Field)? ExactlyOneField(TreeNode node, string path, string[] fields, ClusterPolicyKind kind, string? separate)
    {
        var choices = ClusterPolicyKind.OrList(fields);
        if (Map(node, path, "a mapping with exactly one of " + choices) is not { } map)
        {
            if (IsAbsent(node))
            {
                Error(node, path, $"expected exactly one of {choices}, found null");
            }

            return null;
        }

        CheckClusterFields(map, path, fields, kind, separate is null ? ClusterPlace.PortDetail : ClusterPlace.PortEntry);
        var present = fields.Where(f => map.Get(f) is not null).ToList();
        if (present.Count == 1)
        {
            return (map, present[0]);
        }

        if (present.Count > 1)
        {
            var advice = separate is null ? string.Empty : $" (make them separate {separate})";
            Error(map, path, $"expected exactly one of {choices}, found {ClusterPolicyKind.AndList(present)}{advice}");
        }
        else if (map.Entries.Count == 0)
        {
            Error(map, path, $"expected exactly one of {choices}, found none");
        }

        return null;
    }

    private int? PortValue(TreeNode? node, string path, MappingNode parent, string what)
    {
        var value = Int(node, path);
        if (value is null)
        {
            if (IsAbsent(node))
            {
                Error(node ?? parent, path, $"expected {what} between 1 and 65535, found none");
            }

            return null;
        }

        if (Validation.Rules.PortNumber(value.Value) is { } problem)
        {
            Error(node!, path, problem);
            return null;
        }

        return (int)value.Value;
    }

    // ---- Unknown fields -------------------------------------------------------------------------------------

    /// <summary>As <see cref="CheckFields"/>, with hints for fields of NetworkPolicy or of the other API version, which
    /// people write in cluster policies by habit.</summary>
    private void CheckClusterFields(MappingNode map, string path, string[] known, ClusterPolicyKind kind, ClusterPlace place)
    {
        for (var i = 0; i < map.Entries.Count; i++)
        {
            var key = map.Entries[i].Key;
            if (Array.IndexOf(known, key.Value) >= 0)
            {
                continue;
            }

            var fieldPath = Join(path, key.Value);
            if (ClusterFieldHint(place, key.Value, kind) is not { } hint)
            {
                Error(key, fieldPath, Hints.UnknownField(map, i, known));
                continue;
            }

            var close = Closest(known, key.Value);
            var message = $"unknown field {Quote(key.Value)}; expected one of: {string.Join(", ", known)}";
            Error(key, fieldPath, close is null ? $"{message}; {hint}" : $"{message} (did you mean {Quote(close)}?); {hint}");
        }
    }

    /// <summary>The field of <paramref name="known"/> that <paramref name="field"/> is a near miss of, or null.</summary>
    private static string? Closest(string[] known, string field) =>
        known.Where(k => Hints.Distance(k, field) <= Math.Max(1, k.Length / 4)).OrderBy(k => Hints.Distance(k, field)).FirstOrDefault();

    /// <summary>Where a field found in the wrong place of a cluster policy belongs, or what to write instead.</summary>
    private static string? ClusterFieldHint(ClusterPlace place, string field, ClusterPolicyKind kind) => field switch
    {
        "tier" when kind.FixedTier is { } tier => $"a {kind.Kind} has no tier: it is the {tier} tier",
        "priority" when !kind.HasPriority => $"a {kind.Kind} has no priority: there is one per cluster",
        "tier" or "priority" or "subject" when place != ClusterPlace.Spec => $"{field} belongs in spec: check the indentation",
        "policyTypes" => $"a {kind.Kind} has no policyTypes: it affects the directions it has rules for",
        "podSelector" or "namespaceSelector" when place is ClusterPlace.Spec or ClusterPlace.Subject =>
            $"a {kind.Kind} selects its pods with subject: namespaces (a namespace selector) or pods (namespaceSelector and podSelector)",
        "podSelector" or "namespaceSelector" when place == ClusterPlace.Peer =>
            "a peer selects pods with pods (namespaceSelector and podSelector), or every pod of some namespaces with namespaces (a namespace selector)",
        "podSelector" or "namespaceSelector" => $"{field} belongs in pods (of the subject or of a peer): check the indentation",
        "ipBlock" => "a peer names address blocks with networks: [CIDR, ...] (in egress rules)",
        "cidr" or "except" => "networks lists CIDRs directly and has no except (an earlier rule can Pass or Accept a block inside)",
        "ports" when !kind.IsV1Alpha1 && place == ClusterPlace.Rule =>
            "a ClusterNetworkPolicy rule names ports with protocols, e.g. [{tcp: {destinationPort: {number: 80}}}] (ports is the v1alpha1 field)",
        "protocols" when kind.IsV1Alpha1 && place == ClusterPlace.Rule =>
            $"a {kind.Kind} rule names ports with ports, e.g. [{{portNumber: {{protocol: TCP, port: 80}}}}] (protocols is the ClusterNetworkPolicy field)",
        "port" or "endPort" or "protocol" when !kind.IsV1Alpha1 =>
            "a protocols entry is tcp, udp or sctp with destinationPort (number, or range with start and end), or destinationNamedPort",
        "port" or "endPort" or "protocol" when place != ClusterPlace.PortDetail =>
            "a ports entry is portNumber (protocol and port), portRange (protocol, start and end) or namedPort",
        "matchLabels" or "matchExpressions" => $"{field} belongs in a label selector (namespaces, nodes, namespaceSelector or podSelector): check the indentation",
        "action" when place != ClusterPlace.Rule => "action belongs in an ingress or egress rule: check the indentation",
        "namespaces" or "pods" when place != ClusterPlace.Peer => $"{field} belongs in the subject or in a from/to peer: check the indentation",
        "nodes" or "networks" or "domainNames" => $"{field} belongs in an egress peer (to): check the indentation",
        "tcp" or "udp" or "sctp" or "destinationNamedPort" when !kind.IsV1Alpha1 => $"{field} belongs in a protocols entry: check the indentation",
        "portNumber" or "portRange" or "namedPort" when kind.IsV1Alpha1 => $"{field} belongs in a ports entry: check the indentation",
        "destinationPort" when !kind.IsV1Alpha1 => "destinationPort belongs in tcp, udp or sctp: check the indentation",
        "tcp" or "udp" or "sctp" or "destinationNamedPort" or "destinationPort" =>
            $"a ports entry is portNumber (protocol and port), portRange (protocol, start and end) or namedPort ({field} is ClusterNetworkPolicy syntax)",
        "number" or "range" when !kind.IsV1Alpha1 => $"{field} belongs in a destinationPort: check the indentation",
        "start" or "end" => kind.IsV1Alpha1 ? $"{field} belongs in a portRange: check the indentation" : $"{field} belongs in a range: check the indentation",
        _ => null,
    };
}
