namespace NetPolHost.TestKit;

/// <summary>Where the repository is, found from the test binary (never from <c>[CallerFilePath]</c>, which CI builds
/// rewrite to <c>/_/</c>).</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetPolHost.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("NetPolHost.sln was not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The folder holding NetPolHost.sln.</summary>
    public static string Root => s_root.Value;

    /// <summary>A path below the repository root.</summary>
    /// <param name="parts">Path parts, e.g. <c>"examples", "sample"</c>.</param>
    /// <returns>The full path.</returns>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
