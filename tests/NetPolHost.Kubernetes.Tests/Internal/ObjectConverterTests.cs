using System.Text;
using System.Text.Json;
using NetPolHost.Kubernetes.Internal;

namespace NetPolHost.Kubernetes.Tests.Internal;

public sealed class ObjectConverterTests
{
    [Theory]
    [InlineData("""{"metadata":{"name":"a"}}""", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}""")]
    [InlineData("""{}""", """{"apiVersion":"v1","kind":"Pod"}""")]
    [InlineData("""{ "kind" : "Pod", "metadata":{}}""", """{"apiVersion":"v1", "kind" : "Pod", "metadata":{}}""")]
    [InlineData("""{"apiVersion":"v1","kind":"Pod"}""", """{"apiVersion":"v1","kind":"Pod"}""")]
    public void WithKind_AddsWhatListItemsLack_AndLeavesTheRestByteForByte(string item, string expected)
    {
        using var document = JsonDocument.Parse(item);

        var bytes = ObjectConverter.WithKind(ApiResource.Pods, document.RootElement);

        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Convert_NamesTheObjectByItsApiPath_InDiagnostics()
    {
        using var document = JsonDocument.Parse("""{"metadata":{"name":"n1","uid":"u","resourceVersion":"5","labels":{"bad key!":"x"}}}""");
        var meta = ObjectMeta.Read(document.RootElement);

        var stored = new ObjectConverter().Convert(ApiResource.Nodes, document.RootElement, meta);

        Assert.Null(stored.Model);
        Assert.Equal(("n1", "u", "5"), (stored.Key, stored.Uid, stored.ResourceVersion));
        var error = Assert.Single(stored.Errors);
        Assert.Equal("/api/v1/nodes/n1", error.File);
        Assert.Equal("Node n1", error.Object);
    }

    [Fact]
    public void ApiError_FromABodyThatIsNoStatus_KeepsTheText()
    {
        var error = KubernetesApiException.FromBody("list pods", 502, "Bad Gateway", "<html>upstream connect error</html>"u8);

        Assert.Equal("list pods: the API server answered 502 Bad Gateway (<html>upstream connect error</html>)", error.Message);
        Assert.False(error.IsGone);
    }
}
