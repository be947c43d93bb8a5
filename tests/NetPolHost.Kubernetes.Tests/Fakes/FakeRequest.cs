namespace NetPolHost.Kubernetes.Tests.Fakes;

/// <summary>A request the fake API server received.</summary>
internal sealed record FakeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, long Timestamp)
{
    public bool IsWatch => Query.GetValueOrDefault("watch") is "true" or "1";

    public string? ResourceVersion => Query.GetValueOrDefault("resourceVersion");

    public static FakeRequest Parse(string requestLine, IReadOnlyDictionary<string, string> headers, long timestamp)
    {
        var parts = requestLine.Split(' ');
        var target = parts[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (question >= 0)
        {
            foreach (var pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
                query[key] = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return new FakeRequest(parts[0], path, query, headers, timestamp);
    }
}

/// <summary>A scripted answer that replaces the normal one for the next request.</summary>
internal abstract record FakeResponse
{
    /// <summary>An error answer with a Status body, as the API server sends it.</summary>
    public static FakeResponse Status(int code, string reason, string message) => new StatusResponse(code, reason, message);

    /// <summary>The connection is closed without an answer.</summary>
    public static FakeResponse Drop { get; } = new DropResponse();

    /// <summary>The normal answer (to script a failure of a later request).</summary>
    public static FakeResponse Normal { get; } = new NormalResponse();
}

internal sealed record NormalResponse : FakeResponse;

internal sealed record StatusResponse(int Code, string Reason, string Message) : FakeResponse;

internal sealed record DropResponse : FakeResponse;
