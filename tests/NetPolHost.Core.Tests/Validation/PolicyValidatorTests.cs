using System.Net;
using NetPolHost.Core.Tests.Parsing;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Core.Tests.Validation;

/// <summary>
/// One test per validation rule, through the loader (so the place is checked too: line, column and path) and, for the
/// rules that live in <see cref="PolicyValidator"/>, directly on model objects. <see cref="Manifests.LoadPolicy"/> puts
/// a three-line header first, so the text of each test starts at line 4.
/// </summary>
public sealed class PolicyValidatorTests
{
    private const string LabelNameRule = "must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (regex '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    private const string LabelValueRule = "expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    private const string SubdomainRule = "(lower-case letters, digits, '-' and '.', regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string CidrExample = "expected a CIDR such as 10.9.8.0/24 or 2001:db8::/64";
    private const string PortRange = "expected a port number between 1 and 65535";
    private const string EmptyPeer = "expected at least one of podSelector, namespaceSelector or ipBlock, found an empty peer";

    // ---- Label keys -----------------------------------------------------------------------------------------

    [Fact]
    public void LabelKey_NamePartStartsWithDash_IsReportedAtTheKey()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels:
                  app: web
                  -tier: db
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:7: spec.podSelector.matchLabels.-tier: expected a label key ([prefix/]name), found \"-tier\": the name part \"-tier\" {LabelNameRule}");
        var error = Assert.Single(result.Errors);
        Assert.Equal("policy.yaml", error.File);
        Assert.Equal(8, error.Line);
        Assert.Equal(7, error.Column);
        Assert.Equal("spec.podSelector.matchLabels.-tier", error.Path);
        Assert.Equal("NetworkPolicy shop/web", error.Object);
        Assert.Empty(result.Snapshot.Policies);
    }

    [Fact]
    public void LabelKey_NamePartWithSpace_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels: {"my app": web}
            """);

        LoadAssert.Errors(result, $"policy.yaml:6:19: spec.podSelector.matchLabels.my app: expected a label key ([prefix/]name), found \"my app\": the name part \"my app\" {LabelNameRule}");
    }

    [Fact]
    public void LabelKey_PrefixWithUpperCase_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels:
                  Example.com/app: web
            """);

        LoadAssert.Errors(result, $"policy.yaml:7:7: spec.podSelector.matchLabels.Example.com/app: expected a label key ([prefix/]name), found \"Example.com/app\": the prefix \"Example.com\" is not a DNS subdomain {SubdomainRule}");
    }

    [Fact]
    public void LabelKey_EmptyPrefix_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels: {/app: web}
            """);

        LoadAssert.Errors(result, "test.yaml:5:12: metadata.labels./app: expected a label key ([prefix/]name), found \"/app\": the prefix before '/' is empty");
    }

    [Fact]
    public void LabelKey_EmptyNamePart_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels: {example.com/: web}
            """);

        LoadAssert.Errors(result, "policy.yaml:6:19: spec.podSelector.matchLabels.example.com/: expected a label key ([prefix/]name), found \"example.com/\": the name part is empty");
    }

    [Fact]
    public void LabelKey_TwoSlashes_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels: {a/b/c: web}
            """);

        LoadAssert.Errors(result, "policy.yaml:6:19: spec.podSelector.matchLabels.a/b/c: expected a label key of the form [prefix/]name with at most one '/', found \"a/b/c\"");
    }

    [Fact]
    public void LabelKey_NamePartOf64Characters_IsTooLong()
    {
        var name = new string('a', 64);
        var result = Manifests.LoadPolicy($$"""
            spec:
              podSelector:
                matchLabels: {{{name}}: web}
            """);

        LoadAssert.Errors(result, $"policy.yaml:6:19: spec.podSelector.matchLabels.{name}: expected a label key ([prefix/]name), found \"{new string('a', 57)}...\": the name part is 64 characters long, more than 63");
    }

    [Fact]
    public void LabelKey_NamePartOf63Characters_IsValid()
    {
        var result = Manifests.LoadPolicy($$"""
            spec:
              podSelector:
                matchLabels: {example.com/{{new string('a', 63)}}: web}
            """);

        LoadAssert.Valid(result);
    }

    [Fact]
    public void LabelKey_PrefixOf254Characters_IsTooLong()
    {
        var prefix = string.Join('.', Enumerable.Repeat(new string('a', 62), 4)) + ".bc";
        Assert.Equal(254, prefix.Length);

        var error = Rules.LabelKey(prefix + "/app");

        Assert.Equal($"expected a label key ([prefix/]name), found \"{prefix[..57]}...\": the prefix is 254 characters long, more than 253", error);
    }

    [Fact]
    public void LabelKey_OfNamespaceAndPodLabels_IsCheckedToo()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels:
                team_: a
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: shop
              labels: {_app: web}
            """);

        LoadAssert.Errors(
            result,
            $"test.yaml:6:5: metadata.labels.team_: expected a label key ([prefix/]name), found \"team_\": the name part \"team_\" {LabelNameRule}",
            $"test.yaml:13:12: metadata.labels._app: expected a label key ([prefix/]name), found \"_app\": the name part \"_app\" {LabelNameRule}");
    }

    // ---- Label values ---------------------------------------------------------------------------------------

    [Fact]
    public void LabelValue_WithSpace_IsReportedAtTheValue()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels:
                  app: "web server"
            """);

        LoadAssert.Errors(result, $"policy.yaml:7:12: spec.podSelector.matchLabels.app: {LabelValueRule}, found \"web server\"");
    }

    [Fact]
    public void LabelValue_EndingWithDash_IsRejected_AndEveryBadLabelIsReported()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels:
                  -app: web
                  tier: db-
                  ok: "yes"
            """);

        LoadAssert.Errors(
            result,
            $"policy.yaml:7:7: spec.podSelector.matchLabels.-app: expected a label key ([prefix/]name), found \"-app\": the name part \"-app\" {LabelNameRule}",
            $"policy.yaml:8:13: spec.podSelector.matchLabels.tier: {LabelValueRule}, found \"db-\"");
    }

    [Fact]
    public void LabelValue_Of64Characters_IsTooLong()
    {
        var value = new string('v', 64);
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector:
                matchLabels:
                  app: {value}
            """);

        LoadAssert.Errors(result, $"policy.yaml:7:12: spec.podSelector.matchLabels.app: expected a label value of at most 63 characters, found 64 characters (\"{new string('v', 57)}...\")");
    }

    [Fact]
    public void LabelValue_EmptyOrNull_IsValidAndEmpty()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchLabels: {a: "", b: , c: null, d: ~}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(LabelMap.Of("a", string.Empty, "b", string.Empty, "c", string.Empty, "d", string.Empty), result.Snapshot.Policies[0].PodSelector.MatchLabels);
    }

    [Fact]
    public void LabelValue_InMatchExpressions_IsChecked()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchExpressions:
                - key: tier
                  operator: NotIn
                  values: [db, "not valid", cache]
            """);

        LoadAssert.Errors(result, $"policy.yaml:9:20: spec.podSelector.matchExpressions[0].values[1]: {LabelValueRule}, found \"not valid\"");
    }

    [Fact]
    public void LabelValue_InMetadataLabels_IsChecked()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: web
              namespace: shop
              labels:
                owner: team@example.com
            spec:
              podSelector: {}
            """);

        LoadAssert.Errors(result, $"test.yaml:7:12: metadata.labels.owner: {LabelValueRule}, found \"team@example.com\"");
    }

    // ---- Ports ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("0", "0")]
    [InlineData("70000", "70000")]
    [InlineData("65536", "65536")]
    [InlineData("-1", "-1")]
    [InlineData("99999999999", "99999999999")]
    public void PortNumber_OutOfRange_IsRejected(string yaml, string found)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - ports:
                - port: {yaml}
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:13: spec.ingress[0].ports[0].port: {PortRange}, found {found}");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("65535")]
    [InlineData("0x50")]
    public void PortNumber_InRange_IsValid(string yaml)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - ports:
                - port: {yaml}
            """);

        LoadAssert.Valid(result);
    }

    [Theory]
    [InlineData("abcdefghijklmnop", "it is 16 characters long, more than 15")]
    [InlineData("Http_Port", "it may contain only lower-case letters a-z, digits and '-'")]
    [InlineData("HTTP", "it may contain only lower-case letters a-z, digits and '-'")]
    [InlineData("web_port", "it may contain only lower-case letters a-z, digits and '-'")]
    [InlineData("\"80\"", "it must contain at least one letter (for a port number, write it without quotes)")]
    [InlineData("\"8-0\"", "it must contain at least one letter")]
    [InlineData("a--b", "it must not contain '--'")]
    [InlineData("-http", "it must not begin or end with '-'")]
    [InlineData("http-", "it must not begin or end with '-'")]
    [InlineData("-Web_", "it may contain only lower-case letters a-z, digits and '-'; it must not begin or end with '-'")]
    [InlineData("abcdefgh--ijklmnop", "it is 18 characters long, more than 15; it must not contain '--'")]
    public void PortName_NotAnIanaServiceName_IsRejected(string yaml, string problem)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - ports:
                - port: {yaml}
            """);

        var name = yaml.Trim('"');
        LoadAssert.Errors(result, $"policy.yaml:8:13: spec.ingress[0].ports[0].port: expected a port name (IANA_SVC_NAME), found \"{name}\": {problem}");
    }

    [Theory]
    [InlineData("http")]
    [InlineData("h2c")]
    [InlineData("grpc-web")]
    [InlineData("abcdefghijklmno")]
    [InlineData("8080-http")]
    public void PortName_IanaServiceName_IsValid(string name)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - ports:
                - port: {name}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(PolicyPortValue.FromName(name), result.Snapshot.Policies[0].Ingress[0].Ports[0].Port);
    }

    [Fact]
    public void EndPort_WithNamedPort_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: http
                  endPort: 90
            """);

        LoadAssert.Errors(result, "policy.yaml:9:16: spec.ingress[0].ports[0].endPort: expected endPort only together with a numeric port, found the named port \"http\"");
    }

    [Fact]
    public void EndPort_WithoutPort_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              egress:
              - ports:
                - protocol: UDP
                  endPort: 90
            """);

        LoadAssert.Errors(result, "policy.yaml:9:16: spec.egress[0].ports[0].endPort: expected endPort only together with a numeric port, found endPort without port");
    }

    [Fact]
    public void EndPort_BelowPort_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: 8080
                  endPort: 80
            """);

        LoadAssert.Errors(result, "policy.yaml:9:16: spec.ingress[0].ports[0].endPort: expected endPort of at least port 8080, found 80");
    }

    [Fact]
    public void EndPort_AboveMaximum_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - {port: 8080, endPort: 65536}
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:29: spec.ingress[0].ports[0].endPort: {PortRange}, found 65536");
    }

    [Fact]
    public void EndPort_AndPortBothOutOfRange_AreBothReported()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: 0
                  endPort: 70000
            """);

        LoadAssert.Errors(
            result,
            $"policy.yaml:8:13: spec.ingress[0].ports[0].port: {PortRange}, found 0",
            $"policy.yaml:9:16: spec.ingress[0].ports[0].endPort: {PortRange}, found 70000");
    }

    [Fact]
    public void EndPort_EqualToPort_IsValid()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - {port: 8080, endPort: 8080}
                - {port: 32000, endPort: 32768, protocol: UDP}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(
            [new NetworkPolicyPort { Port = 8080, EndPort = 8080 }, new NetworkPolicyPort { Port = 32000, EndPort = 32768, Protocol = Protocol.Udp }],
            result.Snapshot.Policies[0].Ingress[0].Ports.ToArray());
    }

    // ---- CIDRs ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("10.0.0.0/33", " (the prefix length of an IPv4 block is at most 32)")]
    [InlineData("2001:db8::/129", " (the prefix length of an IPv6 block is at most 128)")]
    [InlineData("10.0.0", "")]
    [InlineData("10.0.0/8", "")]
    [InlineData("010.0.0.0/8", " (an IPv4 address must not have leading zeros in its numbers)")]
    [InlineData("10.0.0.01/32", " (an IPv4 address must not have leading zeros in its numbers)")]
    [InlineData("10.1.2.3", " (for the single address, write 10.1.2.3/32)")]
    [InlineData("2001:db8::1", " (for the single address, write 2001:db8::1/128)")]
    [InlineData("256.0.0.0/8", "")]
    [InlineData("10.0.0.0/", "")]
    [InlineData("10.0.0.0/-1", "")]
    [InlineData("10.0.0.0/ 8", "")]
    [InlineData("fe80::1%eth0/64", "")]
    [InlineData("any", "")]
    [InlineData("::ffff:10.0.0.0/104", " (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: write the IPv4 block 10.0.0.0/8)")]
    [InlineData("::FFFF:10.1.2.3/128", " (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: write the IPv4 block 10.1.2.3/32)")]
    [InlineData("::ffff:a01:203/120", " (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: write the IPv4 block 10.1.2.0/24)")]
    [InlineData("::ffff:0.0.0.0/64", " (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: write IPv4 blocks in IPv4 notation)")]
    [InlineData("::ffff:10.1.2.3", " (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: write the IPv4 block 10.1.2.3/32)")]
    public void Cidr_NotParsable_IsRejected(string cidr, string hint)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - from:
                - ipBlock:
                    cidr: "{cidr}"
            """);

        LoadAssert.Errors(result, $"policy.yaml:9:15: spec.ingress[0].from[0].ipBlock.cidr: {CidrExample}, found \"{cidr}\"{hint}");
    }

    [Fact]
    public void Cidr_Missing_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              egress:
              - to:
                - ipBlock: {except: [10.0.0.0/8]}
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:16: spec.egress[0].to[0].ipBlock.cidr: {CidrExample}, found none");
    }

    [Fact]
    public void Cidr_NotAString_IsRejectedWithoutAQuoteHint()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              egress:
              - to:
                - ipBlock: {cidr: 10}
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:23: spec.egress[0].to[0].ipBlock.cidr: {CidrExample}, found the integer 10");
    }

    [Fact]
    public void Cidr_WithHostBits_IsValidAndEqualsTheNetwork()
    {
        var withHostBits = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.1/8, except: [10.1.2.3/16]}
                - ipBlock: {cidr: "2001:db8::1/32"}
            """);
        var network = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                - ipBlock: {cidr: "2001:db8::/32"}
            """);

        LoadAssert.Valid(withHostBits);
        LoadAssert.Valid(network);
        Assert.Equal(Cidr.Parse("10.0.0.0/8"), withHostBits.Snapshot.Policies[0].Ingress[0].Peers[0].IPBlock!.Cidr);
        Assert.Equal("10.0.0.0/8 except 10.1.0.0/16", withHostBits.Snapshot.Policies[0].Ingress[0].Peers[0].IPBlock!.ToString());
        Assert.Equal(network.Snapshot, withHostBits.Snapshot);
    }

    [Fact]
    public void Except_OutsideCidr_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock:
                    cidr: 10.0.0.0/8
                    except:
                    - 10.1.0.0/16
                    - 192.168.0.0/16
            """);

        LoadAssert.Errors(result, "policy.yaml:12:11: spec.ingress[0].from[0].ipBlock.except[1]: expected a block strictly inside cidr 10.0.0.0/8, found 192.168.0.0/16");
    }

    [Fact]
    public void Except_WiderThanCidr_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/7]}
            """);

        LoadAssert.Errors(result, "policy.yaml:8:44: spec.ingress[0].from[0].ipBlock.except[0]: expected a block strictly inside cidr 10.0.0.0/8, found 10.0.0.0/7");
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("10.9.9.9/8")]
    public void Except_EqualToCidr_IsRejected(string except)
    {
        var result = Manifests.LoadPolicy($$"""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8, except: [{{except}}]}
            """);

        LoadAssert.Errors(result, "policy.yaml:8:44: spec.ingress[0].from[0].ipBlock.except[0]: expected a block strictly inside cidr 10.0.0.0/8, found 10.0.0.0/8 (it equals the cidr)");
    }

    [Fact]
    public void Except_OfTheOtherFamily_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8, except: ["2001:db8::/64"]}
                - ipBlock: {cidr: "::/0", except: [10.0.0.0/8]}
            """);

        LoadAssert.Errors(
            result,
            "policy.yaml:8:44: spec.ingress[0].from[0].ipBlock.except[0]: expected an IPv4 block strictly inside cidr 10.0.0.0/8, found the IPv6 block 2001:db8::/64",
            "policy.yaml:9:40: spec.ingress[0].from[1].ipBlock.except[0]: expected an IPv6 block strictly inside cidr ::/0, found the IPv4 block 10.0.0.0/8");
    }

    [Fact]
    public void Except_NotParsable_KeepsTheIndexOfTheExceptsAfterIt()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0, 192.168.0.0/16]}
            """);

        LoadAssert.Errors(
            result,
            $"policy.yaml:8:44: spec.ingress[0].from[0].ipBlock.except[0]: {CidrExample}, found \"10.1.0.0\" (for the single address, write 10.1.0.0/32)",
            "policy.yaml:8:54: spec.ingress[0].from[0].ipBlock.except[1]: expected a block strictly inside cidr 10.0.0.0/8, found 192.168.0.0/16");
    }

    [Fact]
    public void Except_Ipv4MappedIpv6_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8, except: ["::ffff:10.1.0.0/112"]}
            """);

        LoadAssert.Errors(
            result,
            $"policy.yaml:8:44: spec.ingress[0].from[0].ipBlock.except[0]: {CidrExample}, found \"::ffff:10.1.0.0/112\" (an IPv4-mapped IPv6 address is not allowed, as the API server rejects it: write the IPv4 block 10.1.0.0/16)");
    }

    // ---- Peers ----------------------------------------------------------------------------------------------

    [Fact]
    public void Peer_WithNoFields_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - podSelector: {}
                - {}
            """);

        LoadAssert.Errors(result, $"policy.yaml:9:7: spec.ingress[0].from[1]: {EmptyPeer}");
    }

    [Fact]
    public void Peer_Null_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              egress:
              - to:
                -
                - podSelector: {}
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:6: spec.egress[0].to[0]: {EmptyPeer}");
    }

    [Fact]
    public void Peer_IpBlockWithPodSelector_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8}
                  podSelector: {matchLabels: {app: web}}
            """);

        LoadAssert.Errors(result, "policy.yaml:8:7: spec.ingress[0].from[0]: expected ipBlock alone in its peer, found ipBlock together with podSelector (make them separate peers)");
    }

    [Fact]
    public void Peer_IpBlockWithNamespaceSelector_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              egress:
              - to:
                - namespaceSelector: {}
                  ipBlock: {cidr: 10.0.0.0/8}
            """);

        LoadAssert.Errors(result, "policy.yaml:8:7: spec.egress[0].to[0]: expected ipBlock alone in its peer, found ipBlock together with namespaceSelector (make them separate peers)");
    }

    [Fact]
    public void Peer_IpBlockWithBothSelectors_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              egress:
              - to:
                - {namespaceSelector: {}, podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}
            """);

        LoadAssert.Errors(result, "policy.yaml:8:7: spec.egress[0].to[0]: expected ipBlock alone in its peer, found ipBlock together with podSelector and namespaceSelector (make them separate peers)");
    }

    // ---- policyTypes ----------------------------------------------------------------------------------------

    [Fact]
    public void PolicyTypes_Unknown_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              policyTypes: [Ingress, Both]
            """);

        LoadAssert.Errors(result, "policy.yaml:6:26: spec.policyTypes[1]: expected one of \"Ingress\", \"Egress\", found \"Both\"");
    }

    [Theory]
    [InlineData("egress", 1)]
    [InlineData("EGRESS", 1)]
    [InlineData("ingress", 0)]
    public void PolicyTypes_WrongCase_IsRejectedWithAHint(string type, int index)
    {
        var list = index == 0 ? $"[{type}, Egress]" : $"[Ingress, {type}]";
        var column = index == 0 ? 17 : 26;
        var result = Manifests.LoadPolicy($$"""
            spec:
              podSelector: {}
              policyTypes: {{list}}
            """);

        LoadAssert.Errors(result, $"policy.yaml:6:{column}: spec.policyTypes[{index}]: expected one of \"Ingress\", \"Egress\", found \"{type}\" (values are case-sensitive)");
    }

    [Fact]
    public void PolicyTypes_MoreThanTwo_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              policyTypes:
              - Ingress
              - Egress
              - Ingress
            """);

        LoadAssert.Errors(result, "policy.yaml:7:3: spec.policyTypes: expected at most two policyTypes, found 3");
    }

    [Fact]
    public void PolicyTypes_SameTypeTwice_IsValid_AsTheApiServerAllows()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              policyTypes: [Egress, Egress]
            """);

        LoadAssert.Valid(result);
        Assert.Equal(PolicyTypes.Egress, result.Snapshot.Policies[0].PolicyTypes);
    }

    [Fact]
    public void PolicyTypes_AString_IsRejectedWithTheListToWrite()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              policyTypes: Egress
            """);

        LoadAssert.Errors(result, "policy.yaml:6:16: spec.policyTypes: expected a list such as [Ingress, Egress], found the string \"Egress\" (write [Egress])");
    }

    [Fact]
    public void PolicyTypes_EntryNotAString_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              policyTypes: [1, ~]
            """);

        LoadAssert.Errors(
            result,
            "policy.yaml:6:17: spec.policyTypes[0]: expected one of \"Ingress\", \"Egress\", found the integer 1",
            "policy.yaml:6:20: spec.policyTypes[1]: expected one of \"Ingress\", \"Egress\", found null");
    }

    // ---- Protocol -------------------------------------------------------------------------------------------

    [Fact]
    public void Protocol_Unknown_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - protocol: ICMP
            """);

        LoadAssert.Errors(result, "policy.yaml:8:17: spec.ingress[0].ports[0].protocol: expected one of \"TCP\", \"UDP\", \"SCTP\", found \"ICMP\"");
    }

    [Theory]
    [InlineData("tcp", "TCP")]
    [InlineData("Udp", "UDP")]
    [InlineData("sctp", "SCTP")]
    public void Protocol_WrongCase_IsRejectedWithTheSpellingToUse(string protocol, string fixedCase)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector: {"{}"}
              ingress:
              - ports:
                - protocol: {protocol}
                  port: 53
            """);

        LoadAssert.Errors(result, $"policy.yaml:8:17: spec.ingress[0].ports[0].protocol: expected one of \"TCP\", \"UDP\", \"SCTP\", found \"{protocol}\" (protocols are case-sensitive: write {fixedCase})");
    }

    [Fact]
    public void Protocol_Number_IsRejectedWithoutAQuoteHint()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - ports:
                - protocol: 6
            """);

        LoadAssert.Errors(result, "policy.yaml:8:17: spec.ingress[0].ports[0].protocol: expected one of \"TCP\", \"UDP\", \"SCTP\", found the integer 6");
    }

    // ---- Metadata -------------------------------------------------------------------------------------------

    [Fact]
    public void MetadataName_Missing_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              namespace: shop
            spec:
              podSelector: {}
            """);

        LoadAssert.Errors(result, "test.yaml:4:3: metadata.name: expected a name, found none");
        Assert.Equal("NetworkPolicy shop/", result.Errors[0].Object);
    }

    [Fact]
    public void MetadataNamespace_Missing_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: web
            spec:
              podSelector: {}
            """);

        LoadAssert.Errors(result, "test.yaml:4:3: metadata.namespace: expected the namespace of the policy, found none (kubectl would take it from the current context; write it in the manifest)");
    }

    [Fact]
    public void MetadataNameAndNamespace_BothMissing_AreBothReported()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              labels: {app: web}
            spec:
              podSelector: {}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:4:3: metadata.name: expected a name, found none",
            "test.yaml:4:3: metadata.namespace: expected the namespace of the policy, found none (kubectl would take it from the current context; write it in the manifest)");
    }

    [Fact]
    public void Metadata_Missing_IsOneError()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            spec:
              podSelector: {}
            """);

        LoadAssert.Errors(result, "test.yaml:1:1: metadata: expected metadata with a name, found none");
    }

    [Fact]
    public void MetadataNameAndNamespace_Invalid_AreBothReported()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: Deny_All
              namespace: shop.example
            spec:
              podSelector: {}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:4:9: metadata.name: expected a lower-case DNS subdomain name (letters a-z, digits, '-' and '.', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), found \"Deny_All\"",
            "test.yaml:5:14: metadata.namespace: expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"shop.example\"");
    }

    [Fact]
    public void MetadataName_Of254Characters_IsTooLong()
    {
        var name = new string('a', 254);
        var result = Manifests.Load($"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {"{"}name: {name}, namespace: shop{"}"}
            spec: {"{}"}
            """);

        LoadAssert.Errors(result, "test.yaml:3:18: metadata.name: expected a name of at most 253 characters, found 254 characters");
    }

    [Fact]
    public void NamespaceName_Of64Characters_IsTooLong()
    {
        var result = Manifests.Load($"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {new string('n', 64)}
            """);

        LoadAssert.Errors(result, "test.yaml:4:9: metadata.name: expected a namespace name of at most 63 characters, found 64 characters");
    }

    // ---- matchExpressions -----------------------------------------------------------------------------------

    [Fact]
    public void MatchExpressions_UnknownOperator_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchExpressions:
                - key: app
                  operator: Equals
                  values: [web]
            """);

        LoadAssert.Errors(result, "policy.yaml:8:17: spec.podSelector.matchExpressions[0].operator: expected one of \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", found \"Equals\"");
    }

    [Theory]
    [InlineData("in", "In")]
    [InlineData("notin", "NotIn")]
    [InlineData("exists", "Exists")]
    [InlineData("DOESNOTEXIST", "DoesNotExist")]
    public void MatchExpressions_OperatorInWrongCase_IsRejectedWithTheSpellingToUse(string op, string fixedCase)
    {
        var result = Manifests.LoadPolicy($$"""
            spec:
              podSelector:
                matchExpressions:
                - {key: app, operator: {{op}}}
            """);

        LoadAssert.Errors(result, $"policy.yaml:7:28: spec.podSelector.matchExpressions[0].operator: expected one of \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", found \"{op}\" (operators are case-sensitive: write {fixedCase})");
    }

    [Theory]
    [InlineData("In", "")]
    [InlineData("In", ", values: []")]
    [InlineData("NotIn", "")]
    [InlineData("NotIn", ", values: ~")]
    public void MatchExpressions_InOrNotInWithoutValues_IsRejected(string op, string values)
    {
        var result = Manifests.LoadPolicy($$"""
            spec:
              podSelector: {}
              ingress:
              - from:
                - namespaceSelector:
                    matchExpressions:
                    - {key: team, operator: {{op}}{{values}}}
            """);

        var column = values.Length == 0 ? 11 : 43 + op.Length;
        LoadAssert.Errors(result, $"policy.yaml:10:{column}: spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: expected at least one value for operator {op}, found none");
    }

    [Theory]
    [InlineData("Exists", "[web]", 1)]
    [InlineData("DoesNotExist", "[web, api]", 2)]
    public void MatchExpressions_ExistsOrDoesNotExistWithValues_IsRejected(string op, string values, int count)
    {
        var result = Manifests.LoadPolicy($"""
            spec:
              podSelector:
                matchExpressions:
                - key: app
                  operator: {op}
                  values: {values}
            """);

        LoadAssert.Errors(result, $"policy.yaml:9:15: spec.podSelector.matchExpressions[0].values: expected no values for operator {op}, found {count}");
    }

    [Fact]
    public void MatchExpressions_KeyOrOperatorMissing_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchExpressions:
                - operator: Exists
                - key: app
            """);

        LoadAssert.Errors(
            result,
            "policy.yaml:7:7: spec.podSelector.matchExpressions[0].key: expected a label key, found none",
            "policy.yaml:8:7: spec.podSelector.matchExpressions[1].operator: expected one of \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", found none");
    }

    [Fact]
    public void MatchExpressions_InvalidKey_IsRejected()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchExpressions:
                - {key: "app name", operator: Exists}
            """);

        LoadAssert.Errors(result, $"policy.yaml:7:13: spec.podSelector.matchExpressions[0].key: expected a label key ([prefix/]name), found \"app name\": the name part \"app name\" {LabelNameRule}");
    }

    [Fact]
    public void MatchExpressions_AfterAnUnreadableEntry_KeepTheirIndex()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector:
                matchExpressions:
                - {key: app, operator: Equals, values: [web]}
                - just-a-string
                - {key: tier, operator: In}
                - {key: env, operator: Exists, values: [prod]}
            """);

        LoadAssert.Errors(
            result,
            "policy.yaml:7:28: spec.podSelector.matchExpressions[0].operator: expected one of \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", found \"Equals\"",
            "policy.yaml:8:7: spec.podSelector.matchExpressions[1]: expected a mapping, found the string \"just-a-string\"",
            "policy.yaml:9:7: spec.podSelector.matchExpressions[2].values: expected at least one value for operator In, found none",
            "policy.yaml:10:44: spec.podSelector.matchExpressions[3].values: expected no values for operator Exists, found 1");
    }

    [Fact]
    public void Rules_AfterAnUnreadableRule_KeepTheirIndex()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {}
              ingress:
              - from
              - ports: [{port: 0}]
                from: ["x", {}]
            """);

        LoadAssert.Errors(
            result,
            "policy.yaml:7:5: spec.ingress[0]: expected a mapping, found the string \"from\"",
            $"policy.yaml:8:20: spec.ingress[1].ports[0].port: {PortRange}, found 0",
            "policy.yaml:9:12: spec.ingress[1].from[0]: expected a mapping, found the string \"x\"",
            $"policy.yaml:9:17: spec.ingress[1].from[1]: {EmptyPeer}");
    }

    // ---- Several rules at once ------------------------------------------------------------------------------

    [Fact]
    public void Validate_PolicyWithManyProblems_ReportsEveryOneInOrder()
    {
        var result = Manifests.LoadPolicy("""
            spec:
              podSelector: {matchLabels: {app: "web server"}}
              ingress:
              - ports:
                - {port: 0}
                - {port: http, endPort: 81}
                from:
                - {}
                - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}
              egress:
              - to:
                - ipBlock: {cidr: 10.0.0.0/33}
            """);

        LoadAssert.Errors(
            result,
            $"policy.yaml:5:36: spec.podSelector.matchLabels.app: {LabelValueRule}, found \"web server\"",
            $"policy.yaml:8:14: spec.ingress[0].ports[0].port: {PortRange}, found 0",
            "policy.yaml:9:29: spec.ingress[0].ports[1].endPort: expected endPort only together with a numeric port, found the named port \"http\"",
            $"policy.yaml:11:7: spec.ingress[0].from[0]: {EmptyPeer}",
            "policy.yaml:12:44: spec.ingress[0].from[1].ipBlock.except[0]: expected a block strictly inside cidr 10.0.0.0/8, found 10.0.0.0/8 (it equals the cidr)",
            $"policy.yaml:15:23: spec.egress[0].to[0].ipBlock.cidr: {CidrExample}, found \"10.0.0.0/33\" (the prefix length of an IPv4 block is at most 32)");
    }

    // ---- The validator on model objects ---------------------------------------------------------------------

    [Fact]
    public void Validate_PolicyModel_ReportsPathsAndMessages()
    {
        var policy = new NetworkPolicy
        {
            Name = "web",
            Namespace = "shop",
            PodSelector = new LabelSelector
            {
                MatchLabels = LabelMap.Of("-app", "web"),
                MatchExpressions = [new LabelSelectorRequirement("tier", SelectorOperator.In, [])],
            },
            Ingress =
            [
                new NetworkPolicyRule
                {
                    Ports = [new NetworkPolicyPort { Port = 70000 }, new NetworkPolicyPort { Port = 90, EndPort = 80 }],
                    Peers = [new NetworkPolicyPeer(), new NetworkPolicyPeer { IPBlock = new IPBlock(Cidr.Parse("10.0.0.0/8"), [Cidr.Parse("11.0.0.0/8")]) }],
                },
            ],
            Egress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Port = "Bad_Name", EndPort = 90 }] }],
        };

        var errors = PolicyValidator.Validate(policy);

        Assert.Equal(
            [
                $"spec.podSelector.matchLabels.-app: expected a label key ([prefix/]name), found \"-app\": the name part \"-app\" {LabelNameRule}",
                "spec.podSelector.matchExpressions[0].values: expected at least one value for operator In, found none",
                $"spec.ingress[0].ports[0].port: {PortRange}, found 70000",
                "spec.ingress[0].ports[1].endPort: expected endPort of at least port 90, found 80",
                $"spec.ingress[0].from[0]: {EmptyPeer}",
                "spec.ingress[0].from[1].ipBlock.except[0]: expected a block strictly inside cidr 10.0.0.0/8, found 11.0.0.0/8",
                "spec.egress[0].ports[0].port: expected a port name (IANA_SVC_NAME), found \"Bad_Name\": it may contain only lower-case letters a-z, digits and '-'",
                "spec.egress[0].ports[0].endPort: expected endPort only together with a numeric port, found the named port \"Bad_Name\"",
            ],
            errors.Select(e => e.ToString()).ToArray());
    }

    [Fact]
    public void Validate_ValidPolicyModel_ReportsNothing()
    {
        var policy = new NetworkPolicy
        {
            Name = "web",
            Namespace = "shop",
            Ingress = [new NetworkPolicyRule { Ports = [new NetworkPolicyPort { Port = 80, EndPort = 90 }], Peers = [new NetworkPolicyPeer { PodSelector = LabelSelector.Everything }] }],
        };

        Assert.Empty(PolicyValidator.Validate(policy));
    }

    [Fact]
    public void Validate_NamespaceModel_ChecksNameAndLabels()
    {
        var errors = PolicyValidator.Validate(new Model.Namespace { Name = "Shop", Labels = LabelMap.Of("team", "a b") });

        Assert.Equal(
            [
                "metadata.name: expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"Shop\"",
                $"metadata.labels.team: {LabelValueRule}, found \"a b\"",
            ],
            errors.Select(e => e.ToString()).ToArray());
    }

    [Fact]
    public void Validate_PodModelWithTwoAddressesOfOneFamily_IsRejected()
    {
        var pod = new Pod { Namespace = "shop", Name = "web-1", IPs = [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")] };

        var error = Assert.Single(PolicyValidator.Validate(pod));

        Assert.Equal("status.podIPs: expected at most one address of each family, found 10.0.0.1, 10.0.0.2", error.ToString());
    }

    [Fact]
    public void Validate_HostEndpointModel_ChecksAddressesAndPorts()
    {
        var endpoint = new HostEndpoint { Namespace = "hosts", Name = "db-1", Ports = [new ContainerPort("pg_sql", 0)] };

        var errors = PolicyValidator.Validate(endpoint);

        Assert.Equal(
            [
                "spec.ips: expected at least one IP address, found none",
                $"spec.ports[0].port: {PortRange}, found 0",
                "spec.ports[0].name: expected a port name (IANA_SVC_NAME), found \"pg_sql\": it may contain only lower-case letters a-z, digits and '-'",
            ],
            errors.Select(e => e.ToString()).ToArray());
    }
}
