using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

public sealed class ManifestFileCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "netpolhost-cache-" + Guid.NewGuid().ToString("N")[..8]);

    public ManifestFileCacheTests() => Directory.CreateDirectory(_dir);

    private static string Policy(string name, int port) => $$"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: {{name}}, namespace: x}
        spec:
          podSelector: {}
          ingress: [{ports: [{port: {{port}}}]}]
        """;

    [Fact]
    public void LoadPaths_WithACache_ReadsOnlyChangedFiles_AndEqualsAFullLoad()
    {
        var a = Path.Combine(_dir, "a.yaml");
        var b = Path.Combine(_dir, "b.yaml");
        File.WriteAllText(a, Policy("a", 80));
        File.WriteAllText(b, Policy("b", 81));
        var loader = new ManifestLoader();
        var cache = new ManifestFileCache();
        var first = loader.LoadPaths([_dir], cache);
        Assert.Equal(2, cache.Count);
        Assert.Equal(loader.LoadPaths([_dir]).Snapshot, first.Snapshot);

        File.WriteAllText(b, Policy("b", 82) + "\n# changed size");
        var second = loader.LoadPaths([_dir], cache);
        Assert.Equal(loader.LoadPaths([_dir]).Snapshot, second.Snapshot);
        Assert.Equal(82, second.Snapshot.Policies.Single(p => p.Name == "b").Ingress[0].Ports[0].Port!.Value.Number);

        // A duplicate across files is still found when both come from the cache.
        File.WriteAllText(b, Policy("a", 80));
        var duplicate = loader.LoadPaths([_dir], cache);
        Assert.Equal($"{b}:1:1: expected each object once, found NetworkPolicy x/a again (first at {a}:1)", Assert.Single(duplicate.Errors).ToString());

        File.Delete(b);
        var third = loader.LoadPaths([_dir], cache);
        Assert.True(third.IsValid);
        Assert.Equal(1, cache.Count);
        Assert.Equal(["a"], third.Snapshot.Policies.Select(p => p.Name));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

public sealed class FinishedPodTests
{
    [Fact]
    public void LoadText_FinishedPod_IsSkippedWithANote()
    {
        var result = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata: {name: job-x1, namespace: batch}
            spec: {nodeName: node-1}
            status: {phase: Succeeded, podIP: 10.0.0.5}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: batch}
            spec: {nodeName: node-1}
            status: {phase: Running, podIP: 10.0.0.5}
            """, "pods.yaml");
        Assert.True(result.IsValid);
        Assert.Equal(["web"], result.Snapshot.Pods.Select(p => p.Name));
        Assert.Equal("pods.yaml:1:1: status.phase: skipped pod batch/job-x1: it has finished (phase Succeeded), and its address may already belong to another pod", Assert.Single(result.Notes).ToString());
    }
}
