using System.Net;
using NetPolHost.Model;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>
/// Two node namespaces for the ClusterNetworkPolicy kernel tests, shared by the upstream conformance replay and the
/// random differential test: <c>node-a</c> (172.18.0.2) and <c>node-b</c> (172.18.0.3), linked by a veth pair whose
/// ends carry those addresses, as the conformance data's Node objects say. On them, the ordinary pods of the conformance
/// base cluster (ordinal 0 on node-a, 1 on node-b, with their IPs) and the nine pods of the upstream e2e model (x/*
/// and y/a on node-a, the others on node-b). Every pod serves TCP 80, 81 and 8080 and UDP 53, 80, 81 and 5353; each node
/// serves TCP and UDP 80 and 81 and the conformance suite's host-network ports (its hostNetwork <c>centaur</c> pods
/// are the nodes themselves), and reaches its pods from its own address. Each node has its own nftables backend.
/// </summary>
public sealed class ClusterPolicyLabFixture : IAsyncLifetime
{
    /// <summary>node-a's address.</summary>
    public static readonly IPAddress NodeA = IPAddress.Parse("172.18.0.2");

    /// <summary>node-b's address.</summary>
    public static readonly IPAddress NodeB = IPAddress.Parse("172.18.0.3");

    public string? SkipReason { get; private set; }

    public NetworkLab Lab { get; private set; } = null!;

    /// <summary>The network namespaces of the nodes, by node name.</summary>
    public Dictionary<string, string> NodeNamespaces { get; } = new(StringComparer.Ordinal);

    /// <summary>The backends, by node name.</summary>
    public Dictionary<string, NftablesFirewallBackend> Backends { get; } = new(StringComparer.Ordinal);

    /// <summary>The node of each random-model pod.</summary>
    public static string RandomNodeOf(string pod) => pod[0] == 'x' || pod == "y/a" ? "node-a" : "node-b";

    /// <summary>The address of a node.</summary>
    public static IPAddress AddressOf(string node) => node == "node-a" ? NodeA : NodeB;

    /// <summary>The addresses a node's kernel treats as its own (input to them, output from them).</summary>
    public static IReadOnlySet<IPAddress> HostAddresses(string node) => new HashSet<IPAddress> { AddressOf(node), NetworkLab.Gateway, IPAddress.Loopback };

    public async ValueTask InitializeAsync()
    {
        SkipReason = Namespaces.UnavailableReason();
        if (SkipReason is not null)
        {
            return;
        }

        Lab = NetworkLab.Create();
        NodeNamespaces["node-a"] = Lab.AddNode("na");
        NodeNamespaces["node-b"] = Lab.AddNode("nb");
        foreach (var pod in CnpConformance.Base().Pods.Where(p => !p.HostNetwork))
        {
            Lab.AddPod(NodeNamespaces[pod.NodeName!], pod.Namespace + "/" + pod.Name, pod.IPs[0]);
        }

        foreach (var (name, ip) in ConformanceData.PodIPs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Lab.AddPod(NodeNamespaces[RandomNodeOf(name)], name, ip);
        }

        Lab.LinkNodes(NodeNamespaces["node-a"], NodeNamespaces["node-b"], NodeA, NodeB, 24);
        Lab.UseSourceAddress(NodeNamespaces["node-a"], NodeA);
        Lab.UseSourceAddress(NodeNamespaces["node-b"], NodeB);
        Lab.Serve([80, 81, 8080], [53, 80, 81, 5353]);
        foreach (var (node, ns) in NodeNamespaces)
        {
            Lab.ServeIn(ns, [80, 81, 34345, 34346, 34348, 34350], [80, 81, 34347, 34349], dualStack: false);
            Backends[node] = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = ns, TableName = "netpolhost" });
        }

        await Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in Backends.Values)
        {
            backend.Dispose();
        }

        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }
    }

    /// <summary>Whether a new connection from a pod or node (by name) reaches the destination: a quick probe, and a
    /// slow one to confirm a failure when success is expected (a quick probe can lose a race on a loaded machine).</summary>
    public async Task<bool> ProbeAsync(string from, IPAddress destination, int port, Protocol protocol, bool expected)
    {
        var source = NodeNamespaces.TryGetValue(from, out var ns) ? ns : from;
        return await Lab.ProbeAsync(source, destination, port, protocol)
            || (expected && await Lab.ProbeAsync(source, destination, port, protocol, TimeSpan.FromSeconds(2)));
    }

    /// <summary>The Node objects of the two nodes, labelled as <see cref="RandomCluster.NodeLabels"/> says (zone a and b).</summary>
    public static Node[] Nodes() =>
    [
        new Node { Name = "node-a", Addresses = [NodeA], Labels = RandomCluster.NodeLabels("a") },
        new Node { Name = "node-b", Addresses = [NodeB], Labels = RandomCluster.NodeLabels("b") },
    ];
}
