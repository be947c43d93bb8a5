using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>The YAML reader: YAML 1.1 scalar types as the Kubernetes reader resolves them, positions, limits.</summary>
public sealed class YamlTreeReaderTests
{
    [Theory]
    [InlineData("", "Null")]
    [InlineData("~", "Null")]
    [InlineData("null", "Null")]
    [InlineData("NULL", "Null")]
    [InlineData("yes", "Bool")]
    [InlineData("No", "Bool")]
    [InlineData("ON", "Bool")]
    [InlineData("off", "Bool")]
    [InlineData("y", "Bool")]
    [InlineData("N", "Bool")]
    [InlineData("True", "Bool")]
    [InlineData("80", "Int")]
    [InlineData("-1", "Int")]
    [InlineData("+7", "Int")]
    [InlineData("0x1F", "Int")]
    [InlineData("0o17", "Int")]
    [InlineData("017", "Int")]
    [InlineData("0b101", "Int")]
    [InlineData("1_000", "Int")]
    [InlineData("1.5", "Float")]
    [InlineData("1e3", "Float")]
    [InlineData(".5", "Float")]
    [InlineData(".inf", "Float")]
    [InlineData("-.Inf", "Float")]
    [InlineData(".NaN", "Float")]
    [InlineData("99999999999999999999", "Float")]
    [InlineData("1.", "String")]
    [InlineData("019", "Float")]
    [InlineData("0x", "String")]
    [InlineData("10.0.0.0/8", "String")]
    [InlineData("1.2.3", "String")]
    [InlineData("-", "String")]
    [InlineData("web", "String")]
    [InlineData("yes!", "String")]
    [InlineData("nan", "String")]
    [InlineData("8000m", "String")]
    public void ResolvePlain_FollowsYaml11(string value, string kind) =>
        Assert.Equal(kind, YamlScalars.ResolvePlain(value).ToString());

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("8080", 8080L)]
    [InlineData("-8080", -8080L)]
    [InlineData("0x1f90", 8080L)]
    [InlineData("0o17620", 8080L)]
    [InlineData("017620", 8080L)]
    [InlineData("0b1111110010000", 8080L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void TryParseInteger_ReadsEveryRadix(string text, long expected)
    {
        Assert.True(YamlScalars.TryParseInteger(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("0xFFFFFFFFFFFFFFFFF")]
    [InlineData("08")]
    [InlineData("0b2")]
    [InlineData("-")]
    [InlineData("12a")]
    public void TryParseInteger_RejectsOverflowAndBadDigits(string text) =>
        Assert.False(YamlScalars.TryParseInteger(text, out _));

    [Fact]
    public void Read_QuotedAndTaggedScalars_AreStrings()
    {
        var documents = Read("a: \"80\"\nb: '1'\nc: !!str 7\nd: !!int \"5\"\ne: |\n  yes\nf: !custom x\n");

        var root = Assert.IsType<MappingNode>(Assert.Single(documents).Root);
        Assert.Equal(
            [("a", ScalarKind.String), ("b", ScalarKind.String), ("c", ScalarKind.String), ("d", ScalarKind.Int), ("e", ScalarKind.String), ("f", ScalarKind.String)],
            root.Entries.Select(e => (e.Key.Value, ((ScalarNode)e.Value).Kind)).ToArray());
    }

    [Fact]
    public void Read_Positions_AreOneBasedLineAndColumn()
    {
        var documents = Read("# comment\n---\nkind: x\nlist:\n  - {a: 1}\n---\nsecond: [1]\n");

        Assert.Equal(2, documents.Count);
        Assert.Equal(2, documents[0].Line);
        var first = Assert.IsType<MappingNode>(documents[0].Root);
        Assert.Equal((3, 1), (first.Line, first.Column));
        var list = Assert.IsType<SequenceNode>(first.Get("list"));
        Assert.Equal((5, 3), (list.Line, list.Column));
        var item = Assert.IsType<MappingNode>(list.Items[0]);
        Assert.Equal((5, 5), (item.Line, item.Column));
        Assert.Equal((5, 9), (item.Get("a")!.Line, item.Get("a")!.Column));
        Assert.Equal(6, documents[1].Line);
    }

    [Fact]
    public void Read_DuplicateKeys_KeepTheFirstValueAndRecordTheRest()
    {
        var documents = Read("a: 1\nb: 2\na: 3\na: 4\n");

        var root = Assert.IsType<MappingNode>(Assert.Single(documents).Root);
        Assert.Equal("1", ((ScalarNode)root.Get("a")!).Value);
        Assert.Equal([(3, 1), (4, 1)], root.Duplicates!.Select(d => (d.Key.Line, d.FirstLine)).ToArray());
    }

    [Fact]
    public void Read_MergeKeys_ExplicitKeysWinAndTheFirstMergedMappingWins()
    {
        var documents = Read("base: &b {x: 1, y: 1}\nother: &o {y: 2, z: 2}\nmerged:\n  x: 0\n  <<: [*b, *o]\n");

        var merged = Assert.IsType<MappingNode>(((MappingNode)documents[0].Root!).Get("merged"));
        Assert.Equal([("x", "0"), ("y", "1"), ("z", "2")], merged.Entries.Select(e => (e.Key.Value, ((ScalarNode)e.Value).Value)).ToArray());
        Assert.Null(merged.Duplicates);
    }

    [Fact]
    public void Read_QuotedMergeKey_IsAnOrdinaryKey()
    {
        var documents = Read("\"<<\": {x: 1}\n");

        Assert.Equal("<<", Assert.Single(((MappingNode)documents[0].Root!).Entries).Key.Value);
    }

    [Fact]
    public void Read_ErrorInTheFirstDocument_ResumesAtTheNextMarker()
    {
        var errors = new List<string>();
        var documents = YamlTreeReader.Read("a: [\n---\nb: 1\n--- c: ]\n---   \nd: 2\n", (l, c, m) => errors.Add($"{l}:{c}: {m}"));

        Assert.Equal(["2:1: invalid YAML: while parsing a node, did not find expected node content", "4:6: invalid YAML: while scanning a plain scalar value, found invalid mapping"], errors.ToArray());
        Assert.Equal([3, 6], documents.Select(d => d.Root!.Line).ToArray());
    }

    [Fact]
    public void Read_CallbackException_ReachesTheCaller()
    {
        var exception = Assert.Throws<InvalidOperationException>(() =>
            YamlTreeReader.Read("a: 1\n---\nb: 2\n", _ => throw new InvalidOperationException("from the callback"), (_, _, _) => { }));

        Assert.Equal("from the callback", exception.Message);
    }

    private static List<YamlTreeReader.Document> Read(string text)
    {
        var errors = new List<string>();
        var documents = YamlTreeReader.Read(text, (l, c, m) => errors.Add($"{l}:{c}: {m}"));
        Assert.Empty(errors);
        return documents;
    }
}
