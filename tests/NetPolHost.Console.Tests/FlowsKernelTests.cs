using System.Net;
using System.Text.Json;
using NetPolHost.Model;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Console.Tests;

/// <summary>The command line end to end on nftables in a lab namespace with real packets: <c>apply</c>, then
/// <c>flows -o json -f …</c> names both pods, the direction, the port and the policies that isolate the destination.</summary>
[Trait("Category", "Integration")]
public sealed class FlowsKernelTests
{
    private const string Cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: x}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: "y"}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: x, labels: {pod: a}}
        spec: {nodeName: node-1}
        status: {podIP: 10.244.1.27}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: b, namespace: x, labels: {pod: b}}
        spec: {nodeName: node-1}
        status: {podIP: 10.244.1.28}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: "y", labels: {pod: a}}
        spec: {nodeName: node-1}
        status: {podIP: 10.244.2.27}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: only-from-b, namespace: "y"}
        spec:
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}
              podSelector: {matchLabels: {pod: b}}
        """;

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Flows_WithManifests_NameBothPodsAndTheIsolatingPolicy_AndAllowedOnlyWhenAsked()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        var token = TestContext.Current.CancellationToken;
        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("node");
        lab.AddPod(node, "x/a", IPAddress.Parse("10.244.1.27"));
        lab.AddPod(node, "x/b", IPAddress.Parse("10.244.1.28"));
        lab.AddPod(node, "y/a", IPAddress.Parse("10.244.2.27"));
        lab.Serve([80], []);
        using var manifest = new TempFile(Cluster);

        var apply = await Cli.RunAsync("apply", "-f", manifest.Path, "--node", "node-1", "--backend", "nftables", "--netns", node);
        Assert.True(apply.Exit == 0, apply.Error);

        // Denied only: x/a → y/a is denied; x/b → y/a is allowed and must not appear without --allowed.
        var denied = await FlowsWhileAsync(lab, node, manifest.Path, allowed: false, token);
        var record = Assert.Single(denied, r => r.GetProperty("verdict").GetString() == "deny");
        Assert.Equal("ingress", record.GetProperty("direction").GetString());
        Assert.Equal("tcp", record.GetProperty("protocol").GetString());
        Assert.Equal("x/a", record.GetProperty("source").GetProperty("endpoint").GetString());
        Assert.Equal("y/a", record.GetProperty("destination").GetProperty("endpoint").GetString());
        Assert.Equal(80, record.GetProperty("destination").GetProperty("port").GetInt32());
        Assert.Contains("y/only-from-b", record.GetProperty("isolatingPolicies").EnumerateArray().Select(p => p.GetString()));
        Assert.NotEmpty(record.GetProperty("explanation").EnumerateArray());
        Assert.DoesNotContain(denied, r => r.GetProperty("verdict").GetString() == "allow");

        // With --allowed, the allowed connection appears too, naming the policy and rule 0.
        var all = await FlowsWhileAsync(lab, node, manifest.Path, allowed: true, token);
        var allowedRecord = Assert.Single(all, r => r.GetProperty("verdict").GetString() == "allow" && r.GetProperty("direction").GetString() == "ingress");
        Assert.Equal("x/b", allowedRecord.GetProperty("source").GetProperty("endpoint").GetString());
        Assert.Equal("y/a", allowedRecord.GetProperty("destination").GetProperty("endpoint").GetString());
        Assert.Equal("y/only-from-b", allowedRecord.GetProperty("policy").GetString());
        Assert.Equal(0, allowedRecord.GetProperty("rule").GetInt32());

        var remove = await Cli.RunAsync("remove", "--backend", "nftables", "--netns", node);
        Assert.True(remove.Exit == 0, remove.Error);
    }

    /// <summary>Runs <c>flows</c> for a few seconds while x/a and x/b each open a connection to y/a:80.</summary>
    private static async Task<List<JsonElement>> FlowsWhileAsync(NetworkLab lab, string node, string manifest, bool allowed, CancellationToken token)
    {
        var args = new List<string> { "flows", "--backend", "nftables", "--netns", node, "-f", manifest, "--node", "node-1", "--duration", "4s", "-o", "json" };
        if (allowed)
        {
            args.Add("--allowed");
        }

        var flows = Cli.RunAsync([.. args]);
        await Task.Delay(TimeSpan.FromSeconds(1), token);
        var target = lab.Pods["y/a"].Address;
        Assert.False(await lab.ProbeAsync("x/a", target, 80, Protocol.Tcp));
        Assert.True(await lab.ProbeAsync("x/b", target, 80, Protocol.Tcp, TimeSpan.FromSeconds(2)));
        var (exit, output, error) = await flows;
        Assert.True(exit == 0, error);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Cli.Json)];
    }
}
