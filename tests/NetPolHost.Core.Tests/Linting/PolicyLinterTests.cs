using NetPolHost.Linting;
using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.TestKit;

namespace NetPolHost.Core.Tests.Linting;

/// <summary>The linter on the bundled sample, the places and texts of findings, and the API around it.</summary>
public sealed class PolicyLinterTests
{
    private static string Sample => RepositoryPaths.Combine("examples", "sample");

    [Fact]
    public void Sample_GivesNph001_OnAllowSameNamespaceTraffic()
    {
        var result = PolicyLinter.Lint(LintCaseTests.Load(Sample));
        var finding = Assert.Single(result.Findings, f => f.RuleId == "NPH001");
        Assert.Equal("NetworkPolicy production/allow-same-namespace-traffic", finding.Policy);
        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Equal(Path.Combine(Sample, "policies.yaml"), finding.File);
        Assert.Equal((20, 41), (finding.Line, finding.Column));
        Assert.Equal("spec.ingress[0].from[0].namespaceSelector.matchLabels.role", finding.Path);
        Assert.Contains("role=production", finding.Message, StringComparison.Ordinal);
        Assert.Contains("kubernetes.io/metadata.name: production", finding.Suggestion, StringComparison.Ordinal);
        Assert.Contains("podSelector: {}", finding.Suggestion, StringComparison.Ordinal);
        Assert.Equal(["production/api", "production/db", "production/web-server"], finding.AffectedPods);
        Assert.Equal(3, finding.AffectedPodCount);
        Assert.Equal($"{finding.File}:20:41: warning NPH001: {finding.Message}", finding.ToString());

        // The other findings of the sample: port 8000 open to everyone (by design) and the metadata block's ipBlock
        // holding the pods' addresses; no NPH002 without a policy that re-allows the address.
        Assert.Equal(["NPH001", "NPH006", "NPH009"], result.Findings.Select(f => f.RuleId));
        Assert.Empty(result.SkippedRules);
    }

    [Fact]
    public void Sample_WithAllowAllEgress_GivesNph002_NamingTheAddressAndBothPolicies()
    {
        var result = PolicyLinter.Lint(LintCaseTests.Load(Sample, Path.Combine(LintCaseTests.Directory, "sample-allow-all-egress.yaml")));
        var finding = Assert.Single(result.Findings, f => f.RuleId == "NPH002");
        Assert.Equal("NetworkPolicy production/disable-aws-metadata", finding.Policy);
        Assert.Equal("spec.egress[0].to[0].ipBlock.except[0]", finding.Path);
        Assert.Equal((40, 43), (finding.Line, finding.Column));
        Assert.StartsWith("169.254.169.254 is excluded here, but NetworkPolicy production/allow-all-egress rule egress[0] allows it", finding.Message, StringComparison.Ordinal);
        Assert.Equal(["NetworkPolicy production/allow-all-egress rule egress[0]"], finding.Related);
        Assert.Contains("Admin-tier ClusterNetworkPolicy", finding.Suggestion, StringComparison.Ordinal);
        Assert.Contains("networks: [169.254.169.254/32]", finding.Suggestion, StringComparison.Ordinal);
        Assert.Equal(["production/api", "production/db", "production/web-server"], finding.AffectedPods);

        // allow-all-egress also makes the metadata block's rule add nothing.
        var redundant = Assert.Single(result.Findings, f => f.RuleId == "NPH007");
        Assert.Equal("NetworkPolicy production/disable-aws-metadata", redundant.Policy);
        Assert.Equal(["NetworkPolicy production/allow-all-egress rule egress[0]"], redundant.Related);
    }

    [Fact]
    public void SampleGuardrail_HasNoGuardrailFindings()
    {
        var result = PolicyLinter.Lint(LintCaseTests.Load(RepositoryPaths.Combine("examples", "sample-guardrail")));
        Assert.DoesNotContain(result.Findings, f => f.RuleId is "NPH001" or "NPH002");
    }

    [Fact]
    public void WithoutPods_ClusterRulesAreSkipped_AndSaySo()
    {
        var result = PolicyLinter.Lint(LintCaseTests.Load(Path.Combine(Sample, "policies.yaml")));
        Assert.Equal(["NPH003", "NPH004", "NPH008", "NPH009", "NPH012", "NPH013"], result.SkippedRules);
        var note = Assert.Single(result.Notes);
        Assert.StartsWith("NPH003, NPH004, NPH008, NPH009, NPH012, NPH013 not run: they need the cluster's pods", note, StringComparison.Ordinal);
        Assert.Equal(["NPH001", "NPH006"], result.Findings.Select(f => f.RuleId));
        Assert.All(result.Findings, f => Assert.Equal(0, f.AffectedPodCount));
    }

