using System.Net;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.TestKit;

/// <summary>Builds snapshots for tests: namespaces, pods, nodes, host endpoints in code, policies as YAML.</summary>
public sealed class ClusterBuilder
{
    private readonly List<Model.Namespace> _namespaces = [];
    private readonly List<Pod> _pods = [];
    private readonly List<Node> _nodes = [];
    private readonly List<HostEndpoint> _hosts = [];
    private readonly List<NetworkPolicy> _policies = [];

    /// <summary>Adds a namespace with labels given as "k=v,k2=v2".</summary>
    public ClusterBuilder Namespace(string name, string labels = "")
    {
        _namespaces.Add(new Model.Namespace { Name = name, Labels = Labels(labels) });
        return this;
    }

    /// <summary>Adds a pod "ns/name" with addresses, labels "k=v,…" and ports "name=8080/TCP,81/UDP".</summary>
    public ClusterBuilder Pod(string id, string ips = "", string labels = "", string ports = "", string? node = "node-1", bool hostNetwork = false)
    {
        var parts = id.Split('/');
        _pods.Add(new Pod
        {
            Namespace = parts[0],
            Name = parts[1],
            Labels = Labels(labels),
            NodeName = node,
            HostNetwork = hostNetwork,
            IPs = ips.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPAddress.Parse).ToValueList(),
            Ports = Ports(ports),
        });
        return this;
    }

    /// <summary>Adds a node with addresses.</summary>
    public ClusterBuilder Node(string name, string ips)
    {
        _nodes.Add(new Node { Name = name, Addresses = ips.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPAddress.Parse).ToValueList() });
        return this;
    }

    /// <summary>Adds a host endpoint "ns/name".</summary>
    public ClusterBuilder Host(string id, string ips, string labels = "", string ports = "", string? node = null)
    {
        var parts = id.Split('/');
        _hosts.Add(new HostEndpoint
        {
            Namespace = parts[0],
            Name = parts[1],
            Labels = Labels(labels),
            NodeName = node,
            IPs = ips.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(IPAddress.Parse).ToValueList(),
            Ports = Ports(ports),
        });
        return this;
    }

    /// <summary>Adds the policies of a YAML text (must be valid).</summary>
    public ClusterBuilder Policies(string yaml)
    {
        var result = ManifestLoader.LoadText(yaml, "test.yaml");
        if (!result.IsValid)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, result.Errors));
        }

        _policies.AddRange(result.Snapshot.Policies);
        _namespaces.AddRange(result.Snapshot.Namespaces);
        return this;
    }

    /// <summary>Adds a policy object.</summary>
    public ClusterBuilder Policy(NetworkPolicy policy)
    {
        _policies.Add(policy);
        return this;
    }

    /// <summary>The snapshot.</summary>
    public ClusterSnapshot Build() => ClusterSnapshot.Create(_namespaces, _pods, _nodes, _hosts, _policies);

    private static LabelMap Labels(string text) =>
        LabelMap.From(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => new KeyValuePair<string, string>(p[0], p.Length > 1 ? p[1] : string.Empty)));

    private static ValueList<ContainerPort> Ports(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p =>
        {
            string? name = null;
            if (p.Contains('=', StringComparison.Ordinal))
            {
                name = p[..p.IndexOf('=', StringComparison.Ordinal)];
                p = p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..];
            }

            var pieces = p.Split('/');
            var protocol = pieces.Length > 1 && ProtocolNames.TryParseIgnoreCase(pieces[1], out var parsed) ? parsed : Protocol.Tcp;
            return new ContainerPort(name, int.Parse(pieces[0], System.Globalization.CultureInfo.InvariantCulture), protocol);
        }).ToValueList();
}
