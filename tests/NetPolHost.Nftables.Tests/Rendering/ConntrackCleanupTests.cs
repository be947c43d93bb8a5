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
    public void DeleteRequest_IsTheOriginalTupleInCtnetlinkLayout()
    {
        var request = NetlinkConntrack.DeleteRequest(new ConntrackEntry(Protocol.Tcp, Client, ServiceIp, 48512, 80, Web, 8080));
        byte[] expected =
        [
            72, 0, 0, 0, 0x02, 0x01, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: length, IPCTNL_MSG_CT_DELETE, REQUEST|ACK
            2, 0, 0, 0,                                                   // nfgenmsg: AF_INET, version 0, res_id 0
            52, 0, 0x01, 0x80,                                            // CTA_TUPLE_ORIG (nested)
            20, 0, 0x01, 0x80,                                            //   CTA_TUPLE_IP (nested)
            8, 0, 1, 0, 10, 0, 0, 2,                                      //     CTA_IP_V4_SRC
            8, 0, 2, 0, 10, 96, 0, 10,                                    //     CTA_IP_V4_DST
            28, 0, 0x02, 0x80,                                            //   CTA_TUPLE_PROTO (nested)
            5, 0, 1, 0, 6, 0, 0, 0,                                       //     CTA_PROTO_NUM tcp (padded)
            6, 0, 2, 0, 0xbd, 0x80, 0, 0,                                 //     CTA_PROTO_SRC_PORT 48512, big endian (padded)
            6, 0, 3, 0, 0, 80, 0, 0,                                      //     CTA_PROTO_DST_PORT 80
        ];
        Assert.Equal(expected, request);
    }

    [Fact]
    public void ParseEntry_ReadsTheOriginalAndTheReplyTuple()
    {
        // A dump answer is nfgenmsg + CTA_TUPLE_ORIG + CTA_TUPLE_REPLY (+ status, timeout... skipped): the delete request's
        // tuple layout, so a request with a reply tuple appended reads back. Here an IPv6 UDP flow behind destination NAT.
        var client = IPAddress.Parse("fd00::2");
        var service = IPAddress.Parse("fd00:96::a");
        var server = IPAddress.Parse("fd00::1");
        var original = NetlinkConntrack.DeleteRequest(new ConntrackEntry(Protocol.Udp, client, service, 5000, 53, server, 53));
        var reply = NetlinkConntrack.DeleteRequest(new ConntrackEntry(Protocol.Udp, server, client, 5353, 5000, server, 5353));
        reply[22] = 0x02; // its CTA_TUPLE_ORIG becomes CTA_TUPLE_REPLY
        byte[] status = [8, 0, 3, 0, 0, 0, 0, 0x0e];
        var payload = original[16..].Concat(reply[20..]).Concat(status).ToArray();
        var entry = NetlinkConntrack.ParseEntry(payload);
        Assert.Equal(new ConntrackEntry(Protocol.Udp, client, service, 5000, 53, server, 5353), entry);
        Assert.Equal(server, entry!.FilteredDestination);
        Assert.Equal(5353, entry.FilteredDestinationPort);

        // Without a reply tuple, or truncated, nothing is made up.
        Assert.Null(NetlinkConntrack.ParseEntry(original.AsSpan(16)));
        Assert.Null(NetlinkConntrack.ParseEntry(payload.AsSpan(0, 30)));
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
