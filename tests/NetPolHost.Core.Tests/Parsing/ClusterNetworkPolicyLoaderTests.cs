using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.TestKit;
using YamlDotNet.RepresentationModel;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>Loading ClusterNetworkPolicy (v1alpha2) and converting the v1alpha1 AdminNetworkPolicy and
/// BaselineAdminNetworkPolicy: every field, JSON and YAML, Lists, peers of newer API versions (fail closed), and the
/// upstream conformance data.</summary>
public sealed class ClusterNetworkPolicyLoaderTests
{
    private const string FullYaml = """
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata:
          name: guardrails
          labels: {owner: platform}
        spec:
          tier: Admin
          priority: 10
          subject:
            pods:
              namespaceSelector: {matchLabels: {team: shop}}
              podSelector:
                matchExpressions:
                - {key: app, operator: In, values: [web, api]}
          ingress:
          - name: allow-monitoring
            action: Accept
            from:
            - namespaces: {matchLabels: {role: monitoring}}
            - pods:
                podSelector: {matchLabels: {app: prometheus}}
            protocols:
            - tcp: {destinationPort: {number: 9090}}
            - destinationNamedPort: metrics
          - name: pass-the-rest
            action: Pass
            from:
            - namespaces: {}
          egress:
          - name: no-metadata
            action: Deny
            to:
            - networks: [169.254.169.254/32, "fd00:ec2::254/128"]
          - action: Accept
            to:
            - nodes: {matchLabels: {kubernetes.io/os: linux}}
            - domainNames: [example.com, "*.example.org"]
            protocols:
            - udp: {destinationPort: {number: 53}}
            - sctp: {destinationPort: {range: {start: 9000, end: 9100}}}
        """;

    private const string FullJson = """
        {
          "apiVersion": "policy.networking.k8s.io/v1alpha2",
          "kind": "ClusterNetworkPolicy",
          "metadata": {"name": "guardrails", "labels": {"owner": "platform"}},
          "spec": {
            "tier": "Admin",
            "priority": 10,
            "subject": {"pods": {
              "namespaceSelector": {"matchLabels": {"team": "shop"}},
              "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}
            }},
            "ingress": [
              {"name": "allow-monitoring", "action": "Accept",
               "from": [{"namespaces": {"matchLabels": {"role": "monitoring"}}}, {"pods": {"podSelector": {"matchLabels": {"app": "prometheus"}}}}],
               "protocols": [{"tcp": {"destinationPort": {"number": 9090}}}, {"destinationNamedPort": "metrics"}]},
              {"name": "pass-the-rest", "action": "Pass", "from": [{"namespaces": {}}]}
            ],
            "egress": [
              {"name": "no-metadata", "action": "Deny", "to": [{"networks": ["169.254.169.254/32", "fd00:ec2::254/128"]}]},
              {"action": "Accept",
               "to": [{"nodes": {"matchLabels": {"kubernetes.io/os": "linux"}}}, {"domainNames": ["example.com", "*.example.org"]}],
               "protocols": [{"udp": {"destinationPort": {"number": 53}}}, {"sctp": {"destinationPort": {"range": {"start": 9000, "end": 9100}}}}]}
            ]
          }
        }
        """;

