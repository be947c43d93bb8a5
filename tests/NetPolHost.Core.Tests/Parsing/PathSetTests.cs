using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>The path index agrees with the string rules it replaces ("a path is inside another when the other is a
/// non-empty proper prefix followed by '.' or '['").</summary>
public sealed class PathSetTests
{
    private static bool IsInside(string path, string container) =>
        container.Length > 0 && path.Length > container.Length && path.StartsWith(container, StringComparison.Ordinal) && path[container.Length] is '.' or '[';

    [Fact]
    public void Find_AgreesWithTheStringRules_OnRandomPaths()
    {
        var random = new Random(11);
        const string Alphabet = "ab.[]0";
        string RandomPath() => new([.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);

        for (var round = 0; round < 300; round++)
        {
            var held = Enumerable.Range(0, random.Next(0, 8)).Select(_ => RandomPath()).ToList();
            var set = new PathSet();
            held.ForEach(set.Add);
            for (var query = 0; query < 40; query++)
            {
                var path = RandomPath();

                var near = set.Find(path);

                Assert.Equal(held.Contains(path), near.Same);
                Assert.Equal(held.Any(h => IsInside(h, path)), near.Inside);
                Assert.Equal(held.Any(h => IsInside(path, h)), near.Enclosing);
            }
        }
    }

    [Fact]
    public void Find_OnTypicalPaths()
    {
        var set = new PathSet();
        set.Add("spec.ingress[0].ports[1].port");
        set.Add("metadata.labels.app.kubernetes.io/name");

        Assert.Equal(new PathSet.Near(true, false, false), set.Find("spec.ingress[0].ports[1].port"));
        Assert.Equal(new PathSet.Near(false, true, false), set.Find("spec.ingress[0]"));
        Assert.Equal(new PathSet.Near(false, false, true), set.Find("spec.ingress[0].ports[1].port.x"));
        Assert.Equal(new PathSet.Near(false, false, false), set.Find("spec.ingress[0].ports[1].portx"));
        Assert.Equal(new PathSet.Near(false, true, false), set.Find("metadata.labels.app"));
        Assert.Equal(new PathSet.Near(false, false, false), set.Find("spec.ingress[1]"));
        Assert.Equal(new PathSet.Near(false, false, false), set.Find(string.Empty));
    }
}
