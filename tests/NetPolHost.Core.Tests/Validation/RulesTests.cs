using NetPolHost.Validation;

namespace NetPolHost.Core.Tests.Validation;

/// <summary>The syntax rules on their own: what passes, and the full message of what does not.</summary>
public sealed class RulesTests
{
    [Theory]
    [InlineData("app")]
    [InlineData("a")]
    [InlineData("app.kubernetes.io/name")]
    [InlineData("kubernetes.io/metadata.name")]
    [InlineData("App_Name-1.x")]
    [InlineData("example.com/A")]
    [InlineData("x/y")]
    public void LabelKey_Valid_HasNoProblem(string key) => Assert.Null(Rules.LabelKey(key));

    [Theory]
    [InlineData("", "expected a label key ([prefix/]name), found \"\": the name part is empty")]
    [InlineData("a b", "expected a label key ([prefix/]name), found \"a b\": the name part \"a b\" must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (regex '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")]
    [InlineData("app.", "expected a label key ([prefix/]name), found \"app.\": the name part \"app.\" must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (regex '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")]
    [InlineData("-x.io/app", "expected a label key ([prefix/]name), found \"-x.io/app\": the prefix \"-x.io\" is not a DNS subdomain (lower-case letters, digits, '-' and '.', regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    [InlineData("x_y.io/app", "expected a label key ([prefix/]name), found \"x_y.io/app\": the prefix \"x_y.io\" is not a DNS subdomain (lower-case letters, digits, '-' and '.', regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    public void LabelKey_Invalid_SaysWhy(string key, string message) => Assert.Equal(message, Rules.LabelKey(key));

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("web-server")]
    [InlineData("v1.2_3")]
    [InlineData("ABC")]
    public void LabelValue_Valid_HasNoProblem(string value) => Assert.Null(Rules.LabelValue(value));

    [Theory]
    [InlineData("a/b")]
    [InlineData("_a")]
    [InlineData("a.")]
    [InlineData("é")]
    [InlineData(" a")]
    public void LabelValue_Invalid_SaysWhy(string value) =>
        Assert.Equal($"expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), found \"{value}\"", Rules.LabelValue(value));

    [Fact]
    public void LabelValue_Of63Characters_IsValid() => Assert.Null(Rules.LabelValue(new string('v', 63)));

    [Theory]
    [InlineData("default")]
    [InlineData("kube-system")]
    [InlineData("a1")]
    [InlineData("1a")]
    public void DnsLabelName_Valid_HasNoProblem(string name) => Assert.Null(Rules.DnsLabelName(name));

    [Theory]
    [InlineData("a.b")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("A")]
    [InlineData("")]
    public void DnsLabelName_Invalid_SaysWhy(string name) =>
        Assert.Equal($"expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"{name}\"", Rules.DnsLabelName(name));

    [Theory]
    [InlineData("a.b.c")]
    [InlineData("deny-all")]
    [InlineData("x")]
    public void SubdomainName_Valid_HasNoProblem(string name) => Assert.Null(Rules.SubdomainName(name));

    [Theory]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a_b")]
    public void SubdomainName_Invalid_SaysWhy(string name) =>
        Assert.Equal($"expected a lower-case DNS subdomain name (letters a-z, digits, '-' and '.', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), found \"{name}\"", Rules.SubdomainName(name));

    [Theory]
    [InlineData(1)]
    [InlineData(80)]
    [InlineData(65535)]
    public void PortNumber_InRange_HasNoProblem(long port) => Assert.Null(Rules.PortNumber(port));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    [InlineData(long.MaxValue)]
    public void PortNumber_OutOfRange_SaysWhy(long port) =>
        Assert.Equal($"expected a port number between 1 and 65535, found {port}", Rules.PortNumber(port));

    [Theory]
    [InlineData("", "it must contain at least one letter")]
    [InlineData("123", "it must contain at least one letter (for a port number, write it without quotes)")]
    [InlineData("--", "it must contain at least one letter; it must not contain '--'; it must not begin or end with '-'")]
    [InlineData("ÄÖ", "it may contain only lower-case letters a-z, digits and '-'; it must contain at least one letter")]
    public void PortName_Invalid_ListsEveryProblem(string name, string problems) =>
        Assert.Equal($"expected a port name (IANA_SVC_NAME), found \"{name}\": {problems}", Rules.PortName(name));

    [Fact]
    public void TrailingNewline_IsInvalid_InEveryKindOfName()
    {
        // "$" would accept a final "\n"; the API server's patterns do not.
        Assert.Equal("expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"web\\n\"", Rules.DnsLabelName("web\n"));
        Assert.Equal("expected a lower-case DNS subdomain name (letters a-z, digits, '-' and '.', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), found \"web\\n\"", Rules.SubdomainName("web\n"));
        Assert.Equal("expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), found \"web\\n\"", Rules.LabelValue("web\n"));
        Assert.Equal("expected a label key ([prefix/]name), found \"web\\n\": the name part \"web\\n\" must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (regex '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", Rules.LabelKey("web\n"));
        Assert.Equal("expected a label key ([prefix/]name), found \"x.io\\n/web\": the prefix \"x.io\\n\" is not a DNS subdomain (lower-case letters, digits, '-' and '.', regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", Rules.LabelKey("x.io\n/web"));
        Assert.Equal("expected a port name (IANA_SVC_NAME), found \"web\\n\": it may contain only lower-case letters a-z, digits and '-'", Rules.PortName("web\n"));
    }
}
