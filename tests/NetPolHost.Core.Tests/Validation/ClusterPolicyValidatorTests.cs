using System.Globalization;
using NetPolHost.Core.Tests.Parsing;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.Validation;

namespace NetPolHost.Core.Tests.Validation;

/// <summary>
/// One test per rule of the network-policy-api CRD schemas and CEL rules (v0.2.0 for ClusterNetworkPolicy v1alpha2,
/// v0.1.x for the v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy), through the loader (so line, column and
/// path are checked too) and, for the rules of <see cref="PolicyValidator"/>, directly on model objects. The helpers put
/// a three-line header first, so the text of each test starts at line 4.
/// </summary>
public sealed class ClusterPolicyValidatorTests
{
    private const string CnpHeader = "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: guard}\n";
    private const string AnpHeader = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: guard}\n";
    private const string BanpHeader = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\n";
    private const string DomainRule = "expected a domain name such as example.com or *.example.com (labels of letters, digits, '-' and '_' joined by '.', with '*.' only as a prefix; regex '^(\\*\\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\\.?$')";
    private const string EgressPeers = "namespaces, pods, nodes, networks or domainNames";

    // ---- Metadata ------------------------------------------------------------------------------------------

    [Fact]
    public void Name_Missing_IsReported()
    {
        var result = Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {labels: {a: b}}
            spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:3:11: metadata.name: expected a name, found none");
    }

    [Fact]
    public void Name_NotADnsSubdomain_IsReported()
    {
        var result = Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: Guard_Rails}
            spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:3:18: metadata.name: expected a lower-case DNS subdomain name (letters a-z, digits, '-' and '.', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), found \"Guard_Rails\"");
    }

    [Fact]
    public void LabelValue_Invalid_IsReported()
    {
        var result = Load("""
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: ClusterNetworkPolicy
            metadata: {name: guard, labels: {owner: "-platform"}}
            spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:3:41: metadata.labels.owner: expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), found \"-platform\"");
    }

    [Fact]
    public void BaselineAdminNetworkPolicy_NotNamedDefault_IsReported()
    {
        var result = Load("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: {name: baseline}
            spec: {subject: {namespaces: {}}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:3:18: metadata.name: expected the name \"default\" (a cluster has one BaselineAdminNetworkPolicy, and the API server accepts no other name), found \"baseline\"");
    }

    [Fact]
    public void Spec_Missing_IsReported()
    {
        var result = Load(CnpHeader + "status: {}\n");

        LoadAssert.Errors(result, "cnp.yaml:1:1: spec: expected a spec with tier, priority and subject, found none");
    }

    // ---- Tier and priority ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("tier: Admin", null)]
    [InlineData("tier: Baseline", null)]
    [InlineData("tier: admin", "cnp.yaml:4:14: spec.tier: expected one of \"Admin\", \"Baseline\", found \"admin\" (values are case-sensitive)")]
    [InlineData("tier: Developer", "cnp.yaml:4:14: spec.tier: expected one of \"Admin\", \"Baseline\", found \"Developer\"")]
    [InlineData("tier: 1", "cnp.yaml:4:14: spec.tier: expected one of \"Admin\", \"Baseline\", found the integer 1")]
    [InlineData("tier: null", "cnp.yaml:4:14: spec.tier: expected one of \"Admin\", \"Baseline\", found none")]
    public void Tier_IsAdminOrBaseline(string tier, string? error)
    {
        var result = Cnp($"spec: {{{tier}, priority: 1, subject: {{namespaces: {{}}}}}}\n");

        LoadAssert.Errors(result, error is null ? [] : [error]);
    }

    [Fact]
    public void Tier_Missing_IsReported()
    {
        var result = Cnp("spec: {priority: 1, subject: {namespaces: {}}}\n");

        LoadAssert.Errors(result, "cnp.yaml:4:7: spec.tier: expected one of \"Admin\", \"Baseline\", found none");
    }

    [Theory]
    [InlineData("0", null)]
    [InlineData("1000", null)]
    [InlineData("1001", "cnp.yaml:4:31: spec.priority: expected a priority between 0 and 1000, found 1001")]
    [InlineData("-1", "cnp.yaml:4:31: spec.priority: expected a priority between 0 and 1000, found -1")]
    [InlineData("99999999999", "cnp.yaml:4:31: spec.priority: expected a priority between 0 and 1000, found 99999999999")]
    [InlineData("\"5\"", "cnp.yaml:4:31: spec.priority: expected an integer, found the string \"5\" (remove the quotes)")]
    [InlineData("1.5", "cnp.yaml:4:31: spec.priority: expected an integer, found the number 1.5")]
    public void Priority_IsBetween0And1000(string priority, string? error)
    {
        var result = Cnp($"spec: {{tier: Admin, priority: {priority}, subject: {{namespaces: {{}}}}}}\n");

        LoadAssert.Errors(result, error is null ? [] : [error]);
    }

    [Fact]
    public void Priority_Missing_IsReported_InClusterAndAdminPolicies()
    {
        var cnp = Cnp("spec: {tier: Admin, subject: {namespaces: {}}}\n");
        var anp = Anp("spec: {subject: {namespaces: {}}}\n");

        LoadAssert.Errors(cnp, "cnp.yaml:4:7: spec.priority: expected a priority between 0 and 1000, found none");
        LoadAssert.Errors(anp, "cnp.yaml:4:7: spec.priority: expected a priority between 0 and 1000, found none");
    }

    [Fact]
    public void AdminNetworkPolicyPriority_IsBetween0And1000()
    {
        var result = Anp("spec: {priority: 1200, subject: {namespaces: {}}}\n");

        LoadAssert.Errors(result, "cnp.yaml:4:18: spec.priority: expected a priority between 0 and 1000, found 1200");
    }

    // ---- Subject -------------------------------------------------------------------------------------------

    [Fact]
    public void Subject_Missing_IsReported()
    {
        var result = Cnp("spec: {tier: Admin, priority: 1}\n");

        LoadAssert.Errors(result, "cnp.yaml:4:7: spec.subject: expected exactly one of namespaces or pods, found none");
    }

    [Fact]
    public void Subject_Empty_IsReported()
    {
        var result = Cnp("spec: {tier: Admin, priority: 1, subject: {}}\n");

        LoadAssert.Errors(result, "cnp.yaml:4:43: spec.subject: expected exactly one of namespaces or pods, found none");
    }

    [Fact]
    public void Subject_Both_IsReported()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject:
                namespaces: {}
                pods: {podSelector: {}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:8:5: spec.subject: expected exactly one of namespaces or pods, found both (a subject of pods has its own namespaceSelector)");
    }

    [Fact]
    public void Subject_NamespacesWithNoValue_SaysWhatToWrite()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject:
                namespaces:
                matchLabels: {team: shop}
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:8:5: spec.subject: expected exactly one of namespaces or pods, found namespaces with no value (null); write namespaces: {} to select every namespace, or check the indentation of the lines below it",
            "cnp.yaml:9:5: spec.subject.matchLabels: unknown field \"matchLabels\"; expected one of: namespaces, pods; matchLabels belongs in a label selector (namespaces, nodes, namespaceSelector or podSelector): check the indentation");
    }

    [Fact]
    public void SubjectPods_WithoutPodSelector_IsReported_NamespaceSelectorIsOptional()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject:
                pods: {namespaceSelector: {matchLabels: {team: shop}}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:8:11: spec.subject.pods.podSelector: expected a podSelector (a label selector; {} selects every pod), found none");
    }

    [Fact]
    public void V1Alpha1Pods_NeedNamespaceSelectorToo()
    {
        var result = Anp("""
            spec:
              priority: 1
              subject:
                pods: {podSelector: {}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:7:11: spec.subject.pods.namespaceSelector: expected a namespaceSelector (a label selector; {} selects every namespace), found none");
    }

    [Fact]
    public void SubjectSelectors_AreValidatedAsNetworkPolicySelectors()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject:
                pods:
                  namespaceSelector: {matchLabels: {"bad key!": x}}
                  podSelector:
                    matchExpressions:
                    - {key: app, operator: In}
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:9:41: spec.subject.pods.namespaceSelector.matchLabels.bad key!: expected a label key ([prefix/]name), found \"bad key!\": the name part \"bad key!\" must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (regex '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "cnp.yaml:12:11: spec.subject.pods.podSelector.matchExpressions[0].values: expected at least one value for operator In, found none");
    }

    // ---- Rules ---------------------------------------------------------------------------------------------

    [Fact]
    public void IngressRules_AtMost25()
    {
        var rules = string.Concat(Enumerable.Repeat("  - {action: Deny, from: [{namespaces: {}}]}\n", 26));
        var result = Cnp("spec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n" + rules);

        LoadAssert.Errors(result, "cnp.yaml:9:3: spec.ingress: expected at most 25 ingress rules, found 26");
    }

    [Fact]
    public void EgressRules_AtMost25_ButAdminNetworkPolicyAllows100()
    {
        var rules = string.Concat(Enumerable.Repeat("  - {action: Deny, to: [{namespaces: {}}]}\n", 26));
        var cnp = Cnp("spec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n" + rules);
        var anp = Anp("spec:\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n" + rules);
        var anp101 = Anp("spec:\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n" + string.Concat(Enumerable.Repeat("  - {action: Deny, to: [{namespaces: {}}]}\n", 101)));

        LoadAssert.Errors(cnp, "cnp.yaml:9:3: spec.egress: expected at most 25 egress rules, found 26");
        LoadAssert.Valid(anp);
        LoadAssert.Errors(anp101, "cnp.yaml:8:3: spec.egress: expected at most 100 egress rules, found 101");
    }

    [Fact]
    public void Rule_Null_IsReported()
    {
        var result = Cnp("spec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  -\n");

        LoadAssert.Errors(result, "cnp.yaml:9:4: spec.ingress[0]: expected a rule (a mapping with action and from), found null");
    }

    [Fact]
    public void RuleName_AtMost100Characters()
    {
        var name = new string('r', 101);
        var ok = Cnp($"spec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  ingress:\n  - {{name: {name[..100]}, action: Deny, from: [{{namespaces: {{}}}}]}}\n");
        var result = Cnp($"spec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  ingress:\n  - {{name: {name}, action: Deny, from: [{{namespaces: {{}}}}]}}\n");

        LoadAssert.Valid(ok);
        LoadAssert.Errors(result, "cnp.yaml:9:12: spec.ingress[0].name: expected a rule name of at most 100 characters, found 101 characters");
    }

    [Theory]
    [InlineData("Cnp", "action: Accept", null)]
    [InlineData("Cnp", "action: Pass", null)]
    [InlineData("Cnp", "action: deny", "expected one of \"Accept\", \"Deny\", \"Pass\", found \"deny\" (values are case-sensitive)")]
    [InlineData("Cnp", "action: Allow", "expected one of \"Accept\", \"Deny\", \"Pass\", found \"Allow\" (a ClusterNetworkPolicy says Accept; Allow is the v1alpha1 spelling)")]
    [InlineData("Cnp", "action: Drop", "expected one of \"Accept\", \"Deny\", \"Pass\", found \"Drop\"")]
    [InlineData("Cnp", "action: [Deny]", "expected one of \"Accept\", \"Deny\", \"Pass\", found a list")]
    [InlineData("Anp", "action: Allow", null)]
    [InlineData("Anp", "action: Pass", null)]
    [InlineData("Anp", "action: Accept", "expected one of \"Allow\", \"Deny\", \"Pass\", found \"Accept\" (a AdminNetworkPolicy says Allow; Accept is the ClusterNetworkPolicy spelling)")]
    [InlineData("Banp", "action: Allow", null)]
    [InlineData("Banp", "action: Pass", "expected one of \"Allow\", \"Deny\", found \"Pass\" (a BaselineAdminNetworkPolicy is the last tier: there is nothing to pass to)")]
    public void Action_IsOneOfTheKindsActions(string kind, string action, string? error)
    {
        var spec = kind switch
        {
            "Cnp" => "spec:\n  tier: Admin\n  priority: 1\n",
            "Anp" => "spec:\n  priority: 1\n",
            _ => "spec:\n",
        };
        var text = spec + $"  subject: {{namespaces: {{}}}}\n  ingress:\n  - {{{action}, from: [{{namespaces: {{}}}}]}}\n";
        var line = 4 + text.Count(c => c == '\n') - 1;
        var result = kind switch
        {
            "Cnp" => Cnp(text),
            "Anp" => Anp(text),
            _ => Banp(text),
        };

        LoadAssert.Errors(result, error is null ? [] : [$"cnp.yaml:{line.ToString(CultureInfo.InvariantCulture)}:14: spec.ingress[0].action: {error}"]);
    }

    [Fact]
    public void Action_Missing_IsReported()
    {
        var result = Cnp("spec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - to: [{namespaces: {}}]\n");

        LoadAssert.Errors(result, "cnp.yaml:9:5: spec.egress[0].action: expected one of \"Accept\", \"Deny\", \"Pass\", found none");
    }

    // ---- Peers ---------------------------------------------------------------------------------------------

    [Fact]
    public void From_Missing_OrEmpty_IsReported()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Deny
              - action: Deny
                from: []
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:9:5: spec.ingress[0].from: expected 1 to 25 peers, found none",
            "cnp.yaml:11:11: spec.ingress[1].from: expected 1 to 25 peers, found none");
    }

    [Fact]
    public void To_AtMost25Peers_ButAdminNetworkPolicyAllows100()
    {
        var peers = string.Join(", ", Enumerable.Repeat("{namespaces: {}}", 26));
        var cnp = Cnp($"spec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  egress:\n  - action: Deny\n    to: [{peers}]\n");
        var anp = Anp($"spec:\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  egress:\n  - action: Deny\n    to: [{peers}]\n");

        LoadAssert.Errors(cnp, "cnp.yaml:10:9: spec.egress[0].to: expected 1 to 25 peers, found 26");
        LoadAssert.Valid(anp);
    }

    [Fact]
    public void Peer_Empty_OrNull_IsReported()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Deny
                to:
                - {}
                -
            """);

        LoadAssert.Errors(
            result,
            $"cnp.yaml:11:7: spec.egress[0].to[0]: expected exactly one of {EgressPeers}, found an empty peer",
            $"cnp.yaml:12:6: spec.egress[0].to[1]: expected exactly one of {EgressPeers}, found an empty peer");
    }

    [Fact]
    public void Peer_TwoFields_IsReported()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Deny
                from:
                - namespaces: {}
                  pods: {podSelector: {}}
            """);

        LoadAssert.Errors(result, "cnp.yaml:11:7: spec.ingress[0].from[0]: expected exactly one of namespaces or pods, found namespaces and pods (make them separate peers)");
    }

    [Fact]
    public void Peer_KnownFieldAndUnknownField_IsTwoFields()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Deny
                to:
                - networks: [10.0.0.0/8]
                  services: {name: db}
            """);

        LoadAssert.Errors(result, $"cnp.yaml:11:7: spec.egress[0].to[0]: expected exactly one of {EgressPeers}, found networks and services (make them separate peers)");
    }

    [Fact]
    public void IngressPeer_NetworksNodesDomainNames_AreEgressOnly()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Deny
                from:
                - networks: [10.0.0.0/8]
                - nodes: {}
                - domainNames: [example.com]
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:11:17: spec.ingress[0].from[0].networks: expected one of namespaces or pods in an ingress peer, found networks (nodes, networks and domainNames are egress peers)",
            "cnp.yaml:12:14: spec.ingress[0].from[1].nodes: expected one of namespaces or pods in an ingress peer, found nodes (nodes, networks and domainNames are egress peers)",
            "cnp.yaml:13:20: spec.ingress[0].from[2].domainNames: expected one of namespaces or pods in an ingress peer, found domainNames (nodes, networks and domainNames are egress peers)");
    }

    [Fact]
    public void BaselineAdminNetworkPolicyPeer_HasNoDomainNames()
    {
        var result = Banp("""
            spec:
              subject: {namespaces: {}}
              egress:
              - action: Allow
                to:
                - domainNames: [example.com]
            """);

        LoadAssert.Errors(result, "cnp.yaml:9:20: spec.egress[0].to[0].domainNames: expected one of namespaces, pods, nodes or networks in a BaselineAdminNetworkPolicy egress peer, found domainNames");
    }

    [Fact]
    public void PeerSelectors_AreValidated()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Deny
                to:
                - nodes: {matchExpressions: [{key: zone, operator: Exists, values: [a]}]}
                - pods: {podSelector: {matchLabels: {app: "web app"}}}
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:11:72: spec.egress[0].to[0].nodes.matchExpressions[0].values: expected no values for operator Exists, found 1",
            "cnp.yaml:12:47: spec.egress[0].to[1].pods.podSelector.matchLabels.app: expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), found \"web app\"");
    }

    [Fact]
    public void PeerPods_WithoutPodSelector_IsReported()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Deny
                from:
                - pods: {}
            """);

        LoadAssert.Errors(result, "cnp.yaml:11:13: spec.ingress[0].from[0].pods.podSelector: expected a podSelector (a label selector; {} selects every pod), found none");
    }

    [Fact]
    public void PeerFieldWithNoValue_SaysWhatToWrite()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Deny
                to:
                - nodes:
            """);

        LoadAssert.Errors(result, $"cnp.yaml:11:7: spec.egress[0].to[0]: expected exactly one of {EgressPeers}, found nodes with no value (null); write nodes: {{}} to select every node, or check the indentation of the lines below it");
    }

    // ---- Networks ------------------------------------------------------------------------------------------

    [Fact]
    public void Networks_OneTo25()
    {
        var many = string.Join(", ", Enumerable.Range(1, 26).Select(i => $"10.{i.ToString(CultureInfo.InvariantCulture)}.0.0/16"));
        var result = Cnp($$$"""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Deny
                to:
                - networks: []
                - networks: [{{{many}}}]
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:11:17: spec.egress[0].to[0].networks: expected 1 to 25 networks, found none",
            "cnp.yaml:12:17: spec.egress[0].to[1].networks: expected 1 to 25 networks, found 26");
    }

    [Theory]
    [InlineData("10.0.0.0", "expected a CIDR such as 10.9.8.0/24 or 2001:db8::/64, found \"10.0.0.0\" (for the single address, write 10.0.0.0/32)")]
    [InlineData("10.0.0.0/33", "expected a CIDR such as 10.9.8.0/24 or 2001:db8::/64, found \"10.0.0.0/33\" (the prefix length of an IPv4 block is at most 32)")]
    [InlineData("::ffff:10.0.0.0/104", "expected a CIDR such as 10.9.8.0/24 or 2001:db8::/64, found \"::ffff:10.0.0.0/104\" (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: write the IPv4 block 10.0.0.0/8)")]
    [InlineData("example.com", "expected a CIDR such as 10.9.8.0/24 or 2001:db8::/64, found \"example.com\"")]
    [InlineData("0000:0000:0000:0000:0000:0000:100.101.102.103/128", "expected a CIDR of at most 43 characters, found 49 characters (\"0000:0000:0000:0000:0000:0000:100.101.102.103/128\")")]
    public void Networks_AreCidrs_OfAtMost43Characters(string cidr, string message)
    {
        var result = Cnp($"spec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  egress:\n  - action: Deny\n    to:\n    - networks: [\"{cidr}\"]\n");

        LoadAssert.Errors(result, $"cnp.yaml:11:18: spec.egress[0].to[0].networks[0]: {message}");
    }

    [Fact]
    public void Networks_HostBitsSet_AreAccepted_AsIsCidrDoes()
    {
        var result = Cnp("spec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to:\n    - networks: [10.1.2.3/8]\n");

        LoadAssert.Valid(result);
        Assert.Equal("10.0.0.0/8", Assert.Single(result.Snapshot.ClusterPolicies).Egress[0].Peers[0].Networks[0].ToString());
    }

    [Fact]
    public void Networks_Duplicate_IsReported()
    {
        var result = Cnp("spec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to:\n    - networks: [10.0.0.0/8, 192.168.0.0/16, 10.0.0.0/8]\n");

        LoadAssert.Errors(result, "cnp.yaml:11:46: spec.egress[0].to[0].networks[2]: expected each network once, found \"10.0.0.0/8\" again (first at networks[0])");
    }

    // ---- Domain names --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("example.com", null)]
    [InlineData("*.example.com", null)]
    [InlineData("www.example.com.", null)]
    [InlineData("_dmarc.example.com", null)]
    [InlineData("localhost", "localhost")]
    [InlineData("www.*.example.com", "www.*.example.com")]
    [InlineData("*example.com", "*example.com")]
    [InlineData("-bad.example.com", "-bad.example.com")]
    [InlineData("exa mple.com", "exa mple.com")]
    public void DomainNames_MatchTheUpstreamPattern(string name, string? invalid)
    {
        var result = Cnp($"spec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  egress:\n  - action: Accept\n    to:\n    - domainNames: [\"{name}\"]\n");

        LoadAssert.Errors(result, invalid is null ? [] : [$"cnp.yaml:11:21: spec.egress[0].to[0].domainNames[0]: {DomainRule}, found \"{invalid}\""]);
    }

    [Fact]
    public void DomainNames_OneTo25_EachOnce()
    {
        var many = string.Join(", ", Enumerable.Range(1, 26).Select(i => $"h{i.ToString(CultureInfo.InvariantCulture)}.example.com"));
        var result = Cnp($$$"""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Accept
                to:
                - domainNames: []
                - domainNames: [{{{many}}}]
                - domainNames: [a.example, a.example]
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:11:20: spec.egress[0].to[0].domainNames: expected 1 to 25 domain names, found none",
            "cnp.yaml:12:20: spec.egress[0].to[1].domainNames: expected 1 to 25 domain names, found 26",
            "cnp.yaml:13:32: spec.egress[0].to[2].domainNames[1]: expected each domain name once, found \"a.example\" again (first at domainNames[0])");
    }

    // ---- Protocols (v1alpha2) ------------------------------------------------------------------------------

    [Fact]
    public void Protocols_Empty_OrMoreThan25_IsReported()
    {
        var many = string.Join(", ", Enumerable.Range(1, 26).Select(i => $"{{tcp: {{destinationPort: {{number: {i.ToString(CultureInfo.InvariantCulture)}}}}}}}"));
        var result = Cnp($$$"""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - action: Deny
                from: [{namespaces: {}}]
                protocols: []
              - action: Deny
                from: [{namespaces: {}}]
                protocols: [{{{many}}}]
            """);

        LoadAssert.Errors(
            result,
            "cnp.yaml:11:16: spec.ingress[0].protocols: expected 1 to 25 protocols, found none (leave protocols out to match every protocol and port)",
            "cnp.yaml:14:16: spec.ingress[1].protocols: expected 1 to 25 protocols, found 26");
    }

    [Theory]
    [InlineData("{}", "cnp.yaml:12:7: spec.ingress[0].protocols[0]: expected exactly one of tcp, udp, sctp or destinationNamedPort, found none")]
    [InlineData("null", "cnp.yaml:12:7: spec.ingress[0].protocols[0]: expected exactly one of tcp, udp, sctp or destinationNamedPort, found null")]
    [InlineData("{tcp: {destinationPort: {number: 80}}, udp: {destinationPort: {number: 80}}}", "cnp.yaml:12:7: spec.ingress[0].protocols[0]: expected exactly one of tcp, udp, sctp or destinationNamedPort, found tcp and udp (make them separate entries)")]
    [InlineData("{icmp: {}}", "cnp.yaml:12:8: spec.ingress[0].protocols[0].icmp: unknown field \"icmp\"; expected one of: tcp, udp, sctp, destinationNamedPort")]
    [InlineData("{tcp: {}}", "cnp.yaml:12:13: spec.ingress[0].protocols[0].tcp.destinationPort: expected a destinationPort (a number or a range), found none")]
    [InlineData("{udp: null}", "cnp.yaml:12:13: spec.ingress[0].protocols[0].udp.destinationPort: expected a destinationPort (a number or a range), found none")]
    [InlineData("{sctp: {destinationPort: {}}}", "cnp.yaml:12:32: spec.ingress[0].protocols[0].sctp.destinationPort: expected exactly one of number or range, found none")]
    [InlineData("{tcp: {destinationPort: {number: 80, range: {start: 80, end: 90}}}}", "cnp.yaml:12:31: spec.ingress[0].protocols[0].tcp.destinationPort: expected exactly one of number or range, found number and range")]
    [InlineData("{tcp: {destinationPort: {number: 0}}}", "cnp.yaml:12:40: spec.ingress[0].protocols[0].tcp.destinationPort.number: expected a port number between 1 and 65535, found 0")]
    [InlineData("{tcp: {destinationPort: {number: 65536}}}", "cnp.yaml:12:40: spec.ingress[0].protocols[0].tcp.destinationPort.number: expected a port number between 1 and 65535, found 65536")]
    [InlineData("{tcp: {destinationPort: {range: {start: 90, end: 80}}}}", "cnp.yaml:12:39: spec.ingress[0].protocols[0].tcp.destinationPort.range: expected start below end (for one port, write number), found start 90 and end 80")]
    [InlineData("{tcp: {destinationPort: {range: {start: 80, end: 80}}}}", "cnp.yaml:12:39: spec.ingress[0].protocols[0].tcp.destinationPort.range: expected start below end (for one port, write number), found start 80 and end 80")]
    [InlineData("{tcp: {destinationPort: {range: {start: 0, end: 80}}}}", "cnp.yaml:12:47: spec.ingress[0].protocols[0].tcp.destinationPort.range.start: expected a port number between 1 and 65535, found 0")]
    [InlineData("{tcp: {destinationPort: {range: {start: 80}}}}", "cnp.yaml:12:39: spec.ingress[0].protocols[0].tcp.destinationPort.range.end: expected an end port between 1 and 65535, found none")]
    [InlineData("{tcp: {destinationPort: {range: {start: 80, end: 70000}}}}", "cnp.yaml:12:56: spec.ingress[0].protocols[0].tcp.destinationPort.range.end: expected a port number between 1 and 65535, found 70000")]
    [InlineData("{destinationNamedPort: null}", "cnp.yaml:12:30: spec.ingress[0].protocols[0].destinationNamedPort: expected the name of a container port, found none")]
    [InlineData("{destinationNamedPort: \"\"}", "cnp.yaml:12:30: spec.ingress[0].protocols[0].destinationNamedPort: expected the name of a container port, found an empty string")]
    [InlineData("{tcp: {destinationPort: {number: 80}}}", null)]
    [InlineData("{sctp: {destinationPort: {range: {start: 1, end: 65535}}}}", null)]
    [InlineData("{destinationNamedPort: http}", null)]
    public void ProtocolEntry_IsExactlyOneProtocolWithOnePortOrRange(string entry, string? error)
    {
        var result = Cnp($"spec:\n  tier: Admin\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  ingress:\n  - action: Deny\n    from: [{{namespaces: {{}}}}]\n    protocols:\n    - {entry}\n");

        LoadAssert.Errors(result, error is null ? [] : [error]);
    }

    [Theory]
    [InlineData("networks: [10.0.0.0/8]", "networks at to[1]")]
    [InlineData("nodes: {}", "nodes at to[1]")]
    [InlineData("domainNames: [example.com]", "domainNames at to[1]")]
    public void NamedPort_NotWithNetworksNodesOrDomainNames(string peer, string found)
    {
        var result = Cnp($$$"""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              egress:
              - action: Accept
                to:
                - namespaces: {}
                - {{{peer}}}
                protocols:
                - tcp: {destinationPort: {number: 80}}
                - destinationNamedPort: web
            """);

        LoadAssert.Errors(result, $"cnp.yaml:15:29: spec.egress[0].protocols[1].destinationNamedPort: expected no named port in a rule with networks, nodes or domainNames peers (they have no named ports), found destinationNamedPort \"web\" and {found}");
    }

    [Fact]
    public void NamedPort_WithPodPeers_IsFine_InBothDirections()
    {
        var result = Cnp("""
            spec:
              tier: Admin
              priority: 1
              subject: {namespaces: {}}
              ingress:
              - {action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: web}]}
              egress:
              - {action: Accept, to: [{pods: {podSelector: {}}}], protocols: [{destinationNamedPort: web}]}
            """);

        LoadAssert.Valid(result);
    }

    // ---- Ports (v1alpha1) ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("{}", "cnp.yaml:11:7: spec.ingress[0].ports[0]: expected exactly one of portNumber, namedPort or portRange, found none")]
    [InlineData("{portNumber: {port: 80}, namedPort: web}", "cnp.yaml:11:7: spec.ingress[0].ports[0]: expected exactly one of portNumber, namedPort or portRange, found portNumber and namedPort (make them separate entries)")]
    [InlineData("{portNumber: {protocol: TCP}}", "cnp.yaml:11:20: spec.ingress[0].ports[0].portNumber.port: expected a port number between 1 and 65535, found none")]
    [InlineData("{portNumber: {protocol: tcp, port: 80}}", "cnp.yaml:11:31: spec.ingress[0].ports[0].portNumber.protocol: expected one of \"TCP\", \"UDP\", \"SCTP\", found \"tcp\" (protocols are case-sensitive: write TCP)")]
    [InlineData("{portNumber: {port: 0}}", "cnp.yaml:11:27: spec.ingress[0].ports[0].portNumber.port: expected a port number between 1 and 65535, found 0")]
    [InlineData("{portRange: {start: 90, end: 80}}", "cnp.yaml:11:19: spec.ingress[0].ports[0].portRange: expected start at most end, found start 90 and end 80")]
    [InlineData("{portRange: {start: 80}}", "cnp.yaml:11:19: spec.ingress[0].ports[0].portRange.end: expected an end port between 1 and 65535, found none")]
    [InlineData("{portRange: {start: 70000, end: 70000}}", "cnp.yaml:11:27: spec.ingress[0].ports[0].portRange.start: expected a port number between 1 and 65535, found 70000\ncnp.yaml:11:39: spec.ingress[0].ports[0].portRange.end: expected a port number between 1 and 65535, found 70000")]
    [InlineData("{tcp: {destinationPort: {number: 80}}}", "cnp.yaml:11:8: spec.ingress[0].ports[0].tcp: unknown field \"tcp\"; expected one of: portNumber, namedPort, portRange; a ports entry is portNumber (protocol and port), portRange (protocol, start and end) or namedPort (tcp is ClusterNetworkPolicy syntax)")]
    [InlineData("{portRange: {protocol: SCTP, start: 80, end: 80}}", null)]
    [InlineData("{namedPort: web}", null)]
    public void V1Alpha1PortEntry_IsExactlyOneOfPortNumberNamedPortPortRange(string entry, string? error)
    {
        var result = Anp($"spec:\n  priority: 1\n  subject: {{namespaces: {{}}}}\n  ingress:\n  - action: Deny\n    from: [{{namespaces: {{}}}}]\n    ports:\n    - {entry}\n");

        LoadAssert.Errors(result, error is null ? [] : error.Split('\n'));
    }

    [Fact]
    public void V1Alpha1Ports_Empty_IsReported()
    {
        var result = Anp("spec:\n  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - action: Deny\n    from: [{namespaces: {}}]\n    ports: []\n");

        LoadAssert.Errors(result, "cnp.yaml:10:12: spec.ingress[0].ports: expected 1 to 100 ports, found none (leave ports out to match every port)");
    }

    [Fact]
    public void V1Alpha1NamedPort_NotWithNetworks_AndForBaselineNotWithNodes()
    {
        var anp = Anp("spec:\n  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to: [{networks: [10.0.0.0/8]}]\n    ports: [{namedPort: web}]\n");
        var banp = Banp("spec:\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to: [{nodes: {}}]\n    ports: [{namedPort: web}]\n");

        LoadAssert.Errors(anp, "cnp.yaml:10:25: spec.egress[0].ports[0].namedPort: expected no named port in a rule with networks, nodes or domainNames peers (they have no named ports), found namedPort \"web\" and networks at to[0]");
        LoadAssert.Errors(banp, "cnp.yaml:9:25: spec.egress[0].ports[0].namedPort: expected no named port in a rule with networks or nodes peers (they have no named ports), found namedPort \"web\" and nodes at to[0]");
    }

    // ---- The validator on model objects ----------------------------------------------------------------------

    [Fact]
    public void Model_Valid_HasNoErrors()
    {
        Assert.Empty(PolicyValidator.Validate(Policy()));
    }

    [Fact]
    public void Model_PriorityTierAndSubject_AreChecked()
    {
        var policy = Policy() with { Priority = 2000, Tier = (PolicyTier)7, Subject = new ClusterPolicySubject { Namespaces = LabelSelector.Everything, Pods = new NamespacedPodSelector(LabelSelector.Everything, LabelSelector.Everything) } };

        Assert.Equal(
            [
                "spec.tier: expected one of \"Admin\", \"Baseline\", found 7",
                "spec.priority: expected a priority between 0 and 1000, found 2000",
                "spec.subject: expected exactly one of namespaces or pods, found both (a subject of pods has its own namespaceSelector)",
            ],
            PolicyValidator.Validate(policy).Select(e => e.ToString()));
    }

    [Fact]
    public void Model_V1Alpha1Kinds_KeepTheirTierAndPriorityAndActions()
    {
        var banp = Policy() with
        {
            SourceKind = "BaselineAdminNetworkPolicy",
            Name = "default",
            Tier = PolicyTier.Admin,
            Priority = 3,
            Ingress = [new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Pass, Peers = [new ClusterPolicyPeer { Namespaces = LabelSelector.Everything }] }],
        };

        Assert.Equal(
            [
                "spec: expected the Baseline tier for a BaselineAdminNetworkPolicy, found the Admin tier",
                "spec: expected priority 0 for a BaselineAdminNetworkPolicy, which has no priority, found 3",
                "spec.ingress[0].action: expected one of \"Allow\", \"Deny\", found \"Pass\"",
            ],
            PolicyValidator.Validate(banp).Select(e => e.ToString()));
    }

    [Fact]
    public void Model_PeersAndPorts_AreChecked()
    {
        var policy = Policy() with
        {
            Egress =
            [
                new ClusterNetworkPolicyRule
                {
                    Action = ClusterPolicyAction.Deny,
                    Peers =
                    [
                        new ClusterPolicyPeer { Namespaces = LabelSelector.Everything, Nodes = LabelSelector.Everything },
                        new ClusterPolicyPeer(),
                        new ClusterPolicyPeer { UnknownFields = ["services"] },
                        new ClusterPolicyPeer { DomainNames = ["*"] },
                    ],
                    Protocols =
                    [
                        new ClusterPolicyPort { Protocol = Protocol.Tcp },
                        new ClusterPolicyPort { Protocol = Protocol.Udp, Port = 100, EndPort = 90 },
                        new ClusterPolicyPort { Protocol = (Protocol)99, Port = 1, EndPort = 1 },
                        new ClusterPolicyPort { NamedPort = "web" },
                    ],
                },
            ],
        };

        Assert.Equal(
            [
                $"spec.egress[0].to[0]: expected exactly one of {EgressPeers}, found namespaces and nodes (make them separate peers)",
                $"spec.egress[0].to[1]: expected exactly one of {EgressPeers}, found an empty peer",
                $"spec.egress[0].to[3].domainNames[0]: {DomainRule}, found \"*\"",
                "spec.egress[0].protocols[0].tcp.destinationPort: expected a destinationPort (a number or a range), found none",
                "spec.egress[0].protocols[1].udp.destinationPort.range: expected start below end (for one port, write number), found start 100 and end 90",
                "spec.egress[0].protocols[2]: expected one of tcp, udp, sctp or destinationNamedPort, found \"99\"",
                "spec.egress[0].protocols[3].destinationNamedPort: expected no named port in a rule with networks, nodes or domainNames peers (they have no named ports), found destinationNamedPort \"web\" and nodes at to[0]",
            ],
            PolicyValidator.Validate(policy).Select(e => e.ToString()));
    }

    [Fact]
    public void Model_UnknownSourceKind_IsReported()
    {
        var error = Assert.Single(PolicyValidator.Validate(Policy() with { SourceKind = "NetworkPolicy" }));

        Assert.Equal(": expected the kind ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy, found \"NetworkPolicy\"", error.ToString());
    }

    private static ClusterNetworkPolicy Policy() => new()
    {
        Name = "guard",
        Tier = PolicyTier.Admin,
        Priority = 5,
        Subject = new ClusterPolicySubject { Namespaces = LabelSelector.Everything },
        Ingress = [new ClusterNetworkPolicyRule { Action = ClusterPolicyAction.Accept, Peers = [new ClusterPolicyPeer { Namespaces = LabelSelector.Everything }] }],
    };

    private static LoadResult Load(string text) => ManifestLoader.LoadText(text, "cnp.yaml");

    private static LoadResult Cnp(string rest) => Load(CnpHeader + rest);

    private static LoadResult Anp(string rest) => Load(AnpHeader + rest);

    private static LoadResult Banp(string rest) => Load(BanpHeader + rest);
}
