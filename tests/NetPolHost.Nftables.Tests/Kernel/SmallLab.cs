using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>A node with pods x/a, x/b, y/a (IPv4, and IPv6 when asked) serving TCP/UDP 80 and 81, for one test.</summary>
internal sealed class SmallLab : IAsyncDisposable
{
    private SmallLab(NetworkLab lab, string node)
    {
        Lab = lab;
        Node = node;
    }

    public NetworkLab Lab { get; }

    public string Node { get; }

    public static readonly string[] PodNames = ["x/a", "x/b", "y/a"];

    public static SmallLab Create(bool dualStack = false)
    {
        var lab = NetworkLab.Create();
        try
        {
            var node = lab.AddNode("node");
            foreach (var pod in PodNames)
            {
                lab.AddPod(node, pod, ConformanceData.PodIPs[pod], dualStack ? RandomCluster.PodIPv6(pod) : null);
            }

            lab.Serve([80, 81], [80, 81]);
            return new SmallLab(lab, node);
        }
        catch
        {
            lab.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public NftablesFirewallBackend Backend(bool conntrack = true, string table = "netpolhost") =>
        new(new NftablesOptions { NetworkNamespace = Node, TableName = table, DeleteConntrackEntriesOfDeniedFlows = conntrack });

    public static ClusterSnapshot Snapshot(params NetworkPolicy[] policies) =>
        ClusterSnapshot.Create(
            [new Model.Namespace { Name = "x" }, new Model.Namespace { Name = "y" }],
            PodNames.Select(p => new Pod
            {
                Namespace = p.Split('/')[0],
                Name = p.Split('/')[1],
                Labels = LabelMap.Of("pod", p.Split('/')[1]),
                NodeName = "node-1",
                IPs = [ConformanceData.PodIPs[p], RandomCluster.PodIPv6(p)],
                Ports = [new ContainerPort("http", 80), new ContainerPort("alt", 81), new ContainerPort("dns", 80, Protocol.Udp)],
            }),
            policies: policies);

    public static RulePlan Plan(ClusterSnapshot snapshot) => RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" });

    /// <summary>Ingress of x/b only from pods labelled pod=a of namespace x, on port 80.</summary>
    public static NetworkPolicy AllowXaToXb(string name = "allow-a") => new()
    {
        Name = name,
        Namespace = "x",
        PodSelector = LabelSelector.ForLabels("pod", "b"),
        Ingress = [new NetworkPolicyRule { Peers = [new NetworkPolicyPeer { PodSelector = LabelSelector.ForLabels("pod", "a") }], Ports = [new NetworkPolicyPort { Port = 80 }] }],
    };

    /// <summary>Denies all ingress of the pods of a namespace.</summary>
    public static NetworkPolicy DenyAll(string ns, string name = "deny-all") => new() { Name = name, Namespace = ns, PolicyTypes = PolicyTypes.Ingress };

    public static IPAddress Ip(string pod) => ConformanceData.PodIPs[pod];

    public string Nft(params string[] arguments) => Namespaces.Run("ip", ["netns", "exec", Node, "nft", .. arguments]);

    public string Conntrack(params string[] arguments) => Namespaces.Run("ip", ["netns", "exec", Node, "conntrack", .. arguments]);

    public ValueTask DisposeAsync() => Lab.DisposeAsync();
}
