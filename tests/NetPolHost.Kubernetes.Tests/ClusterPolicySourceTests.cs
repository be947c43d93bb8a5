using System.Text.Json.Nodes;
using NetPolHost.Kubernetes.Tests.Fakes;
using NetPolHost.Model;

namespace NetPolHost.Kubernetes.Tests;

/// <summary>ClusterNetworkPolicies (v1alpha2) and the v1alpha1 AdminNetworkPolicies and BaselineAdminNetworkPolicies
/// from the API: listed and watched where their CRDs are installed, converted by the manifest loader; a CRD that is not
/// installed (404) holds nothing and is no error.</summary>
public sealed class ClusterPolicySourceTests
{
    private const string NotServed = "is not served (its CRD is not installed): there are none; asking again every";

    [Fact]
    public async Task CrdsNotInstalled_AreNoError_ListedOnce_NeverWatched_LoggedOnceAtInformation()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();

        Assert.True(view.IsValid, string.Join("\n", view.Errors));
        Assert.Empty(view.Snapshot!.ClusterPolicies);
        Assert.Single(view.Snapshot.Policies);
        foreach (var collection in new[] { server.ClusterNetworkPolicies, server.AdminNetworkPolicies, server.BaselineAdminNetworkPolicies })
        {
            Assert.Single(collection.Lists);
            Assert.Empty(collection.Watches);
        }

        Assert.Equal(
            [
                "Information: adminnetworkpolicies.policy.networking.k8s.io/v1alpha1 " + NotServed + " 300 s",
                "Information: baselineadminnetworkpolicies.policy.networking.k8s.io/v1alpha1 " + NotServed + " 300 s",
                "Information: clusternetworkpolicies.policy.networking.k8s.io/v1alpha2 " + NotServed + " 300 s",
            ],
            run.Logs.Lines.Where(l => l.Contains(NotServed, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(run.Logs.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClusterPolicies_ArriveInTheSnapshot_AndFollowWatchEvents()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        Install(server);
        server.ClusterNetworkPolicies.Put(ClusterPolicy("guard", "Admin", 10));
        server.AdminNetworkPolicies.Put(AdminPolicy("legacy-guard", 20));
        server.BaselineAdminNetworkPolicies.Put(BaselinePolicy("default"));
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();

        Assert.True(view.IsValid, string.Join("\n", view.Errors));
        Assert.Equal(
            [
                "BaselineAdminNetworkPolicy default (Baseline, priority 0)",
                "ClusterNetworkPolicy guard (Admin, priority 10)",
                "AdminNetworkPolicy legacy-guard (Admin, priority 20)",
            ],
            view.Snapshot!.ClusterPolicies.Select(p => p.ToString()));
        var guard = view.Snapshot.ClusterPolicies.Single(p => p.Name == "guard");
        Assert.Equal(ClusterPolicyAction.Deny, guard.Egress[0].Action);
        Assert.Equal("169.254.169.254/32", guard.Egress[0].Peers[0].Networks[0].ToString());

        var watch = await server.ClusterNetworkPolicies.NextWatchAsync();
        Assert.Equal("true", watch.Request.Query["allowWatchBookmarks"]);
        await watch.SendAsync("MODIFIED", server.ClusterNetworkPolicies.Put(ClusterPolicy("guard", "Admin", 5)));
        view = await run.NextAsync();
        Assert.Equal(5, view.Snapshot!.ClusterPolicies.Single(p => p.Name == "guard").Priority);

        await watch.SendAsync("ADDED", server.ClusterNetworkPolicies.Put(ClusterPolicy("floor", "Baseline", 1)));
        view = await run.NextAsync();
        Assert.Equal(PolicyTier.Baseline, view.Snapshot!.ClusterPolicies.Single(p => p.Name == "floor").Tier);

        await watch.SendAsync("DELETED", server.ClusterNetworkPolicies.Delete("guard"));
        view = await run.NextAsync();
        Assert.DoesNotContain(view.Snapshot!.ClusterPolicies, p => p.Name == "guard");
        Assert.Equal(3, view.Snapshot.ClusterPolicies.Count);
        Assert.Single(server.ClusterNetworkPolicies.Lists);
    }

    [Fact]
    public async Task InvalidClusterPolicy_MakesTheViewInvalid_WithItsApiPath()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        server.ClusterNetworkPolicies.Installed = true;
        server.ClusterNetworkPolicies.Put(ClusterPolicy("guard", "admin", 10));
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();

        Assert.False(view.IsValid);
        var error = Assert.Single(view.Errors);
        Assert.Equal("/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies/guard", error.File);
        Assert.Equal("spec.tier", error.Path);
        Assert.Equal("expected one of \"Admin\", \"Baseline\", found \"admin\" (values are case-sensitive)", error.Message);
        Assert.Equal("ClusterNetworkPolicy guard", error.Object);
    }

    [Fact]
    public async Task SameNameInTwoKinds_MakesTheViewInvalid()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        Install(server);
        server.ClusterNetworkPolicies.Put(ClusterPolicy("default", "Baseline", 10));
        server.BaselineAdminNetworkPolicies.Put(BaselinePolicy("default"));
        await using var run = SourceRun.Start(server);

        var view = await run.NextAsync();

        Assert.False(view.IsValid);
        Assert.Equal(
            "/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies/default:1:1: expected one cluster-wide policy per name, found BaselineAdminNetworkPolicy default and ClusterNetworkPolicy default (at /apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies/default): NetPolHost holds ClusterNetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicies by name; rename one, or delete the one a migration replaced",
            Assert.Single(view.Errors).ToString());
    }

    [Fact]
    public async Task CrdInstalledLater_IsPickedUp_AndSaidOnce()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        await using var run = SourceRun.Start(server, o => o.WatchTimeout = TimeSpan.FromSeconds(1));
        var first = await run.NextAsync();
        Assert.Empty(first.Snapshot!.ClusterPolicies);

        server.ClusterNetworkPolicies.Put(ClusterPolicy("guard", "Admin", 10));
        server.ClusterNetworkPolicies.Installed = true;
        var view = await run.NextMatchingAsync(v => v.Snapshot?.ClusterPolicies.Count == 1);

        Assert.Equal("guard", view.Snapshot!.ClusterPolicies[0].Name);

        // The watcher says so once its list has succeeded, which is also what publishes the view: wait for the line.
        const string ServedNow = "Information: clusternetworkpolicies.policy.networking.k8s.io/v1alpha2 is served now";
        for (var i = 0; i < 100 && !run.Logs.Lines.Contains(ServedNow); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Contains(ServedNow, run.Logs.Lines);
        Assert.Single(run.Logs.Lines, l => l.StartsWith("Information: clusternetworkpolicies.policy.networking.k8s.io/v1alpha2 is not served", StringComparison.Ordinal));
        await server.ClusterNetworkPolicies.NextWatchAsync();
    }

    [Fact]
    public async Task CrdRemovedWhileWatched_EmptiesTheResource()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        server.ClusterNetworkPolicies.Installed = true;
        server.ClusterNetworkPolicies.Put(ClusterPolicy("guard", "Admin", 10));
        await using var run = SourceRun.Start(server);
        Assert.Single((await run.NextAsync()).Snapshot!.ClusterPolicies);
        var watch = await server.ClusterNetworkPolicies.NextWatchAsync();

        server.ClusterNetworkPolicies.Installed = false;
        watch.Abort();
        var view = await run.NextMatchingAsync(v => v.Snapshot?.ClusterPolicies.IsEmpty == true);

        Assert.True(view.IsValid);
        Assert.Contains(run.Logs.Lines, l => l.StartsWith("Information: clusternetworkpolicies.policy.networking.k8s.io/v1alpha2 is not served", StringComparison.Ordinal));
    }

