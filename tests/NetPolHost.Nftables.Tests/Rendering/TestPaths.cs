namespace NetPolHost.Nftables.Tests.Rendering;

internal static class TestPaths
{
    /// <summary>The repository root (the folder holding NetPolHost.sln).</summary>
    public static string Root
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(dir, "NetPolHost.sln")))
            {
                dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("NetPolHost.sln not found above " + AppContext.BaseDirectory);
            }

            return dir;
        }
    }

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
