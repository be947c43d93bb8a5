using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetPolHost.Model;

namespace NetPolHost.TestKit.Net;

/// <summary>A pod made by <see cref="NetworkLab"/>: a network namespace with one address, attached to a node.</summary>
/// <param name="Name">The pod as namespace/name.</param>
/// <param name="Namespace">The network namespace.</param>
/// <param name="Node">The node network namespace it hangs off.</param>
/// <param name="Address">Its IPv4 address.</param>
/// <param name="Address6">Its IPv6 address, if any.</param>
public sealed record LabPod(string Name, string Namespace, string Node, IPAddress Address, IPAddress? Address6);

/// <summary>
/// A small network of namespaces for kernel tests: node namespaces that route between pod namespaces over veth pairs,
/// servers in the pods, and probes with real connections. Everything lives in namespaces the lab creates (never the
/// host's) and is deleted on dispose, even after a failure.
/// </summary>
public sealed class NetworkLab : IAsyncDisposable
{
    /// <summary>The gateway address every pod routes through (assigned on each node-side veth).</summary>
    public static readonly IPAddress Gateway = IPAddress.Parse("169.254.1.1");

    /// <summary>The IPv6 gateway (assigned on each node-side veth).</summary>
    public static readonly IPAddress Gateway6 = IPAddress.Parse("fd00:ffff::1");

    private readonly List<string> _namespaces = [];
    private readonly List<Socket> _sockets = [];
    private readonly ConcurrentBag<Task> _serverLoops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, int> _linkCounter = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<LabPod>> _podsByNode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IPAddress> _nodeLinkAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hostSides = new(StringComparer.Ordinal);

    private NetworkLab(string prefix) => Prefix = prefix;

    /// <summary>The prefix of every namespace name of this lab.</summary>
    public string Prefix { get; }

    /// <summary>The pods, by namespace/name.</summary>
    public Dictionary<string, LabPod> Pods { get; } = new(StringComparer.Ordinal);

