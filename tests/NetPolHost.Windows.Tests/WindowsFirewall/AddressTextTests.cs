using NetPolHost.Planning;
using NetPolHost.Windows.Tests.Fakes;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.Windows.Tests.WindowsFirewall;

public sealed class AddressTextTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1/255.255.255.255")]
    [InlineData("10.0.0.0/8", "10.0.0.0/255.0.0.0")]
    [InlineData("10.0.0.0/8,10.1.2.3", "10.1.2.3/255.255.255.255,10.0.0.0/255.0.0.0")]
    [InlineData("fd00::1", "fd00::1-fd00::1")]
    [InlineData("fd00::/64", "fd00:0:0:0::/64")]
    [InlineData("10.0.0.1-10.0.0.7", "10.0.0.1-10.0.0.7")]
    [InlineData("10.0.0.0-10.0.0.255", "10.0.0.0/24")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0.0.0.0")]
    [InlineData("10.0.0.1,10.0.0.2", "10.0.0.1-10.0.0.2")]
    public void SameAddresses_WindowsRewrittenForms_AreEqual(string written, string stored) =>
        Assert.True(FirewallRuleDiff.SameAddresses(written, stored));

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.2")]
    [InlineData("10.0.0.0/8", "10.0.0.0/255.255.0.0")]
    [InlineData("10.0.0.1", "LocalSubnet")]
    [InlineData("10.0.0.0/8", "*")]
    [InlineData("10.0.0.0/8", "10.0.0.0/255.0.255.0")]
    public void SameAddresses_DifferentAddresses_AreNot(string written, string stored) =>
        Assert.False(FirewallRuleDiff.SameAddresses(written, stored));

    [Fact]
    public void Format_UsesSingleCidrOrRange()
    {
        var ranges = new[]
        {
            AddressRange.FromAddress(System.Net.IPAddress.Parse("10.0.0.1")),
            new AddressRange(0x0A010000, 0x0A01FFFF, false),
            new AddressRange(0x0A020001, 0x0A020005, false),
            new AddressRange(UInt128.Zero, UInt128.MaxValue, true),
        };
        Assert.Equal("10.0.0.1,10.1.0.0/16,10.2.0.1-10.2.0.5,::/0", AddressText.Format(ranges));
    }

    [Fact]
    public void FakeStore_RewritesLikeWindows() =>
        Assert.Equal("10.0.0.1/255.255.255.255,10.1.0.0/255.255.0.0,10.2.0.1-10.2.0.5,fd00::1-fd00::1,fd00::/64", FakeFirewallRuleStore.RewriteAddresses("10.0.0.1,10.1.0.0/16,10.2.0.1-10.2.0.5,fd00::1,fd00::/64"));

    [Theory]
    [InlineData("80,8000-8080", "8000-8080,80")]
    [InlineData("*", "0-65535")]
    [InlineData("80,81", "80-81")]
    public void SamePorts_EquivalentLists_AreEqual(string a, string b) => Assert.True(FirewallRuleDiff.SamePorts(a, b));

    [Fact]
    public void SamePorts_Keyword_IsNotAPortList() => Assert.False(FirewallRuleDiff.SamePorts("135", "RPC"));
}
