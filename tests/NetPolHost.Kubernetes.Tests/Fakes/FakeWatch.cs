using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace NetPolHost.Kubernetes.Tests.Fakes;

/// <summary>One open watch: a chunked HTTP response the test writes events into (one writer at a time), as the API server does (one JSON
/// object and a newline per event; each event is cut into two chunks to show that chunks and lines need not agree).</summary>
internal sealed class FakeWatch
{
    private readonly Stream _stream;
    private readonly FakeCollection _collection;
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeWatch(Stream stream, FakeCollection collection, FakeRequest request)
    {
        _stream = stream;
        _collection = collection;
        Request = request;
    }

    public FakeRequest Request { get; }

    /// <summary>Completes with <see langword="true"/> when the watch ended cleanly (the connection can serve more
    /// requests), <see langword="false"/> when it was aborted.</summary>
    public Task<bool> Completion => _done.Task;

    public Task SendAsync(string type, JsonNode item) =>
        SendRawAsync(new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString());

    public Task SendBookmarkAsync(string resourceVersion) => SendAsync("BOOKMARK", new JsonObject
    {
        ["kind"] = _collection.Kind,
        ["apiVersion"] = _collection.ApiVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
    });

    public Task SendErrorAsync(int code, string reason, string message) => SendAsync("ERROR", FakeApiServer.StatusObject(code, reason, message));

    public async Task SendRawAsync(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        var half = bytes.Length / 2;
        await WriteChunkAsync(bytes.AsMemory(0, half));
        await WriteChunkAsync(bytes.AsMemory(half));
    }

    /// <summary>Ends the response properly (the server closed the watch, e.g. after timeoutSeconds).</summary>
    public async Task EndAsync()
    {
        try
        {
            await _stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            await _stream.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The client went away first (as it does after an ERROR event): nothing to end.
        }

        _done.TrySetResult(true);
    }

    /// <summary>Breaks the stream: the connection closes in the middle of the chunked body.</summary>
    public void Abort() => _done.TrySetResult(false);

    private async Task WriteChunkAsync(ReadOnlyMemory<byte> data)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
        await _stream.WriteAsync(data);
        await _stream.WriteAsync("\r\n"u8.ToArray());
        await _stream.FlushAsync();
    }
}
