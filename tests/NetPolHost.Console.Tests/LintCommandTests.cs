using System.Text.Json;
using NetPolHost.Cli.Commands;

namespace NetPolHost.Console.Tests;

/// <summary><c>netpolhost lint</c>: findings as text, JSON and SARIF 2.1.0, and its exit codes.</summary>
public sealed class LintCommandTests
{
    private static string Policies => Path.Combine(Cli.Sample, "policies.yaml");

    private static string AllowAllEgress => Path.Combine(Cli.Root, "tests", "data", "lint", "sample-allow-all-egress.yaml");

    [Fact]
    public async Task Sample_GivesNph001_AsFileLineColumnSeverityRuleMessage_WithExitCode1()
    {
        var (exit, output, error) = await Cli.RunAsync("lint", "-f", Cli.Sample);
        Assert.Equal(1, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"{Policies}:20:41: warning NPH001: namespaces are selected by the label role=production", lines[0], StringComparison.Ordinal);
        Assert.Equal("    policy: NetworkPolicy production/allow-same-namespace-traffic (spec.ingress[0].from[0].namespaceSelector.matchLabels.role)", lines[1]);
        Assert.Equal("    pods: production/api, production/db, production/web-server", lines[2]);
        Assert.StartsWith("    suggestion: select the namespace by name", lines[3], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith($"{Policies}:29:5: note NPH006: port 8000/TCP open to every source", StringComparison.Ordinal));
        Assert.Equal("lint: 1 warning, 2 notes in 2 file(s)", lines[^1]);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public async Task FailOn_ChoosesTheLevelThatFails()
    {
        Assert.Equal(0, (await Cli.RunAsync("lint", "-f", Cli.Sample, "--fail-on", "error")).Exit);
        Assert.Equal(1, (await Cli.RunAsync("lint", "-f", Cli.Sample, "--fail-on", "warning")).Exit);

        // Only notes: fails at note, passes at the default (warning).
        var notesOnly = Path.Combine(Cli.Root, "tests", "data", "lint", "nph007-trigger.yaml");
        Assert.Equal(0, (await Cli.RunAsync("lint", "-f", notesOnly)).Exit);
        Assert.Equal(1, (await Cli.RunAsync("lint", "-f", notesOnly, "--fail-on", "note")).Exit);

        var bad = await Cli.RunAsync("lint", "-f", Cli.Sample, "--fail-on", "fatal");
        Assert.Equal(2, bad.Exit);
    }

    [Fact]
    public async Task WithoutPods_SaysWhichRulesDidNotRun()
    {
        var (exit, _, error) = await Cli.RunAsync("lint", "-f", Policies);
        Assert.Equal(1, exit);
        Assert.StartsWith("note: NPH003, NPH004, NPH008, NPH009, NPH012, NPH013 not run: they need the cluster's pods", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowAllEgressInProduction_GivesNph002_NamingTheAddressAndBothPolicies()
    {
        var (exit, output, _) = await Cli.RunAsync("lint", "-f", Cli.Sample, "-f", AllowAllEgress, "-o", "json");
        Assert.Equal(1, exit);
        var json = Cli.Json(output);
        var finding = json.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("ruleId").GetString() == "NPH002");
        Assert.Equal("warning", finding.GetProperty("severity").GetString());
        Assert.Equal(Policies, finding.GetProperty("file").GetString());
        Assert.Equal(40, finding.GetProperty("line").GetInt32());
        Assert.Equal(43, finding.GetProperty("column").GetInt32());
        Assert.Equal("spec.egress[0].to[0].ipBlock.except[0]", finding.GetProperty("path").GetString());
        Assert.Equal("NetworkPolicy production/disable-aws-metadata", finding.GetProperty("policy").GetString());
        Assert.StartsWith("169.254.169.254 is excluded here, but NetworkPolicy production/allow-all-egress rule egress[0] allows it", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["NetworkPolicy production/allow-all-egress rule egress[0]"], finding.GetProperty("related").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(3, finding.GetProperty("affectedPodCount").GetInt32());
        Assert.Contains("Admin-tier ClusterNetworkPolicy", finding.GetProperty("suggestion").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, json.GetProperty("summary").GetProperty("warning").GetInt32());
        Assert.Equal(0, json.GetProperty("skippedRules").GetArrayLength());

        // The text output says the same on one line.
        var (_, text, _) = await Cli.RunAsync("lint", "-f", Cli.Sample, "-f", AllowAllEgress);
        Assert.Contains($"{Policies}:40:43: warning NPH002: 169.254.169.254 is excluded here, but NetworkPolicy production/allow-all-egress rule egress[0] allows it to pods this policy selects", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidManifests_AreBadInput_WithTheLoadersErrors()
    {
        using var file = new TempFile("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            spec:
              podSelector: {}
              ingress:
              - ports:
                - port: 70000
            """);
        var (exit, output, error) = await Cli.RunAsync("lint", "-f", file.Path);
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal(
            [
                $"{file.Path}:8:13: spec.ingress[0].ports[0].port: expected a port number between 1 and 65535, found 70000",
                "error: 1 error(s) in the manifests; fix them first ('netpolhost validate' lists them too).",
            ],
            error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var missing = await Cli.RunAsync("lint", "-f", Path.Combine(Cli.Root, "no-such-dir"));
        Assert.Equal(2, missing.Exit);
    }

    [Fact]
    public async Task Sarif_HasTheStructureCodeScanningReads()
    {
        var (exit, output, _) = await Cli.RunAsync("lint", "-f", Cli.Sample, "-f", AllowAllEgress, "-o", "sarif");
        Assert.Equal(1, exit);
        var sarif = Cli.Json(output);
        Assert.Equal("https://json.schemastore.org/sarif-2.1.0.json", sarif.GetProperty("$schema").GetString());
        Assert.Equal("2.1.0", sarif.GetProperty("version").GetString());
        var run = Assert.Single(sarif.GetProperty("runs").EnumerateArray());

        var driver = run.GetProperty("tool").GetProperty("driver");
        Assert.Equal("netpolhost", driver.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(driver.GetProperty("version").GetString()));
        Assert.StartsWith("https://", driver.GetProperty("informationUri").GetString(), StringComparison.Ordinal);
        var rules = driver.GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, 13).Select(i => $"NPH{i:000}"), rules.Select(r => r.GetProperty("id").GetString()));
        foreach (var rule in rules)
        {
            Assert.Matches("^[A-Z][A-Za-z]+$", rule.GetProperty("name").GetString());
            Assert.False(string.IsNullOrEmpty(rule.GetProperty("shortDescription").GetProperty("text").GetString()));
            Assert.False(string.IsNullOrEmpty(rule.GetProperty("fullDescription").GetProperty("text").GetString()));
            Assert.False(string.IsNullOrEmpty(rule.GetProperty("help").GetProperty("text").GetString()));
            Assert.Contains(rule.GetProperty("defaultConfiguration").GetProperty("level").GetString(), new[] { "note", "warning", "error" });
        }

        Assert.Equal("warning", rules[1].GetProperty("defaultConfiguration").GetProperty("level").GetString());
        Assert.Equal("note", rules[2].GetProperty("defaultConfiguration").GetProperty("level").GetString());

        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["NPH001", "NPH006", "NPH007", "NPH009", "NPH002"], results.Select(r => r.GetProperty("ruleId").GetString()));
        var baseUri = run.GetProperty("originalUriBaseIds").GetProperty("%SRCROOT%").GetProperty("uri").GetString()!;
        Assert.EndsWith("/", baseUri, StringComparison.Ordinal);
        foreach (var result in results)
        {
            var index = result.GetProperty("ruleIndex").GetInt32();
            Assert.Equal(result.GetProperty("ruleId").GetString(), rules[index].GetProperty("id").GetString());
            Assert.Contains(result.GetProperty("level").GetString(), new[] { "note", "warning", "error" });
            Assert.False(string.IsNullOrEmpty(result.GetProperty("message").GetProperty("text").GetString()));
            var physical = Assert.Single(result.GetProperty("locations").EnumerateArray()).GetProperty("physicalLocation");
            var artifact = physical.GetProperty("artifactLocation");
            var uri = artifact.GetProperty("uri").GetString()!;
            Assert.DoesNotContain('\\', uri);
            var absolute = artifact.TryGetProperty("uriBaseId", out var baseId)
                ? new Uri(new Uri(baseUri), uri)
                : new Uri(uri);
            Assert.Equal(baseId.ValueKind == JsonValueKind.Undefined ? JsonValueKind.Undefined : JsonValueKind.String, baseId.ValueKind);
            Assert.Equal(new Uri(Policies).AbsoluteUri, absolute.AbsoluteUri);
            Assert.True(physical.GetProperty("region").GetProperty("startLine").GetInt32() >= 1);
            Assert.True(physical.GetProperty("region").GetProperty("startColumn").GetInt32() >= 1);
        }

        var nph002 = results[4];
        Assert.Equal("warning", nph002.GetProperty("level").GetString());
        Assert.Equal(40, nph002.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32());
        Assert.Equal(43, nph002.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startColumn").GetInt32());
        Assert.Contains("169.254.169.254", nph002.GetProperty("message").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("NetworkPolicy production/disable-aws-metadata", nph002.GetProperty("properties").GetProperty("policy").GetString());
    }

    [Fact]
    public void SarifUris_AreRelativeToTheDirectory_WithForwardSlashes()
    {
        var root = Cli.Root;
        Assert.Equal(("examples/sample/policies.yaml", true), LintCommand.ArtifactUri(Policies, root));
        Assert.Equal(("sample/policies.yaml", true), LintCommand.ArtifactUri(Policies, Path.Combine(root, "examples")));
        var outside = LintCommand.ArtifactUri(Policies, Path.Combine(root, "tests"));
        Assert.Equal((new Uri(Policies).AbsoluteUri, false), outside);
        Assert.Equal(("%3Cstdin%3E", true), LintCommand.ArtifactUri("<stdin>", root));
    }

    [Fact]
    public async Task StandardInput_IsNamedStdin_AloneAndWithFiles()
    {
        static async Task<(int Exit, string Out, string Error)> WithInput(string input, params string[] args)
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var io = new NetPolHost.Cli.CliIO(output, error) { OpenInput = () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(input)) };
            var exit = await NetPolHost.Cli.NetPolHostCli.RunAsync(args, io, TestContext.Current.CancellationToken);
            return (exit, output.ToString(), error.ToString());
        }

        var policies = await File.ReadAllTextAsync(Policies, TestContext.Current.CancellationToken);
        var alone = await WithInput(policies, "lint", "-f", "-");
        Assert.Equal(1, alone.Exit);
        Assert.StartsWith("<stdin>:20:41: warning NPH001: ", alone.Out, StringComparison.Ordinal);
        Assert.Contains("not run: they need the cluster's pods", alone.Error, StringComparison.Ordinal);

        // With a file beside it, standard input goes through a private copy, which findings never show.
        var withCluster = await WithInput(policies, "lint", "-f", "-", "-f", Path.Combine(Cli.Sample, "cluster.yaml"), "-o", "sarif");
        Assert.Equal(1, withCluster.Exit);
        var results = Cli.Json(withCluster.Out).GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal("%3Cstdin%3E", r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString()));
        Assert.Equal(3, results[0].GetProperty("properties").GetProperty("affectedPodCount").GetInt32());
    }

    [Fact]
    public async Task Help_ListsTheFormatsAndExitCodes()
    {
        var (exit, output, _) = await Cli.RunAsync("lint", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--fail-on", output, StringComparison.Ordinal);
        Assert.Contains("sarif", output, StringComparison.Ordinal);
        Assert.Contains("Exit code: 0 when no finding reaches --fail-on, 1 when one does, 2 bad input", output, StringComparison.Ordinal);
    }
}
