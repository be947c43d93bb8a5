using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>The directory walk shared by the loader and the file source.</summary>
public sealed class ManifestFilesTests
{
    [Theory]
    [InlineData("a.yaml", true)]
    [InlineData("b.YML", true)]
    [InlineData("dir/c.Json", true)]
    [InlineData("d.txt", false)]
    [InlineData("yaml", false)]
    public void HasManifestExtension_IgnoresCase(string name, bool expected) => Assert.Equal(expected, ManifestFiles.HasManifestExtension(name));

    [Fact]
    public void Find_ManifestFilesRecursively_SortedWithoutDotEntriesAndEachDirectoryOnce()
    {
        using var dir = new TempDirectory();
        dir.Write("b.yaml", string.Empty);
        dir.Write("a.json", string.Empty);
        dir.Write("notes.txt", string.Empty);
        dir.Write(".hidden.yaml", string.Empty);
        dir.Write("..data/x.yaml", string.Empty);
        dir.Write("sub/c.YML", string.Empty);
        Directory.CreateSymbolicLink(dir.Combine("sub/up"), "..");
        Directory.CreateSymbolicLink(dir.Combine("elsewhere"), dir.Combine("sub"));

        var files = ManifestFiles.Find(dir.Path);

        // sub and elsewhere are the same directory: its file is found once, through whichever the walk met first.
        Assert.Equal(3, files.Count);
        Assert.Equal([dir.Combine("a.json"), dir.Combine("b.yaml")], files.Take(2));
        Assert.EndsWith("/c.YML", files[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Find_UnreadableDirectory_IsHandedToTheCallback()
    {
        using var dir = new TempDirectory();
        var missing = dir.Combine("gone");
        var reported = new List<string>();

        var files = ManifestFiles.Find(missing, (path, _) => reported.Add(path));

        Assert.Empty(files);
        Assert.Equal([missing], reported);
    }
}
