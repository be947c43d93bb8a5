using System.Globalization;
using System.Net;
using NetPolHost.Model;

namespace NetPolHost.TestKit;

/// <summary>
/// Seeded generator of random clusters and policies of realistic shapes, for property and differential tests:
/// selectors with every operator, peers of every kind (pod, namespace, both, ipBlock with excepts over pod IPs), ports
/// numeric, ranged and named, TCP and UDP (and SCTP when asked), every policyTypes form. A seed reproduces a case.
/// </summary>
public sealed class RandomCluster
{
    private static readonly string[] s_namespaces = ["x", "y", "z"];
    private static readonly string[] s_pods = ["a", "b", "c"];
    private static readonly string[] s_keys = ["app", "tier", "env"];
    private static readonly string[] s_values = ["web", "db", "api", ""];
    private static readonly int[] s_ports = [80, 81];
    private readonly Random _random;
    private readonly bool _sctp;
    private bool _mixed;

    /// <summary>Creates a generator.</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="sctp">Whether ports may be SCTP (not probeable with live packets here).</param>
    public RandomCluster(int seed, bool sctp = false)
    {
        _random = new Random(seed);
        _sctp = sctp;
    }

    /// <summary>The nine pods of the upstream model with their IPs (x/a … z/c).</summary>
    public static IReadOnlyDictionary<string, IPAddress> PodIPs => ConformanceData.PodIPs;

    /// <summary>A random snapshot over the nine pods of the upstream model (x/a … z/c with its IPs), all on <paramref name="nodeOf"/>'s node.</summary>
    /// <param name="policyCount">How many policies.</param>
    /// <param name="nodeOf">The node of each pod (default: node-1).</param>
    /// <returns>The snapshot.</returns>
    public ClusterSnapshot Snapshot(int policyCount, Func<string, string>? nodeOf = null, bool mixedFamilies = false)
    {
        _mixed = mixedFamilies;
        var namespaces = s_namespaces.Select(ns => new Model.Namespace { Name = ns, Labels = RandomLabels(1) }).ToList();
        var pods = new List<Pod>();
        foreach (var ns in s_namespaces)
        {
            foreach (var name in s_pods)
            {
                var full = ns + "/" + name;
                pods.Add(new Pod
                {
                    Namespace = ns,
                    Name = name,
                    Labels = RandomLabels(2).With("pod", name),
                    NodeName = nodeOf?.Invoke(full) ?? "node-1",
                    IPs = Addresses(full),
                    Ports = RandomContainerPorts(),
                });
            }
        }

        var policies = Enumerable.Range(0, policyCount).Select(i => Policy("p" + i.ToString(CultureInfo.InvariantCulture), s_namespaces[_random.Next(3)])).ToList();
        return ClusterSnapshot.Create(namespaces, pods, policies: policies);
    }

    /// <summary>A random policy.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="ns">Its namespace.</param>
    /// <returns>The policy.</returns>
    public NetworkPolicy Policy(string name, string ns)
    {
        var ingress = _random.Next(4) == 0 ? default : Rules(_random.Next(3));
        var egress = _random.Next(3) == 0 ? default : Rules(_random.Next(3));
        var types = _random.Next(4) switch
        {
            0 => PolicyTypes.None,
            1 => PolicyTypes.Ingress,
            2 => PolicyTypes.Egress,
            _ => PolicyTypes.Both,
        };
        return new NetworkPolicy
        {
            Name = name,
            Namespace = ns,
            PodSelector = Selector(allowEmpty: true),
            Ingress = ingress,
            Egress = egress,
            PolicyTypes = types,
        };
    }

    /// <summary>Labels of the nodes the ClusterNetworkPolicy <c>nodes</c> peers select on: <c>zone</c> (a or b) and
    /// <c>kubernetes.io/os</c>.</summary>
    /// <param name="zone">The node's zone.</param>
    /// <returns>The labels.</returns>
    public static LabelMap NodeLabels(string zone) => LabelMap.Of("zone", zone, "kubernetes.io/os", "linux");

    /// <summary>Random ClusterNetworkPolicies of both tiers: equal priorities (0 to 2) are common, rules have every
    /// action, peers of every kind but <c>domainNames</c> (namespaces, pods, networks over the pods' addresses and
    /// <c>0.0.0.0/0</c>, nodes by <see cref="NodeLabels"/>, unknown peers), protocols with ports, ranges, all ports and
    /// named ports.</summary>
    /// <param name="count">How many.</param>
    /// <returns>The policies.</returns>
    public List<ClusterNetworkPolicy> ClusterPolicies(int count) =>
        [.. Enumerable.Range(0, count).Select(i => ClusterPolicy("c" + i.ToString(CultureInfo.InvariantCulture)))];

