using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NetPolHost.Timing;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>
/// Keeps one resource of the <see cref="ClusterState"/> up to date: lists it (in pages, as one consistent read), then
/// watches from the list's resourceVersion, and resumes each following watch from the last resourceVersion seen (events
/// and bookmarks). A watch that expires (<c>410 Gone</c>, as an HTTP status or an ERROR event) means events were lost:
/// list again. Any other failure (connection refused, a broken stream, a 5xx or 429 answer, a timeout) is retried after
/// an exponential backoff with jitter, from where it stopped. An optional resource (a CRD such as
/// clusternetworkpolicies) that the API server does not serve (404 on the list) holds no objects: that is said once, at
/// information level, and the list is tried again every <see cref="KubernetesSourceOptions.WatchTimeout"/>, so a CRD
/// installed later is picked up.
/// </summary>
internal sealed partial class ResourceWatcher
{
    private const int MaxEventBytes = 16 * 1024 * 1024;
    private static readonly JsonDocumentOptions s_json = new() { MaxDepth = 256 };

    private readonly ApiResource _resource;
    private readonly ApiClient _api;
    private readonly ClusterState _state;
    private readonly ObjectConverter _converter;
    private readonly KubernetesSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Backoff _backoff;
    private string _resourceVersion = string.Empty;
    private bool _eventsSinceList;
    private bool _notServed;

    public ResourceWatcher(
        ApiResource resource,
        ApiClient api,
        ClusterState state,
        ObjectConverter converter,
        KubernetesSourceOptions options,
        TimeProvider time,
        ILogger logger,
        Random random)
    {
        _resource = resource;
        _api = api;
        _state = state;
        _converter = converter;
        _options = options;
        _time = time;
        _logger = logger;
        _random = random;
        _backoff = new Backoff(options.InitialBackoff, options.MaxBackoff, random);
    }

