using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using NetPolHost.Sources;
using NetPolHost.Kubernetes.Tests.Fakes;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Kubernetes.Tests;

public sealed class KubernetesClusterSourceTests
{
    [Fact]
    public async Task InitialLists_GiveOneCompleteView_WithThePodsOfEveryNode()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        var listVersion = server.CurrentVersion();
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();

        Assert.True(view.IsValid);
        Assert.Equal("kubernetes", view.Source);
        var snapshot = view.Snapshot!;
        Assert.Equal(["ops", "shop"], snapshot.Namespaces.Select(n => n.Name));
        Assert.Equal("shop", snapshot.NamespaceLabels("shop")["team"]);
        Assert.Equal(["ops/monitor-1", "shop/db-1", "shop/web-1"], snapshot.Pods.Select(p => p.ToString()));
        Assert.Equal(["node-1", "node-2"], snapshot.Nodes.Select(n => n.Name));
        Assert.Equal("NetworkPolicy shop/db", Assert.Single(snapshot.Policies).ToString());
        var db = snapshot.FindPod("shop", "db-1")!;
        Assert.Equal("node-2", db.NodeName);
        Assert.Equal([IPAddress.Parse("10.244.2.20")], db.IPs);
        Assert.Equal(["http=8080/TCP", "metrics=9090/TCP"], db.Ports.Select(p => p.ToString()));

        // One consistent read per resource, in pages; then a watch from the list's resourceVersion, with bookmarks.
        foreach (var collection in new[] { server.Namespaces, server.Pods, server.Nodes, server.NetworkPolicies })
        {
            var list = Assert.Single(collection.Lists);
            Assert.Null(list.ResourceVersion);
            Assert.Equal("500", list.Query["limit"]);
            var watch = await collection.NextWatchAsync();
            Assert.Equal(listVersion, watch.Request.ResourceVersion);
            Assert.Equal("true", watch.Request.Query["allowWatchBookmarks"]);
            Assert.InRange(int.Parse(watch.Request.Query["timeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture), 300, 600);
        }

        Assert.False(await run.AnyWithinAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task WatchEvents_AddChangeAndDeletePodsNamespacesAndPolicies_GiveNewViews()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server);
        await run.NextAsync();
        var pods = await server.Pods.NextWatchAsync();
        var namespaces = await server.Namespaces.NextWatchAsync();
        var policies = await server.NetworkPolicies.NextWatchAsync();

        await pods.SendAsync("ADDED", server.Pods.Put(Objects.Pod("shop", "web-2", "node-2", "10.244.2.40")));
        var view = await run.NextAsync();
        Assert.Equal([IPAddress.Parse("10.244.2.40")], view.Snapshot!.FindPod("shop", "web-2")!.IPs);

        await pods.SendAsync("MODIFIED", server.Pods.Put(Objects.Pod("shop", "web-2", "node-2", "10.244.2.40", app: "api")));
        view = await run.NextAsync();
        Assert.Equal("api", view.Snapshot!.FindPod("shop", "web-2")!.Labels["app"]);

        await pods.SendAsync("DELETED", server.Pods.Delete("shop/web-1"));
        view = await run.NextAsync();
        Assert.Null(view.Snapshot!.FindPod("shop", "web-1"));
        Assert.Equal(3, view.Snapshot.Pods.Count);

        await namespaces.SendAsync("MODIFIED", server.Namespaces.Put(Objects.Namespace("ops", ("team", "platform"))));
        view = await run.NextAsync();
        Assert.Equal("platform", view.Snapshot!.NamespaceLabels("ops")["team"]);
        Assert.Equal("ops", view.Snapshot.NamespaceLabels("ops")[Namespace.NameLabel]);

        await policies.SendAsync("DELETED", server.NetworkPolicies.Delete("shop/db"));
        view = await run.NextAsync();
        Assert.Empty(view.Snapshot!.Policies);

        await policies.SendAsync("ADDED", server.NetworkPolicies.Put(Objects.Policy("ops", "deny-all", """{"podSelector": {}}""")));
        view = await run.NextAsync();
        var policy = Assert.Single(view.Snapshot!.Policies);
        Assert.Equal("NetworkPolicy ops/deny-all", policy.ToString());
        Assert.True(view.IsValid);
        Assert.Single(server.Pods.Lists);
    }

    [Fact]
    public async Task ChangeThatLeavesTheModelAlone_GivesNoView()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server);
        await run.NextAsync();
        var pods = await server.Pods.NextWatchAsync();

        // A status update (a restart, a probe) changes the object and its resourceVersion, not what policy needs.
        var restarted = Objects.Pod("shop", "web-1", "node-1", "10.244.1.10");
        restarted["status"]!["containerStatuses"]![0]!["restartCount"] = 3;
        await pods.SendAsync("MODIFIED", server.Pods.Put(restarted));
        Assert.False(await run.AnyWithinAsync(TimeSpan.FromMilliseconds(300)));

        await pods.SendAsync("MODIFIED", server.Pods.Put(Objects.Pod("shop", "web-1", "node-1", "10.244.1.11")));
        var view = await run.NextAsync();
        Assert.Equal([IPAddress.Parse("10.244.1.11")], view.Snapshot!.FindPod("shop", "web-1")!.IPs);
    }

