using NetPolHost.Backends;
using NetPolHost.Nftables;

namespace NetPolHost.Cli.Commands;

/// <summary>The backends the console host knows, by name.</summary>
internal static class BackendRegistry
{
    public static readonly string[] Names = ["nftables", "firewalld", "windows-firewall", "wfp"];

    /// <summary>Creates a backend; <paramref name="forPlanOnly"/> allows backends of other systems (rendering only).</summary>
    public static IFirewallBackend Create(string name, BackendSettings settings, bool forPlanOnly)
    {
        switch (name)
        {
            case "nftables":
                if (!OperatingSystem.IsLinux())
                {
                    throw new CliUsageException("the nftables backend runs only on Linux.");
                }

                return new NftablesFirewallBackend(new NftablesOptions
                {
                    TableName = settings.TableName ?? "netpolhost",
                    NetworkNamespace = settings.NetworkNamespace,
                });
            default:
                _ = forPlanOnly;
                throw new CliUsageException($"backend '{name}' is not available in this build.");
        }
    }
}

/// <summary>Backend settings from the command line.</summary>
internal sealed record BackendSettings
{
    public string? TableName { get; init; }

    public string? NetworkNamespace { get; init; }
}
