using NetPolHost.Nftables.Runtime;
using NetPolHost.Planning;

namespace NetPolHost.Nftables.Tests.Rendering;

public sealed class BackendErrorTests
{
    private sealed class DeniedRunner : INftRunner
    {
        public string Kind => "fake";

        public NftResult Run(string commands, bool dryRun = false) => new(false, string.Empty, "Error: Could not process rule: Operation not permitted");

        public NftResult ListJson(string command) => new(false, string.Empty, "Error: Operation not permitted\nlist tables\n^^^^^^^^^^^");

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Apply_WithoutPrivileges_SaysWhatIsNeeded()
    {
        using var backend = new NftablesFirewallBackend(new NftablesOptions(), () => new DeniedRunner(), null, null);
        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.ApplyAsync(new RulePlan { NodeName = "n" }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("Backend 'nftables' is not available: nftables needs root or CAP_NET_ADMIN; run as root (or grant CAP_NET_ADMIN) and try again.", error.Message);
    }

    [Fact]
    public void Constructor_InvalidTableName_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new NftablesFirewallBackend(new NftablesOptions { TableName = "x; flush ruleset" }));
        Assert.StartsWith("Table name 'x_ flush ruleset' is not valid: a letter, then letters, digits or '_', at most 32 characters.", error.Message, StringComparison.Ordinal);
    }
}
