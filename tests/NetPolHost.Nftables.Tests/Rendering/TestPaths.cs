namespace NetPolHost.Nftables.Tests.Rendering;

internal static class TestPaths
{
    /// <summary>The repository root (the folder holding NetPolHost.sln).</summary>
    public static string Root => NetPolHost.TestKit.RepositoryPaths.Root;

    /// <summary>Compares with a golden file under TestData; set UPDATE_GOLDEN=1 to rewrite it.</summary>
    public static void AssertGolden(string name, string actual)
    {
        var path = Path.Combine(Root, "tests", "NetPolHost.Nftables.Tests", "TestData", name);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.Equal(File.ReadAllText(path), actual);
    }
}