    private static readonly ClusterNetworkPolicy s_full = new()
    {
        Name = "guardrails",
        Tier = PolicyTier.Admin,
        Priority = 10,
        Subject = new ClusterPolicySubject
        {
            Pods = new NamespacedPodSelector(
                Labels("team", "shop"),
                new LabelSelector { MatchExpressions = new[] { new LabelSelectorRequirement("app", SelectorOperator.In, new[] { "web", "api" }.ToValueList()) }.ToValueList() }),
        },
        Ingress = new[]
        {
            new ClusterNetworkPolicyRule
            {
                Name = "allow-monitoring",
                Action = ClusterPolicyAction.Accept,
                Peers = new[]
                {
                    new ClusterPolicyPeer { Namespaces = Labels("role", "monitoring") },
                    new ClusterPolicyPeer { Pods = new NamespacedPodSelector(LabelSelector.Everything, Labels("app", "prometheus")) },
                }.ToValueList(),
                Protocols = new[]
                {
                    new ClusterPolicyPort { Protocol = Protocol.Tcp, Port = 9090, EndPort = 9090 },
                    new ClusterPolicyPort { NamedPort = "metrics" },
                }.ToValueList(),
            },
            new ClusterNetworkPolicyRule
            {
                Name = "pass-the-rest",
                Action = ClusterPolicyAction.Pass,
                Peers = new[] { new ClusterPolicyPeer { Namespaces = LabelSelector.Everything } }.ToValueList(),
            },
        }.ToValueList(),
        Egress = new[]
        {
            new ClusterNetworkPolicyRule
            {
                Name = "no-metadata",
                Action = ClusterPolicyAction.Deny,
                Peers = new[] { new ClusterPolicyPeer { Networks = new[] { Cidr.Parse("169.254.169.254/32"), Cidr.Parse("fd00:ec2::254/128") }.ToValueList() } }.ToValueList(),
            },
            new ClusterNetworkPolicyRule
            {
                Action = ClusterPolicyAction.Accept,
                Peers = new[]
                {
                    new ClusterPolicyPeer { Nodes = Labels("kubernetes.io/os", "linux") },
                    new ClusterPolicyPeer { DomainNames = new[] { "example.com", "*.example.org" }.ToValueList() },
                }.ToValueList(),
                Protocols = new[]
                {
                    new ClusterPolicyPort { Protocol = Protocol.Udp, Port = 53, EndPort = 53 },
                    new ClusterPolicyPort { Protocol = Protocol.Sctp, Port = 9000, EndPort = 9100 },
                }.ToValueList(),
            },
        }.ToValueList(),
    };

    // ---- ClusterNetworkPolicy -------------------------------------------------------------------------------

    [Fact]
    public void FullPolicy_Yaml_BindsEveryField()
    {
        var result = ManifestLoader.LoadText(FullYaml, "cnp.yaml");

        LoadAssert.Valid(result);
        LoadAssert.Notes(result);
        var policy = Assert.Single(result.Snapshot.ClusterPolicies);
        Assert.Equal(s_full, policy);
        Assert.Equal("ClusterNetworkPolicy", policy.SourceKind);
        Assert.Equal("ClusterNetworkPolicy guardrails (Admin, priority 10)", policy.ToString());
        Assert.Empty(result.Snapshot.Policies);
    }

    [Fact]
    public void FullPolicy_Json_BindsAsTheYaml()
    {
        var result = ManifestLoader.LoadText(FullJson, "cnp.json");

        LoadAssert.Valid(result);
        Assert.Equal(s_full, Assert.Single(result.Snapshot.ClusterPolicies));
    }

