using System.Net;
using System.Text.RegularExpressions;
using NetPolHost.Firewalld.Mapping;
using NetPolHost.Firewalld.Tests.Fakes;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Firewalld.Tests.Mapping;

public sealed partial class FirewalldPolicyMapperTests
{
    public static TheoryData<string> Cases => new(ConformanceData.CaseIds());

    /// <summary>The generated rich rules, run by an evaluator of firewalld's rule order, decide every flow between the
    /// model's pods (and to a few outside addresses) exactly as <see cref="RulePlan.Evaluate"/> does.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Map_UpstreamCase_ForwardPolicyAgreesWithPlanEvaluate(string id)
    {
        var plan = TestPlans.Case(id);
        var state = FirewalldPolicyMapper.Map(plan, "nph", -30000);
        var forward = Assert.Single(state.Policies);
        Assert.Equal(("nph-fwd", "ANY", "ANY"), (forward.Name, forward.IngressZone, forward.EgressZone));
        var addresses = ConformanceData.PodIPs.Values.Concat([IPAddress.Parse("192.0.2.9"), IPAddress.Parse("10.244.1.100")]).ToList();
        var mismatches = new List<string>();
        foreach (var source in addresses)
        {
            foreach (var destination in addresses.Where(d => !d.Equals(source)))
            {
                foreach (var protocol in RichRule.PortProtocols)
                {
                    foreach (var port in new[] { 80, 81, 1, 65535 })
                    {
                        var expected = plan.Evaluate(source, destination, protocol, port).Allowed;
                        var verdict = RichRuleEvaluator.Evaluate(forward, state.IPSets, source, destination, RichRule.Name(protocol), port);
                        var local = plan.LocalPodAddresses.Contains(source) || plan.LocalPodAddresses.Contains(destination);
                        // Traffic of no local pod is not ours: the policy must let it continue to firewalld's zones.
                        var actual = local ? verdict : verdict is null ? expected : !expected;
                        if (actual != expected)
                        {
                            mismatches.Add($"{source} -> {destination} {port}/{protocol}: plan {expected}, firewalld {verdict?.ToString() ?? "continue"}");
                        }
                    }
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Map_OtherProtocols_FollowRulesWithoutPortsOnly()
    {
        var plan = TestPlans.Hostile();
        var state = FirewalldPolicyMapper.Map(plan, "nph", -30000);
        var forward = state.Policies.Single(p => p.Name == "nph-fwd");
        var pod = IPAddress.Parse("10.1.0.5");
        var other = IPAddress.Parse("10.1.0.6");
        var outside = IPAddress.Parse("10.2.0.1");

        // Egress of the pod has port rules only: ICMP out is dropped, UDP 53 anywhere and TCP 8000-8080 to the other pod pass.
        Assert.False(RichRuleEvaluator.Evaluate(forward, state.IPSets, pod, other, "icmp", 0));
        Assert.True(RichRuleEvaluator.Evaluate(forward, state.IPSets, pod, IPAddress.Parse("8.8.8.8"), "udp", 53));
        Assert.True(RichRuleEvaluator.Evaluate(forward, state.IPSets, pod, other, "tcp", 8080));
        Assert.False(RichRuleEvaluator.Evaluate(forward, state.IPSets, pod, outside, "tcp", 8080));
        Assert.True(RichRuleEvaluator.Evaluate(forward, state.IPSets, pod, other, "sctp", 9));
        // Ingress: a rule without ports admits ICMP from the other pod only; port rules admit TCP 80 and UDP 5000-5010.
        Assert.True(RichRuleEvaluator.Evaluate(forward, state.IPSets, other, pod, "icmp", 0));
        Assert.False(RichRuleEvaluator.Evaluate(forward, state.IPSets, outside, pod, "icmp", 0));
        Assert.True(RichRuleEvaluator.Evaluate(forward, state.IPSets, IPAddress.Parse("10.9.3.4"), pod, "udp", 5005));
        Assert.False(RichRuleEvaluator.Evaluate(forward, state.IPSets, IPAddress.Parse("10.9.3.4"), pod, "udp", 5011));
        // IPv6 of the same pod: no v6 peers, so only what needs no peer list passes (UDP 53 to 0.0.0.0/0 is IPv4 only).
        Assert.False(RichRuleEvaluator.Evaluate(forward, state.IPSets, IPAddress.Parse("fd00::5"), IPAddress.Parse("fd00::9"), "udp", 53));
        // Not local: continue to the zones.
        Assert.Null(RichRuleEvaluator.Evaluate(forward, state.IPSets, outside, IPAddress.Parse("10.3.0.1"), "tcp", 80));
    }

    [Fact]
    public void Map_HostEndpoint_InputAndOutputPoliciesAcceptNodeLocalThenRulesThenDrop()
    {
        var plan = TestPlans.Hostile();
        var state = FirewalldPolicyMapper.Map(plan, "nph", -30000);
        var input = state.Policies.Single(p => p.Name == "nph-in");
        var output = state.Policies.Single(p => p.Name == "nph-out");
        Assert.Equal(("ANY", "HOST"), (input.IngressZone, input.EgressZone));
        Assert.Equal(("HOST", "ANY"), (output.IngressZone, output.EgressZone));
        var host = IPAddress.Parse("192.168.1.10");
        var pod = IPAddress.Parse("10.1.0.5");
        var stranger = IPAddress.Parse("203.0.113.1");
        Assert.True(RichRuleEvaluator.Evaluate(input, state.IPSets, stranger, host, "tcp", 22));
        Assert.False(RichRuleEvaluator.Evaluate(input, state.IPSets, stranger, host, "tcp", 23));
        Assert.True(RichRuleEvaluator.Evaluate(input, state.IPSets, pod, host, "tcp", 10250));
        Assert.Null(RichRuleEvaluator.Evaluate(input, state.IPSets, stranger, IPAddress.Parse("192.168.1.11"), "tcp", 23));
        Assert.True(RichRuleEvaluator.Evaluate(output, state.IPSets, host, pod, "tcp", 8080));
        Assert.False(RichRuleEvaluator.Evaluate(output, state.IPSets, host, stranger, "tcp", 443));
        Assert.Contains(state.Warnings, w => w.StartsWith("host endpoint host/node_eth0: firewalld policies cannot match an interface", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_HostileUserText_NeverReachesNamesOrRules()
    {
        var plan = TestPlans.Hostile();
        var state = FirewalldPolicyMapper.Map(plan, "nph", -30000);
        Assert.All(state.IPSets, s => Assert.Matches(SafeName(), s.Name));
        Assert.All(state.IPSets, s => Assert.True(s.Name.Length <= 32, s.Name));
        Assert.All(state.Policies, p => Assert.Matches(SafeName(), p.Name));
        Assert.All(state.Policies, p => Assert.True(p.Name.Length <= 18, p.Name));
        foreach (var rule in state.Policies.SelectMany(p => p.RichRules))
        {
            Assert.Matches(SafeRule(), rule);
        }

        foreach (var text in state.IPSets.Select(s => s.Comment).Concat(state.Warnings))
        {
            Assert.DoesNotContain('"', text);
            Assert.DoesNotContain('\'', text);
            Assert.DoesNotContain('`', text);
            Assert.DoesNotContain('\n', text);
        }

        var native = new FirewalldFirewallBackend(new FirewalldOptions()).RenderNative(plan);
        foreach (var line in native.Split('\n'))
        {
            Assert.DoesNotContain("reboot", line.StartsWith('#') ? string.Empty : line, StringComparison.Ordinal);
            Assert.DoesNotContain("rm -rf", line.StartsWith('#') ? string.Empty : line, StringComparison.Ordinal);
            Assert.DoesNotContain('`', line);
            Assert.DoesNotContain('$', line);
        }
    }

    [Fact]
    public void Map_DualStackPlan_OneIpsetPerFamilyAndRulesOfMatchingFamily()
    {
        var state = FirewalldPolicyMapper.Map(TestPlans.Hostile(), "nph", -30000);
        var families = state.IPSets.ToDictionary(s => s.Name, s => s.V6);
        foreach (var rule in state.Policies.SelectMany(p => p.RichRules))
        {
            Assert.All(RichRule.ReferencedIpsets(rule), name => Assert.Equal(RichRule.IsV6(rule), families[name]));
        }

        Assert.Equal(["10.1.0.5", "10.1.0.6"], state.IPSets.Single(s => s.Name == "nph-pods-4").Entries);
        Assert.Equal(["fd00::5"], state.IPSets.Single(s => s.Name == "nph-pods-6").Entries);
        Assert.All(state.IPSets, s => Assert.EndsWith(s.V6 ? "-6" : "-4", s.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void PortClasses_CutsPortSpaceByCoveringRules()
    {
        var a = Rule("a", PortSet.Create([new PortRange(Protocol.Tcp, 80, 90)]));
        var b = Rule("b", PortSet.Create([new PortRange(Protocol.Tcp, 85, 100), new PortRange(Protocol.Udp, 53, 53)]));
        var classes = FirewalldPolicyMapper.PortClasses([a, b])
            .Select(c => $"{c.Range} [{string.Join(",", c.Covering.Select(r => r.Id))}]")
            .ToList();
        Assert.Equal(
            [
                "0-79/TCP []", "80-84/TCP [a]", "85-90/TCP [a,b]", "91-100/TCP [b]", "101-65535/TCP []",
                "0-52/UDP []", "53/UDP [b]", "54-65535/UDP []",
                "*/SCTP []",
            ],
            classes);
    }

    [Fact]
    public void NetEntries_MergesOverlappingAndAdjacentRangesIntoCidrs()
    {
        var entries = FirewalldPolicyMapper.NetEntries(
            [
                AddressRange.FromCidr(Cidr.Parse("10.0.0.0/25")),
                AddressRange.FromCidr(Cidr.Parse("10.0.0.128/25")),
                AddressRange.FromAddress(IPAddress.Parse("10.0.0.7")),
                AddressRange.FromAddress(IPAddress.Parse("10.0.1.1")),
                AddressRange.FromCidr(Cidr.Parse("fd00::/64")),
            ],
            v6: false);
        Assert.Equal(["10.0.0.0/24", "10.0.1.1"], entries);
    }

    [Fact]
    public void NetEntries_IpBlockWithExcept_BecomesCidrsWithoutTheExcept()
    {
        var plan = TestPlans.Case("e2e-43");
        var state = FirewalldPolicyMapper.Map(plan, "nph", -30000);
        var peers = state.IPSets.Where(s => s.Type == "hash:net").SelectMany(s => s.Entries).ToList();
        Assert.NotEmpty(peers);
        Assert.DoesNotContain(peers, e => Cidr.TryParse(e, out var c) ? c.Contains(IPAddress.Parse("10.244.1.33")) : e == "10.244.1.33");
    }

    [Fact]
    public void NormalizeEntry_CanonicalFormsCompareEqual()
    {
        Assert.Equal("10.0.0.1", FirewalldPolicyMapper.NormalizeEntry("10.0.0.1/32"));
        Assert.Equal("fd00::1", FirewalldPolicyMapper.NormalizeEntry("FD00:0:0::1"));
        Assert.Equal("10.0.0.0/8", FirewalldPolicyMapper.NormalizeEntry("10.1.2.3/8"));
    }

    [Fact]
    public void RenderNative_SampleCase_MatchesGoldenFile()
    {
        var native = new FirewalldFirewallBackend(new FirewalldOptions()).RenderNative(TestPlans.Case("e2e-33"));
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "e2e-33.native.txt");
        if (Environment.GetEnvironmentVariable("NETPOLHOST_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceDirectory(), "TestData", "e2e-33.native.txt"), native);
        }

        Assert.Equal(File.ReadAllText(path), native);
    }

    private static string SourceDirectory() => NetPolHost.TestKit.RepositoryPaths.Combine("tests", "NetPolHost.Firewalld.Tests");

    private static PlanRule Rule(string id, PortSet ports) => new()
    {
        Id = id,
        Source = new Matching.RuleRef(new PolicyRef("ns", "p"), 0),
        Direction = Direction.Egress,
        Peers = AddressSet.All,
        Ports = ports,
    };

    [GeneratedRegex("^nph-[a-z0-9-]+$")]
    private static partial Regex SafeName();

    [GeneratedRegex("^rule priority=\"-?[0-9]+\" family=\"ipv[46]\"( source (NOT )?ipset=\"nph-[a-z0-9-]+\")?( destination (NOT )?ipset=\"nph-[a-z0-9-]+\")?( port port=\"[0-9-]+\" protocol=\"(tcp|udp|sctp)\"| protocol value=\"(tcp|udp|sctp)\")? (accept|drop)$")]
    private static partial Regex SafeRule();
}