    /// <summary>A random ClusterNetworkPolicy (see <see cref="ClusterPolicies"/>).</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The policy.</returns>
    public ClusterNetworkPolicy ClusterPolicy(string name)
    {
        var tier = _random.Next(2) == 0 ? PolicyTier.Admin : PolicyTier.Baseline;
        var subject = _random.Next(2) == 0
            ? new ClusterPolicySubject { Namespaces = Selector(allowEmpty: true, namespaces: true) }
            : new ClusterPolicySubject { Pods = new NamespacedPodSelector(Selector(allowEmpty: true, namespaces: true), Selector(allowEmpty: true)) };
        return new ClusterNetworkPolicy
        {
            Name = name,
            Tier = tier,
            Priority = _random.Next(3),
            Subject = subject,
            Ingress = ClusterRules(_random.Next(4)),
            Egress = ClusterRules(_random.Next(4)),
        };
    }

    private ValueList<ClusterNetworkPolicyRule> ClusterRules(int count) =>
        Enumerable.Range(0, count).Select(i => new ClusterNetworkPolicyRule
        {
            Name = "r" + i.ToString(CultureInfo.InvariantCulture),
            Action = (ClusterPolicyAction)_random.Next(3),
            Peers = Enumerable.Range(0, 1 + _random.Next(2)).Select(_ => ClusterPeer()).ToValueList(),
            Protocols = _random.Next(3) == 0 ? default : Enumerable.Range(0, 1 + _random.Next(2)).Select(_ => ClusterPort()).ToValueList(),
        }).ToValueList();

    private ClusterPolicyPeer ClusterPeer()
    {
        switch (_random.Next(12))
        {
            case 0 or 1 or 2:
                return new ClusterPolicyPeer { Namespaces = Selector(allowEmpty: true, namespaces: true) };
            case 3 or 4 or 5:
                return new ClusterPolicyPeer { Pods = new NamespacedPodSelector(Selector(allowEmpty: true, namespaces: true), Selector(allowEmpty: true)) };
            case 6 or 7:
                var networks = new List<Cidr>();
                for (var i = 0; i < 1 + _random.Next(2); i++)
                {
                    networks.Add(_random.Next(6) switch
                    {
                        0 => Cidr.Parse("0.0.0.0/0"),
                        1 when _mixed => new Cidr(PodIPv6(Pick(PodIPs.Keys.ToList())), _random.Next(2) == 0 ? 128 : 64),
                        2 => Cidr.Parse("192.168.56.0/24"),
                        _ => new Cidr(Pick(PodIPs.Values.ToList()), _random.Next(3) switch { 0 => 32, 1 => 24, _ => 16 }),
                    });
                }

                return new ClusterPolicyPeer { Networks = networks.ToValueList() };
            case 8 or 9:
                LabelSelector nodes = _random.Next(5) switch
                {
                    0 => LabelSelector.Everything,
                    1 => LabelSelector.ForLabels("zone", "a"),
                    2 => new LabelSelector { MatchExpressions = [new LabelSelectorRequirement("zone", SelectorOperator.NotIn, ["a"])] },
                    3 => new LabelSelector { MatchExpressions = [new LabelSelectorRequirement("zone", SelectorOperator.DoesNotExist, default)] },
                    _ => LabelSelector.ForLabels("kubernetes.io/os", "linux"),
                };
                return new ClusterPolicyPeer { Nodes = nodes };
            default:
                return new ClusterPolicyPeer { UnknownFields = ["futurePeer"] };
        }
    }

    private ClusterPolicyPort ClusterPort()
    {
        var protocol = _sctp && _random.Next(8) == 0 ? Protocol.Sctp : _random.Next(3) == 0 ? Protocol.Udp : Protocol.Tcp;
        return _random.Next(6) switch
        {
            0 => new ClusterPolicyPort { Protocol = protocol },
            1 => new ClusterPolicyPort { Protocol = protocol, Port = 80, EndPort = 81 },
            2 => new ClusterPolicyPort { NamedPort = _random.Next(2) == 0 ? "http" : "alt" },
            3 => new ClusterPolicyPort { Protocol = protocol, Port = 81, EndPort = 81 },
            _ => new ClusterPolicyPort { Protocol = protocol, Port = 80, EndPort = 80 },
        };
    }

