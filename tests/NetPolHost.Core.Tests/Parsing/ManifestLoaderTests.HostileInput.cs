using System.Diagnostics;
using System.Text;
using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>Hostile input: each gives a diagnostic with a place, never an exception, in bounded time and memory.</summary>
public sealed partial class ManifestLoaderTests
{
    private const string Nesting = "expected at most 100 levels of nesting, found more";
    private const string IndentationHint = " (check the indentation of this line and the one above it)";

    [Theory]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata: {name: a\n", "test.yaml:4:1: invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'")]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  finalizers: [a, b\n", "test.yaml:5:1: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'")]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"abc\n", "test.yaml:4:9: invalid YAML: while scanning a quoted scalar, found unexpected end of stream")]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: 'abc\n", "test.yaml:4:9: invalid YAML: while scanning a quoted scalar, found unexpected end of stream")]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a: b\n", "test.yaml:4:10: invalid YAML: while scanning a plain scalar value, found invalid mapping")]
    [InlineData("apiVersion: v1\nkind: Namespace\n- a\n", "test.yaml:3:1: invalid YAML: while parsing a block mapping, did not find expected key" + IndentationHint)]
    [InlineData("apiVersion: v1\nkind: @Namespace\n", "test.yaml:2:7: invalid YAML: while scanning for the next token, found character that cannot start any token")]
    [InlineData("apiVersion: v1\nkind: `Namespace`\n", "test.yaml:2:7: invalid YAML: while scanning for the next token, found character that cannot start any token")]
    [InlineData("apiVersion: v1\nkind: *\n", "test.yaml:2:7: invalid YAML: while scanning an anchor or alias, found value containing disallowed: []{},")]
    [InlineData("items:\n  - a\n - b\n", "test.yaml:3:2: invalid YAML: while parsing a block mapping, did not find expected key" + IndentationHint)]
    [InlineData("a: [b\nc: d]\n", "test.yaml:2:1: invalid YAML: expected the lines inside [ ] or { } to be indented more than the key they belong to, found this line (or a bracket above is not closed)")]
    [InlineData("a: {b: 1,\n\nc: 2}\n", "test.yaml:3:1: invalid YAML: expected the lines inside [ ] or { } to be indented more than the key they belong to, found this line (or a bracket above is not closed)")]
    [InlineData("a:\n  b: [1,\n  2]\n", "test.yaml:3:3: invalid YAML: expected the lines inside [ ] or { } to be indented more than the key they belong to, found this line (or a bracket above is not closed)")]
    [InlineData("items:\n- {name: http, c\nontainerPort: 8080}\n", "test.yaml:3:1: invalid YAML: expected the lines inside [ ] or { } to be indented more than the key they belong to, found this line (or a bracket above is not closed)")]
    [InlineData("a: {b: 1,\n  c: 2}\n", "test.yaml:1:1: kind: expected the kind of the object (e.g. NetworkPolicy), found none")]
    public void LoadText_MalformedYaml_IsAnErrorAtItsPlace(string text, string expected)
    {
        var result = Manifests.Load(text);

        LoadAssert.Errors(result, expected);
    }

    [Fact]
    public void LoadText_UnsupportedYamlVersion_IsAnError_AndTheDocumentIsReadAfterIt()
    {
        var result = Manifests.Load("%YAML 2.0\n---\na: b\n");

        LoadAssert.Errors(
            result,
            "test.yaml:1:1: invalid YAML: found incompatible YAML document",
            "test.yaml:3:1: kind: expected the kind of the object (e.g. NetworkPolicy), found none");
    }

    [Fact]
    public void LoadText_MalformedDocument_DoesNotHideTheDocumentsAfterIt()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: b
             labels: {}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: c, labels: {x: -y}}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: [d
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
            	name: e
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: f}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:9:2: invalid YAML: while parsing a block mapping, did not find expected key" + IndentationHint,
            "test.yaml:13:33: metadata.labels.x: expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), found \"-y\"",
            "test.yaml:18:1: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'",
            "test.yaml:22:1: invalid YAML: expected spaces for indentation, found a tab (YAML does not allow tabs there)");
        Assert.Equal(["a", "f"], result.Snapshot.Namespaces.Select(n => n.Name).ToArray());
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: x\n", 4, 1)]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n  \ta: b\n", 6, 3)]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    a: b\n\t\n  name: x\n", 6, 1)]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n\tlabels: {a: b}\n", 5, 1)]
    public void LoadText_TabInIndentation_IsAnErrorAtTheTab(string text, int line, int column)
    {
        var result = Manifests.Load(text);

        LoadAssert.Errors(result, $"test.yaml:{line}:{column}: invalid YAML: expected spaces for indentation, found a tab (YAML does not allow tabs there)");
    }

    [Fact]
    public void LoadText_TabAfterAColon_IsAllowed()
    {
        var result = Manifests.Load("apiVersion:\tv1\nkind: Namespace\nmetadata:\n  name:\tx   \t# comment\n");

        LoadAssert.Valid(result);
        Assert.Equal("x", Assert.Single(result.Snapshot.Namespaces).Name);
    }

    [Fact]
    public void LoadBytes_NulByte_IsBinaryData()
    {
        var result = new ManifestLoader().LoadBytes([.. "apiVersion: v1\nki"u8, 0, .. "nd: x"u8], "bin.yaml");

        LoadAssert.Errors(result, "bin.yaml:2:3: expected YAML or JSON text, found binary data (a NUL byte at offset 17)");
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Name\0space\n", "test.yaml:2:11: expected YAML text, found the control character U+0000 (YAML allows no control characters other than tab, line feed and carriage return)")]
    [InlineData("apiVersion: v1\nkind: Name\u0007space\n", "test.yaml:2:11: expected YAML text, found the control character U+0007 (YAML allows no control characters other than tab, line feed and carriage return)")]
    [InlineData("a: b\n\u001b[31mred\n", "test.yaml:2:1: expected YAML text, found the control character U+001B (YAML allows no control characters other than tab, line feed and carriage return)")]
    [InlineData("a: \"\u0085\u009f\"\n", "test.yaml:1:6: expected YAML text, found the control character U+009F (YAML allows no control characters other than tab, line feed and carriage return)")]
    [InlineData("a: b\u007f\n", "test.yaml:1:5: expected YAML text, found the control character U+007F (YAML allows no control characters other than tab, line feed and carriage return)")]
    public void LoadText_ControlCharacters_AreAnError(string text, string expected)
    {
        var result = Manifests.Load(text);

        LoadAssert.Errors(result, expected);
    }

    [Fact]
    public void LoadText_LoneSurrogates_AreAnError()
    {
        // Not theory data: xunit would not keep an invalid UTF-16 string intact.
        LoadAssert.Errors(Manifests.Load("a: \ud800b\n"), "test.yaml:1:4: expected YAML text, found a lone UTF-16 surrogate U+D800 (YAML allows no control characters other than tab, line feed and carriage return)");
        LoadAssert.Errors(Manifests.Load("a: b\udc00\n"), "test.yaml:1:5: expected YAML text, found a lone UTF-16 surrogate U+DC00 (YAML allows no control characters other than tab, line feed and carriage return)");
        LoadAssert.Errors(Manifests.Load("a: \udc00\ud800\n"), "test.yaml:1:4: expected YAML text, found a lone UTF-16 surrogate U+DC00 (YAML allows no control characters other than tab, line feed and carriage return)");
    }

    [Fact]
    public void LoadText_JsonLoneSurrogateEscape_IsAnErrorAtItsPlace()
    {
        // The escape is valid JSON syntax, but the string it makes is not valid UTF-16.
        var result = ManifestLoader.LoadText("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\",\n \"metadata\": {\"name\": \"a\", \"labels\": {\"x\": \"é\\ud800\"}}}\n", "bad.json");

        LoadAssert.Errors(result, "bad.json:2:46: invalid JSON: expected a string of Unicode characters, found the escape \\ud800, half of a UTF-16 surrogate pair without its other half");
        Assert.Empty(result.Snapshot.Namespaces);
    }

    [Theory]
    [InlineData("{\"\\udc00\": 1}", "bad.json:1:3: invalid JSON: expected a string of Unicode characters, found the escape \\udc00, half of a UTF-16 surrogate pair without its other half")]
    [InlineData("{\"a\": \"\\ud800\\u0041\"}", "bad.json:1:8: invalid JSON: expected a string of Unicode characters, found the escape \\ud800, half of a UTF-16 surrogate pair without its other half")]
    [InlineData("{\"a\": \"\\\\ud800\\ud800\"}", "bad.json:1:15: invalid JSON: expected a string of Unicode characters, found the escape \\ud800, half of a UTF-16 surrogate pair without its other half")]
    public void LoadText_JsonLoneSurrogateEscapes_AreErrors(string text, string expected) =>
        LoadAssert.Errors(ManifestLoader.LoadText(text, "bad.json"), expected);

    [Fact]
    public void LoadText_JsonSurrogatePairEscape_IsRead()
    {
        var result = ManifestLoader.LoadText("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"annotations\": {\"x\": \"\\ud83d\\udca5\"}}}", "ok.json");

        LoadAssert.Valid(result);
    }

    [Fact]
    public void LoadPaths_JsonFileWithLoneSurrogate_DoesNotStopTheOtherFiles()
    {
        using var dir = new TempDirectory();
        dir.Write("a.json", "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"\\ud800\"}}");
        dir.Write("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");

        var result = new ManifestLoader().LoadPaths([dir.Path]);

        Assert.Equal([dir.Combine("a.json") + ":1:65: invalid JSON: expected a string of Unicode characters, found the escape \\ud800, half of a UTF-16 surrogate pair without its other half"], result.Errors.Select(e => e.ToString()));
        Assert.Equal("b", Assert.Single(result.Snapshot.Namespaces).Name);
    }

    [Fact]
    public void LoadText_YamlLoneSurrogateEscape_IsAnError()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata: {name: \"a\\ud800\"}\n");

        Assert.Single(result.Errors);
        Assert.Equal(3, result.Errors[0].Line);
        Assert.Empty(result.Snapshot.Namespaces);
    }

    [Fact]
    public void LoadText_NamesAndLabelsWithATrailingNewline_AreRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: |
                web
              labels: {"app\n": web, tier: "web\n"}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:4:9: metadata.name: expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"web\\n\"",
            "test.yaml:6:12: metadata.labels.app\n: expected a label key ([prefix/]name), found \"app\\n\": the name part \"app\\n\" must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (regex '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "test.yaml:6:32: metadata.labels.tier: expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), found \"web\\n\"");
    }

    [Fact]
    public void Guard_UnexpectedFailure_IsAnErrorAtThePlace_AndCancellationIsNot()
    {
        var diagnostics = new List<string>();
        void Report(int line, int column, string message) => diagnostics.Add($"{line}:{column}: {message}");

        Assert.False(ManifestLoader.Guard(3, 5, "document", Report, () => throw new InvalidOperationException("boom\nagain")));
        Assert.True(ManifestLoader.Guard(1, 1, "file", Report, () => { }));
        Assert.Equal(["3:5: expected a document NetPolHost can read, found one it fails on (InvalidOperationException: boom again); the rest of the document is skipped"], diagnostics);
        Assert.Throws<OperationCanceledException>(() => ManifestLoader.Guard(1, 1, "file", Report, () => throw new OperationCanceledException()));
        Assert.Throws<TaskCanceledException>(() => ManifestLoader.Guard(1, 1, "file", Report, () => throw new TaskCanceledException()));
        Assert.Single(diagnostics);
    }

    [Fact]
    public void LoadText_CharactersOutsideTheBasicPlane_AreAllowed()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations: {note: \"\U0001F4A5 \u00e9\u4e2d\u00a0\"}\n");

        LoadAssert.Valid(result);
    }

    [Fact]
    public void LoadBytes_InvalidUtf8_IsAnErrorAtTheByte()
    {
        var result = new ManifestLoader().LoadBytes([.. "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a"u8, 0xC3, 0x28, .. "b\n"u8], "latin.yaml");

        LoadAssert.Errors(result, "latin.yaml:4:10: expected UTF-8 text, found an invalid byte sequence at offset 50");
    }

    [Fact]
    public void LoadBytes_Latin1Text_IsAnErrorAtTheFirstNonUtf8Byte()
    {
        var result = new ManifestLoader().LoadBytes(Encoding.Latin1.GetBytes("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: café\n"), "latin1.yaml");

        LoadAssert.Errors(result, "latin1.yaml:4:12: expected UTF-8 text, found an invalid byte sequence at offset 52");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void LoadBytes_RandomBytes_IsOneErrorAtTheFirstBadByte(int seed)
    {
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);

        var result = new ManifestLoader().LoadBytes(bytes, "random.bin");

        // The oracle: the first NUL byte, else the first byte the strict UTF-8 decoder rejects.
        var nul = Array.IndexOf(bytes, (byte)0);
        int offset;
        string message;
        if (nul >= 0)
        {
            offset = nul;
            message = $"expected YAML or JSON text, found binary data (a NUL byte at offset {nul})";
        }
        else
        {
            try
            {
                _ = new UTF8Encoding(false, true).GetString(bytes);
                throw new InvalidOperationException("random bytes that are valid UTF-8: choose another seed");
            }
            catch (DecoderFallbackException ex)
            {
                offset = ex.Index;
                message = $"expected UTF-8 text, found an invalid byte sequence at offset {offset}";
            }
        }

        var line = bytes.AsSpan(0, offset).Count((byte)'\n') + 1;
        var column = offset - (bytes.AsSpan(0, offset).LastIndexOf((byte)'\n') + 1) + 1;
        LoadAssert.Errors(result, $"random.bin:{line}:{column}: {message}");
    }

    [Fact]
    public void LoadBytes_RandomPrintableText_NeverThrows()
    {
        var random = new Random(7);
        const string Alphabet = "abcXYZ019 :-[]{}#&*!|>'\"%@`,?\n\n\n\t\\/.=~";
        for (var i = 0; i < 200; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(1, 400)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);

            var result = new ManifestLoader().LoadBytes(Encoding.UTF8.GetBytes(text), "random.yaml");

            Assert.All(result.Errors, e => Assert.True(e.Line >= 1 && e.Column >= 1 && e.Message.Length > 0, e.ToString()));
        }
    }

    [Fact]
    public void LoadPaths_HundredMegabyteComment_IsReadQuickly()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("huge.yaml");
        using (var stream = File.Create(file))
        {
            var line = Encoding.ASCII.GetBytes("# " + new string('x', 1021) + "\n");
            for (var i = 0; i < 100 * 1024; i++)
            {
                stream.Write(line);
            }

            stream.Write("apiVersion: v1\nkind: Namespace\nmetadata: {name: after-the-comment}\n"u8);
        }

        var stopwatch = Stopwatch.StartNew();
        var result = new ManifestLoader().LoadPaths([file]);
        stopwatch.Stop();

        LoadAssert.Valid(result);
        Assert.Equal("after-the-comment", Assert.Single(result.Snapshot.Namespaces).Name);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void LoadPaths_HundredMegabyteAnnotation_IsReadQuickly()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("annotated.yaml");
        using (var stream = File.Create(file))
        {
            stream.Write("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: big\n  annotations:\n    blob: \""u8);
            var chunk = Encoding.ASCII.GetBytes(new string('y', 1024 * 1024));
            for (var i = 0; i < 100; i++)
            {
                stream.Write(chunk);
            }

            stream.Write("\"\n"u8);
        }

        var stopwatch = Stopwatch.StartNew();
        var result = new ManifestLoader().LoadPaths([file]);
        stopwatch.Stop();

        LoadAssert.Valid(result);
        Assert.Equal("big", Assert.Single(result.Snapshot.Namespaces).Name);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void LoadPaths_HundredMegabytesAboveTheLimit_IsAnErrorWithoutReadingIt()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("huge.yaml");
        using (var stream = File.Create(file))
        {
            stream.SetLength(100L * 1024 * 1024);
        }

        var stopwatch = Stopwatch.StartNew();
        var result = new ManifestLoader(new ManifestLoaderOptions { MaxFileBytes = 64L * 1024 * 1024 }).LoadPaths([file]);

        LoadAssert.Errors(result, $"{file}:0:0: expected a manifest file of at most 64 MiB, found 100 MiB (raise ManifestLoaderOptions.MaxFileBytes to read it)");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void LoadText_DeepFlowNesting_IsAnError()
    {
        var result = Manifests.Load(new string('[', 10_000) + new string(']', 10_000));

        LoadAssert.Errors(result, $"test.yaml:1:101: invalid YAML: {Nesting}");
    }

    [Fact]
    public void LoadText_DeepFlowMappingNesting_IsAnError()
    {
        var result = Manifests.Load("a: " + string.Concat(Enumerable.Repeat("{a: ", 10_000)) + "1" + new string('}', 10_000));

        LoadAssert.Errors(result, $"test.yaml:1:400: invalid YAML: {Nesting}");
    }

    [Fact]
    public void LoadText_DeepBlockMappingNesting_IsAnError()
    {
        var text = string.Concat(Enumerable.Range(0, 10_000).Select(i => new string(' ', i * 2) + "a:\n"));

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, $"test.yaml:101:201: invalid YAML: {Nesting}");
    }

    [Fact]
    public void LoadText_DeepBlockSequenceNesting_IsAnError()
    {
        var text = string.Concat(Enumerable.Range(0, 10_000).Select(i => new string(' ', i) + "-\n"));

        var result = Manifests.Load(text);

        LoadAssert.Errors(result, $"test.yaml:101:101: invalid YAML: {Nesting}");
    }

    [Fact]
    public void LoadText_DeepCompactSequenceNesting_IsAnError()
    {
        var result = Manifests.Load(string.Concat(Enumerable.Repeat("- ", 10_000)) + "x\n");

        LoadAssert.Errors(result, $"test.yaml:1:201: invalid YAML: {Nesting}");
    }

    [Fact]
    public void LoadText_DeepJsonArrays_IsAnError()
    {
        var result = ManifestLoader.LoadText(new string('[', 10_000) + new string(']', 10_000), "deep.json");

        LoadAssert.Errors(result, $"deep.json:1:101: invalid JSON: {Nesting}");
    }

    [Fact]
    public void LoadText_DeepJsonObjects_IsAnError()
    {
        var result = ManifestLoader.LoadText(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000), "deep.json");

        LoadAssert.Errors(result, $"deep.json:1:501: invalid JSON: {Nesting}");
    }

    [Fact]
    public void LoadText_NestingWithinTheLimit_IsRead()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations:\n    x: \"1\"\n---\n" + new string('[', 99) + new string(']', 99) + "\n");

        LoadAssert.Errors(result, "test.yaml:8:1: expected a Kubernetes object (a mapping with apiVersion and kind), found a list");
        Assert.Single(result.Snapshot.Namespaces);
    }

    [Fact]
    public void LoadText_BillionLaughs_IsRefused()
    {
        var text = new StringBuilder("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i < 10; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"a{i}: &a{i} [{string.Join(',', Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var stopwatch = Stopwatch.StartNew();
        var result = Manifests.Load(text.ToString());

        LoadAssert.Errors(result, "test.yaml:6:38: invalid YAML: expected aliases to expand the document to at most 1,000,000 nodes, found more (a \"billion laughs\" document?); not expanding it");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void LoadText_AliasesInEachDocument_AreCountedPerDocument()
    {
        var document = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n{0}\n  labels: &l {{a: b}}\n  annotations: *l\n";
        var text = string.Join("---\n", Enumerable.Range(0, 50).Select(i => string.Format(System.Globalization.CultureInfo.InvariantCulture, document, i)));

        var result = Manifests.Load(text);

        LoadAssert.Valid(result);
        Assert.Equal(50, result.Snapshot.Namespaces.Count);
    }

    [Fact]
    public void LoadText_AliasToUndefinedAnchor_IsAnError()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: *name\n");

        LoadAssert.Errors(result, "test.yaml:4:9: invalid YAML: expected an anchor &name before the alias *name, found none");
    }

    [Fact]
    public void LoadText_AliasToAnAnchorDefinedLater_IsAnError()
    {
        var result = Manifests.Load("a: *x\nb: &x 1\n");

        LoadAssert.Errors(result, "test.yaml:1:4: invalid YAML: expected an anchor &x before the alias *x, found none");
    }

    [Fact]
    public void LoadText_AnchorFromAnotherDocument_IsNotVisible()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata: &m {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: *m\n");

        LoadAssert.Errors(result, "test.yaml:7:11: invalid YAML: expected an anchor &m before the alias *m, found none");
        Assert.Single(result.Snapshot.Namespaces);
    }

    [Fact]
    public void LoadText_ComplexMappingKey_IsAnError()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  ? [a, b]\n  : c\n");

        LoadAssert.Errors(result, "test.yaml:4:5: invalid YAML: expected a plain value as mapping key, found a list");
    }

    [Fact]
    public void LoadText_DuplicateKeysEverywhere_AreAllReported()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            kind: NetworkPolicy
            metadata: {name: a, namespace: b, name: a}
            spec: {podSelector: {}, podSelector: {}, ingress: [{from: [], from: []}]}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:3:1: kind: expected each field once, found \"kind\" again (first at line 2); did you forget '---' between documents?",
            "test.yaml:4:35: metadata.name: expected each field once, found \"name\" again (first at line 4)",
            "test.yaml:5:25: spec.podSelector: expected each field once, found \"podSelector\" again (first at line 5)",
            "test.yaml:5:63: spec.ingress[0].from: expected each field once, found \"from\" again (first at line 5)");
    }

    [Theory]
    [InlineData("hello\n", "the string \"hello\"")]
    [InlineData("- a\n- b\n", "a list")]
    [InlineData("42\n", "the integer 42")]
    [InlineData("true\n", "the boolean true")]
    [InlineData("\"quoted\"\n", "the string \"quoted\"")]
    [InlineData("[1, 2]\n", "a list")]
    public void LoadText_DocumentThatIsAScalarOrAList_IsAnError(string text, string found)
    {
        var result = Manifests.Load(text);

        LoadAssert.Errors(result, $"test.yaml:1:1: expected a Kubernetes object (a mapping with apiVersion and kind), found {found}");
    }

    [Fact]
    public void LoadText_JsonScalarOrList_IsAnError()
    {
        var result = ManifestLoader.LoadText("[{\"apiVersion\": \"v1\"}]\n42\n\"x\"\n", "values.json");

        LoadAssert.Errors(
            result,
            "values.json:1:1: expected a Kubernetes object (a mapping with apiVersion and kind), found a list",
            "values.json:2:1: expected a Kubernetes object (a mapping with apiVersion and kind), found the integer 42",
            "values.json:3:1: expected a Kubernetes object (a mapping with apiVersion and kind), found the string \"x\"");
    }

    [Fact]
    public void LoadText_VeryLongKey_IsAnError()
    {
        var result = Manifests.Load(new string('k', 2000) + ": v\n");

        LoadAssert.Errors(
            result,
            $"test.yaml:1:1: expected a Kubernetes object (a mapping with apiVersion and kind), found the string \"{new string('k', 57)}...\"",
            "test.yaml:1:2001: invalid YAML: did not find expected <document start>");
    }

    [Fact]
    public void LoadText_ManyErrors_AreAllReported()
    {
        var text = string.Concat(Enumerable.Range(0, 1000).Select(i => $"---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: Bad_{i}}}\n"));

        var result = Manifests.Load(text);

        Assert.Equal(1000, result.Errors.Count);
        Assert.Equal("test.yaml:4:18: metadata.name: expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"Bad_0\"", result.Errors[0].ToString());
        Assert.Equal(4000, result.Errors[^1].Line);
    }

    [Fact]
    public void LoadText_PolicyWithTwentyThousandBrokenRules_ReportsEveryError()
    {
        // Each rule has an error of the binder (the unknown field) and one of validation (port 0): deciding whether
        // the second only repeats the first must not compare it with every other error.
        var rules = string.Concat(Enumerable.Range(0, 20_000).Select(_ => "  - {bogus: 1, ports: [{port: 0}]}\n"));

        var result = Manifests.LoadPolicy("spec:\n  podSelector: {}\n  ingress:\n" + rules);

        Assert.Equal(40_000, result.Errors.Count);
        Assert.Equal(20_000, result.Errors.Count(e => e.Path.EndsWith(".bogus", StringComparison.Ordinal)));
        Assert.Equal("policy.yaml:20006:31: spec.ingress[19999].ports[0].port: expected a port number between 1 and 65535, found 0", result.Errors[^1].ToString());
    }

    [Fact]
    public void LoadText_TwentyThousandInvalidObjects_AreAllReported()
    {
        var items = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"- {{apiVersion: v1, kind: Namespace, metadata: {{name: Bad_{i}, labels: {{'a b': c}}}}}}\n"));

        var result = Manifests.Load("apiVersion: v1\nkind: List\nitems:\n" + items);

        Assert.Equal(40_000, result.Errors.Count);
        Assert.Empty(result.Snapshot.Namespaces);
        Assert.Equal(20_003, result.Errors[^1].Line);
    }
}
