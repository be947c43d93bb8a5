using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>
/// The seed scenario of issue 2 (<see cref="Manifests.SeedScenario"/>, 38 lines), and the broken variants people paste:
/// lost indentation, and <c>matchLabels: app=web-server</c>.
/// </summary>
public sealed partial class ManifestLoaderTests
{
    private const string TopLevelFields = "expected one of: apiVersion, kind, metadata, spec, status";

    [Fact]
    public void SeedScenario_LoadsAndValidates()
    {
        var result = Manifests.Load(Manifests.SeedScenario);

        LoadAssert.Valid(result);
        Assert.Empty(result.Notes);
        var expected = ClusterSnapshot.Create(
            namespaces: [new Model.Namespace { Name = "production", Labels = LabelMap.Of("role", "production", Model.Namespace.NameLabel, "production") }],
            policies:
            [
                new NetworkPolicy { Name = "no-inbound-traffic", Namespace = "production", PolicyTypes = PolicyTypes.Ingress },
                new NetworkPolicy
                {
                    Name = "allow-same-namespace-traffic",
                    Namespace = "production",
                    PolicyTypes = PolicyTypes.Ingress,
                    Ingress = [new NetworkPolicyRule { Peers = [new NetworkPolicyPeer { NamespaceSelector = LabelSelector.ForLabels("role", "production") }] }],
                },
                new NetworkPolicy
                {
                    Name = "allow-port-8000",
                    Namespace = "production",
                    PolicyTypes = PolicyTypes.Ingress,
                    PodSelector = LabelSelector.ForLabels("app", "web-server"),
                    Ingress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Port = 8000, Protocol = Protocol.Tcp }] }],
                },
                new NetworkPolicy
                {
                    Name = "disable-aws-metadata",
                    Namespace = "production",
                    PolicyTypes = PolicyTypes.Egress,
                    Egress = [new NetworkPolicyRule { Peers = [new NetworkPolicyPeer { IPBlock = new IPBlock(Cidr.Parse("0.0.0.0/0"), [Cidr.Parse("169.254.169.254/32")]) }] }],
                },
            ]);
        Assert.Equal(expected, result.Snapshot);

        var metadataBlock = result.Snapshot.Policies.Single(p => p.Name == "disable-aws-metadata").Egress[0].Peers[0].IPBlock!;
        Assert.False(metadataBlock.Contains(IPAddress.Parse("169.254.169.254")));
        Assert.True(metadataBlock.Contains(IPAddress.Parse("169.254.169.253")));
    }

    [Fact]
    public void SeedScenario_Json_EqualsTheYaml()
    {
        var json = NetPolHost.Parsing.ManifestLoader.LoadText("""
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "production", "labels": {"role": "production"}}},
              {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "no-inbound-traffic", "namespace": "production"},
               "spec": {"policyTypes": ["Ingress"], "podSelector": {"matchLabels": {}}}},
              {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "allow-same-namespace-traffic", "namespace": "production"},
               "spec": {"policyTypes": ["Ingress"], "podSelector": {"matchLabels": {}}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"role": "production"}}}]}]}},
              {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "allow-port-8000", "namespace": "production"},
               "spec": {"policyTypes": ["Ingress"], "podSelector": {"matchLabels": {"app": "web-server"}}, "ingress": [{"ports": [{"port": 8000}]}]}},
              {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "disable-aws-metadata", "namespace": "production"},
               "spec": {"policyTypes": ["Egress"], "podSelector": {"matchLabels": {}}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]}]}}
            ]}
            """, "seed.json");

        LoadAssert.Valid(json);
        Assert.Equal(Manifests.Load(Manifests.SeedScenario).Snapshot, json.Snapshot);
    }

    [Fact]
    public void SeedScenario_SpecContentAtColumnZero_PointsAtEachLine()
    {
        var text = Manifests.SeedScenario.Replace(
            """
            spec:
              policyTypes: [Ingress]
              podSelector: {matchLabels: {}}
              ingress:
              - from:
                - namespaceSelector: {matchLabels: {role: production}}
            """,
            """
            spec:
            policyTypes: [Ingress]
            podSelector: {matchLabels: {}}
            ingress:
            - from:
              - namespaceSelector: {matchLabels: {role: production}}
            """,
            StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(
            result,
            $"test.yaml:14:1: policyTypes: unknown field \"policyTypes\"; {TopLevelFields}; policyTypes belongs in spec: indent it further than \"spec\" just above, which has no value",
            $"test.yaml:15:1: podSelector: unknown field \"podSelector\"; {TopLevelFields}; podSelector belongs in spec, or a from/to peer: check the indentation",
            $"test.yaml:16:1: ingress: unknown field \"ingress\"; {TopLevelFields}; ingress belongs in spec: check the indentation");
        Assert.Equal("NetworkPolicy production/allow-same-namespace-traffic", result.Errors[0].Object);
        Assert.Equal(3, result.Snapshot.Policies.Count);
    }

    [Fact]
    public void SeedScenario_RulesAtColumnZero_IsAYamlErrorAtTheRule_AndTheOtherDocumentsStillLoad()
    {
        var text = Manifests.SeedScenario.Replace("  - ports:\n    - port: 8000\n", "- ports:\n  - port: 8000\n", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:27:1: invalid YAML: while parsing a block mapping, did not find expected key (check the indentation of this line and the one above it)");
        Assert.Equal(["allow-same-namespace-traffic", "disable-aws-metadata", "no-inbound-traffic"], result.Snapshot.Policies.Select(p => p.Name).ToArray());
        Assert.Single(result.Snapshot.Namespaces);
    }

    [Fact]
    public void SeedScenario_PortEntryAtTheRuleIndentation_PointsAtThePort()
    {
        var text = Manifests.SeedScenario.Replace("  - ports:\n    - port: 8000\n", "  - ports:\n  - port: 8000\n", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:28:5: spec.ingress[1].port: unknown field \"port\"; expected one of: from, ports (did you mean \"ports\"? port itself belongs in a ports entry: check the indentation)");
    }

    [Fact]
    public void SeedScenario_PortWithoutDash_PointsAtThePort()
    {
        var text = Manifests.SeedScenario.Replace("  - ports:\n    - port: 8000\n", "  - ports:\n    port: 8000\n", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:28:5: spec.ingress[0].port: unknown field \"port\"; expected one of: from, ports; port belongs in a ports entry: indent it further than \"ports\" just above, which has no value");
    }

    [Fact]
    public void SeedScenario_PeerAtTheRuleIndentation_PointsAtThePeer()
    {
        var text = Manifests.SeedScenario.Replace("  - from:\n    - namespaceSelector", "  - from:\n  - namespaceSelector", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:18:5: spec.ingress[1].namespaceSelector: unknown field \"namespaceSelector\"; expected one of: from, ports; namespaceSelector belongs in a from/to peer: check the indentation");
    }

    [Fact]
    public void SeedScenario_IpBlockAtTheSpecIndentation_PointsAtTheIpBlock()
    {
        var text = Manifests.SeedScenario.Replace("  - to:\n    - ipBlock", "  - to:\n  ipBlock", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:38:3: spec.ipBlock: unknown field \"ipBlock\"; expected one of: podSelector, policyTypes, ingress, egress; ipBlock belongs in a from/to peer: check the indentation");
    }

    [Fact]
    public void SeedScenario_LineIndentedOneSpaceTooFar_IsAYamlErrorOnTheNextLine()
    {
        var text = Manifests.SeedScenario.Replace(
            "  policyTypes: [Ingress]\n  podSelector: {matchLabels: {app: web-server}}",
            "   policyTypes: [Ingress]\n  podSelector: {matchLabels: {app: web-server}}",
            StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:25:3: invalid YAML: while parsing a block mapping, did not find expected key (check the indentation of this line and the one above it)");
    }

    [Fact]
    public void SeedScenario_SelectorIndentedTooFar_IsAYamlErrorOnItsLine()
    {
        var text = Manifests.SeedScenario.Replace("  podSelector: {matchLabels: {app: web-server}}", "    podSelector: {matchLabels: {app: web-server}}", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:25:5: invalid YAML: while parsing a block mapping, did not find expected key (check the indentation of this line and the one above it)");
    }

    [Fact]
    public void SeedScenario_MatchLabelsAtTheSelectorIndentation_PointsAtMatchLabels()
    {
        var text = Manifests.SeedScenario.Replace("  podSelector: {matchLabels: {app: web-server}}", "  podSelector:\n  matchLabels:\n    app: web-server", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:26:3: spec.matchLabels: unknown field \"matchLabels\"; expected one of: podSelector, policyTypes, ingress, egress; matchLabels belongs in a podSelector or namespaceSelector: indent it further than \"podSelector\" just above, which has no value");
    }

    [Fact]
    public void SeedScenario_LabelsAtTheMatchLabelsIndentation_PointsAtTheLabel()
    {
        var text = Manifests.SeedScenario.Replace("  podSelector: {matchLabels: {app: web-server}}", "  podSelector:\n    matchLabels:\n    app: web-server", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:27:5: spec.podSelector.app: unknown field \"app\"; expected one of: matchLabels, matchExpressions; \"matchLabels\" just above has no value: if this line belongs to it, indent it further");
    }

    [Fact]
    public void SeedScenario_NamespaceSelectorContentAtItsIndentation_PointsAtBothLines()
    {
        var text = Manifests.SeedScenario.Replace(
            "    - namespaceSelector: {matchLabels: {role: production}}",
            "    - namespaceSelector:\n      matchLabels:\n        role: production",
            StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(
            result,
            "test.yaml:18:7: spec.ingress[0].from[0]: expected at least one of podSelector, namespaceSelector or ipBlock, found namespaceSelector with no value (null); write namespaceSelector: {} to select everything, or check the indentation of the lines below it",
            "test.yaml:19:7: spec.ingress[0].from[0].matchLabels: unknown field \"matchLabels\"; expected one of: podSelector, namespaceSelector, ipBlock; matchLabels belongs in a podSelector or namespaceSelector: indent it further than \"namespaceSelector\" just above, which has no value");
    }

    [Fact]
    public void SeedScenario_FlowMappingBrokenOverTwoLines_PointsAtTheSecondLine()
    {
        var text = Manifests.SeedScenario.Replace(
            "metadata: {name: allow-same-namespace-traffic, namespace: production}",
            "metadata: {name: allow-same-namespace-traffic,\nnamespace: production}",
            StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:13:1: invalid YAML: expected the lines inside [ ] or { } to be indented more than the key they belong to, found this line (or a bracket above is not closed)");
        Assert.Equal(3, result.Snapshot.Policies.Count);
    }

    [Fact]
    public void SeedScenario_FlowMappingBrokenOverTwoIndentedLines_IsValid()
    {
        var text = Manifests.SeedScenario.Replace(
            "metadata: {name: allow-same-namespace-traffic, namespace: production}",
            "metadata: {name: allow-same-namespace-traffic,\n  namespace: production}",
            StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Valid(result);
        Assert.Equal(Manifests.Load(Manifests.SeedScenario).Snapshot, result.Snapshot);
    }

    [Fact]
    public void SeedScenario_EverythingFlushLeft_ReportsEveryDocument()
    {
        // The whole file pasted without any indentation.
        var text = string.Join('\n', Manifests.SeedScenario.Split('\n').Select(l => l.TrimStart()));

        var result = Manifests.Load(text);

        // A list may start at the indentation of its key, so "ingress:" and its "- from:" are still read as YAML: each
        // spec field ends up at the top level of its object.
        var errors = new List<string>();
        foreach (var (line, direction) in new[] { (14, "ingress"), (24, "ingress"), (34, "egress") })
        {
            errors.Add($"test.yaml:{line}:1: policyTypes: unknown field \"policyTypes\"; {TopLevelFields}; policyTypes belongs in spec: indent it further than \"spec\" just above, which has no value");
            errors.Add($"test.yaml:{line + 1}:1: podSelector: unknown field \"podSelector\"; {TopLevelFields}; podSelector belongs in spec, or a from/to peer: check the indentation");
            errors.Add($"test.yaml:{line + 2}:1: {direction}: unknown field \"{direction}\"; {TopLevelFields}; {direction} belongs in spec: check the indentation");
        }

        LoadAssert.Errors(result, [.. errors]);
        Assert.Single(result.Snapshot.Namespaces);
        Assert.Equal("no-inbound-traffic", Assert.Single(result.Snapshot.Policies).Name);
    }

    [Theory]
    [InlineData("  podSelector:\n    matchLabels: app=web-server", 26, 18, "{app: web-server}")]
    [InlineData("  podSelector: {matchLabels: app=web-server}", 25, 30, "{app: web-server}")]
    [InlineData("  podSelector:\n    matchLabels: app=web-server,tier=frontend", 26, 18, "{app: web-server, tier: frontend}")]
    [InlineData("  podSelector:\n    matchLabels: app = web-server", 26, 18, "{app: web-server}")]
    [InlineData("  podSelector:\n    matchLabels: app:web-server", 26, 18, "{app: web-server}")]
    public void SeedScenario_MatchLabelsInSelectorSyntax_SuggestsTheMapping(string replacement, int line, int column, string suggestion)
    {
        var text = Manifests.SeedScenario.Replace("  podSelector: {matchLabels: {app: web-server}}", replacement, StringComparison.Ordinal);
        var written = replacement[(replacement.IndexOf("matchLabels: ", StringComparison.Ordinal) + 13)..].TrimEnd('}');

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, $"test.yaml:{line}:{column}: spec.podSelector.matchLabels: expected a mapping of label keys to values, found the string \"{written}\"; write {suggestion}, or one key: value per line, indented below");
    }

    [Fact]
    public void SeedScenario_PodSelectorInSelectorSyntax_SuggestsMatchLabels()
    {
        var text = Manifests.SeedScenario.Replace("  podSelector: {matchLabels: {app: web-server}}", "  podSelector: app=web-server", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:25:16: spec.podSelector: expected a label selector (a mapping with matchLabels and/or matchExpressions), found the string \"app=web-server\"; write matchLabels: {app: web-server}");
    }

    [Fact]
    public void SeedScenario_MatchLabelsAsAList_IsRejected()
    {
        var text = Manifests.SeedScenario.Replace("  podSelector: {matchLabels: {app: web-server}}", "  podSelector:\n    matchLabels:\n    - app: web-server", StringComparison.Ordinal);

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, "test.yaml:27:5: spec.podSelector.matchLabels: expected a mapping of label keys to values, found a list");
    }
}
