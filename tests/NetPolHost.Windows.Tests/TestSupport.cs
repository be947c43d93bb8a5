using NetPolHost.Model;
using NetPolHost.Parsing;
using NetPolHost.Planning;

namespace NetPolHost.Windows.Tests;

/// <summary>Shared inputs: the bundled sample with the host endpoint fixture, and golden-file comparison.</summary>
internal static class TestSupport
{
    public static string RepoRoot() => NetPolHost.TestKit.RepositoryPaths.Root;

    public static string TestDataSource() => Path.Combine(RepoRoot(), "tests", "NetPolHost.Windows.Tests", "TestData");

    /// <summary>examples/sample plus TestData/sample-host-endpoints.yaml.</summary>
    public static ClusterSnapshot SampleSnapshot()
    {
        var result = new ManifestLoader().LoadPaths([Path.Combine(RepoRoot(), "examples", "sample"), Path.Combine(TestDataSource(), "sample-host-endpoints.yaml")]);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Snapshot;
    }

    public static RulePlan SamplePlan() => RulePlanCompiler.Compile(SampleSnapshot(), new RulePlanOptions { NodeName = "node-1" });

    /// <summary>Compares with a golden file; NETPOLHOST_UPDATE_GOLDEN=1 rewrites it instead.</summary>
    public static void AssertGolden(string name, string actual)
    {
        var path = Path.Combine(TestDataSource(), name);
        if (Environment.GetEnvironmentVariable("NETPOLHOST_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"Golden file {path} is missing; run the tests with NETPOLHOST_UPDATE_GOLDEN=1 to create it.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }
}