    [Fact]
    public async Task WatchBrokenMidStream_ResumesFromTheLastResourceVersion_WithoutListing()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server);
        await run.NextAsync();
        var first = await server.Pods.NextWatchAsync();
        await first.SendAsync("ADDED", server.Pods.Put(Objects.Pod("shop", "web-2", "node-1", "10.244.1.12")));
        var last = server.Pods.Put(Objects.Pod("shop", "web-3", "node-1", "10.244.1.13"));
        await first.SendAsync("ADDED", last);
        await run.NextMatchingAsync(v => v.Snapshot?.FindPod("shop", "web-3") is not null);

        first.Abort();

        var second = await server.Pods.NextWatchAsync();
        Assert.Equal(last["metadata"]!["resourceVersion"]!.GetValue<string>(), second.Request.ResourceVersion);
        Assert.Single(server.Pods.Lists);
        Assert.Contains(run.Logs.Lines, l => l.StartsWith("Warning: pods: ", StringComparison.Ordinal) && l.Contains("retrying in", StringComparison.Ordinal));
        await second.SendAsync("DELETED", server.Pods.Delete("shop/web-2"));
        var view = await run.NextAsync();
        Assert.Null(view.Snapshot!.FindPod("shop", "web-2"));
        Assert.NotNull(view.Snapshot.FindPod("shop", "web-3"));
    }

    [Fact]
    public async Task WatchRequestDroppedWithoutAnswer_IsRetriedFromTheSameResourceVersion()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        var listVersion = server.CurrentVersion();
        server.Pods.NextWatchResponses.Enqueue(FakeResponse.Drop);
        await using var run = SourceRun.Start(server);
        await run.NextAsync();

        var watch = await server.Pods.NextWatchAsync();

        Assert.Equal(2, server.Pods.Watches.Count);
        Assert.All(server.Pods.Watches, w => Assert.Equal(listVersion, w.ResourceVersion));
        Assert.Single(server.Pods.Lists);
        await watch.SendAsync("ADDED", server.Pods.Put(Objects.Pod("shop", "web-2", "node-1", "10.244.1.12")));
        Assert.NotNull((await run.NextAsync()).Snapshot!.FindPod("shop", "web-2"));
    }

    [Fact]
    public async Task Bookmark_MovesTheResourceVersionOn_WithoutAView()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server);
        await run.NextAsync();
        var first = await server.Pods.NextWatchAsync();

        await first.SendBookmarkAsync("4711");
        await first.EndAsync(); // The server ends watches after timeoutSeconds.

        var second = await server.Pods.NextWatchAsync();
        Assert.Equal("4711", second.Request.ResourceVersion);
        Assert.Single(server.Pods.Lists);
        Assert.False(await run.AnyWithinAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task WatchErrorEvent410_ListsAgain_AndTheViewHasWhatTheWatchMissed()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        var listVersion = server.CurrentVersion();
        await using var run = SourceRun.Start(server);
        await run.NextAsync();
        var first = await server.Pods.NextWatchAsync();

        server.Pods.Put(Objects.Pod("shop", "missed", "node-1", "10.244.1.50")); // Changed while the watch lagged behind.
        server.Pods.Delete("ops/monitor-1");
        await first.SendErrorAsync(410, "Expired", $"too old resource version: {listVersion} (150)");
        await first.EndAsync();

        var view = await run.NextAsync();
        Assert.Equal(["shop/db-1", "shop/missed", "shop/web-1"], view.Snapshot!.Pods.Select(p => p.ToString()));
        Assert.Equal(2, server.Pods.Lists.Count);
        var second = await server.Pods.NextWatchAsync();
        Assert.Equal(server.CurrentVersion(), second.Request.ResourceVersion);
        Assert.Contains($"Information: watch pods from resourceVersion {listVersion}: expired (too old resource version: {listVersion} (150)); listing pods again", run.Logs.Lines);
    }

    [Fact]
    public async Task WatchAnswered410Gone_ListsAgain()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server);
        await run.NextAsync();
        var first = await server.Pods.NextWatchAsync();

        server.Pods.Put(Objects.Pod("shop", "missed", "node-1", "10.244.1.50"));
        server.Pods.NextWatchResponses.Enqueue(FakeResponse.Status(410, "Gone", "too old resource version: 108 (150)"));
        await first.EndAsync(); // The next watch is answered 410.

        var view = await run.NextAsync();
        Assert.NotNull(view.Snapshot!.FindPod("shop", "missed"));
        Assert.Equal(2, server.Pods.Lists.Count);
        var third = await server.Pods.NextWatchAsync();
        Assert.Equal(3, server.Pods.Watches.Count);
        Assert.Equal(server.CurrentVersion(), third.Request.ResourceVersion);
    }

    [Fact]
    public async Task ServerErrors_AreRetriedWithExponentialBackoff_ThenTheViewComes()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        for (var i = 0; i < 3; i++)
        {
            server.Pods.NextListResponses.Enqueue(FakeResponse.Status(500, "InternalError", "etcdserver: request timed out"));
        }

        await using var run = SourceRun.Start(server, o =>
        {
            o.InitialBackoff = TimeSpan.FromMilliseconds(50);
            o.MaxBackoff = TimeSpan.FromSeconds(1);
        });

        var view = await run.NextAsync();

        Assert.True(view.IsValid);
        Assert.Equal(3, view.Snapshot!.Pods.Count);
        var lists = server.Pods.Lists;
        Assert.Equal(4, lists.Count);
        var gaps = lists.Zip(lists.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a.Timestamp, b.Timestamp).TotalMilliseconds).ToList();
        Assert.True(gaps[0] >= 20, $"gaps {string.Join(", ", gaps)}"); // 25–50 ms, then 50–100 ms, then 100–200 ms.
        Assert.True(gaps[2] >= 95 && gaps[2] > gaps[0], $"gaps {string.Join(", ", gaps)}");
        var warnings = run.Logs.Lines.Where(l => l.StartsWith("Warning: pods: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.StartsWith("Warning: pods: list pods: the API server answered 500 InternalError (etcdserver: request timed out); retrying in ", warnings[0], StringComparison.Ordinal);
        Assert.EndsWith(" s (the last view stays in force)", warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forbidden_IsLoggedWithTheApiServersReason_AndRetried()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        const string Message = "networkpolicies.networking.k8s.io is forbidden: User \"system:serviceaccount:netpolhost-system:netpolhost\" cannot list resource \"networkpolicies\" in API group \"networking.k8s.io\" at the cluster scope";
        server.NetworkPolicies.NextListResponses.Enqueue(FakeResponse.Status(403, "Forbidden", Message));

        await using var run = SourceRun.Start(server);

        Assert.True((await run.NextAsync()).IsValid);
        Assert.Contains(run.Logs.Lines, l => l.StartsWith($"Warning: networkpolicies: list networkpolicies: the API server answered 403 Forbidden ({Message}); retrying in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectionRefused_IsRetried_UntilTheApiServerAnswers()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var options = new KubernetesSourceOptions
        {
            ClientConfiguration = new k8s.KubernetesClientConfiguration { Host = $"http://127.0.0.1:{port}" },
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(100),
            ReportInterval = TimeSpan.FromMilliseconds(10),
        };
        await using var run = SourceRun.Start(options);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (run.Logs.Lines.Count(l => l.Contains("Connection refused", StringComparison.Ordinal)) < 8 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.True(run.Logs.Lines.Count(l => l.Contains("Connection refused", StringComparison.Ordinal)) >= 8, string.Join("\n", run.Logs.Lines));
        Assert.False(await run.AnyWithinAsync(TimeSpan.Zero));

        await using var server = new FakeApiServer(port);
        Objects.Seed(server);
        var view = await run.NextAsync();
        Assert.True(view.IsValid);
        Assert.Equal(3, view.Snapshot!.Pods.Count);
    }

    [Fact]
    public async Task InvalidPolicyFromTheApi_GivesAnInvalidViewWithItsErrors_ThenTheFixGivesAValidView()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        var broken = server.NetworkPolicies.Put(Objects.DbPolicy("70000"));
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();

        Assert.False(view.IsValid);
        Assert.Null(view.Snapshot);
        var error = Assert.Single(view.Errors);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Equal("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/db", error.File);
        Assert.Equal("spec.ingress[0].ports[0].port", error.Path);
        Assert.Equal("expected a port number between 1 and 65535, found 70000", error.Message);
        Assert.Equal("NetworkPolicy shop/db", error.Object);
        Assert.Contains(run.Logs.Lines, l => l.StartsWith("Warning: objects from the Kubernetes API are not valid (1 errors; first: /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/db:1:", StringComparison.Ordinal));

        // The same object from a file gets the same error.
        var fromFile = Assert.Single(ManifestLoader.LoadText(broken.ToJsonString(), "db.json").Errors);
        Assert.Equal((error.Path, error.Message, error.Object), (fromFile.Path, fromFile.Message, fromFile.Object));

        var policies = await server.NetworkPolicies.NextWatchAsync();
        await policies.SendAsync("MODIFIED", server.NetworkPolicies.Put(Objects.DbPolicy("6432")));
        view = await run.NextAsync();
        Assert.True(view.IsValid);
        Assert.Equal("6432/TCP", Assert.Single(Assert.Single(Assert.Single(view.Snapshot!.Policies).Ingress).Ports).ToString());
    }

    [Fact]
    public async Task Snapshot_EqualsWhatTheManifestLoaderGives_ForTheSameObjectsInAFile()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        server.Namespaces.Put(Objects.Namespace("kube-system"));
        var hostNetwork = Objects.Pod("kube-system", "kube-proxy-x1", "node-1", "192.168.10.11", app: "kube-proxy");
        hostNetwork["spec"]!["hostNetwork"] = true;
        server.Pods.Put(hostNetwork);
        server.Pods.Put(Objects.Pod("shop", "pending-1", "node-1", null, phase: "Pending"));
        var dual = Objects.Pod("shop", "dual-1", "node-1", "10.244.1.60");
        ((JsonArray)dual["status"]!["podIPs"]!).Add(new JsonObject { ["ip"] = "fd00:10:244:1::60" });
        server.Pods.Put(dual);
        server.Nodes.Put(Objects.Node("node-3", "fd00::13"));
        server.NetworkPolicies.Put(Objects.Policy("shop", "egress", """
            {
              "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "backend"]}]},
              "policyTypes": ["Ingress", "Egress"],
              "ingress": [{"ports": [{"port": "http"}, {"port": 9000, "endPort": 9100, "protocol": "UDP"}]}],
              "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.244.2.0/24"]}}, {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "db"}}}]}]
            }
            """));
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();

        // The same objects as `kubectl get namespaces,pods,nodes,networkpolicies -A -o json` writes them.
        var items = new JsonArray();
        foreach (var item in new[] { server.Namespaces, server.Pods, server.Nodes, server.NetworkPolicies }.SelectMany(c => c.Items))
        {
            items.Add(item);
        }

        var file = Path.Combine(Path.GetTempPath(), $"netpolhost-k8s-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["metadata"] = new JsonObject { ["resourceVersion"] = "" }, ["items"] = items }.ToJsonString(), TestContext.Current.CancellationToken);
        try
        {
            var fromFile = new ManifestLoader().LoadPaths([file]);
            Assert.True(fromFile.IsValid, string.Join("\n", fromFile.Errors));
            Assert.True(view.IsValid, string.Join("\n", view.Errors));
            Assert.Equal(fromFile.Snapshot, view.Snapshot);
            Assert.Equal(6, view.Snapshot!.Pods.Count);
            Assert.True(view.Snapshot.FindPod("kube-system", "kube-proxy-x1")!.HostNetwork);
            Assert.Equal(2, view.Snapshot.FindPod("shop", "dual-1")!.IPs.Count);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task FinishedPods_AreLeftOut_TheirAddressesMayBelongToOthers()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        server.Pods.Put(Objects.Pod("shop", "job-1", "node-1", "10.244.1.99", app: "web", phase: "Succeeded"));
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();
        Assert.Null(view.Snapshot!.FindPod("shop", "job-1"));
        Assert.Equal(3, view.Snapshot.Pods.Count);

        var pods = await server.Pods.NextWatchAsync();
        await pods.SendAsync("MODIFIED", server.Pods.Put(Objects.Pod("shop", "web-1", "node-1", "10.244.1.10", phase: "Failed")));
        view = await run.NextAsync();
        Assert.Null(view.Snapshot!.FindPod("shop", "web-1"));

        await pods.SendAsync("DELETED", server.Pods.Delete("shop/job-1"));
        Assert.False(await run.AnyWithinAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Lists_FollowContinueTokens_IntoOneView()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        server.Pods.Put(Objects.Pod("shop", "web-2", "node-1", "10.244.1.12"));
        server.Pods.Put(Objects.Pod("shop", "web-3", "node-1", "10.244.1.13"));
        await using var run = SourceRun.Start(server, o => o.PageSize = 2);

        var view = await run.NextAsync();

        Assert.Equal(5, view.Snapshot!.Pods.Count);
        var lists = server.Pods.Lists;
        Assert.Equal(3, lists.Count);
        Assert.All(lists, l => Assert.Equal("2", l.Query["limit"]));
        Assert.Equal([null, "2", "4"], lists.Select(l => l.Query.GetValueOrDefault("continue")));
    }

    [Fact]
    public async Task ContinueTokenExpired_ListsAgainFromTheStart()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        server.Pods.NextListResponses.Enqueue(FakeResponse.Normal);
        server.Pods.NextListResponses.Enqueue(FakeResponse.Status(410, "Expired", "The provided continue parameter is too old to display a consistent list result."));
        await using var run = SourceRun.Start(server, o => o.PageSize = 2);

        var view = await run.NextAsync();

        Assert.Equal(3, view.Snapshot!.Pods.Count);
        Assert.Equal([null, "2", null, "2"], server.Pods.Lists.Select(l => l.Query.GetValueOrDefault("continue")));
        Assert.Contains("Information: list pods: expired (The provided continue parameter is too old to display a consistent list result.); listing pods again", run.Logs.Lines);
    }

    [Fact]
    public async Task BurstOfChanges_IsReportedAsFewViews()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server, o => o.ReportInterval = TimeSpan.FromMilliseconds(400));
        await run.NextAsync();
        var pods = await server.Pods.NextWatchAsync();

        for (var i = 0; i < 30; i++)
        {
            await pods.SendAsync("ADDED", server.Pods.Put(Objects.Pod("shop", $"burst-{i}", "node-1", $"10.244.3.{i + 1}")));
        }

        var views = new List<SourceUpdate>();
        do
        {
            views.Add(await run.NextAsync());
        }
        while (views[^1].Snapshot!.Pods.Count < 33);

        Assert.InRange(views.Count, 1, 2);
    }

    [Fact]
    public async Task Kubeconfig_ContextAndToken_AreUsed()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"netpolhost-kubeconfig-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {server.Url}
            - name: elsewhere
              cluster:
                server: http://127.0.0.1:1
            users:
            - name: agent
              user:
                token: s3cret
            contexts:
            - name: fake
              context: {"{"}cluster: fake, user: agent{"}"}
            - name: elsewhere
              context: {"{"}cluster: elsewhere, user: agent{"}"}
            current-context: elsewhere
            """, TestContext.Current.CancellationToken);
        try
        {
            var options = SourceRun.Options(server);
            options.ClientConfiguration = null;
            options.KubeconfigPath = kubeconfig;
            options.Context = "fake";
            await using var run = SourceRun.Start(options);

            Assert.True((await run.NextAsync()).IsValid);
            Assert.All(server.Requests, r => Assert.Equal("Bearer s3cret", r.Headers["Authorization"]));
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }
}
