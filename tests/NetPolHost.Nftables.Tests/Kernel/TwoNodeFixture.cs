using System.Net;
using NetPolHost.Model;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Two node namespaces linked by a veth pair; x/a, x/b, x/c and y/a on node-1, the other pods on node-2. Each
/// node has its own nftables backend and serves TCP/UDP 80 and 81 on its link address (for host endpoint tests).</summary>
public sealed class TwoNodeFixture : IAsyncLifetime
{
    public static readonly string[] Node1Pods = ["x/a", "x/b", "x/c", "y/a"];

    public string? SkipReason { get; private set; }

    public NetworkLab Lab { get; private set; } = null!;

    public string Node1 { get; private set; } = string.Empty;

    public string Node2 { get; private set; } = string.Empty;

    public NftablesFirewallBackend Backend1 { get; private set; } = null!;

    public NftablesFirewallBackend Backend2 { get; private set; } = null!;

    public static string NodeOf(string pod) => Node1Pods.Contains(pod) ? "node-1" : "node-2";

    /// <summary>The snapshot with pods on their nodes and the two Node objects.</summary>
    public ClusterSnapshot Place(ClusterSnapshot snapshot) =>
        ClusterSnapshot.Create(
            snapshot.Namespaces,
            snapshot.Pods.Select(p => p with { NodeName = NodeOf(p.Namespace + "/" + p.Name) }),
            [new Node { Name = "node-1", Addresses = [Lab.NodeLinkAddress(Node1)] }, new Node { Name = "node-2", Addresses = [Lab.NodeLinkAddress(Node2)] }],
            snapshot.HostEndpoints,
            snapshot.Policies);

    public async ValueTask InitializeAsync()
    {
        SkipReason = Namespaces.UnavailableReason();
        if (SkipReason is not null)
        {
            return;
        }

        Lab = NetworkLab.Create();
        Node1 = Lab.AddNode("n1");
        Node2 = Lab.AddNode("n2");
        foreach (var (name, ip) in ConformanceData.PodIPs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Lab.AddPod(NodeOf(name) == "node-1" ? Node1 : Node2, name, ip);
        }

        Lab.LinkNodes(Node1, Node2);
        Lab.Serve([80, 81], [80, 81]);
        Lab.ServeIn(Node1, [80, 81], [80, 81], dualStack: false);
        Backend1 = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = Node1 });
        Backend2 = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = Node2 });
        await Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        Backend1?.Dispose();
        Backend2?.Dispose();
        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }
    }

    public static IPAddress Ip(string pod) => ConformanceData.PodIPs[pod];
}