    [Fact]
    public void BaselineTier_AndPriorityZero_AreRead()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: default}
            spec:
              tier: Baseline
              priority: 0
              subject: {namespaces: {}}
            """);

        LoadAssert.Valid(result);
        var policy = Assert.Single(result.Snapshot.ClusterPolicies);
        Assert.Equal((PolicyTier.Baseline, 0, LabelSelector.Everything), (policy.Tier, policy.Priority, policy.Subject.Namespaces));
        Assert.Empty(policy.Ingress);
        Assert.Empty(policy.Egress);
    }

    [Fact]
    public void KubectlList_OfClusterNetworkPolicies_IsRead_ItemsWithoutKind()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicyList
            metadata: {resourceVersion: "42"}
            items:
            - metadata: {name: a, uid: 1b2c, resourceVersion: "40", creationTimestamp: "2025-01-10T08:00:00Z", generation: 1}
              spec: {tier: Admin, priority: 5, subject: {namespaces: {}}}
              status: {conditions: []}
            - metadata: {name: b}
              spec: {tier: Baseline, priority: 1, subject: {namespaces: {}}}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(["a", "b"], result.Snapshot.ClusterPolicies.Select(p => p.Name));
    }

    [Fact]
    public void List_MixingKinds_ReadsClusterPoliciesBesideTheRest()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: shop}
            - apiVersion: policy.networking.k8s.io/v1alpha2
              kind: ClusterNetworkPolicy
              metadata: {name: guard}
              spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [0.0.0.0/0]}]}]}
            - apiVersion: policy.networking.k8s.io/v1alpha1
              kind: AdminNetworkPolicy
              metadata: {name: old-guard}
              spec: {priority: 2, subject: {namespaces: {}}}
            - apiVersion: policy.networking.k8s.io/v1alpha2
              kind: ClusterNetworkPolicy
              metadata: {name: broken}
              spec: {tier: Admin, priority: 1001, subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "test.yaml:18:33: spec.priority: expected a priority between 0 and 1000, found 1001");
        Assert.Equal(["guard", "old-guard"], result.Snapshot.ClusterPolicies.Select(p => p.Name));
        Assert.Equal(["ClusterNetworkPolicy", "AdminNetworkPolicy"], result.Snapshot.ClusterPolicies.Select(p => p.SourceKind));
        Assert.Single(result.Snapshot.Namespaces);
    }

    [Fact]
    public void Namespace_IsReported_TheKindIsClusterScoped()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard, namespace: shop}
            spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "test.yaml:3:36: metadata.namespace: expected no namespace (ClusterNetworkPolicy is cluster-scoped), found \"shop\"");
        Assert.Equal("ClusterNetworkPolicy guard", Assert.Single(result.Errors).Object);
        Assert.Empty(result.Snapshot.ClusterPolicies);
    }

    [Fact]
    public void EmptyNamespace_IsAsAbsent()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard, namespace: ""}
            spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
            """);

        LoadAssert.Valid(result);
    }

    [Fact]
    public void WrongApiVersion_IsReported()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: AdminNetworkPolicy
            metadata: {name: old}
            spec: {priority: 1, subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:1:13: apiVersion: expected apiVersion \"policy.networking.k8s.io/v1alpha2\" for kind ClusterNetworkPolicy, found \"policy.networking.k8s.io/v1alpha1\"",
            "test.yaml:6:13: apiVersion: expected apiVersion \"policy.networking.k8s.io/v1alpha1\" for kind AdminNetworkPolicy, found \"policy.networking.k8s.io/v1alpha2\"");
    }

    [Fact]
    public void UnknownKindOfThePolicyGroup_IsSkippedWithANote()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: NamespacedNetworkPolicy
            metadata: {name: later, namespace: shop}
            spec: {whatever: 1}
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(result, "test.yaml:1:1: skipped NamespacedNetworkPolicy shop/later (not used by NetPolHost)");
    }

    [Fact]
    public void SameName_AsClusterNetworkPolicyAndAdminNetworkPolicy_IsAnError()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: default}
            spec: {tier: Baseline, priority: 1, subject: {namespaces: {}}}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: {name: default}
            spec: {subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "test.yaml:6:1: expected one cluster-wide policy per name, found BaselineAdminNetworkPolicy default and ClusterNetworkPolicy default (at test.yaml:1): NetPolHost holds ClusterNetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicies by name; rename one, or delete the one a migration replaced");
        Assert.Equal("ClusterNetworkPolicy", Assert.Single(result.Snapshot.ClusterPolicies).SourceKind);
    }

    [Fact]
    public void SameClusterNetworkPolicyTwice_IsTheUsualDuplicate()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec: {tier: Admin, priority: 2, subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "test.yaml:6:1: expected each object once, found ClusterNetworkPolicy guard again (first at test.yaml:1)");
    }

    // ---- AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) ---------------------------------------

    [Fact]
    public void AdminNetworkPolicy_ConvertsFieldByField()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: {name: cluster-control}
            spec:
              priority: 42
              subject:
                namespaces: {matchLabels: {tenant: a}}
              ingress:
              - name: from-monitoring
                action: Allow
                from:
                - pods:
                    namespaceSelector: {matchLabels: {role: monitoring}}
                    podSelector: {}
                ports:
                - portNumber: {protocol: TCP, port: 8080}
                - portNumber: {port: 8443}
                - namedPort: http
                - portRange: {protocol: UDP, start: 5000, end: 5010}
              - action: Pass
                from:
                - namespaces: {}
              egress:
              - name: deny-internet
                action: Deny
                to:
                - networks: [0.0.0.0/0]
                - nodes: {}
                - domainNames: [evil.example]
            """);

        LoadAssert.Valid(result);
        var expected = new ClusterNetworkPolicy
        {
            SourceKind = "AdminNetworkPolicy",
            Name = "cluster-control",
            Tier = PolicyTier.Admin,
            Priority = 42,
            Subject = new ClusterPolicySubject { Namespaces = Labels("tenant", "a") },
            Ingress = new[]
            {
                new ClusterNetworkPolicyRule
                {
                    Name = "from-monitoring",
                    Action = ClusterPolicyAction.Accept,
                    Peers = new[] { new ClusterPolicyPeer { Pods = new NamespacedPodSelector(Labels("role", "monitoring"), LabelSelector.Everything) } }.ToValueList(),
                    Protocols = new[]
                    {
                        new ClusterPolicyPort { Protocol = Protocol.Tcp, Port = 8080, EndPort = 8080 },
                        new ClusterPolicyPort { Protocol = Protocol.Tcp, Port = 8443, EndPort = 8443 },
                        new ClusterPolicyPort { NamedPort = "http" },
                        new ClusterPolicyPort { Protocol = Protocol.Udp, Port = 5000, EndPort = 5010 },
                    }.ToValueList(),
                },
                new ClusterNetworkPolicyRule
                {
                    Action = ClusterPolicyAction.Pass,
                    Peers = new[] { new ClusterPolicyPeer { Namespaces = LabelSelector.Everything } }.ToValueList(),
                },
            }.ToValueList(),
            Egress = new[]
            {
                new ClusterNetworkPolicyRule
                {
                    Name = "deny-internet",
                    Action = ClusterPolicyAction.Deny,
                    Peers = new[]
                    {
                        new ClusterPolicyPeer { Networks = new[] { Cidr.Parse("0.0.0.0/0") }.ToValueList() },
                        new ClusterPolicyPeer { Nodes = LabelSelector.Everything },
                        new ClusterPolicyPeer { DomainNames = new[] { "evil.example" }.ToValueList() },
                    }.ToValueList(),
                },
            }.ToValueList(),
        };
        Assert.Equal(expected, Assert.Single(result.Snapshot.ClusterPolicies));
    }

    [Fact]
    public void BaselineAdminNetworkPolicy_ConvertsToTheBaselineTier_WithPriorityZero()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: {name: default}
            spec:
              subject:
                pods:
                  namespaceSelector: {}
                  podSelector: {matchLabels: {app: db}}
              ingress:
              - action: Deny
                from:
                - namespaces: {}
              egress:
              - name: allow-dns
                action: Allow
                to:
                - nodes: {matchLabels: {role: dns}}
                - networks: [10.96.0.10/32]
                ports:
                - portRange: {start: 53, end: 53}
            """);

        LoadAssert.Valid(result);
        var expected = new ClusterNetworkPolicy
        {
            SourceKind = "BaselineAdminNetworkPolicy",
            Name = "default",
            Tier = PolicyTier.Baseline,
            Priority = 0,
            Subject = new ClusterPolicySubject { Pods = new NamespacedPodSelector(LabelSelector.Everything, Labels("app", "db")) },
            Ingress = new[]
            {
                new ClusterNetworkPolicyRule
                {
                    Action = ClusterPolicyAction.Deny,
                    Peers = new[] { new ClusterPolicyPeer { Namespaces = LabelSelector.Everything } }.ToValueList(),
                },
            }.ToValueList(),
            Egress = new[]
            {
                new ClusterNetworkPolicyRule
                {
                    Name = "allow-dns",
                    Action = ClusterPolicyAction.Accept,
                    Peers = new[]
                    {
                        new ClusterPolicyPeer { Nodes = Labels("role", "dns") },
                        new ClusterPolicyPeer { Networks = new[] { Cidr.Parse("10.96.0.10/32") }.ToValueList() },
                    }.ToValueList(),
                    Protocols = new[] { new ClusterPolicyPort { Protocol = Protocol.Tcp, Port = 53, EndPort = 53 } }.ToValueList(),
                },
            }.ToValueList(),
        };
        var policy = Assert.Single(result.Snapshot.ClusterPolicies);
        Assert.Equal(expected, policy);
        Assert.Equal("BaselineAdminNetworkPolicy default (Baseline, priority 0)", policy.ToString());
    }

    [Fact]
    public void V1Alpha1Lists_AreRead()
    {
        var result = Manifests.Load("""
            {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicyList", "metadata": {},
             "items": [{"metadata": {"name": "a"}, "spec": {"priority": 3, "subject": {"namespaces": {}}}},
                       {"metadata": {"name": "b"}, "spec": {"priority": 4, "subject": {"namespaces": {}}}}]}
            """);

        LoadAssert.Valid(result);
        Assert.Equal([("a", 3), ("b", 4)], result.Snapshot.ClusterPolicies.Select(p => (p.Name, p.Priority)));
        Assert.All(result.Snapshot.ClusterPolicies, p => Assert.Equal("AdminNetworkPolicy", p.SourceKind));
    }

    // ---- Peers of newer API versions: fail closed -----------------------------------------------------------

    [Fact]
    public void UnknownPeerField_InADenyRule_IsANote_AndThePeerFailsClosed()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Deny
                to:
                - services: {namespace: shop, name: db}
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(result, "test.yaml:11:7: spec.egress[0].to[0].services: unknown peer field \"services\", perhaps a peer type of a newer API version: the peer fails closed (for this Deny rule it matches every destination)");
        var peer = Assert.Single(Assert.Single(result.Snapshot.ClusterPolicies).Egress[0].Peers);
        Assert.True(peer.IsUnknown);
        Assert.Equal(["services"], peer.UnknownFields);
        Assert.Equal("ClusterNetworkPolicy guard", Assert.Single(result.Notes).Object);
    }

    [Fact]
    public void UnknownPeerField_InAnAcceptRule_MatchesNothing_InAPassRule_Everything()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Accept
                from:
                - serviceAccounts: {name: prometheus}
              - action: Pass
                from:
                - zone: {name: b}
                - namespaces: {}
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(
            result,
            "test.yaml:11:7: spec.ingress[0].from[0].serviceAccounts: unknown peer field \"serviceAccounts\", perhaps a peer type of a newer API version: the peer fails closed (for this Accept rule it matches nothing)",
            "test.yaml:14:7: spec.ingress[1].from[0].zone: unknown peer field \"zone\", perhaps a peer type of a newer API version: the peer fails closed (for this Pass rule it matches every source)");
        var policy = Assert.Single(result.Snapshot.ClusterPolicies);
        Assert.Equal(["serviceAccounts"], policy.Ingress[0].Peers[0].UnknownFields);
        Assert.Equal(["zone"], policy.Ingress[1].Peers[0].UnknownFields);
        Assert.False(policy.Ingress[1].Peers[1].IsUnknown);
    }

    [Fact]
    public void UnknownPeerField_InAnAdminNetworkPolicyAllowRule_SaysAllow()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: {name: guard}
            spec:
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Allow
                to:
                - fqdn: [example.com]
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(result, "test.yaml:10:7: spec.egress[0].to[0].fqdn: unknown peer field \"fqdn\", perhaps a peer type of a newer API version: the peer fails closed (for this Allow rule it matches nothing)");
    }

    [Fact]
    public void UnknownPeerField_FailsClosedInTheMatcher()
    {
        var result = ManifestLoader.LoadText(
            CnpConformanceBase() + """
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: future}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {matchLabels: {conformance-house: gryffindor}}}
              egress:
              - action: Deny
                to:
                - services: {name: anything}
            """,
            "future.yaml");

        LoadAssert.Valid(result);
        var verdict = new PolicyMatcher(result.Snapshot).Decide(new Flow(
            FlowEndpoint.ForPod("network-policy-conformance-gryffindor", "harry-potter-0"),
            FlowEndpoint.ForPod("network-policy-conformance-slytherin", "draco-malfoy-0"),
            Port: 80));
        Assert.False(verdict.Allowed);
    }

    [Fact]
    public void PeerFieldNearAKnownOne_IsATypo_NotANewerPeer()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Deny
                to:
                - namespace: {}
                - network: [10.0.0.0/8]
                - Nodes: {}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:11:7: spec.egress[0].to[0].namespace: unknown field \"namespace\"; expected one of: namespaces, pods, nodes, networks, domainNames (did you mean \"namespaces\"?)",
            "test.yaml:12:7: spec.egress[0].to[1].network: unknown field \"network\"; expected one of: namespaces, pods, nodes, networks, domainNames (did you mean \"networks\"?)",
            "test.yaml:13:7: spec.egress[0].to[2].Nodes: unknown field \"Nodes\"; expected one of: namespaces, pods, nodes, networks, domainNames (did you mean \"nodes\"?)");
        LoadAssert.Notes(result);
    }

    [Fact]
    public void NetworkPolicyPeerFields_AreErrors_WithWhatToWriteInstead()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Accept
                from:
                - podSelector: {matchLabels: {app: web}}
              egress:
              - action: Deny
                to:
                - ipBlock: {cidr: 10.0.0.0/8}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:11:7: spec.ingress[0].from[0].podSelector: unknown field \"podSelector\"; expected one of: namespaces, pods; a peer selects pods with pods (namespaceSelector and podSelector), or every pod of some namespaces with namespaces (a namespace selector)",
            "test.yaml:15:7: spec.egress[0].to[0].ipBlock: unknown field \"ipBlock\"; expected one of: namespaces, pods, nodes, networks, domainNames; a peer names address blocks with networks: [CIDR, ...] (in egress rules)");
    }

    // ---- Unknown fields elsewhere, duplicates and YAML 1.1 scalars ------------------------------------------

    [Fact]
    public void UnknownFields_OutsidePeers_AreErrors_WithHints()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec:
              tier: Admin
              priority: 1
              podSelector: {}
              subject: {namespaces: {}}
              ingress:
              - action: Accept
                from: [{namespaces: {}}]
                ports: [{port: 80}]
              egress:
              - acton: Deny
                to: [{namespaces: {}}]
                protocols: [{tcp: {destinationPort: {port: 80}}}]
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:7:3: spec.podSelector: unknown field \"podSelector\"; expected one of: tier, priority, subject, ingress, egress; a ClusterNetworkPolicy selects its pods with subject: namespaces (a namespace selector) or pods (namespaceSelector and podSelector)",
            "test.yaml:12:5: spec.ingress[0].ports: unknown field \"ports\"; expected one of: name, action, from, protocols; a ClusterNetworkPolicy rule names ports with protocols, e.g. [{tcp: {destinationPort: {number: 80}}}] (ports is the v1alpha1 field)",
            "test.yaml:14:5: spec.egress[0].acton: unknown field \"acton\"; expected one of: name, action, to, protocols (did you mean \"action\"?)",
            "test.yaml:14:5: spec.egress[0].action: expected one of \"Accept\", \"Deny\", \"Pass\", found none",
            "test.yaml:16:42: spec.egress[0].protocols[0].tcp.destinationPort.port: unknown field \"port\"; expected one of: number, range; a protocols entry is tcp, udp or sctp with destinationPort (number, or range with start and end), or destinationNamedPort");
    }

    [Fact]
    public void V1Alpha1_TierAndProtocols_AreErrors_WithHints()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: {name: default}
            spec:
              tier: Baseline
              priority: 5
              subject: {namespaces: {}}
              ingress:
              - action: Deny
                from: [{namespaces: {}}]
                protocols: [{tcp: {destinationPort: {number: 80}}}]
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:5:3: spec.tier: unknown field \"tier\"; expected one of: subject, ingress, egress; a BaselineAdminNetworkPolicy has no tier: it is the Baseline tier",
            "test.yaml:6:3: spec.priority: unknown field \"priority\"; expected one of: subject, ingress, egress; a BaselineAdminNetworkPolicy has no priority: there is one per cluster",
            "test.yaml:11:5: spec.ingress[0].protocols: unknown field \"protocols\"; expected one of: name, action, from, ports; a BaselineAdminNetworkPolicy rule names ports with ports, e.g. [{portNumber: {protocol: TCP, port: 80}}] (protocols is the ClusterNetworkPolicy field)");
    }

    [Fact]
    public void DuplicateKeys_AreErrors()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Accept
                action: Deny
                to: [{networks: [10.0.0.0/8]}]
            """);

        LoadAssert.Errors(result, "test.yaml:10:5: spec.egress[0].action: expected each field once, found \"action\" again (first at line 9)");
    }

    [Fact]
    public void Yaml11Scalars_GetTheQuotingHints()
    {
        var result = Manifests.Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard}
            spec:
              tier: Admin
              priority: "10"
              subject: {namespaces: {matchLabels: {enabled: yes}}}
              egress:
              - name: on
                action: Accept
                to: [{domainNames: [no.example, null]}]
                protocols: [{udp: {destinationPort: {number: "53"}}}]
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:6:13: spec.priority: expected an integer, found the string \"10\" (remove the quotes)",
            "test.yaml:7:49: spec.subject.namespaces.matchLabels.enabled: expected a string, found the boolean yes (quote it: \"yes\")",
            "test.yaml:9:11: spec.egress[0].name: expected a string, found the boolean on (quote it: \"on\")",
            "test.yaml:11:37: spec.egress[0].to[0].domainNames[1]: expected a domain name such as example.com or *.example.com, found null",
            "test.yaml:12:50: spec.egress[0].protocols[0].udp.destinationPort.number: expected an integer, found the string \"53\" (remove the quotes)");
    }

    // ---- The upstream conformance data ----------------------------------------------------------------------

    [Fact]
    public void ConformanceCases_EveryStepsPolicies_LoadWithoutErrorsOrNotes()
    {
        var folder = Path.Combine(CnpConformance.Folder, "cases");
        var files = Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(92, files.Count);
        var steps = 0;
        var clusterPolicies = 0;
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var file in files)
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                yaml.Load(reader);
            }

            var root = (YamlMappingNode)yaml.Documents[0].RootNode;
            foreach (var step in ((YamlSequenceNode)root["steps"]).Children.Cast<YamlMappingNode>())
            {
                steps++;
                var policies = new YamlSequenceNode(((YamlSequenceNode)step["policies"]).Children);
                var list = new YamlMappingNode { { "apiVersion", "v1" }, { "kind", "List" }, { "items", policies } };
                using var writer = new StringWriter();
                new YamlStream(new YamlDocument(list)).Save(writer, assignAnchors: false);
                // With the base cluster, whose namespaces the policies select by label.
                var result = ManifestLoader.LoadText(CnpConformanceBase() + "---\n" + writer.ToString(), Path.GetFileName(file));
                problems.AddRange(result.Errors.Select(e => e.ToString()));
                problems.AddRange(result.Notes.Select(n => n.ToString()));
                clusterPolicies += result.Snapshot.ClusterPolicies.Count;
                kinds.UnionWith(result.Snapshot.ClusterPolicies.SelectMany(p => p.Egress.Concat(p.Ingress)).SelectMany(r => r.Peers).SelectMany(PeerKinds));
                Assert.Equal(policies.Children.Count, result.Snapshot.ClusterPolicies.Count + result.Snapshot.Policies.Count);
                Assert.NotEmpty(result.Snapshot.Pods);
            }
        }

        Assert.Empty(problems);
        Assert.Equal(96, steps);
        Assert.True(clusterPolicies >= steps, $"{clusterPolicies} cluster policies in {steps} steps");
        Assert.Equal(["namespaces", "networks", "nodes", "pods"], kinds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ConformanceBase_AndThePoliciesOfEveryStep_GiveSnapshotsWithClusterPolicies()
    {
        var steps = CnpConformance.Steps;

        Assert.All(steps, s => Assert.NotEmpty(s.Snapshot.ClusterPolicies));
    }

    private static IEnumerable<string> PeerKinds(ClusterPolicyPeer peer)
    {
        if (peer.Namespaces is not null)
        {
            yield return "namespaces";
        }

        if (peer.Pods is not null)
        {
            yield return "pods";
        }

        if (peer.Nodes is not null)
        {
            yield return "nodes";
        }

        if (!peer.Networks.IsEmpty)
        {
            yield return "networks";
        }

        if (!peer.DomainNames.IsEmpty)
        {
            yield return "domainNames";
        }
    }

    private static string CnpConformanceBase() => File.ReadAllText(Path.Combine(CnpConformance.Folder, "base.yaml")).TrimEnd() + "\n";

    private static LabelSelector Labels(string key, string value) => new() { MatchLabels = LabelMap.Of(key, value) };
}
