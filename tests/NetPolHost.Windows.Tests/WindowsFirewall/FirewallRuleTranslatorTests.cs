using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.WindowsFirewall;
using NetPolHost.WindowsFirewall.Rules;
using static NetPolHost.TestKit.HandPlans;

namespace NetPolHost.Windows.Tests.WindowsFirewall;

public sealed class FirewallRuleTranslatorTests
{
    private static readonly WindowsFirewallOptions s_options = new();

    [Fact]
    public void Translate_PortRules_AllowsAndBlocksByPortSignature()
    {
        var plan = HostPlan(
            ["192.168.1.10"],
            [
                Rule("r1", Direction.Ingress, Peers("10.0.0.0/24"), Ports((Protocol.Tcp, 80, 80))),
                Rule("r2", Direction.Ingress, Peers("10.0.1.5"), Ports((Protocol.Udp, 53, 53), (Protocol.Tcp, 8000, 8080))),
            ],
            nodeAddresses: ["192.168.1.1"]);
        var rules = FirewallRuleTranslator.Translate(plan, s_options).Rules;
        var summary = rules.Select(r => $"{r.Action} {NetFw.ProtocolName(r.Protocol)} {r.LocalPorts} {r.RemoteAddresses}").ToList();
        Assert.Equal(
            [
                "Allow any * 192.168.1.1,192.168.1.10",
                "Allow TCP 80 10.0.0.0/24",
                "Allow TCP 8000-8080 10.0.1.5",
                "Allow UDP 53 10.0.1.5",
                "Block any * 0.0.0.0-9.255.255.255,10.0.1.0-10.0.1.4,10.0.1.6-126.255.255.255,128.0.0.0-192.168.1.0,192.168.1.2-192.168.1.9,192.168.1.11-255.255.255.255",
                "Block TCP 0-79,81-65535 10.0.0.0/24",
                "Block TCP 0-7999,8081-65535 10.0.1.5",
                "Block UDP * 10.0.0.0/24",
                "Block UDP 0-52,54-65535 10.0.1.5",
                "Block SCTP * 10.0.0.0/24,10.0.1.5",
            ],
            summary);
        Assert.All(rules, r => Assert.Equal("192.168.1.10", r.LocalAddresses));
        Assert.All(rules, r => Assert.Equal(FirewallDirection.Inbound, r.Direction));
        Assert.All(rules, r => Assert.Equal("*", r.RemotePorts));
        Assert.All(rules, r => Assert.Equal("NetPolHost", r.Grouping));
    }

    [Fact]
    public void Translate_Egress_PutsPortsOnTheRemoteSide()
    {
        var plan = HostPlan(["192.168.1.10"], [], [Rule("e1", Direction.Egress, Peers("10.9.0.0/16"), Ports((Protocol.Tcp, 443, 443)))]);
        var rules = FirewallRuleTranslator.Translate(plan, s_options).Rules.Where(r => r.Direction == FirewallDirection.Outbound).ToList();
        var allow = Assert.Single(rules, r => r.Action == FirewallAction.Allow && r.Protocol == NetFw.ProtocolTcp);
        Assert.Equal("443", allow.RemotePorts);
        Assert.Equal("*", allow.LocalPorts);
        Assert.Contains(rules, r => r.Action == FirewallAction.Block && r.Protocol == NetFw.ProtocolTcp && r.RemotePorts == "0-442,444-65535" && r.RemoteAddresses == "10.9.0.0/16");
    }