    /// <summary>The addresses of node-1, node-2 and node-3 in <see cref="TieredCluster"/>.</summary>
    public static IReadOnlyList<IPAddress> TieredNodeAddresses { get; } = [IPAddress.Parse("192.168.56.11"), IPAddress.Parse("192.168.56.12"), IPAddress.Parse("192.168.56.13")];

    /// <summary>The random cluster of one seed for the ClusterNetworkPolicy differential tests: the nine pods on two
    /// nodes with labels (x/* and y/a on node-1), a hostNetwork pod on a third node that has no Node object (its address
    /// is a node address only through that pod), on even seeds a host endpoint of node-1 (a workload: ClusterNetworkPolicies
    /// may select it), NetworkPolicies and ClusterNetworkPolicies of both tiers (SCTP ports among the protocols; mixed
    /// families on every third seed).</summary>
    /// <param name="seed">The seed.</param>
    /// <returns>The generator (to go on drawing from) and the snapshot.</returns>
    public static (RandomCluster Random, ClusterSnapshot Snapshot) TieredCluster(int seed)
    {
        var random = new RandomCluster(seed, sctp: true);
        var snapshot = random.Snapshot(seed % 4, pod => pod[0] == 'x' || pod == "y/a" ? "node-1" : "node-2", mixedFamilies: seed % 3 == 2);
        var clusterPolicies = random.ClusterPolicies(2 + (seed % 5));
        snapshot = snapshot.With(
            nodes:
            [
                new Node { Name = "node-1", Addresses = [TieredNodeAddresses[0]], Labels = NodeLabels("a") },
                new Node { Name = "node-2", Addresses = [TieredNodeAddresses[1]], Labels = NodeLabels("b") },
            ],
            pods: [new Pod { Namespace = "kube-system", Name = "n3", NodeName = "node-3", HostNetwork = true, IPs = [TieredNodeAddresses[2]], Labels = LabelMap.Of("pod", "a") }],
            namespaces: [new Model.Namespace { Name = "hosts", Labels = LabelMap.Of("app", "web") }],
            hostEndpoints: TieredClusterHasHostEndpoint(seed) ? [new HostEndpoint { Namespace = "hosts", Name = "node-1", NodeName = "node-1", IPs = [TieredNodeAddresses[0]], Labels = LabelMap.Of("pod", "b") }] : null,
            clusterPolicies: clusterPolicies);
        return (random, snapshot);
    }

    /// <summary>Whether <see cref="TieredCluster"/> of a seed has the host endpoint hosts/node-1.</summary>
    /// <param name="seed">The seed.</param>
    /// <returns><see langword="true"/> on even seeds.</returns>
    public static bool TieredClusterHasHostEndpoint(int seed) => seed % 2 == 0;

    /// <summary>A random (port, protocol) among those the pods may serve.</summary>
    /// <returns>The port and protocol.</returns>
    public (int Port, Protocol Protocol) Probe() => (s_ports[_random.Next(s_ports.Length)], _random.Next(3) == 0 ? Protocol.Udp : Protocol.Tcp);

    /// <summary>Picks one element.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The items.</param>
    /// <returns>One of them.</returns>
    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>A random integer in [0, max).</summary>
    /// <param name="max">The bound.</param>
    /// <returns>The number.</returns>
    public int Next(int max) => _random.Next(max);

    /// <summary>The IPv6 address a pod gets in mixed-family snapshots.</summary>
    public static IPAddress PodIPv6(string pod)
    {
        var v4 = PodIPs[pod].GetAddressBytes();
        return IPAddress.Parse($"fd00:10:244:{v4[2]}::{v4[3]}");
    }

    private ValueList<IPAddress> Addresses(string pod)
    {
        if (!_mixed)
        {
            return [PodIPs[pod]];
        }

        return _random.Next(5) switch
        {
            0 => [PodIPs[pod], PodIPv6(pod)],
            1 => [PodIPv6(pod)],
            2 => [],
            _ => [PodIPs[pod]],
        };
    }

    private ValueList<NetworkPolicyRule> Rules(int count) =>
        Enumerable.Range(0, count).Select(_ => new NetworkPolicyRule
        {
            Ports = _random.Next(3) == 0 ? default : Enumerable.Range(0, 1 + _random.Next(2)).Select(_ => PolicyPort()).ToValueList(),
            Peers = _random.Next(4) == 0 ? default : Enumerable.Range(0, 1 + _random.Next(2)).Select(_ => Peer()).ToValueList(),
        }).ToValueList();