    /// <summary>Runs until cancelled; never fails otherwise.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var mustList = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (mustList)
                {
                    if (!await ListAsync(cancellationToken).ConfigureAwait(false))
                    {
                        await Task.Delay(_options.WatchTimeout, _time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    mustList = false;
                }

                var started = _time.GetTimestamp();
                var (events, gone) = await WatchAsync(cancellationToken).ConfigureAwait(false);
                if (gone is not null)
                {
                    mustList = true;
                    await ExpiredAsync(gone, cancellationToken).ConfigureAwait(false);
                }
                else if (events == 0 && _time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                {
                    // A server that ends watches at once would otherwise be asked again and again without pause.
                    await Task.Delay(_backoff.Next(), _time, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (KubernetesApiException ex) when (ex.IsGone && !cancellationToken.IsCancellationRequested)
            {
                mustList = true;
                await ExpiredAsync(ex, cancellationToken).ConfigureAwait(false);
            }
            catch (KubernetesApiException ex) when (IsNotServed(ex) && !cancellationToken.IsCancellationRequested)
            {
                // The CRD went away while it was watched: the next list says so and empties the resource.
                mustList = true;
                await Task.Delay(_backoff.Next(), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var delay = _backoff.Next();
                Log.RequestFailed(_logger, _resource.Plural, Describe(ex), delay.TotalSeconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ExpiredAsync(KubernetesApiException gone, CancellationToken cancellationToken)
    {
        Log.Expired(_logger, gone.Request, gone.Detail ?? gone.Reason ?? "410 Gone", _resource.Plural);
        if (!_eventsSinceList)
        {
            // Expired again right after a list: do not list in a tight loop.
            await Task.Delay(_backoff.Next(), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether an error says that an optional resource is not served (its CRD is not installed).</summary>
    private bool IsNotServed(KubernetesApiException error) => _resource.Optional && error.Code == 404;

    /// <summary>Lists every object (following <c>continue</c> tokens) and replaces the resource's objects. Returns
    /// <see langword="false"/> when the resource is optional and not served: it then holds no objects.</summary>
    private async Task<bool> ListAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ListPagesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesApiException ex) when (IsNotServed(ex))
        {
            _state.Replace(_resource, new Dictionary<string, StoredObject>(StringComparer.Ordinal));
            _backoff.Reset();
            if (!_notServed)
            {
                _notServed = true;
                Log.NotServed(_logger, _resource.FullName, _options.WatchTimeout.TotalSeconds);
            }

            return false;
        }

        if (_notServed)
        {
            _notServed = false;
            Log.NowServed(_logger, _resource.FullName);
        }

        return true;
    }

    private async Task ListPagesAsync(CancellationToken cancellationToken)
    {
        var objects = new Dictionary<string, StoredObject>(StringComparer.Ordinal);
        var continueToken = string.Empty;
        var listVersion = string.Empty;
        var pages = 0;
        do
        {
            var query = string.Create(CultureInfo.InvariantCulture, $"{_resource.CollectionPath}?limit={_options.PageSize}");
            if (continueToken.Length > 0)
            {
                query += "&continue=" + Uri.EscapeDataString(continueToken);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            using var response = await _api.GetAsync(query, "list " + _resource.Plural, timeout.Token).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var document = await JsonDocument.ParseAsync(stream, s_json, timeout.Token).ConfigureAwait(false);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("items", out var items) || items.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
                {
                    throw new InvalidDataException($"list {_resource.Plural}: expected a {_resource.Kind}List with items, found {(root.ValueKind == JsonValueKind.Object ? "an object without items" : Describe(root))}");
                }

                var metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
                listVersion = Text(metadata, "resourceVersion");
                continueToken = Text(metadata, "continue");
                if (items.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in items.EnumerateArray())
                    {
                        var stored = Convert(item);
                        objects[stored.Key] = stored;
                    }
                }
            }

            pages++;
        }
        while (continueToken.Length > 0);

        if (listVersion.Length == 0)
        {
            throw new InvalidDataException($"list {_resource.Plural}: expected metadata.resourceVersion in the list, found none");
        }

        _state.Replace(_resource, objects);
        _resourceVersion = listVersion;
        _eventsSinceList = false;
        _backoff.Reset();
        Log.Listed(_logger, _resource.Plural, objects.Count, pages, listVersion);
    }

    /// <summary>Watches from the current resourceVersion until the server ends the watch. Returns the number of events
    /// and, when the watch expired, the ERROR it ended with.</summary>
    private async Task<(int Events, KubernetesApiException? Gone)> WatchAsync(CancellationToken cancellationToken)
    {
#pragma warning disable CA5394 // Jitter, not security.
        var seconds = (int)Math.Ceiling(_options.WatchTimeout.TotalSeconds * (1 + _random.NextDouble()));
#pragma warning restore CA5394
        var from = _resourceVersion;
        var request = $"watch {_resource.Plural} from resourceVersion {from}";
        var query = string.Create(
            CultureInfo.InvariantCulture,
            $"{_resource.CollectionPath}?allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(from)}&timeoutSeconds={seconds}&watch=true");

        // The server ends the watch after timeoutSeconds; past that plus a margin the connection is presumed dead.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds) + TimeSpan.FromSeconds(30));
        using var response = await _api.GetAsync(query, request, deadline.Token).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var reader = new LineReader(stream, MaxEventBytes);
            var events = 0;
            while (await reader.ReadLineAsync(deadline.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Span.Trim(" \t\r"u8).IsEmpty)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line, s_json);
                var root = document.RootElement;
                var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                var item = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("object", out var o) ? o : default;
                if (type == "ERROR")
                {
                    var error = KubernetesApiException.FromStatus(request, 500, item);
                    return error.IsGone ? (events, error) : throw error;
                }

                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{request}: expected an event with type and object, found {(root.ValueKind == JsonValueKind.Object ? "an event without an object" : Describe(root))}");
                }

                var meta = ObjectMeta.Read(item);
                switch (type)
                {
                    case "ADDED" or "MODIFIED":
                        _state.Upsert(_resource, Convert(item));
                        break;
                    case "DELETED":
                        _state.Remove(_resource, _resource.Key(meta.Namespace, meta.Name));
                        break;
                    case "BOOKMARK":
                        break;
                    default:
                        throw new InvalidDataException($"{request}: expected an event of type ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, found {(type is null ? "none" : "'" + type + "'")}");
                }

                if (meta.ResourceVersion.Length > 0)
                {
                    _resourceVersion = meta.ResourceVersion;
                }

                events++;
                _eventsSinceList = true;
                _backoff.Reset();
            }

            return (events, null);
        }
    }

    private StoredObject Convert(JsonElement item)
    {
        var meta = ObjectMeta.Read(item);
        var key = _resource.Key(meta.Namespace, meta.Name);
        var cached = _state.Find(_resource, key);
        return cached is not null && cached.IsVersionOf(meta) ? cached : _converter.Convert(_resource, item, meta);
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? string.Empty
            : string.Empty;

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => element.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Describe(Exception ex) => ex switch
    {
        KubernetesApiException => ex.Message,
        OperationCanceledException => "no answer in time",
        _ => ex.Message,
    };

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "listed {Count} {Resource} in {Pages} page(s) at resourceVersion {ResourceVersion}")]
        public static partial void Listed(ILogger logger, string resource, int count, int pages, string resourceVersion);

        [LoggerMessage(2, LogLevel.Information, "{Request}: expired ({Detail}); listing {Resource} again")]
        public static partial void Expired(ILogger logger, string request, string detail, string resource);

        [LoggerMessage(3, LogLevel.Warning, "{Resource}: {Error}; retrying in {Seconds:F1} s (the last view stays in force)")]
        public static partial void RequestFailed(ILogger logger, string resource, string error, double seconds);

        [LoggerMessage(4, LogLevel.Information, "{Resource} is not served (its CRD is not installed): there are none; asking again every {Seconds:F0} s")]
        public static partial void NotServed(ILogger logger, string resource, double seconds);

        [LoggerMessage(5, LogLevel.Information, "{Resource} is served now")]
        public static partial void NowServed(ILogger logger, string resource);
    }
}