    [Fact]
    public void Translate_DenyAll_BlocksEveryAddressExceptNodeLocalAndLoopback()
    {
        var plan = HostPlan(["192.168.1.10", "fd00::10"], []);
        var rules = FirewallRuleTranslator.Translate(plan, s_options).Rules;
        Assert.Equal(
            [
                "Allow 192.168.1.10",
                "Block 0.0.0.0-126.255.255.255,128.0.0.0-192.168.1.9,192.168.1.11-255.255.255.255",
                "Allow fd00::10",
                "Block ::2-fd00::f,fd00::11-fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff,fec0::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ],
            rules.Select(r => r.Action + " " + r.RemoteAddresses).ToList());
    }

    [Fact]
    public void Translate_NeverWritesAnEmptyOrWildcardRemoteAddressList()
    {
        var plan = HostPlan(["192.168.1.10"], [Rule("r1", Direction.Ingress, AddressSet.All, Ports((Protocol.Tcp, 22, 22)))]);
        var rules = FirewallRuleTranslator.Translate(plan, s_options).Rules;
        Assert.All(rules, r => Assert.False(string.IsNullOrEmpty(r.RemoteAddresses) || r.RemoteAddresses == "*", r.Name));
        Assert.Contains(rules, r => r.Action == FirewallAction.Allow && r.RemoteAddresses == "0.0.0.0/0");
    }

    [Fact]
    public void Translate_ShardsAtMaxAddressesPerRule()
    {
        var hosts = Enumerable.Range(0, 2500).Select(i => $"10.{i / 200}.{i % 200}.1").ToArray();
        var plan = HostPlan(["192.168.1.10"], [Rule("r1", Direction.Ingress, Peers(hosts), Ports((Protocol.Tcp, 80, 80)))]);
        var rules = FirewallRuleTranslator.Translate(plan, s_options).Rules;
        var allows = rules.Where(r => r.Action == FirewallAction.Allow && r.Protocol == NetFw.ProtocolTcp).ToList();
        Assert.Equal([1000, 1000, 500], allows.Select(r => r.RemoteAddresses.Split(',').Length));
        Assert.Contains("(part 1 of 3)", allows[0].Description, StringComparison.Ordinal);
        Assert.All(rules, r => Assert.True(r.RemoteAddresses.Split(',').Length <= 1000));
    }

    [Fact]
    public void Translate_NamesAreUniqueAndDeterministic()
    {
        var plan = TestSupport.SamplePlan();
        var first = FirewallRuleTranslator.Translate(plan, s_options).Rules;
        var second = FirewallRuleTranslator.Translate(TestSupport.SamplePlan(), s_options).Rules;
        Assert.Equal(first.Select(r => r.Name), second.Select(r => r.Name));
        Assert.Equal(first.Count, first.Select(r => r.Name).Distinct().Count());
        Assert.All(first, r => Assert.Matches("^NetPolHost-[0-9a-f]{16}$", r.Name));
    }

    [Fact]
    public void Translate_PodEndpoints_AreWarnedAboutNotEnforced()
    {
        var plan = HostPlan(["10.244.1.5"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1"), PortSet.All)], kind: PlanEndpointKind.Pod);
        var translation = FirewallRuleTranslator.Translate(plan, s_options);
        Assert.Empty(translation.Rules);
        Assert.Equal(["pod prod/host: pod traffic on a Windows node is policed in the virtual switch (HNS/VFP), not by Windows Firewall; this backend does not enforce it"], translation.Warnings);
    }

    [Fact]
    public void Translate_SctpPorts_AreRefused()
    {
        var plan = HostPlan(["192.168.1.10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1"), Ports((Protocol.Sctp, 80, 80)), "shop/sctp")]);
        var ex = Assert.Throws<UnsupportedPolicyFeatureException>(() => FirewallRuleTranslator.Translate(plan, s_options));
        Assert.Equal("Backend 'windows-firewall' cannot enforce SCTP ports, which policy 'shop/sctp' uses: it lacks the capability Sctp.", ex.Message);
        Assert.Equal(NetPolHost.Backends.BackendCapabilities.Sctp, ex.MissingCapability);
    }

    [Fact]
    public void Translate_SctpAllPorts_IsProtocol132WithoutPorts()
    {
        var plan = HostPlan(["192.168.1.10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1"), Ports((Protocol.Sctp, 0, 65535)))]);
        var rules = FirewallRuleTranslator.Translate(plan, s_options).Rules;
        var sctp = Assert.Single(rules, r => r.Action == FirewallAction.Allow && r.Protocol == NetFw.ProtocolSctp);
        Assert.Equal("*", sctp.LocalPorts);
        Assert.DoesNotContain(rules, r => r.Action == FirewallAction.Block && r.Protocol == NetFw.ProtocolSctp);
    }
}

