using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Core.Tests.Planning;

/// <summary>The one text form of address ranges.</summary>
public sealed class AddressRangeTextTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1", "10.0.0.1")]
    [InlineData("10.0.0.0", "10.0.0.255", "10.0.0.0/24")]
    [InlineData("10.0.0.1", "10.0.0.9", "10.0.0.1-10.0.0.9")]
    [InlineData("10.0.0.2", "10.0.0.3", "10.0.0.2/31")]
    [InlineData("10.0.0.1", "10.0.0.2", "10.0.0.1-10.0.0.2")]
    [InlineData("0.0.0.0", "255.255.255.255", "0.0.0.0/0")]
    [InlineData("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0")]
    [InlineData("fd00::", "fd00::ffff", "fd00::/112")]
    [InlineData("fd00::1", "fd00::1", "fd00::1")]
    public void ToString_IsTheAddressTheBlockOrFirstDashLast(string first, string last, string expected)
    {
        var a = AddressRange.FromAddress(IPAddress.Parse(first));
        var b = AddressRange.FromAddress(IPAddress.Parse(last));

        Assert.Equal(expected, new AddressRange(a.First, b.Last, a.IsIPv6).ToString());
    }

    [Fact]
    public void TryGetCidr_OnlyForOneExactBlock()
    {
        Assert.True(AddressRange.FromCidr(Cidr.Parse("10.1.0.0/16")).TryGetCidr(out var cidr));
        Assert.Equal(Cidr.Parse("10.1.0.0/16"), cidr);
        Assert.True(AddressRange.FromAddress(IPAddress.Parse("10.0.0.1")).TryGetCidr(out var host));
        Assert.Equal(32, host.PrefixLength);
        Assert.False(new AddressRange(1, 2, false).TryGetCidr(out _));
    }
}