    [Fact]
    public void WithoutRecordedPlaces_FindingsHaveNoPlace_AndANoteSaysSo()
    {
        var result = PolicyLinter.Lint(new ManifestLoader().LoadPaths([Sample]));
        Assert.All(result.Findings, f => Assert.Equal((string.Empty, 0, 0), (f.File, f.Line, f.Column)));
        Assert.Contains(result.Notes, n => n.Contains("RecordPolicyFieldLocations", StringComparison.Ordinal));
    }

    [Fact]
    public void Findings_AreSortedByFileLineColumnAndRule()
    {
        var result = PolicyLinter.Lint(LintCaseTests.Load(Sample, Path.Combine(LintCaseTests.Directory, "sample-allow-all-egress.yaml"), Path.Combine(LintCaseTests.Directory, "nph007-trigger.yaml")));
        var keys = result.Findings.Select(f => (f.File, f.Line, f.Column, f.RuleId)).ToList();
        var sorted = keys.OrderBy(k => k.File, StringComparer.Ordinal).ThenBy(k => k.Line).ThenBy(k => k.Column).ThenBy(k => k.RuleId, StringComparer.Ordinal).ToList();
        Assert.Equal(sorted, keys);
        Assert.True(keys.Count > 10);
        Assert.Equal(2, keys.Select(k => k.File).Distinct().Count());
    }

    [Fact]
    public void AffectedPods_AreBounded_AndCounted()
    {
        var yaml = string.Concat(Enumerable.Range(0, 30).Select(i => $"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i:00}, namespace: shop, labels: {{app: web}}}}\nstatus: {{podIP: 10.0.0.{i + 1}}}\n---\n"))
            + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n";
        var load = ManifestLoader.LoadText(yaml, "pods.yaml", new ManifestLoaderOptions { RecordPolicyFieldLocations = true });
        var finding = Assert.Single(PolicyLinter.Lint(load, new LintOptions { MaxAffectedPods = 4 }).Findings);
        Assert.Equal("NPH006", finding.RuleId);
        Assert.Equal(["shop/p00", "shop/p01", "shop/p02", "shop/p03"], finding.AffectedPods);
        Assert.Equal(30, finding.AffectedPodCount);
        Assert.Equal(("pods.yaml", 157, 5), (finding.File, finding.Line, finding.Column));
    }

    [Fact]
    public void Messages_SayWhatIsWrong()
    {
        var findings = System.IO.Directory.GetFiles(LintCaseTests.Directory, "nph*.yaml").SelectMany(f => PolicyLinter.Lint(LintCaseTests.Load(f)).Findings).ToList();
        LintFinding Find(string policy, string rule, string path) => Assert.Single(findings, f => f.Policy == policy && f.RuleId == rule && f.Path == path);

        var hole = Find("NetworkPolicy prod/no-ssh", "NPH002", "spec.ingress[0].ports");
        Assert.StartsWith("22/TCP is left out by this rule (between 1-21/TCP and 23-65535/TCP), but NetworkPolicy prod/ssh-from-jump rule ingress[0] allows it", hole.Message, StringComparison.Ordinal);
        Assert.Equal(["NetworkPolicy prod/ssh-from-jump rule ingress[0]"], hole.Related);

        Assert.Contains("no egress rule of any policy selecting them allows DNS (UDP or TCP port 53)", Find("NetworkPolicy d1/https-only", "NPH005", "spec.podSelector").Message, StringComparison.Ordinal);
        Assert.Contains("allow DNS over UDP port 53 but none over TCP port 53", Find("NetworkPolicy d2/udp-dns-only", "NPH005", "spec.podSelector").Message, StringComparison.Ordinal);
        Assert.Equal("they declare dns as UDP: write protocol: UDP", Find("NetworkPolicy shop/web-egress", "NPH008", "spec.egress[0].ports[0].port").Suggestion);
        Assert.Equal("did you mean http?", Find("NetworkPolicy shop/web", "NPH008", "spec.ingress[0].ports[0].port").Suggestion);
        var shadowed = Find("ClusterNetworkPolicy egress-order", "NPH011", "spec.egress[4]");
        Assert.Equal(["ClusterNetworkPolicy egress-order rule egress[2] 'low-ports'"], shadowed.Related);
        var tie = Find("ClusterNetworkPolicy b-allow-registry", "NPH010", "spec.egress[0]");
        Assert.Equal(["ClusterNetworkPolicy a-deny-internal rule egress[0] 'no-internal'"], tie.Related);
        Assert.Contains("NetPolHost tries a-deny-internal first", tie.Message, StringComparison.Ordinal);
        var duplicate = Find("NetworkPolicy shop/db-2", "NPH007", "spec.ingress[0]");
        Assert.Equal(["NetworkPolicy shop/db-1 rule ingress[0]"], duplicate.Related);
    }
}
