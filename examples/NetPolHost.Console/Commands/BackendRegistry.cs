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
        if (settings.Audit && name != "nftables")
        {
            throw new CliUsageException(NotOnThisBackend(name, "--audit (audit mode)"));
        }

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
                    Audit = settings.Audit,
                });
            case "firewalld":
                if (!OperatingSystem.IsLinux())
                {
                    throw new CliUsageException("the firewalld backend runs only on Linux.");
                }

                if (settings.NetworkNamespace is not null)
                {
                    throw new CliUsageException("--netns does not apply to firewalld, which works in its own network namespace; to reach another firewalld, set DBUS_SYSTEM_BUS_ADDRESS to its bus (e.g. unix:path=/run/dbus/system_bus_socket).");
                }

                // A one-shot command: entries are stored permanently too, so a later firewalld reload keeps the plan.
                return new NetPolHost.Firewalld.FirewalldFirewallBackend(new NetPolHost.Firewalld.FirewalldOptions { ReapplyOnReload = false });
            case "windows-firewall":
                // Rendering (plan) works on any OS; apply, status and remove need Windows.
                if (!forPlanOnly && !OperatingSystem.IsWindows())
                {
                    throw new BackendUnavailableException(name, "Windows Firewall exists only on Windows. To review the rules here, run 'netpolhost plan --backend windows-firewall -o native' and run the PowerShell script on the Windows host.");
                }

                return new NetPolHost.WindowsFirewall.WindowsFirewallBackend();
            case "wfp":
                if (!forPlanOnly && !OperatingSystem.IsWindows())
                {
                    throw new BackendUnavailableException(name, "the Windows Filtering Platform exists only on Windows. To review the filters here, run 'netpolhost plan --backend wfp -o json'.");
                }

                return new NetPolHost.Wfp.WfpFirewallBackend();
            default:
                throw new CliUsageException($"backend '{name}' is not available in this build.");
        }
    }

    /// <summary>The message of a flow-visibility feature (flows, audit mode) that a backend does not offer yet, with what
    /// the platform itself offers.</summary>
    public static string NotOnThisBackend(string name, string feature) => name switch
    {
        "firewalld" => $"{feature} is not supported by the firewalld backend yet; firewalld itself can log what its zones reject (firewall-cmd --set-log-denied=all, kernel log). Use the nftables backend for flow logs with policy names.",
        "windows-firewall" or "wfp" => $"{feature} is not supported by the {name} backend yet; Windows records dropped packets and blocked connections as Security log events 5152 and 5157 when auditing of 'Filtering Platform Packet Drop' and 'Filtering Platform Connection' is on (auditpol), and FwpmNetEventEnum reads WFP's recent drop events.",
        _ => $"{feature} is not supported by the {name} backend.",
    };
}

/// <summary>Backend settings from the command line.</summary>
internal sealed record BackendSettings
{
    public string? TableName { get; init; }

    public string? NetworkNamespace { get; init; }

    /// <summary>Audit mode: drops become would-deny logs and accept (nftables only).</summary>
    public bool Audit { get; init; }
}
