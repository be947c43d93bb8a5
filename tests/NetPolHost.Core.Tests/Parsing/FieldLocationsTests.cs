using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>The places of policy fields, recorded only when asked (for lint) and only for policies.</summary>
public sealed class FieldLocationsTests
{
    private const string Yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop, labels: {app: web}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: shop}
        spec:
          podSelector:
            matchLabels: {app: web}
          egress:
          - to:
            - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}
        ---
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {name: guard}
        spec:
          tier: Admin
          priority: 10
          subject: {namespaces: {}}
          egress:
          - {name: no-metadata, action: Deny, to: [{networks: [169.254.169.254/32]}]}
        """;

    private static readonly ManifestLoaderOptions s_record = new() { RecordPolicyFieldLocations = true };

    [Fact]
    public void NotRecorded_ByDefault()
    {
        Assert.Empty(ManifestLoader.LoadText(Yaml, "a.yaml").PolicyLocations);
        Assert.Empty(ManifestLoader.LoadText(Yaml, "a.yaml", new ManifestLoaderOptions()).PolicyLocations);
    }

    [Fact]
    public void Recorded_ForPoliciesOnly_AtKeysAndListEntries()
    {
        var load = ManifestLoader.LoadText(Yaml, "a.yaml", s_record);
        Assert.Equal(["ClusterNetworkPolicy guard", "NetworkPolicy shop/web"], load.PolicyLocations.Keys.Order(StringComparer.Ordinal));
        var web = load.PolicyLocations["NetworkPolicy shop/web"];
        Assert.Equal(("a.yaml", 5, 1), (web.File, web.Line, web.Column));
        Assert.Equal((9, 3), web.Find("spec.podSelector"));
        Assert.Equal((10, 19), web.Find("spec.podSelector.matchLabels.app"));
        Assert.Equal((12, 5), web.Find("spec.egress[0]"));
        Assert.Equal((13, 43), web.Find("spec.egress[0].to[0].ipBlock.except[0]"));
        Assert.True(web.Contains("spec.egress[0].to[0].ipBlock.cidr"));

        // A field that is not there: the nearest field that holds it.
        Assert.False(web.Contains("spec.ingress"));
        Assert.Equal((8, 1), web.Find("spec.ingress[0]"));
        Assert.Equal((5, 1), web.Find("nothing"));
        Assert.Equal((23, 56), load.PolicyLocations["ClusterNetworkPolicy guard"].Find("spec.egress[0].to[0].networks[0]"));
    }

    [Fact]
    public void Recorded_ForJson_AndFromTheFileCache()
    {
        var dir = Directory.CreateTempSubdirectory("netpolhost-locations-");
        try
        {
            var file = Path.Combine(dir.FullName, "policy.json");
            File.WriteAllText(file, """
                {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "web", "namespace": "shop"},
                 "spec": {"podSelector": {},
                          "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}}
                """);
            var loader = new ManifestLoader(new ManifestLoaderOptions { RecordPolicyFieldLocations = true, ReuseUnchangedFiles = true });
            foreach (var load in new[] { loader.LoadPaths([dir.FullName]), loader.LoadPaths([dir.FullName]) })
            {
                var web = load.PolicyLocations["NetworkPolicy shop/web"];
                Assert.Equal(file, web.File);
                Assert.Equal((4, 46), web.Find("spec.ingress[0].from[0].ipBlock.cidr"));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void NotRecorded_ForPoliciesWithErrors()
    {
        var load = ManifestLoader.LoadText(Yaml.Replace("cidr: 0.0.0.0/0", "cidr: 0.0.0.0/99", StringComparison.Ordinal), "a.yaml", s_record);
        Assert.Single(load.Errors);
        Assert.Equal(["ClusterNetworkPolicy guard"], load.PolicyLocations.Keys);
    }
}
