using NetPolHost.Backends;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>The backend contract, for nftables in a real kernel: a network namespace of the test's own.</summary>
[Trait("Category", "Integration")]
public sealed class NftablesContractTests : BackendContractSuite, IAsyncDisposable
{
    private NetworkLab? _lab;
    private string? _node;
    private readonly List<NftablesFirewallBackend> _backends = [];

    protected override string? UnavailableReason => Namespaces.UnavailableReason();

    private string Node
    {
        get
        {
            if (_node is null)
            {
                _lab = NetworkLab.Create();
                _node = _lab.AddNode("node");
            }

            return _node;
        }
    }

    protected override IFirewallBackend CreateBackend()
    {
        var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = Node, TableName = "netpolhost" });
        _backends.Add(backend);
        return backend;
    }

    protected override void AddForeignObjects()
    {
        Namespaces.Run("ip", "netns", "exec", Node, "nft", "add table inet other; add chain inet other c { type filter hook input priority 0; policy accept; }; add rule inet other c tcp dport 22 counter accept");
        Namespaces.Run("ip", "netns", "exec", Node, "nft", "add table ip legacy; add set ip legacy admins { type ipv4_addr; elements = { 198.51.100.7 } }");
    }

    protected override string DescribeForeignObjects() =>
        Namespaces.Run("ip", "netns", "exec", Node, "nft", "list table inet other") + Namespaces.Run("ip", "netns", "exec", Node, "nft", "list table ip legacy");

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            backend.Dispose();
        }

        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
