using System.Net;
using NetPolHost.Nftables;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>One node namespace routing between the nine pods of the upstream e2e model (x/a … z/c, with the model's
/// IPs), each serving TCP and UDP on 80 and 81, and an nftables backend working inside the node namespace.</summary>
public sealed class LabFixture : IAsyncLifetime
{
    public string? SkipReason { get; private set; }

    public NetworkLab Lab { get; private set; } = null!;

    public string Node { get; private set; } = string.Empty;

    public NftablesFirewallBackend Backend { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        SkipReason = Namespaces.UnavailableReason();
        if (SkipReason is not null)
        {
            return;
        }

        Lab = NetworkLab.Create();
        Node = Lab.AddNode("node");
        foreach (var (name, ip) in ConformanceData.PodIPs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Lab.AddPod(Node, name, ip);
        }

        Lab.Serve([80, 81], [80, 81]);
        Backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = Node, TableName = "netpolhost" });
        await Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        Backend?.Dispose();
        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }
    }

    public static IPAddress Ip(string pod) => ConformanceData.PodIPs[pod];
}
