using System.Net;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>
/// Binding objects from trees: unknown and duplicate fields, wrong scalar types, and normalisation as the API server
/// stores objects. <see cref="Manifests.LoadPolicy"/> puts a three-line header first, so each text starts at line 4.
/// </summary>
public sealed class ObjectBinderTests
{
    private const string SpecFields = "expected one of: podSelector, policyTypes, ingress, egress";
    private const string MetadataFields = "expected one of: name, namespace, labels, annotations, generateName, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, ownerReferences, finalizers, managedFields, selfLink";

    // ---- Unknown fields -------------------------------------------------------------------------------------

    [Fact]
    public void UnknownField_NearMiss_SuggestsTheField()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingres:
              - {}
            """);

        LoadAssert.Errors(result, $"policy.yaml:6:3: spec.ingres: unknown field \"ingres\"; {SpecFields} (did you mean \"ingress\"?)");
        Assert.Empty(result.Snapshot.Policies);
    }

    [Theory]
    [InlineData("lables", "labels")]
    [InlineData("nmae", "name")]
    [InlineData("Namespace", "namespace")]
    [InlineData("annotation", "annotations")]
    public void UnknownField_InMetadata_SuggestsTheField(string field, string suggestion)
    {
        var result = Manifests.Load($$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: web
              namespace: shop
              {{field}}: {}
            spec: {}
            """);

        LoadAssert.Errors(result, $"test.yaml:6:3: metadata.{field}: unknown field \"{field}\"; {MetadataFields} (did you mean \"{suggestion}\"?)");
    }

    [Theory]
    [InlineData("form", "from", "spec.ingress[0]", "expected one of: from, ports")]
    [InlineData("port", "ports", "spec.ingress[0]", null)]
    [InlineData("matchLabel", "matchLabels", "spec.ingress[0].from[0].podSelector", "expected one of: matchLabels, matchExpressions")]
    [InlineData("cidrs", "cidr", "spec.ingress[0].from[0].ipBlock", "expected one of: cidr, except")]
    [InlineData("protocl", "protocol", "spec.ingress[0].ports[0]", "expected one of: port, endPort, protocol")]
    [InlineData("namespaceSelectors", "namespaceSelector", "spec.ingress[0].from[0]", "expected one of: podSelector, namespaceSelector, ipBlock")]
    public void UnknownField_Typo_IsNamedWithItsPath(string field, string suggestion, string parent, string? fields)
    {
        var text = parent switch
        {
            "spec.ingress[0]" => $$"""
                spec:
                  podSelector: {}
                  ingress:
                  - {{field}}: []
                """,
            "spec.ingress[0].from[0].podSelector" => """
                spec:
                  podSelector: {}
                  ingress:
                  - from:
                    - podSelector: {FIELD: {}}
                """.Replace("FIELD", field, StringComparison.Ordinal),
            "spec.ingress[0].from[0].ipBlock" => $$"""
                spec:
                  podSelector: {}
                  ingress:
                  - from:
                    - ipBlock: {cidr: 10.0.0.0/8, {{field}}: []}
                """,
            "spec.ingress[0].ports[0]" => $$"""
                spec:
                  podSelector: {}
                  ingress:
                  - ports:
                    - {port: 80, {{field}}: TCP}
                """,
            _ => """
                spec:
                  podSelector: {}
                  ingress:
                  - from:
                    - {podSelector: {}, FIELD: {}}
                """.Replace("FIELD", field, StringComparison.Ordinal),
        };

        var result = Manifests.LoadPolicy(text);

        var error = Assert.Single(result.Errors);
        Assert.Equal(parent + "." + field, error.Path);
        if (field == "port")
        {
            // "port" is a field of a ports entry too: both mistakes are likely.
            Assert.Equal("unknown field \"port\"; expected one of: from, ports (did you mean \"ports\"? port itself belongs in a ports entry: check the indentation)", error.Message);
        }
        else
        {
            Assert.Equal($"unknown field \"{field}\"; {fields} (did you mean \"{suggestion}\"?)", error.Message);
        }
    }

    [Fact]
    public void UnknownField_Unrelated_ListsTheKnownFields()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              action: deny
            """);

        LoadAssert.Errors(result, $"policy.yaml:6:3: spec.action: unknown field \"action\"; {SpecFields}");
    }

    [Fact]
    public void UnknownField_AtTopLevel_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            spec: {}
            specs: {}
            """);

        LoadAssert.Errors(result, "test.yaml:5:1: specs: unknown field \"specs\"; expected one of: apiVersion, kind, metadata, spec, status (did you mean \"spec\"?)");
    }

    [Fact]
    public void UnknownField_KnownElsewhere_HintsAtTheIndentation()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - podSelector: {}
                ipBlock: {cidr: 10.0.0.0/8}
            """);

        LoadAssert.Errors(result, "policy.yaml:9:5: spec.ingress[0].ipBlock: unknown field \"ipBlock\"; expected one of: from, ports; ipBlock belongs in a from/to peer: check the indentation");
    }

    [Fact]
    public void UnknownField_BelowAFieldWithoutValue_SaysToIndentIt()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels:
                app: web
            """);

        LoadAssert.Errors(result, "policy.yaml:7:5: spec.podSelector.app: unknown field \"app\"; expected one of: matchLabels, matchExpressions; \"matchLabels\" just above has no value: if this line belongs to it, indent it further");
    }

    [Fact]
    public void UnknownField_InPodOrNamespace_IsIgnored_AsOnlyTheFieldsNetPolHostReadsAreChecked()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop, somethingNew: 1}
            spec: {containers: [{name: web, image: nginx, futureField: true}]}
            futureStatus: {}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            spec: {finalizers: [kubernetes]}
            status: {phase: Active}
            """);

        LoadAssert.Valid(result);
        Assert.Single(result.Snapshot.Pods);
        Assert.Single(result.Snapshot.Namespaces);
    }

    // ---- Duplicate fields -----------------------------------------------------------------------------------

    [Fact]
    public void DuplicateField_InPolicy_IsRejectedWithTheFirstLine()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: web
              namespace: shop
              name: api
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: 80
                  protocol: TCP
                  port: 443
              podSelector: {matchLabels: {app: web}}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:6:3: metadata.name: expected each field once, found \"name\" again (first at line 4)",
            "test.yaml:13:7: spec.ingress[0].ports[0].port: expected each field once, found \"port\" again (first at line 11)",
            "test.yaml:14:3: spec.podSelector: expected each field once, found \"podSelector\" again (first at line 8)");
    }

    [Fact]
    public void DuplicateField_InJson_IsRejected()
    {
        var result = ManifestLoader.LoadText("""
            {
              "apiVersion": "networking.k8s.io/v1",
              "kind": "NetworkPolicy",
              "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "policyTypes": ["Egress"]}
            }
            """, "policy.json");

        LoadAssert.Errors(result, "policy.json:5:59: spec.policyTypes: expected each field once, found \"policyTypes\" again (first at line 5)");
    }

    [Fact]
    public void DuplicateLabel_InMatchLabels_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels:
                  app: web
                  app: api
            """);

        LoadAssert.Errors(result, "policy.yaml:8:7: spec.podSelector.matchLabels.app: expected each field once, found \"app\" again (first at line 7)");
    }

    // ---- Wrong scalar types ---------------------------------------------------------------------------------

    [Fact]
    public void Port_QuotedNumber_IsANamedPortAndIsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: "80"
            """);

        LoadAssert.Errors(result, "policy.yaml:8:13: spec.ingress[0].ports[0].port: expected a port name (IANA_SVC_NAME), found \"80\": it must contain at least one letter (for a port number, write it without quotes)");
    }

    [Fact]
    public void EndPort_QuotedNumber_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: 80
                  endPort: "90"
            """);

        LoadAssert.Errors(result, "policy.yaml:9:16: spec.ingress[0].ports[0].endPort: expected an integer, found the string \"90\" (remove the quotes)");
    }

    [Theory]
    [InlineData("80.5", "the number 80.5")]
    [InlineData("[80]", "a list")]
    [InlineData("{number: 80}", "a mapping")]
    [InlineData("true", "the boolean true")]
    [InlineData("1e400", "the number 1e400")]
    [InlineData("999999999999999999999999", "the number 999999999999999999999999")]
    public void Port_OfWrongType_IsRejected(string yaml, string found)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - ports:
                - port: {yaml}
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:13: spec.ingress[0].ports[0].port: expected a port number or name, found {found}");
    }

    [Theory]
    [InlineData("80.0", 80)]
    [InlineData("8e1", 80)]
    [InlineData("0x50", 80)]
    [InlineData("0120", 80)]
    [InlineData("8_0", 80)]
    [InlineData("+80", 80)]
    public void Port_IntegerInAnotherYamlSpelling_IsRead(string yaml, int port)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - ports:
                - port: {yaml}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(PolicyPortValue.FromNumber(port), result.Snapshot.Policies[0].Ingress[0].Ports[0].Port);
    }

    [Theory]
    [InlineData("yes", "the boolean yes", "\"yes\"")]
    [InlineData("no", "the boolean no", "\"no\"")]
    [InlineData("on", "the boolean on", "\"on\"")]
    [InlineData("true", "the boolean true", "\"true\"")]
    [InlineData("1", "the integer 1", "\"1\"")]
    [InlineData("1.10", "the number 1.10", "\"1.10\"")]
    [InlineData("0x1F", "the integer 0x1F", "\"0x1F\"")]
    public void LabelValue_UnquotedNonString_MustBeQuoted(string yaml, string found, string quoted)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector:
                matchLabels:
                  enabled: {yaml}
            """);

        LoadAssert.Errors(result, $"policy.yaml:7:16: spec.podSelector.matchLabels.enabled: expected a string, found {found} (quote it: {quoted})");
    }

    [Fact]
    public void LabelValue_UnquotedNonString_InNamespaceAndPodLabels_MustBeQuoted()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels:
                pci: yes
                tier: 1
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:6:10: metadata.labels.pci: expected a string, found the boolean yes (quote it: \"yes\")",
            "test.yaml:7:11: metadata.labels.tier: expected a string, found the integer 1 (quote it: \"1\")");
    }

    [Fact]
    public void LabelValue_Quoted_IsAString()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: {pci: "yes", tier: '1', version: "1.10"}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(LabelMap.Of("pci", "yes", "tier", "1", "version", "1.10", Model.Namespace.NameLabel, "shop"), result.Snapshot.Namespaces[0].Labels);
    }

    [Fact]
    public void HostNetwork_QuotedBoolean_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop}
            spec:
              hostNetwork: "true"
            """);

        LoadAssert.Errors(result, "test.yaml:5:16: spec.hostNetwork: expected true or false, found the string \"true\" (remove the quotes)");
    }

    [Fact]
    public void HostNetwork_NotABoolean_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop}
            spec:
              hostNetwork: 1
            """);

        LoadAssert.Errors(result, "test.yaml:5:16: spec.hostNetwork: expected true or false, found the integer 1");
    }

    [Fact]
    public void ContainerPort_QuotedNumber_IsOneError()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop}
            spec:
              containers:
              - name: web
                ports:
                - {name: http, containerPort: "8080"}
                - {name: metrics}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:8:35: spec.containers[0].ports[0].containerPort: expected an integer, found the string \"8080\" (remove the quotes)",
            "test.yaml:9:7: spec.containers[0].ports[1].containerPort: expected a port number, found none");
    }

    [Fact]
    public void ContainerPort_InvalidNameOrNumber_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop}
            spec:
              containers:
              - name: web
                ports:
                - {name: Http, containerPort: 8080}
                - {name: metrics, containerPort: 0}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:8:14: spec.containers[0].ports[0].name: expected a port name (IANA_SVC_NAME), found \"Http\": it may contain only lower-case letters a-z, digits and '-'",
            "test.yaml:9:38: spec.containers[0].ports[1].containerPort: expected a port number between 1 and 65535, found 0");
    }

    [Fact]
    public void PodIP_NotAnAddress_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop}
            status:
              podIP: 10.0.0.256
            """);

        LoadAssert.Errors(result, "test.yaml:5:10: status.podIP: expected an IPv4 or IPv6 address, found \"10.0.0.256\"");
    }

    [Theory]
    [InlineData("podSelector: app=web", "policy.yaml:5:16: spec.podSelector: expected a label selector (a mapping with matchLabels and/or matchExpressions), found the string \"app=web\"; write matchLabels: {app: web}")]
    [InlineData("podSelector: web", "policy.yaml:5:16: spec.podSelector: expected a label selector (a mapping with matchLabels and/or matchExpressions), found the string \"web\"")]
    [InlineData("podSelector: []", "policy.yaml:5:16: spec.podSelector: expected a label selector (a mapping with matchLabels and/or matchExpressions), found a list")]
    [InlineData("ingress: {from: []}", "policy.yaml:5:12: spec.ingress: expected a list, found a mapping (start each entry with '- ')")]
    [InlineData("egress: allow", "policy.yaml:5:11: spec.egress: expected a list, found the string \"allow\"")]
    public void SpecField_OfWrongShape_IsRejected(string line, string expected)
    {
        var result = Manifests.LoadPolicy("spec:\n  " + line + "\n");

        LoadAssert.Errors(result, expected);
    }

    [Fact]
    public void Spec_NotAMapping_IsRejected()
    {
        var result = Manifests.LoadPolicy("spec: [podSelector]\n");

        LoadAssert.Errors(result, "policy.yaml:4:7: spec: expected a mapping, found a list");
    }

    [Fact]
    public void Metadata_NotAMapping_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata: shop
            """);

        LoadAssert.Errors(result, "test.yaml:3:11: metadata: expected a mapping, found the string \"shop\"");
    }

    [Fact]
    public void Labels_AsSelectorText_SuggestsTheMapping()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: team=a,tier=db
            """);

        LoadAssert.Errors(result, "test.yaml:5:11: metadata.labels: expected a mapping of label keys to values, found the string \"team=a,tier=db\"; write {team: a, tier: db}, or one key: value per line, indented below");
    }

    // ---- apiVersion and kind --------------------------------------------------------------------------------

    [Theory]
    [InlineData("extensions/v1beta1", "expected apiVersion \"networking.k8s.io/v1\", found \"extensions/v1beta1\", which Kubernetes no longer serves for NetworkPolicy")]
    [InlineData("networking.k8s.io/v1beta1", "expected apiVersion \"networking.k8s.io/v1\", found \"networking.k8s.io/v1beta1\", which Kubernetes no longer serves for NetworkPolicy")]
    [InlineData("v1", "expected apiVersion \"networking.k8s.io/v1\" for kind NetworkPolicy, found \"v1\"")]
    public void ApiVersion_Wrong_IsRejected(string apiVersion, string message)
    {
        var result = Manifests.Load($"""
            apiVersion: {apiVersion}
            kind: NetworkPolicy
            metadata: {"{"}name: web, namespace: shop{"}"}
            spec: {"{podSelector: {}}"}
            """);

        LoadAssert.Errors(result, "test.yaml:1:13: apiVersion: " + message);
    }

    [Fact]
    public void ApiVersion_Missing_IsRejected()
    {
        var result = Manifests.Load("""
            kind: Namespace
            metadata: {name: shop}
            """);

        LoadAssert.Errors(result, "test.yaml:1:1: apiVersion: expected apiVersion \"v1\" for kind Namespace, found none");
    }

    [Fact]
    public void Kind_Missing_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            metadata: {name: shop}
            """);

        LoadAssert.Errors(result, "test.yaml:1:1: kind: expected the kind of the object (e.g. NetworkPolicy), found none");
    }

    [Fact]
    public void Kind_NotAString_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: [Namespace]
            metadata: {name: shop}
            """);

        LoadAssert.Errors(result, "test.yaml:2:7: kind: expected the kind of the object (e.g. NetworkPolicy), found a list");
    }

    // ---- Notes ----------------------------------------------------------------------------------------------

    [Fact]
    public void Policy_WithoutSpec_IsValidWithANote()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(result, "test.yaml:1:1: spec: the policy has no spec: it selects every pod of namespace \"shop\" and denies all their ingress traffic");
        var policy = Assert.Single(result.Snapshot.Policies);
        Assert.Equal(PolicyTypes.Ingress, policy.PolicyTypes);
        Assert.True(policy.PodSelector.IsEmpty);
    }

    [Fact]
    public void Policy_WithoutPodSelector_IsValidWithANote()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              policyTypes: [Egress]
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(result, "policy.yaml:5:3: spec.podSelector: spec.podSelector is not given: the policy selects every pod of namespace \"shop\"");
    }

    // ---- Normalisation --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("ingress: []")]
    [InlineData("ingress:")]
    [InlineData("ingress: null")]
    [InlineData("egress: []")]
    [InlineData("policyTypes: []")]
    [InlineData("policyTypes:")]
    public void AbsentList_EqualsEmptyList(string line)
    {
        var absent = Manifests.LoadPolicy("spec:\n  podSelector: {}\n");
        var empty = Manifests.LoadPolicy("spec:\n  podSelector: {}\n  " + line + "\n");

        LoadAssert.Valid(absent);
        LoadAssert.Valid(empty);
        Assert.Equal(absent.Snapshot.Policies[0], empty.Snapshot.Policies[0]);
        Assert.Equal(absent.Snapshot.Policies[0].GetHashCode(), empty.Snapshot.Policies[0].GetHashCode());
        Assert.Equal(absent.Snapshot, empty.Snapshot);
    }

    [Fact]
    public void AbsentListsInsideRules_EqualEmptyLists()
    {
        var absent = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - {}
              - from:
                - podSelector: {}
              egress:
              - to:
                - ipBlock: {cidr: 10.0.0.0/8}
              - ports:
                - port: 53
              - {}
            """);
        var empty = Manifests.LoadPolicy("""
            spec:
              podSelector: {matchLabels: {}, matchExpressions: []}
              ingress:
              - {from: [], ports: []}
              - from:
                - podSelector: {matchLabels: {}}
                ports: []
              egress:
              - to:
                - ipBlock: {cidr: 10.0.0.0/8, except: []}
                ports:
              - ports:
                - port: 53
                to: []
              -
            """);

        LoadAssert.Valid(absent);
        LoadAssert.Valid(empty);
        Assert.Equal(absent.Snapshot.Policies[0], empty.Snapshot.Policies[0]);
        Assert.Equal(NetworkPolicyRule.AllowAll, empty.Snapshot.Policies[0].Ingress[0]);
        Assert.Equal(NetworkPolicyRule.AllowAll, empty.Snapshot.Policies[0].Egress[2]);
    }

    [Fact]
    public void PolicyTypes_Absent_DefaultsToIngress()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress: [{}]
            """);

        Assert.Equal(PolicyTypes.Ingress, Assert.Single(result.Snapshot.Policies).PolicyTypes);
    }

    [Fact]
    public void PolicyTypes_AbsentWithEgressRules_DefaultsToBoth()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              egress:
              - to: [{namespaceSelector: {}}]
            """);

        Assert.Equal(PolicyTypes.Both, Assert.Single(result.Snapshot.Policies).PolicyTypes);
    }

    [Fact]
    public void PolicyTypes_EmptyWithEmptyEgress_DefaultsToIngress()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              policyTypes: []
              egress: []
            """);

        Assert.Equal(PolicyTypes.Ingress, Assert.Single(result.Snapshot.Policies).PolicyTypes);
    }

    [Theory]
    [InlineData("[Egress]", PolicyTypes.Egress)]
    [InlineData("[Ingress]", PolicyTypes.Ingress)]
    [InlineData("[Egress, Ingress]", PolicyTypes.Both)]
    public void PolicyTypes_Explicit_AreKept_WhateverTheRules(string types, PolicyTypes expected)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              policyTypes: {types}
              ingress: [{"{}"}]
              egress: [{"{}"}]
            """);

        var policy = Assert.Single(result.Snapshot.Policies);
        Assert.Equal(expected, policy.PolicyTypes);
        Assert.Single(policy.Ingress);
        Assert.Single(policy.Egress);
    }

    [Fact]
    public void Protocol_Absent_DefaultsToTcp()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: 80
                - port: 80
                  protocol: TCP
                - {}
            """);

        var ports = Assert.Single(result.Snapshot.Policies).Ingress[0].Ports;
        Assert.Equal(Protocol.Tcp, ports[0].Protocol);
        Assert.Equal(ports[0], ports[1]);
        Assert.Equal(new NetworkPolicyPort(), ports[2]);
        Assert.Equal("*/TCP", ports[2].ToString());
    }

    [Fact]
    public void Namespace_GetsTheMetadataNameLabel()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: {team: a}
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: bare
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: liar
              labels: {kubernetes.io/metadata.name: other}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(
            [
                new Model.Namespace { Name = "bare", Labels = LabelMap.Of(Model.Namespace.NameLabel, "bare") },
                new Model.Namespace { Name = "liar", Labels = LabelMap.Of(Model.Namespace.NameLabel, "liar") },
                new Model.Namespace { Name = "shop", Labels = LabelMap.Of("team", "a", Model.Namespace.NameLabel, "shop") },
            ],
            result.Snapshot.Namespaces.ToArray());
    }

    [Fact]
    public void TwoParses_OfTheSameText_AreEqual()
    {
        var first = Manifests.Load(Manifests.SeedScenario);
        var second = Manifests.Load(Manifests.SeedScenario);

        Assert.NotSame(first.Snapshot, second.Snapshot);
        Assert.Equal(first.Snapshot, second.Snapshot);
        Assert.Equal(first.Snapshot.GetHashCode(), second.Snapshot.GetHashCode());
        for (var i = 0; i < first.Snapshot.Policies.Count; i++)
        {
            Assert.NotSame(first.Snapshot.Policies[i], second.Snapshot.Policies[i]);
            Assert.Equal(first.Snapshot.Policies[i], second.Snapshot.Policies[i]);
        }
    }

    [Fact]
    public void BlockFlowAndJson_OfOnePolicy_AreEqual()
    {
        var block = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              namespace: shop
              name: web
            spec:
              podSelector:
                matchLabels:
                  app: web
              ingress:
              - from:
                - namespaceSelector:
                    matchExpressions:
                    - key: team
                      operator: In
                      values:
                      - a
                      - b
                ports:
                - protocol: UDP
                  port: 53
            """);
        var flow = Manifests.Load("""
            {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: web, namespace: shop},
             spec: {podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: 53, protocol: UDP}],
             from: [{namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [a, b]}]}}]}]}}
            """);
        var json = ManifestLoader.LoadText("""
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "web", "namespace": "shop"},
             "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 53, "protocol": "UDP"}],
             "from": [{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a", "b"]}]}}]}]}}
            """, "policy.json");

        LoadAssert.Valid(block);
        LoadAssert.Valid(flow);
        LoadAssert.Valid(json);
        Assert.Equal(block.Snapshot, flow.Snapshot);
        Assert.Equal(block.Snapshot, json.Snapshot);
        var expected = new NetworkPolicy
        {
            Name = "web",
            Namespace = "shop",
            PodSelector = LabelSelector.ForLabels("app", "web"),
            Ingress =
            [
                new NetworkPolicyRule
                {
                    Ports = [new NetworkPolicyPort { Port = 53, Protocol = Protocol.Udp }],
                    Peers = [new NetworkPolicyPeer { NamespaceSelector = new LabelSelector { MatchExpressions = [new LabelSelectorRequirement("team", SelectorOperator.In, ["a", "b"])] } }],
                },
            ],
        };
        Assert.Equal(expected, block.Snapshot.Policies[0]);
    }

    [Fact]
    public void Peer_SelectorPresenceIsKept_EmptyIsNotAbsent()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - podSelector: {}
                - namespaceSelector: {}
                - {podSelector: {matchLabels: {app: db}}, namespaceSelector: {matchLabels: {team: a}}}
            """);

        var peers = Assert.Single(result.Snapshot.Policies).Ingress[0].Peers;
        Assert.Equal(new NetworkPolicyPeer { PodSelector = LabelSelector.Everything }, peers[0]);
        Assert.Null(peers[0].NamespaceSelector);
        Assert.Equal(new NetworkPolicyPeer { NamespaceSelector = LabelSelector.Everything }, peers[1]);
        Assert.Null(peers[1].PodSelector);
        Assert.Equal(new NetworkPolicyPeer { PodSelector = LabelSelector.ForLabels("app", "db"), NamespaceSelector = LabelSelector.ForLabels("team", "a") }, peers[2]);
    }

    [Fact]
    public void Peer_SelectorWithNullValue_PointsAtTheIndentation()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - namespaceSelector:
                  matchLabels:
                    team: a
            """);

        LoadAssert.Errors(
            result,
            "policy.yaml:8:7: spec.ingress[0].from[0]: expected at least one of podSelector, namespaceSelector or ipBlock, found namespaceSelector with no value (null); write namespaceSelector: {} to select everything, or check the indentation of the lines below it",
            "policy.yaml:9:7: spec.ingress[0].from[0].matchLabels: unknown field \"matchLabels\"; expected one of: podSelector, namespaceSelector, ipBlock; matchLabels belongs in a podSelector or namespaceSelector: indent it further than \"namespaceSelector\" just above, which has no value");
    }

    // ---- Pods, nodes and host endpoints ---------------------------------------------------------------------

    [Fact]
    public void Pod_IsBoundWithAddressesPortsAndNode()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: shop
              labels: {app: web}
            spec:
              nodeName: worker-1
              containers:
              - name: web
                ports:
                - {name: http, containerPort: 8080}
                - {containerPort: 53, protocol: UDP}
              - name: sidecar
                ports:
                - {name: metrics, containerPort: 9090, protocol: TCP}
            status:
              podIP: 10.244.1.5
              podIPs:
              - ip: 10.244.1.5
              - ip: fd00::5
            """);

        LoadAssert.Valid(result);
        var expected = new Pod
        {
            Namespace = "shop",
            Name = "web-1",
            Labels = LabelMap.Of("app", "web"),
            NodeName = "worker-1",
            IPs = [IPAddress.Parse("10.244.1.5"), IPAddress.Parse("fd00::5")],
            Ports = [new ContainerPort("http", 8080), new ContainerPort(null, 53, Protocol.Udp), new ContainerPort("metrics", 9090)],
        };
        Assert.Equal(expected, Assert.Single(result.Snapshot.Pods));
    }

    [Fact]
    public void Pod_HostNetworkWithoutIp_IsBound()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: proxy, namespace: kube-system}
            spec: {hostNetwork: yes}
            """);

        LoadAssert.Valid(result);
        var pod = Assert.Single(result.Snapshot.Pods);
        Assert.True(pod.HostNetwork);
        Assert.True(pod.IPs.IsEmpty);
        Assert.Null(pod.NodeName);
    }

    [Fact]
    public void Node_KeepsInternalAndExternalAddresses()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Node
            metadata:
              name: worker-1
              labels: {kubernetes.io/hostname: worker-1}
            status:
              addresses:
              - {type: InternalIP, address: 192.168.56.11}
              - {type: Hostname, address: worker-1}
              - {type: ExternalIP, address: 203.0.113.7}
              - {type: InternalIP, address: "fd00::11"}
            """);

        LoadAssert.Valid(result);
        var node = Assert.Single(result.Snapshot.Nodes);
        Assert.Equal([IPAddress.Parse("192.168.56.11"), IPAddress.Parse("203.0.113.7"), IPAddress.Parse("fd00::11")], node.Addresses.ToArray());
    }

    [Fact]
    public void HostEndpoint_IsBound()
    {
        var result = Manifests.Load("""
            apiVersion: netpolhost.io/v1alpha1
            kind: HostEndpoint
            metadata: {name: db-1, namespace: hosts, labels: {role: db}}
            spec:
              nodeName: vm-1
              interfaceName: eth0
              ips: [192.168.10.5, "2001:db8::5"]
              ports:
              - {name: pgsql, port: 5432}
              - {name: dns, port: 53, protocol: UDP}
            """);

        LoadAssert.Valid(result);
        var expected = new HostEndpoint
        {
            Namespace = "hosts",
            Name = "db-1",
            Labels = LabelMap.Of("role", "db"),
            NodeName = "vm-1",
            InterfaceName = "eth0",
            IPs = [IPAddress.Parse("192.168.10.5"), IPAddress.Parse("2001:db8::5")],
            Ports = [new ContainerPort("pgsql", 5432), new ContainerPort("dns", 53, Protocol.Udp)],
        };
        Assert.Equal(expected, Assert.Single(result.Snapshot.HostEndpoints));
    }

    [Fact]
    public void HostEndpoint_IsStrict()
    {
        var result = Manifests.Load("""
            apiVersion: netpolhost.io/v1alpha1
            kind: HostEndpoint
            metadata: {name: db-1, namespace: hosts}
            spec:
              ips: [192.168.10.5, 192.168.10.500]
              port:
              - {name: pgsql, port: 5432}
              ports:
              - {name: pgsql}
              - 5432
              - {name: Pg, port: 70000}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:5:23: spec.ips[1]: expected an IPv4 or IPv6 address, found \"192.168.10.500\"",
            "test.yaml:6:3: spec.port: unknown field \"port\"; expected one of: nodeName, interfaceName, ips, ports (did you mean \"ports\"? port itself belongs in a ports entry: check the indentation)",
            "test.yaml:9:5: spec.ports[0].port: expected a port number, found none",
            "test.yaml:10:5: spec.ports[1]: expected a mapping, found the integer 5432",
            "test.yaml:11:12: spec.ports[2].name: expected a port name (IANA_SVC_NAME), found \"Pg\": it may contain only lower-case letters a-z, digits and '-'",
            "test.yaml:11:22: spec.ports[2].port: expected a port number between 1 and 65535, found 70000");
    }

    [Fact]
    public void HostEndpoint_WithoutSpec_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: netpolhost.io/v1alpha1
            kind: HostEndpoint
            metadata: {name: db-1, namespace: hosts}
            """);

        LoadAssert.Errors(result, "test.yaml:1:1: spec: expected a spec with at least spec.ips, found none");
    }

    // ---- YAML features the Kubernetes reader has ------------------------------------------------------------

    [Fact]
    public void AnchorsAndAliases_AreExpanded()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: &web {matchLabels: {app: web}}
              ingress:
              - from:
                - podSelector: *web
                ports: &ports
                - port: 80
              egress:
              - ports: *ports
            """);

        LoadAssert.Valid(result);
        var policy = Assert.Single(result.Snapshot.Policies);
        Assert.Equal(policy.PodSelector, policy.Ingress[0].Peers[0].PodSelector);
        Assert.Equal(policy.Ingress[0].Ports, policy.Egress[0].Ports);
    }

    [Fact]
    public void MergeKeys_AreApplied_ExplicitKeysWin()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels:
                  <<: {app: web, tier: front}
                  tier: db
              ingress:
              - from:
                - podSelector:
                    matchLabels:
                      <<: [{team: a}, {team: b, env: prod}]
            """);

        LoadAssert.Valid(result);
        var policy = Assert.Single(result.Snapshot.Policies);
        Assert.Equal(LabelSelector.ForLabels("app", "web", "tier", "db"), policy.PodSelector);
        Assert.Equal(LabelSelector.ForLabels("team", "a", "env", "prod"), policy.Ingress[0].Peers[0].PodSelector);
    }

    [Fact]
    public void MergeKey_OfAScalar_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                <<: 5
            """);

        LoadAssert.Errors(result, "policy.yaml:6:9: invalid YAML: expected a mapping or a list of mappings to merge after '<<', found the integer 5");
    }
}
