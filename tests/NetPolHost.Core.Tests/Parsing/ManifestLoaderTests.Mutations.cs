using System.Diagnostics;
using NetPolHost.Parsing;
using NetPolHost.TestKit;
using NetPolHost.Validation;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>
/// The property: whatever the text, <see cref="ManifestLoader.LoadText"/> returns (never throws), every diagnostic has
/// a place and a message, and only objects that pass validation reach the snapshot. The inputs are valid manifests
/// edited by <see cref="ManifestMutator"/> with seeds from a fixed base, so a failure names a seed that reproduces it.
/// </summary>
public sealed partial class ManifestLoaderTests
{
    private const int MutationBaseSeed = 20_240_503;
    private const int MutationCases = 12_000;

    private static readonly Lazy<(string Text, string Name)[]> s_mutationCorpus = new(BuildMutationCorpus);

    [Fact]
    public void LoadText_MutatedManifests_NeverThrow_AndEveryDiagnosticHasAPlace()
    {
        var corpus = s_mutationCorpus.Value;
        var failures = new List<string>();
        var valid = 0;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < MutationCases && failures.Count < 3; i++)
        {
            var seed = MutationBaseSeed + i;
            var (original, name) = corpus[i % corpus.Length];
            var mutator = new ManifestMutator(seed);
            var text = mutator.Mutate(original);
            if (CheckLoad(text, name, determinism: i % 16 == 0) is { } problem)
            {
                failures.Add($"seed {seed} ({name}; {string.Join("; ", mutator.Applied)}): {problem}\n--- text ---\n{ManifestMutator.Escape(text)}\n------------");
            }
            else if (ManifestLoader.LoadText(text, name).IsValid)
            {
                valid++;
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));

        // The mutations must keep some manifests valid and break most of them, or the property tests little.
        Assert.InRange(valid, MutationCases / 20, MutationCases / 2);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }

    [Theory]
    [InlineData(MutationBaseSeed)]
    [InlineData(MutationBaseSeed + 1)]
    [InlineData(MutationBaseSeed + 2)]
    public void ManifestMutator_SameSeed_GivesTheSameText(int seed)
    {
        var (text, _) = s_mutationCorpus.Value[0];

        Assert.Equal(new ManifestMutator(seed).Mutate(text), new ManifestMutator(seed).Mutate(text));
        Assert.NotEqual(text, new ManifestMutator(seed).Mutate(text));
    }

    /// <summary>Loads <paramref name="text"/> and returns what breaks the property, or null.</summary>
    private static string? CheckLoad(string text, string name, bool determinism)
    {
        LoadResult result;
        try
        {
            result = ManifestLoader.LoadText(text, name);
        }
        catch (Exception ex)
        {
            return "LoadText threw " + ex;
        }

        foreach (var diagnostic in result.Errors.Concat(result.Notes))
        {
            var wholeFile = diagnostic.Line == 0 && diagnostic.Column == 0 && diagnostic.Path.Length == 0;
            if (!wholeFile && (diagnostic.Line < 1 || diagnostic.Column < 1))
            {
                return "a diagnostic without a place: " + diagnostic;
            }

            if (diagnostic.File != name || diagnostic.Message.Length == 0 || diagnostic.Message.Trim() != diagnostic.Message)
            {
                return "a diagnostic without a file or a message: " + diagnostic;
            }

            if (diagnostic.Message.Contains("found text it fails on", StringComparison.Ordinal))
            {
                // The YAML library failed inside. The loader reports it, but every such input seen so far has earned a
                // message of its own: a new one is worth a look.
                return "the YAML library failed inside: " + diagnostic;
            }
        }

        if (result.IsValid != (result.Errors.Count == 0))
        {
            return "IsValid disagrees with Errors";
        }

        var ordered = result.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
        if (!ordered.SequenceEqual(result.Errors))
        {
            return "errors are not ordered by line and column";
        }

        var snapshot = result.Snapshot;
        var invalid = snapshot.Policies.SelectMany(PolicyValidator.Validate)
            .Concat(snapshot.Namespaces.SelectMany(PolicyValidator.Validate))
            .Concat(snapshot.Pods.SelectMany(PolicyValidator.Validate))
            .Concat(snapshot.Nodes.SelectMany(PolicyValidator.Validate))
            .Concat(snapshot.HostEndpoints.SelectMany(PolicyValidator.Validate))
            .FirstOrDefault();
        if (invalid is not null)
        {
            return "an invalid object reached the snapshot: " + invalid;
        }

        if (determinism)
        {
            var again = ManifestLoader.LoadText(text, name);
            if (!again.Errors.SequenceEqual(result.Errors) || !again.Snapshot.Equals(result.Snapshot))
            {
                return "two loads of the same text differ";
            }
        }

        return null;
    }

    private static (string Text, string Name)[] BuildMutationCorpus()
    {
        var corpus = new List<(string, string)>
        {
            (Manifests.SeedScenario, "seed.yaml"),
            ("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: api
                  namespace: shop
                  labels: {team: payments}
                spec:
                  podSelector:
                    matchExpressions:
                    - {key: tier, operator: In, values: [api, "web"]}
                    - key: canary
                      operator: DoesNotExist
                  policyTypes: [Ingress, Egress]
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: front}}
                      podSelector: {matchLabels: {app: web}}
                    - ipBlock:
                        cidr: 10.0.0.0/8
                        except: [10.1.0.0/16, 10.2.0.0/16]
                    ports:
                    - {port: http, protocol: TCP}
                    - {port: 8000, endPort: 8100}
                  egress:
                  - to: [{ipBlock: {cidr: "2001:db8::/32"}}]
                    ports: [{port: 53, protocol: UDP}, {port: 53}]
                  - {}

                """, "api.yaml"),
            ("""
                apiVersion: v1
                kind: Pod
                metadata: &meta
                  name: web-1
                  namespace: shop
                  labels: {app: web, tier: "1"}
                spec:
                  nodeName: worker-1
                  hostNetwork: false
                  containers:
                  - name: web
                    ports:
                    - {name: http, containerPort: 8080}
                    - {containerPort: 53, protocol: UDP}
                status:
                  podIP: 10.244.0.5
                  podIPs: [{ip: 10.244.0.5}, {ip: "fd00::5"}]
                ---
                apiVersion: netpolhost.io/v1alpha1
                kind: HostEndpoint
                metadata: {name: db-1, namespace: hosts, labels: {role: db}}
                spec:
                  ips: [192.168.10.5]
                  ports: [{name: pgsql, port: 5432}]
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: worker-1}
                status:
                  addresses: [{type: InternalIP, address: 192.168.56.11}]

                """, "workloads.yaml"),
        };

        // A few upstream conformance policies, as the JSON the API server returns and as a kubectl List.
        foreach (var testCase in ConformanceData.Cases.Where(c => c.PolicyJson != "[]").Where((_, i) => i % 6 == 0))
        {
            corpus.Add(($"{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": {testCase.PolicyJson}}}", testCase.Id + ".json"));
        }

        return [.. corpus];
    }
}
