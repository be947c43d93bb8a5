using NetPolHost.Hosting.Sources;

namespace NetPolHost.Hosting.Tests;

public sealed class FileClusterSourceTests
{
    [Fact]
    public async Task Source_ReportsAtStartAndOnEveryChange_InvalidFilesWithTheirErrors()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "policy.yaml");
        await File.WriteAllTextAsync(file, Policy("80"), TestContext.Current.CancellationToken);
        using var source = new FileClusterSource(new FileSourceOptions { PollInterval = TimeSpan.FromSeconds(30) }.With(dir.Path));
        var updates = System.Threading.Channels.Channel.CreateUnbounded<SourceUpdate>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = source.RunAsync((u, token) => updates.Writer.WriteAsync(u, token), stop.Token);

        var first = await updates.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.True(first.IsValid);
        Assert.Single(first.Snapshot!.Policies);

        await File.WriteAllTextAsync(file, Policy("70000"), TestContext.Current.CancellationToken);
        var second = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5));
        Assert.False(second.IsValid);
        Assert.Equal($"{file}:9:20: spec.ingress[0].ports[0].port: expected a port number between 1 and 65535, found 70000", second.Errors[0].ToString());

        File.Delete(file);
        var third = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5));
        Assert.True(third.IsValid);
        Assert.Empty(third.Snapshot!.Policies);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    private static async Task<SourceUpdate> ReadWithin(System.Threading.Channels.ChannelReader<SourceUpdate> reader, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        return await reader.ReadAsync(cts.Token);
    }

    private static string Policy(string port) => $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web
          namespace: x
        spec:
          podSelector: {"{}"}
          ingress:
          - ports: [{"{"}port: {port}{"}"}]
        """;
}

internal static class FileSourceOptionsExtensions
{
    public static FileSourceOptions With(this FileSourceOptions options, params string[] paths)
    {
        foreach (var path in paths)
        {
            options.Paths.Add(path);
        }

        return options;
    }
}
