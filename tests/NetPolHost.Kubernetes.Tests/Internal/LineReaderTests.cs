using System.Text;
using NetPolHost.Kubernetes.Internal;

namespace NetPolHost.Kubernetes.Tests.Internal;

public sealed class LineReaderTests
{
    [Fact]
    public async Task ReadLine_SplitsEventsWhereverReadsCutThem_AndReturnsTheTailAtTheEnd()
    {
        var text = "{\"type\":\"ADDED\"}\n\n{\"type\":\"" + new string('x', 40_000) + "\"}\n{\"tail\":1}";
        var reader = new LineReader(new TrickleStream(Encoding.UTF8.GetBytes(text), 7), 1024 * 1024);

        var lines = new List<string>();
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            lines.Add(Encoding.UTF8.GetString(line.Span));
        }

        Assert.Equal(["{\"type\":\"ADDED\"}", "", "{\"type\":\"" + new string('x', 40_000) + "\"}", "{\"tail\":1}"], lines);
    }

    [Fact]
    public async Task ReadLine_LongerThanTheLimit_Throws()
    {
        var reader = new LineReader(new MemoryStream(new byte[100_000]), 32 * 1024);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await reader.ReadLineAsync(TestContext.Current.CancellationToken));

        Assert.Equal("expected watch events of at most 32768 bytes, found a longer line", error.Message);
    }

    /// <summary>Returns at most a few bytes per read, as a slow network does.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, step)], cancellationToken);
    }
}