    /// <summary>Creates an empty lab with a unique prefix.</summary>
    public static NetworkLab Create() => new("np" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6]);

    /// <summary>Adds a node: a network namespace that forwards between its pods.</summary>
    /// <returns>The namespace name.</returns>
    public string AddNode(string name)
    {
        var ns = Add(name);
        Namespaces.Run("ip", "-n", ns, "link", "set", "lo", "up");
        Namespaces.Run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Namespaces.Run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
        _podsByNode[ns] = [];
        return ns;
    }

    /// <summary>Adds a pod namespace with <paramref name="address"/> (and optionally an IPv6 address) on <paramref name="node"/>.</summary>
    public LabPod AddPod(string node, string podName, IPAddress address, IPAddress? address6 = null)
    {
        var ns = Add("p" + Pods.Count.ToString(CultureInfo.InvariantCulture));
        var index = _linkCounter.TryGetValue(node, out var n) ? n : 0;
        _linkCounter[node] = index + 1;
        var hostSide = "v" + index.ToString(CultureInfo.InvariantCulture);
        Namespaces.Run("ip", "-n", node, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Namespaces.Run("ip", "-n", ns, "link", "set", "lo", "up");
        Namespaces.Run("ip", "-n", ns, "addr", "add", address + "/32", "dev", "eth0");
        Namespaces.Run("ip", "-n", ns, "link", "set", "eth0", "up");
        Namespaces.Run("ip", "-n", node, "addr", "add", Gateway + "/32", "dev", hostSide);
        Namespaces.Run("ip", "-n", node, "link", "set", hostSide, "up");
        Namespaces.Run("ip", "-n", ns, "route", "add", Gateway + "/32", "dev", "eth0", "scope", "link");
        Namespaces.Run("ip", "-n", ns, "route", "add", "default", "via", Gateway.ToString(), "dev", "eth0");
        Namespaces.Run("ip", "-n", node, "route", "add", address + "/32", "dev", hostSide, "scope", "link");
        if (address6 is not null)
        {
            Namespaces.Run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0");
            Namespaces.Run("ip", "netns", "exec", node, "sysctl", "-qw", $"net.ipv6.conf.{hostSide}.accept_dad=0");
            Namespaces.Run("ip", "-n", ns, "addr", "add", address6 + "/128", "dev", "eth0", "nodad");
            Namespaces.Run("ip", "-n", node, "addr", "add", Gateway6 + "/128", "dev", hostSide, "nodad");
            Namespaces.Run("ip", "-n", ns, "-6", "route", "add", Gateway6 + "/128", "dev", "eth0");
            Namespaces.Run("ip", "-n", ns, "-6", "route", "add", "default", "via", Gateway6.ToString(), "dev", "eth0");
            Namespaces.Run("ip", "-n", node, "-6", "route", "add", address6 + "/128", "dev", hostSide);
        }

        var pod = new LabPod(podName, ns, node, address, address6);
        Pods[podName] = pod;
        _hostSides[podName] = hostSide;
        _podsByNode[node].Add(pod);
        return pod;
    }

    /// <summary>Connects two nodes with a veth pair and routes each node's pods through it.</summary>
    public void LinkNodes(string nodeA, string nodeB) =>
        LinkNodes(nodeA, nodeB, IPAddress.Parse("10.255.0.1"), IPAddress.Parse("10.255.0.2"), 30);

    /// <summary>Connects two nodes with a veth pair whose ends have the given addresses (the nodes' addresses, in one
    /// network of <paramref name="prefixLength"/> bits) and routes each node's pods through it.</summary>
    public void LinkNodes(string nodeA, string nodeB, IPAddress a, IPAddress b, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        Namespaces.Run("ip", "-n", nodeA, "link", "add", "peer0", "type", "veth", "peer", "name", "peer0", "netns", nodeB);
        var prefix = "/" + prefixLength.ToString(CultureInfo.InvariantCulture);
        Namespaces.Run("ip", "-n", nodeA, "addr", "add", a + prefix, "dev", "peer0");
        Namespaces.Run("ip", "-n", nodeB, "addr", "add", b + prefix, "dev", "peer0");
        Namespaces.Run("ip", "-n", nodeA, "link", "set", "peer0", "up");
        Namespaces.Run("ip", "-n", nodeB, "link", "set", "peer0", "up");
        _nodeLinkAddress[nodeA] = a;
        _nodeLinkAddress[nodeB] = b;
        foreach (var pod in _podsByNode[nodeB])
        {
            Namespaces.Run("ip", "-n", nodeA, "route", "add", pod.Address + "/32", "via", b.ToString());
        }

        foreach (var pod in _podsByNode[nodeA])
        {
            Namespaces.Run("ip", "-n", nodeB, "route", "add", pod.Address + "/32", "via", a.ToString());
        }
    }

    /// <summary>Makes a node's own IPv4 traffic to its pods leave from <paramref name="address"/> (one of the node's
    /// addresses) instead of the gateway address of each pod's link, as from a node's address on a real node; replies of
    /// the node's UDP servers to its pods then come from that address too.</summary>
    public void UseSourceAddress(string node, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        foreach (var pod in _podsByNode[node])
        {
            Namespaces.Run("ip", "-n", node, "route", "replace", pod.Address + "/32", "dev", _hostSides[pod.Name], "scope", "link", "src", address.ToString());
        }
    }

    /// <summary>The address a node uses on its link to the other node.</summary>
    public IPAddress NodeLinkAddress(string node) => _nodeLinkAddress[node];

    /// <summary>Starts a TCP echo server and a UDP echo server on each port in every pod.</summary>
    public void Serve(IEnumerable<int> tcpPorts, IEnumerable<int> udpPorts)
    {
        var tcp = tcpPorts.ToList();
        var udp = udpPorts.ToList();
        foreach (var pod in Pods.Values)
        {
            ServeIn(pod.Namespace, tcp, udp, pod.Address6 is not null);
        }
    }

    /// <summary>Starts echo servers inside one network namespace (e.g. a node's).</summary>
    public void ServeIn(string ns, IReadOnlyList<int> tcp, IReadOnlyList<int> udp, bool dualStack)
    {
        var family = dualStack ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var any = dualStack ? IPAddress.IPv6Any : IPAddress.Any;
        foreach (var port in tcp)
        {
            var listener = Namespaces.InNamespace(ns, () =>
            {
                var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
                if (dualStack)
                {
                    socket.DualMode = true;
                }

                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(any, port));
                socket.Listen(512);
                return socket;
            });
            lock (_sockets)
            {
                _sockets.Add(listener);
            }

            _serverLoops.Add(Task.Run(() => AcceptLoop(listener)));
        }

        foreach (var port in udp)
        {
            var socket = Namespaces.InNamespace(ns, () =>
            {
                var s = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
                if (dualStack)
                {
                    s.DualMode = true;
                }

                s.Bind(new IPEndPoint(any, port));
                return s;
            });
            lock (_sockets)
            {
                _sockets.Add(socket);
            }

            _serverLoops.Add(Task.Run(() => UdpEchoLoop(socket)));
        }
    }

    /// <summary>Whether a new connection from <paramref name="from"/> (a pod name or network namespace) reaches the destination.</summary>
    public async Task<bool> ProbeAsync(string from, IPAddress destination, int port, Protocol protocol, TimeSpan? timeout = null)
    {
        var ns = Pods.TryGetValue(from, out var pod) ? pod.Namespace : from;
        var wait = timeout ?? TimeSpan.FromMilliseconds(300);
        var family = destination.AddressFamily;
        if (protocol == Protocol.Tcp)
        {
            using var socket = Namespaces.InNamespace(ns, () => new Socket(family, SocketType.Stream, ProtocolType.Tcp));
            using var cts = new CancellationTokenSource(wait);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(destination, port), cts.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                return false;
            }
        }

        if (protocol == Protocol.Udp)
        {
            using var socket = Namespaces.InNamespace(ns, () => new Socket(family, SocketType.Dgram, ProtocolType.Udp));
            await socket.ConnectAsync(new IPEndPoint(destination, port)).ConfigureAwait(false);
            var buffer = new byte[64];
            for (var attempt = 0; attempt < 3; attempt++)
            {
                using var cts = new CancellationTokenSource(wait / 3);
                try
                {
                    await socket.SendAsync("probe"u8.ToArray(), SocketFlags.None, cts.Token).ConfigureAwait(false);
                    var received = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token).ConfigureAwait(false);
                    if (received > 0)
                    {
                        return true;
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException)
                {
                }
            }

            return false;
        }

        throw new NotSupportedException("This kernel has no SCTP sockets; check SCTP on the rendered rules.");
    }

    /// <summary>Opens a TCP connection from a pod or a network namespace (for established-connection tests).</summary>
    public async Task<Socket> ConnectAsync(string from, IPAddress destination, int port)
    {
        var ns = Pods.TryGetValue(from, out var pod) ? pod.Namespace : from;
        var socket = Namespaces.InNamespace(ns, () => new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await socket.ConnectAsync(new IPEndPoint(destination, port), cts.Token).ConfigureAwait(false);
        return socket;
    }

    /// <summary>Sends a line over an open connection and waits for the echo.</summary>
    public static async Task<bool> EchoAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.SendAsync("ping"u8.ToArray(), SocketFlags.None, cts.Token).ConfigureAwait(false);
            var buffer = new byte[16];
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token).ConfigureAwait(false);
            return received > 0;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    private string Add(string name)
    {
        var ns = Prefix + "-" + name;
        Namespaces.Run("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        return ns;
    }

    private async Task AcceptLoop(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var buffer = new byte[256];
                    try
                    {
                        while (true)
                        {
                            var n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                            if (n == 0)
                            {
                                return;
                            }

                            await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                        }
                    }
                    catch (Exception)
                    {
                    }
                }
            });
        }
    }

    private async Task UdpEchoLoop(Socket socket)
    {
        var buffer = new byte[256];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
                await socket.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, result.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    /// <summary>Stops the servers and deletes every namespace of the lab (which deletes their interfaces).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        try
        {
            await Task.WhenAll(_serverLoops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
        }

        foreach (var ns in _namespaces)
        {
            Namespaces.TryRun("ip", "netns", "del", ns);
        }

        _stop.Dispose();
    }
}
