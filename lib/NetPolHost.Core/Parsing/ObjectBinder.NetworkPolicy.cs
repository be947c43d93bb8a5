using System.Globalization;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Parsing;

/// <content>NetworkPolicy: spec, rules, ports, peers, ipBlocks, label selectors and policy types.</content>
internal sealed partial class ObjectBinder
{
    private static readonly string[] s_specFields = ["podSelector", "policyTypes", "ingress", "egress"];
    private static readonly string[] s_ingressRuleFields = ["from", "ports"];
    private static readonly string[] s_egressRuleFields = ["to", "ports"];
    private static readonly string[] s_peerFields = ["podSelector", "namespaceSelector", "ipBlock"];
    private static readonly string[] s_ipBlockFields = ["cidr", "except"];
    private static readonly string[] s_portFields = ["port", "endPort", "protocol"];
    private static readonly string[] s_selectorFields = ["matchLabels", "matchExpressions"];
    private static readonly string[] s_requirementFields = ["key", "operator", "values"];

    private const string OperatorList = "one of \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"";
    private const string PolicyTypeList = "one of \"Ingress\", \"Egress\"";
    private const string CidrExample = "a CIDR such as 10.9.8.0/24 or 2001:db8::/64";

    private BoundObject BindPolicy(MappingNode root, string apiVersion)
    {
        _strict = true;
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

        Error(node!, path, $"expected {CidrExample}, found {Quote(text)}{Hints.Cidr(text)}");
        return null;
    }

    private LabelSelector? Selector(TreeNode? node, string path)
    {
        if (node is ScalarNode { Kind: ScalarKind.String } scalar && scalar.Value.Contains('=', StringComparison.Ordinal))
        {
            Position(path, node);
            Error(node, path, $"expected a label selector (a mapping with matchLabels and/or matchExpressions), found {scalar.Describe()}; write matchLabels: {{{Hints.Labels(scalar.Value)}}}");
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
                var hint = operatorText is null ? string.Empty : Hints.OperatorCase(operatorText);
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
                    Error(items[i], itemPath, $"expected {PolicyTypeList}, found {Quote(text)}{Hints.PolicyTypeCase(text)}");
                    break;
            }
        }

        if (items.Count > 2)
        {
            Error(node!, path, $"expected at most two policyTypes, found {items.Count.ToString(CultureInfo.InvariantCulture)}");
        }

        return types;
    }
}
