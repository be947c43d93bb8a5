using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace NetPolHost.Kubernetes.Tests.Fakes;

/// <summary>One resource of the fake API server: its objects (each write gets the server's next resourceVersion, as
/// etcd gives them), scripted answers, and the watches clients opened.</summary>
internal sealed class FakeCollection
{
    private readonly FakeApiServer _server;
    private readonly SortedDictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly Channel<FakeWatch> _watches = Channel.CreateUnbounded<FakeWatch>();
    private readonly Lock _gate = new();
    private bool _installed = true;

    public FakeCollection(FakeApiServer server, string path, string kind, string apiVersion)
    {
        _server = server;
        Path = path;
        Kind = kind;
        ApiVersion = apiVersion;
    }

    public string Path { get; }

    public string Kind { get; }

    public string ApiVersion { get; }

    /// <summary>Whether the server serves the resource (its CRD is installed); otherwise requests get 404.</summary>
    public bool Installed
    {
        get => Volatile.Read(ref _installed);
        set => Volatile.Write(ref _installed, value);
    }

    /// <summary>Answers for the next list requests, before the normal ones.</summary>
    public ConcurrentQueue<FakeResponse> NextListResponses { get; } = new();

    /// <summary>Answers for the next watch requests, before the normal ones.</summary>
    public ConcurrentQueue<FakeResponse> NextWatchResponses { get; } = new();

    public IReadOnlyList<FakeRequest> Lists => [.. _server.Requests.Where(r => r.Path == Path && !r.IsWatch)];

    public IReadOnlyList<FakeRequest> Watches => [.. _server.Requests.Where(r => r.Path == Path && r.IsWatch)];

    /// <summary>The stored objects, with kind and apiVersion, as <c>kubectl get -o json</c> shows them.</summary>
    public IReadOnlyList<JsonObject> Items
    {
        get
        {
            lock (_gate)
            {
                return [.. _objects.Values.Select(o => (JsonObject)o.DeepClone())];
            }
        }
    }

    /// <summary>Stores an object (created or changed) with a new resourceVersion; returns it as the API would send it.</summary>
    public JsonObject Put(JsonObject item)
    {
        var stored = (JsonObject)item.DeepClone();
        stored["kind"] = Kind;
        stored["apiVersion"] = ApiVersion;
        var metadata = (JsonObject)stored["metadata"]!;
        var key = Key(metadata);
        lock (_gate)
        {
            metadata["uid"] = _objects.TryGetValue(key, out var old) ? old["metadata"]!["uid"]!.GetValue<string>() : metadata["uid"]?.GetValue<string>() ?? Guid.NewGuid().ToString();
            metadata["resourceVersion"] = _server.NextResourceVersion();
            _objects[key] = stored;
        }

        return (JsonObject)stored.DeepClone();
    }

    /// <summary>Removes an object; returns its last state with a new resourceVersion, as a DELETED event carries it.</summary>
    public JsonObject Delete(string key)
    {
        lock (_gate)
        {
            var removed = _objects[key];
            _objects.Remove(key);
            var copy = (JsonObject)removed.DeepClone();
            copy["metadata"]!["resourceVersion"] = _server.NextResourceVersion();
            return copy;
        }
    }

    /// <summary>The next watch a client opens on this resource.</summary>
    public async Task<FakeWatch> NextWatchAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        return await _watches.Reader.ReadAsync(cts.Token);
    }

    internal void Opened(FakeWatch watch) => _watches.Writer.TryWrite(watch);

    /// <summary>A list as the API server sends it: items without kind and apiVersion, the list's resourceVersion, and
    /// pages when <c>limit</c> is given (the continue token is the offset).</summary>
    internal JsonObject List(FakeRequest request)
    {
        List<JsonObject> items;
        lock (_gate)
        {
            items = [.. _objects.Values.Select(o => (JsonObject)o.DeepClone())];
        }

        var offset = request.Query.TryGetValue("continue", out var token) ? int.Parse(token, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var limit = request.Query.TryGetValue("limit", out var l) ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue;
        var page = items.Skip(offset).Take(limit).ToList();
        var metadata = new JsonObject { ["resourceVersion"] = _server.CurrentVersion() };
        if (offset + page.Count < items.Count)
        {
            metadata["continue"] = (offset + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata["remainingItemCount"] = items.Count - offset - page.Count;
        }

        var array = new JsonArray();
        foreach (var item in page)
        {
            item.Remove("kind");
            item.Remove("apiVersion");
            array.Add(item);
        }

        return new JsonObject
        {
            ["kind"] = Kind + "List",
            ["apiVersion"] = ApiVersion,
            ["metadata"] = metadata,
            ["items"] = array,
        };
    }

    private static string Key(JsonObject metadata) =>
        metadata["namespace"] is { } ns ? ns.GetValue<string>() + "/" + metadata["name"]!.GetValue<string>() : metadata["name"]!.GetValue<string>();
}