    private NetworkPolicyPort PolicyPort()
    {
        var protocol = _sctp && _random.Next(8) == 0 ? Protocol.Sctp : _random.Next(3) == 0 ? Protocol.Udp : Protocol.Tcp;
        return _random.Next(6) switch
        {
            0 => new NetworkPolicyPort { Protocol = protocol },
            1 => new NetworkPolicyPort { Protocol = protocol, Port = 80, EndPort = 81 },
            2 => new NetworkPolicyPort { Protocol = protocol, Port = PolicyPortValue.FromName(_random.Next(2) == 0 ? "http" : "alt") },
            3 => new NetworkPolicyPort { Protocol = protocol, Port = 81 },
            _ => new NetworkPolicyPort { Protocol = protocol, Port = 80 },
        };
    }

    private NetworkPolicyPeer Peer()
    {
        switch (_random.Next(5))
        {
            case 0:
                return new NetworkPolicyPeer { PodSelector = Selector(allowEmpty: true) };
            case 1:
                return new NetworkPolicyPeer { NamespaceSelector = Selector(allowEmpty: true, namespaces: true) };
            case 2:
                return new NetworkPolicyPeer { PodSelector = Selector(allowEmpty: true), NamespaceSelector = Selector(allowEmpty: true, namespaces: true) };
            case 3 when _mixed:
                var pod6 = PodIPv6(Pick(PodIPs.Keys.ToList()));
                var block6 = new Cidr(pod6, _random.Next(2) == 0 ? 64 : 48);
                var except6 = _random.Next(2) == 0 ? [new Cidr(pod6, 128)] : new List<Cidr>();
                return new NetworkPolicyPeer { IPBlock = new IPBlock(block6, except6.ToValueList()) };
            default:
                var target = Pick(PodIPs.Values.ToList());
                var bytes = target.GetAddressBytes();
                var prefix = _random.Next(3) switch { 0 => 8, 1 => 24, _ => 16 };
                var cidr = new Cidr(target, prefix);
                var excepts = new List<Cidr>();
                if (_random.Next(2) == 0)
                {
                    var inside = Pick(PodIPs.Values.Where(cidr.Contains).ToList());
                    excepts.Add(new Cidr(inside, _random.Next(2) == 0 ? 32 : 28));
                }

                _ = bytes;
                return new NetworkPolicyPeer { IPBlock = new IPBlock(cidr, excepts.Where(e => e.PrefixLength > cidr.PrefixLength).ToValueList()) };
        }
    }

    private LabelSelector Selector(bool allowEmpty, bool namespaces = false)
    {
        if (allowEmpty && _random.Next(4) == 0)
        {
            return LabelSelector.Everything;
        }

        var labels = new List<KeyValuePair<string, string>>();
        var expressions = new List<LabelSelectorRequirement>();
        var keys = namespaces ? ["app", Model.Namespace.NameLabel] : s_keys.Append("pod").ToArray();
        for (var i = 0; i < 1 + _random.Next(2); i++)
        {
            var key = keys[_random.Next(keys.Length)];
            if (_random.Next(2) == 0)
            {
                labels.Add(new(key, ValueFor(key)));
                continue;
            }

            var op = (SelectorOperator)_random.Next(4);
            var values = op is SelectorOperator.In or SelectorOperator.NotIn
                ? Enumerable.Range(0, 1 + _random.Next(2)).Select(_ => ValueFor(key)).Distinct().ToValueList()
                : default;
            expressions.Add(new LabelSelectorRequirement(key, op, values));
        }

        return new LabelSelector { MatchLabels = LabelMap.From(labels), MatchExpressions = expressions.ToValueList() };
    }

    private string ValueFor(string key) => key switch
    {
        "pod" => s_pods[_random.Next(3)],
        Model.Namespace.NameLabel => s_namespaces[_random.Next(3)],
        _ => s_values[_random.Next(s_values.Length)],
    };

    private LabelMap RandomLabels(int max)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < _random.Next(max + 1); i++)
        {
            var key = s_keys[_random.Next(s_keys.Length)];
            pairs.Add(new(key, s_values[_random.Next(s_values.Length)]));
        }

        return LabelMap.From(pairs);
    }

    private ValueList<ContainerPort> RandomContainerPorts()
    {
        var ports = new List<ContainerPort>();
        foreach (var protocol in new[] { Protocol.Tcp, Protocol.Udp })
        {
            foreach (var port in s_ports)
            {
                var name = _random.Next(4) switch
                {
                    0 => "http",
                    1 => "alt",
                    _ => null,
                };
                if (name is not null && ports.Any(p => p.Name == name && p.Protocol == protocol))
                {
                    name = null;
                }

                ports.Add(new ContainerPort(name, port, protocol));
            }
        }

        return ports.ToValueList();
    }
}
