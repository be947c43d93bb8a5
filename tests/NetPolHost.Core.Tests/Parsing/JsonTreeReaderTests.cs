using System.Text;
using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>The JSON reader: error messages in our wording, positions, numbers.</summary>
public sealed class JsonTreeReaderTests
{
    [Theory]
    [InlineData("{\n  \"apiVersion\": \"v1\",\n  \"metadata\": {\"name\": \"a\",}\n}\n", "3:28", "expected another field after ',', found '}' (JSON does not allow a trailing comma)")]
    [InlineData("{\"metadata\": {\"finalizers\": [\"a\",]}}", "1:34", "expected another value after ',', found ']' (JSON does not allow a trailing comma)")]
    [InlineData("{\n  \"apiVersion\": \"v1\",\n  \"metadata\": {\"name\": \"a\"\n", "4:1", "expected '}' or ']' to close every object and list, found the end of the text")]
    [InlineData("{\n  \"apiVersion\": \"v1\"\n  \"kind\": \"Namespace\"\n}\n", "3:3", "expected ',', '}' or ']' after a value, found '\"'")]
    [InlineData("{\n  \"apiVersion\": ,\n}\n", "2:17", "expected a value, found ','")]
    [InlineData("{\n  \"apiVersion\" \"v1\"\n}\n", "2:16", "expected ':' after a field name, found '\"'")]
    [InlineData("{\n  apiVersion: \"v1\"\n}\n", "2:3", "expected a field name in double quotes, found 'a'")]
    [InlineData("{'a': 1}", "1:2", "expected a field name in double quotes, found '''")]
    [InlineData("{\n  \"apiVersion\": \"v1\n", "2:20", "expected a closing '\"' or an escaped character in the string, found the control character '0x0A'")]
    [InlineData("{\n  \"apiVersion\": \"v1", "2:20", "expected the closing '\"' of a string, found the end of the text")]
    [InlineData("{\"a\": tru}", "1:10", "expected 'true', found 'tru}'")]
    [InlineData("{\"a\": nul}", "1:10", "expected 'null', found 'nul}'")]
    public void Read_MalformedJson_IsOneErrorInOurWording(string json, string place, string message)
    {
        var result = ManifestLoader.LoadText(json, "broken.json");

        LoadAssert.Errors(result, $"broken.json:{place}: invalid JSON: {message}");
    }

    [Fact]
    public void Read_CommentAfterAValue_IsAnError_AfterTheValueIsRead()
    {
        var result = ManifestLoader.LoadText("{\"a\": 1} // comment", "comment.json");

        LoadAssert.Errors(
            result,
            "comment.json:1:1: kind: expected the kind of the object (e.g. NetworkPolicy), found none",
            "comment.json:1:10: invalid JSON: expected a value, found '/'");
    }

    [Fact]
    public void CleanMessage_UnknownMessage_IsKeptInLowerCaseOnOneLine() =>
        Assert.Equal("something went wrong, badly", JsonTreeReader.CleanMessage("Something went wrong,\r\n badly. LineNumber: 3 | BytePositionInLine: 4."));

    [Fact]
    public void Read_Columns_CountCharactersNotBytes()
    {
        var documents = JsonTreeReader.Read(Encoding.UTF8.GetBytes("{\"é\": \"ü\", \"x\": [1, 2.5, true, null]}"), (_, _, m) => Assert.Fail(m));

        var root = Assert.IsType<MappingNode>(Assert.Single(documents).Root);
        Assert.Equal((1, 7), (root.Get("é")!.Line, root.Get("é")!.Column));
        var list = Assert.IsType<SequenceNode>(root.Get("x"));
        Assert.Equal((1, 17), (list.Line, list.Column));
        Assert.Equal(
            [ScalarKind.Int, ScalarKind.Float, ScalarKind.Bool, ScalarKind.Null],
            list.Items.Cast<ScalarNode>().Select(s => s.Kind).ToArray());
    }

    [Fact]
    public void Read_NumbersKeepTheirText()
    {
        var documents = JsonTreeReader.Read(Encoding.UTF8.GetBytes("[80, -1, 1e3, 8.0, 12345678901234567890]"), (_, _, m) => Assert.Fail(m));

        var list = Assert.IsType<SequenceNode>(Assert.Single(documents).Root);
        Assert.Equal(
            [("80", ScalarKind.Int), ("-1", ScalarKind.Int), ("1e3", ScalarKind.Float), ("8.0", ScalarKind.Float), ("12345678901234567890", ScalarKind.Int)],
            list.Items.Cast<ScalarNode>().Select(s => (s.Value, s.Kind)).ToArray());
    }

    [Fact]
    public void Read_HugeIntegerPort_IsAnErrorNotAnOverflow()
    {
        var result = ManifestLoader.LoadText(
            """{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "a", "namespace": "b"}, "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 12345678901234567890}]}]}}""",
            "big.json");

        LoadAssert.Errors(result, "big.json:1:170: spec.ingress[0].ports[0].port: expected a port number or name, found the integer 12345678901234567890");
    }

    [Fact]
    public void Read_EmptyJsonFile_IsEmpty()
    {
        var result = ManifestLoader.LoadText("   \n", "empty.json");

        LoadAssert.Valid(result);
    }
}
