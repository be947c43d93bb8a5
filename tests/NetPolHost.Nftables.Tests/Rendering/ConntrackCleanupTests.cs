using System.Net;
using NetPolHost.Model;
using NetPolHost.Nftables.Runtime;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Nftables.Tests.Rendering;

/// <summary>Which established connections a plan change cuts, judged like the rendered chains judge a new packet.</summary>
public sealed class ConntrackCleanupTests
{
    private static readonly IPAddress Web = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Client = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress Other = IPAddress.Parse("10.0.0.3");
    private static readonly IPAddress Remote = IPAddress.Parse("10.1.0.9");
    private static readonly IPAddress ServiceIp = IPAddress.Parse("10.96.0.10");
    private static readonly IPAddress NodeIp = IPAddress.Parse("192.168.0.10");
    private static readonly HashSet<IPAddress> Local = [NodeIp, IPAddress.Loopback];

    private const string AllowClient = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: x}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress:
          - from: [{podSelector: {matchLabels: {app: client}}}]
            ports: [{port: 80}]
        """;

    private const string AllowOther = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: x}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress:
          - from: [{podSelector: {matchLabels: {app: other}}}]
            ports: [{port: 80}]
        """;

    [Fact]
    public void Parse_ReadsTheOriginalAndTheReplyTuple()
    {
        // A client reaching a service address that destination NAT sent to a pod on port 8080.
        var entry = ConntrackCli.Parse("tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.96.0.10 sport=48512 dport=80 src=10.0.0.1 dst=10.0.0.2 sport=8080 dport=48512 [ASSURED] mark=0 use=1");
        Assert.Equal(new ConntrackEntry(Protocol.Tcp, Client, ServiceIp, 48512, 80, Web, 8080), entry);
        var udp = ConntrackCli.Parse("udp      17 29 src=fd00::2 dst=fd00::1 sport=5000 dport=53 [UNREPLIED] src=fd00::1 dst=fd00::2 sport=53 dport=5000 mark=0 use=1");
        Assert.Equal(IPAddress.Parse("fd00::1"), udp!.FilteredDestination);
        Assert.Equal(53, udp.FilteredDestinationPort);
        Assert.Null(ConntrackCli.Parse("icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=1 mark=0 use=1"));
        Assert.Null(ConntrackCli.Parse("tcp 6 10 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2"));
        Assert.Null(ConntrackCli.Parse("conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown."));
    }

    [Fact]
    public void ParseAddresses_ReadsIpAddrOutput()
    {
        const string output = """
            1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
            1: lo    inet6 ::1/128 scope host noprefixroute \       valid_lft forever preferred_lft forever
            2: v0    inet 169.254.1.1/32 scope global v0\       valid_lft forever preferred_lft forever
            2: v0    inet6 fe80::1c2a:3bff:fe4d:5e6f/64 scope link \       valid_lft forever preferred_lft forever
            """;
        var addresses = ConntrackCli.ParseAddresses(output);
        Assert.Equal(4, addresses.Count);
        Assert.Contains(IPAddress.Parse("169.254.1.1"), addresses);
        Assert.Contains(IPAddress.Parse("fe80::1c2a:3bff:fe4d:5e6f"), addresses);
    }

    [Fact]
    public void AffectedAddresses_AreNoneForTheSamePlan_AndTheChangedEndpointsOtherwise()
    {
        var allowClient = Plan(AllowClient);
        Assert.Empty(ConntrackCleanup.AffectedAddresses(allowClient, Plan(AllowClient)));
        Assert.Empty(ConntrackCleanup.AffectedAddresses(Plan(), Plan()));

        // The rule's peers change: only the endpoints using it.
        Assert.Equal([Web], ConntrackCleanup.AffectedAddresses(allowClient, Plan(AllowOther)));

        // Newly isolated, or unknown history: every isolated endpoint.
        Assert.Equal([Web], ConntrackCleanup.AffectedAddresses(Plan(), allowClient));
        Assert.Equal([Web], ConntrackCleanup.AffectedAddresses(null, allowClient));

        // Isolation lifted: nothing can be newly denied.
        Assert.Empty(ConntrackCleanup.AffectedAddresses(allowClient, Plan()));
    }

    [Fact]
    public void Denied_JudgesTheFlowAfterDestinationNat()
    {
        var plan = Plan(AllowOther);
        var viaService = new ConntrackEntry(Protocol.Tcp, Client, ServiceIp, 40000, 8080, Web, 80);
        var fromOther = new ConntrackEntry(Protocol.Tcp, Other, ServiceIp, 40001, 8080, Web, 80);
        var wrongPort = new ConntrackEntry(Protocol.Tcp, Other, Web, 40002, 81, Web, 81);
        Assert.Equal([viaService, wrongPort], ConntrackCleanup.Denied(plan, [viaService, fromOther, wrongPort], new HashSet<IPAddress> { Web }, Local));
    }

    [Fact]
    public void Denied_KeepsNodeLocalFlowsAndFlowsOfUnaffectedEndpoints()
    {
        var plan = Plan(AllowOther);
        var fromNode = new ConntrackEntry(Protocol.Tcp, NodeIp, Web, 40000, 80, Web, 80);
        var fromRemote = new ConntrackEntry(Protocol.Tcp, Remote, Web, 40001, 80, Web, 80);
        var toClient = new ConntrackEntry(Protocol.Udp, Remote, Client, 40002, 53, Client, 53);
        Assert.Equal([fromRemote], ConntrackCleanup.Denied(plan, [fromNode, fromRemote, toClient], new HashSet<IPAddress> { Web }, Local));
        Assert.Empty(ConntrackCleanup.Denied(plan, [fromRemote], new HashSet<IPAddress> { Client }, Local));
    }

    [Fact]
    public void Denied_JudgesHostEndpointsOnTheInputPath()
    {
        var plan = RulePlanCompiler.Compile(
            new ClusterBuilder().Namespace("x")
                .Pod("x/client", Client.ToString(), "app=client", node: "n")
                .Host("x/node", NodeIp.ToString(), "role=node", node: "n")
                .Policies("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: ssh, namespace: x}
                    spec:
                      podSelector: {matchLabels: {role: node}}
                      ingress:
                      - from: [{ipBlock: {cidr: 10.1.0.0/16}}]
                        ports: [{port: 22}]
                    """).Build(),
            new RulePlanOptions { NodeName = "n" });
        var ssh = new ConntrackEntry(Protocol.Tcp, Remote, NodeIp, 40000, 22, NodeIp, 22);
        var web = new ConntrackEntry(Protocol.Tcp, Remote, NodeIp, 40001, 80, NodeIp, 80);
        var localPod = new ConntrackEntry(Protocol.Tcp, Client, NodeIp, 40002, 80, NodeIp, 80);
        var outgoing = new ConntrackEntry(Protocol.Tcp, NodeIp, Remote, 40003, 443, Remote, 443);
        Assert.Equal([web], ConntrackCleanup.Denied(plan, [ssh, web, localPod, outgoing], ConntrackCleanup.AffectedAddresses(null, plan), Local));
    }

    private static RulePlan Plan(params string[] policies)
    {
        var builder = new ClusterBuilder().Namespace("x")
            .Pod("x/web", Web.ToString(), "app=web", "http=80/TCP", node: "n")
            .Pod("x/client", Client.ToString(), "app=client", node: "n")
            .Pod("x/other", Other.ToString(), "app=other", node: "n");
        foreach (var policy in policies)
        {
            builder.Policies(policy);
        }

        return RulePlanCompiler.Compile(builder.Build(), new RulePlanOptions { NodeName = "n" });
    }
}
