namespace NetPolHost.Console.Tests;

/// <summary><c>netpolhost validate</c> on ClusterNetworkPolicies and the v1alpha1 AdminNetworkPolicy and
/// BaselineAdminNetworkPolicy: the same text and JSON as for NetworkPolicies.</summary>
public sealed class ClusterPolicyValidateTests
{
    private const string Policies = """
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {name: guard}
        spec:
          tier: Admin
          priority: 10
          subject: {namespaces: {}}
          egress:
          - action: Deny
            to:
            - networks: [169.254.169.254/32]
            - services: {name: metadata}
        ---
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: {name: default}
        spec:
          subject: {namespaces: {}}
          ingress:
          - {action: Deny, from: [{namespaces: {}}]}
        """;

    private const string Broken = """
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {name: guard}
        spec:
          tier: admin
          priority: 1001
          subject: {namespaces: {}}
          egress:
          - action: Allow
            to:
            - networks: [10.0.0.0/8]
            protocols:
            - destinationNamedPort: web
        """;

    [Fact]
    public async Task Valid_CountsClusterPolicies_AndPrintsTheFailClosedNote()
    {
        using var file = new TempFile(Policies);

        var (exit, output, error) = await Cli.RunAsync("validate", "-f", file.Path);

        Assert.Equal(0, exit);
        Assert.Equal("valid: 1 file(s); 0 policies, 2 cluster policies, 0 namespaces, 0 pods, 0 nodes, 0 host endpoints", output.Trim());
        Assert.Equal($"note: {file.Path}:12:7: spec.egress[0].to[1].services: unknown peer field \"services\", perhaps a peer type of a newer API version: the peer fails closed (for this Deny rule it matches every destination)", error.Trim());
    }

    [Fact]
    public async Task Errors_ArePrintedAsFileLineColumnPathMessage()
    {
        using var file = new TempFile(Broken);

        var (exit, output, _) = await Cli.RunAsync("validate", "-f", file.Path);

        Assert.Equal(2, exit);
        Assert.Equal(
            [
                $"{file.Path}:5:9: spec.tier: expected one of \"Admin\", \"Baseline\", found \"admin\" (values are case-sensitive)",
                $"{file.Path}:6:13: spec.priority: expected a priority between 0 and 1000, found 1001",
                $"{file.Path}:9:13: spec.egress[0].action: expected one of \"Accept\", \"Deny\", \"Pass\", found \"Allow\" (a ClusterNetworkPolicy says Accept; Allow is the v1alpha1 spelling)",
                $"{file.Path}:13:29: spec.egress[0].protocols[0].destinationNamedPort: expected no named port in a rule with networks, nodes or domainNames peers (they have no named ports), found destinationNamedPort \"web\" and networks at to[0]",
                "invalid: 4 error(s) in 1 file(s)",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Json_HasTheErrorsAndNotes_WithTheirObjects()
    {
        using var broken = new TempFile(Broken);
        using var valid = new TempFile(Policies);

        var (exit, output, _) = await Cli.RunAsync("validate", "-f", broken.Path, "-f", valid.Path, "-o", "json");

        Assert.Equal(2, exit);
        var json = Cli.Json(output);
        Assert.False(json.GetProperty("valid").GetBoolean());
        var error = json.GetProperty("errors")[1];
        Assert.Equal((broken.Path, 6, 13), (error.GetProperty("file").GetString(), error.GetProperty("line").GetInt32(), error.GetProperty("column").GetInt32()));
        Assert.Equal("spec.priority", error.GetProperty("path").GetString());
        Assert.Equal("ClusterNetworkPolicy guard", error.GetProperty("object").GetString());
        var note = json.GetProperty("notes")[0];
        Assert.Equal((valid.Path, "spec.egress[0].to[1].services"), (note.GetProperty("file").GetString(), note.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task GuardrailSample_IsValid()
    {
        var (exit, output, _) = await Cli.RunAsync("validate", "-f", Path.Combine(Cli.Root, "examples", "sample-guardrail"));

        Assert.Equal(0, exit);
        Assert.Contains("1 cluster policies", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GuardrailSample_MetadataStaysDenied_ThoughANetworkPolicyAllowsAllEgress_AndCheckSaysWhy()
    {
        var sample = Path.Combine(Cli.Root, "examples", "sample-guardrail");
        var (exit, output, _) = await Cli.RunAsync("check", "-f", sample, "--from", "production/api", "--to", "169.254.169.254", "--port", "80");

        Assert.Equal(1, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("DENIED: pod production/api (10.244.1.11) -> 169.254.169.254 (outside the cluster) port 80/TCP", lines[0]);
        Assert.Equal("egress of the source: denied by ClusterNetworkPolicy block-cloud-metadata rule 0 'no-instance-metadata' (Admin tier)", lines[1]);
        Assert.StartsWith("to allow it: the Admin tier's ClusterNetworkPolicy block-cloud-metadata rule 0 'no-instance-metadata' denies it, and no NetworkPolicy can override the Admin tier", lines[3], StringComparison.Ordinal);

        var (jsonExit, json, _) = await Cli.RunAsync("check", "-f", sample, "--from", "production/api", "--to", "169.254.169.254", "--port", "80", "-o", "json");
        Assert.Equal(1, jsonExit);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var egress = document.RootElement.GetProperty("egress");
        Assert.False(document.RootElement.GetProperty("allowed").GetBoolean());
        Assert.Equal("Admin", egress.GetProperty("tier").GetString());
        Assert.Equal("denied-by-cluster-policy", egress.GetProperty("reason").GetString());
        Assert.True(egress.GetProperty("isolated").GetBoolean(), "allow-all-egress isolates the egress of production/api");
        Assert.Equal(["production/allow-all-egress"], egress.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        var decidedBy = egress.GetProperty("decidedBy");
        Assert.Equal(("ClusterNetworkPolicy", "block-cloud-metadata", 0, "Deny"), (decidedBy.GetProperty("kind").GetString(), decidedBy.GetProperty("name").GetString(), decidedBy.GetProperty("rule").GetInt32(), decidedBy.GetProperty("action").GetString()));

        // Elsewhere, the NetworkPolicy that allows all egress decides.
        var (otherExit, other, _) = await Cli.RunAsync("check", "-f", sample, "--from", "production/api", "--to", "1.1.1.1", "--port", "443", "-o", "json");
        Assert.Equal(0, otherExit);
        using var otherDocument = System.Text.Json.JsonDocument.Parse(other);
        Assert.Equal("NetworkPolicy", otherDocument.RootElement.GetProperty("egress").GetProperty("tier").GetString());
        Assert.Equal("production/allow-all-egress", otherDocument.RootElement.GetProperty("egress").GetProperty("decidedBy").GetProperty("name").GetString());
    }
}
