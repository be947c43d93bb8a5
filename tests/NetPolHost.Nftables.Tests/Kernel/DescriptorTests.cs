using NetPolHost.Nftables.Runtime;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Nftables.Tests.Kernel;

/// <summary>Counting the process's descriptors needs no other test running at the same time.</summary>
[CollectionDefinition(nameof(DescriptorTests), DisableParallelization = true)]
public sealed class DescriptorTestsCollection
{
}

/// <summary>libnftables uses select() on its netlink socket, so a process with descriptors numbered 1024 and above
/// aborts inside it: the runners must not leak descriptors (Process.Dispose leaves redirected pipes open).</summary>
[Trait("Category", "Integration")]
[Collection(nameof(DescriptorTests))]
public sealed class DescriptorTests
{
    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    [Fact]
    public async Task ProcessRunners_DoNotLeakDescriptors()
    {
        Assert.SkipWhen(Namespaces.UnavailableReason() is not null, Namespaces.UnavailableReason() ?? string.Empty);
        Assert.SkipWhen(NftProcessRunner.Find() is null, "the nft program is needed");
        await using var lab = SmallLab.Create();
        using var conntrack = NetlinkConntrack.Open(lab.Node);
        using var nft = new NftProcessRunner(NftProcessRunner.Find()!, lab.Node);
        conntrack.List();
        nft.Run("add table inet probe\n");
        var before = OpenDescriptors();
        for (var i = 0; i < 50; i++)
        {
            conntrack.List();
            conntrack.LocalAddresses();
            Assert.True(nft.Run("add table inet probe\n").Success);
            Assert.True(nft.ListJson("list tables").Success);
        }

        Assert.InRange(OpenDescriptors(), before - 5, before + 5);
    }
}
