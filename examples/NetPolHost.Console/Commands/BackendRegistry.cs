using NetPolHost.Backends;

namespace NetPolHost.Cli.Commands;

/// <summary>The backends the console host knows, by name.</summary>
internal static class BackendRegistry
{
    public static readonly string[] Names = ["nftables", "firewalld", "windows-firewall", "wfp"];

    /// <summary>Creates a backend; <paramref name="forPlanOnly"/> allows Windows backends on other systems (rendering only).</summary>
    public static IFirewallBackend Create(string name, BackendSettings settings, bool forPlanOnly)
    {
        _ = settings;
        _ = forPlanOnly;
        throw new CliUsageException($"backend '{name}' is not available in this build.");
    }
}

/// <summary>Backend settings from the command line.</summary>
internal sealed record BackendSettings
{
    public string? TableName { get; init; }

    public string? NetworkNamespace { get; init; }
}