    private static void Install(FakeApiServer server)
    {
        server.ClusterNetworkPolicies.Installed = true;
        server.AdminNetworkPolicies.Installed = true;
        server.BaselineAdminNetworkPolicies.Installed = true;
    }

    /// <summary>A ClusterNetworkPolicy as the API server sends it: with generation, managedFields and status.</summary>
    private static JsonObject ClusterPolicy(string name, string tier, int priority) => Objects.Parse($$"""
        {
          "kind": "ClusterNetworkPolicy", "apiVersion": "policy.networking.k8s.io/v1alpha2",
          "metadata": {
            "name": "{{name}}", "generation": 1, "creationTimestamp": "2025-01-10T09:00:00Z",
            "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "policy.networking.k8s.io/v1alpha2", "time": "2025-01-10T09:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:tier": {} } } }]
          },
          "spec": {
            "tier": "{{tier}}", "priority": {{priority}},
            "subject": {"namespaces": {"matchLabels": {"team": "shop"} } },
            "egress": [{"name": "no-metadata", "action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]}]
          },
          "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Applied", "message": "", "lastTransitionTime": "2025-01-10T09:00:01Z"}]}
        }
        """);

    private static JsonObject AdminPolicy(string name, int priority) => Objects.Parse($$"""
        {
          "kind": "AdminNetworkPolicy", "apiVersion": "policy.networking.k8s.io/v1alpha1",
          "metadata": {"name": "{{name}}", "generation": 3},
          "spec": {
            "priority": {{priority}},
            "subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "db"} } } },
            "ingress": [{"action": "Allow", "from": [{"namespaces": {"matchLabels": {"team": "ops"} } }], "ports": [{"portNumber": {"protocol": "TCP", "port": 5432} }]}]
          },
          "status": {"conditions": []}
        }
        """);

    private static JsonObject BaselinePolicy(string name) => Objects.Parse($$"""
        {
          "kind": "BaselineAdminNetworkPolicy", "apiVersion": "policy.networking.k8s.io/v1alpha1",
          "metadata": {"name": "{{name}}"},
          "spec": {
            "subject": {"namespaces": {} },
            "ingress": [{"action": "Deny", "from": [{"namespaces": {} }]}]
          }
        }
        """);
}
