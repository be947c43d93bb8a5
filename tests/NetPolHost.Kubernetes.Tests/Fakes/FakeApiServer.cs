using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace NetPolHost.Kubernetes.Tests.Fakes;

/// <summary>
/// A Kubernetes API server on loopback, small enough to read: HTTP/1.1 with keep-alive, lists as JSON with
/// <c>metadata.resourceVersion</c> (and paging), watches as chunked streams of newline-delimited events, errors as
/// <c>Status</c> objects. Namespaces, pods, nodes and NetworkPolicies; ClusterNetworkPolicies, AdminNetworkPolicies and
/// BaselineAdminNetworkPolicies only once their CRDs are "installed" (<see cref="FakeCollection.Installed"/>): until then
/// they are answered with 404, as an API server without the CRD answers.
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly ConcurrentBag<FakeWatch> _openWatches = [];
    private readonly Task _accepting;
    private long _resourceVersion = 100;

    public FakeApiServer(int port = 0)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Namespaces = new FakeCollection(this, "/api/v1/namespaces", "Namespace", "v1");
        Pods = new FakeCollection(this, "/api/v1/pods", "Pod", "v1");
        Nodes = new FakeCollection(this, "/api/v1/nodes", "Node", "v1");
        NetworkPolicies = new FakeCollection(this, "/apis/networking.k8s.io/v1/networkpolicies", "NetworkPolicy", "networking.k8s.io/v1");
        ClusterNetworkPolicies = new FakeCollection(this, "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies", "ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2") { Installed = false };
        AdminNetworkPolicies = new FakeCollection(this, "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies", "AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1") { Installed = false };
        BaselineAdminNetworkPolicies = new FakeCollection(this, "/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1") { Installed = false };
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public FakeCollection Namespaces { get; }

    public FakeCollection Pods { get; }

    public FakeCollection Nodes { get; }

    public FakeCollection NetworkPolicies { get; }

    public FakeCollection ClusterNetworkPolicies { get; }

    public FakeCollection AdminNetworkPolicies { get; }

    public FakeCollection BaselineAdminNetworkPolicies { get; }

    /// <summary>Every resource, installed or not.</summary>
    public IReadOnlyList<FakeCollection> Collections => [Namespaces, Pods, Nodes, NetworkPolicies, ClusterNetworkPolicies, AdminNetworkPolicies, BaselineAdminNetworkPolicies];

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>A client configuration for this server (plain HTTP, no credentials).</summary>
    public KubernetesClientConfiguration ClientConfiguration => new() { Host = Url.ToString() };

    internal string NextResourceVersion() => Interlocked.Increment(ref _resourceVersion).ToString(CultureInfo.InvariantCulture);

    /// <summary>The latest resourceVersion (what a list made now carries).</summary>
    public string CurrentVersion() => Interlocked.Read(ref _resourceVersion).ToString(CultureInfo.InvariantCulture);

    public static JsonObject StatusObject(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _connections.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, false, 4096, leaveOpen: true);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var requestLine = await reader.ReadLineAsync(_stop.Token);
                if (string.IsNullOrEmpty(requestLine))
                {
                    return;
                }

                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } header)
                {
                    var colon = header.IndexOf(':', StringComparison.Ordinal);
                    headers[header[..colon].Trim()] = header[(colon + 1)..].Trim();
                }

                var request = FakeRequest.Parse(requestLine, headers, Stopwatch.GetTimestamp());
                Requests.Enqueue(request);
                if (!await AnswerAsync(stream, request))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Answers one request; <see langword="false"/> when the connection must close.</summary>
    private async Task<bool> AnswerAsync(Stream stream, FakeRequest request)
    {
        var collection = Collections.FirstOrDefault(c => c.Path == request.Path && c.Installed);
        if (collection is null)
        {
            await WriteJsonAsync(stream, 404, StatusObject(404, "NotFound", $"the server could not find the requested resource ({request.Path})"));
            return true;
        }

        if ((request.IsWatch ? collection.NextWatchResponses : collection.NextListResponses).TryDequeue(out var scripted))
        {
            switch (scripted)
            {
                case DropResponse:
                    return false;
                case StatusResponse status:
                    await WriteJsonAsync(stream, status.Code, StatusObject(status.Code, status.Reason, status.Message));
                    return true;
            }
        }

        if (!request.IsWatch)
        {
            await WriteJsonAsync(stream, 200, collection.List(request));
            return true;
        }

        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
        await stream.FlushAsync();
        var watch = new FakeWatch(stream, collection, request);
        _openWatches.Add(watch);
        collection.Opened(watch);
        return await watch.Completion.WaitAsync(_stop.Token); // Ends with the server too, even if opened while it stops.
    }

    private static async Task WriteJsonAsync(Stream stream, int code, JsonNode body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var reason = code switch { 200 => "OK", 404 => "Not Found", 410 => "Gone", 500 => "Internal Server Error", 503 => "Service Unavailable", _ => "Error" };
        var head = string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var watch in _openWatches)
        {
            watch.Abort();
        }

        await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(_connections).WaitAsync(TimeSpan.FromSeconds(10)); // A hang fails the test instead.
        _listener.Dispose();
        _stop.Dispose();
    }
}
