using NetPolHost.Firewalld;

namespace NetPolHost;

/// <summary>Chooses the backend that fits this host.</summary>
public static class AutomaticBackendNetPolHostBuilderExtensions
{
    /// <summary>The name of the backend that fits this host: on Linux <c>firewalld</c> when it runs (an nftables table
    /// of one's own cannot open what firewalld's chains reject), else <c>nftables</c>; on Windows
    /// <c>windows-firewall</c>.</summary>
    /// <returns>The backend name, as the <c>Use…</c> methods register it.</returns>
    /// <exception cref="PlatformNotSupportedException">The operating system has no supported firewall.</exception>
    public static string ChooseBackendName()
    {
        if (OperatingSystem.IsLinux())
        {
            return FirewalldFirewallBackend.IsRunningOnThisHost() ? "firewalld" : "nftables";
        }

        if (OperatingSystem.IsWindows())
        {
            return "windows-firewall";
        }

        throw new PlatformNotSupportedException("NetPolHost has backends for Linux (nftables, firewalld) and Windows (Windows Firewall, WFP) only.");
    }

    /// <summary>Uses the backend that <see cref="ChooseBackendName"/> names, with its options from configuration or
    /// defaults.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="PlatformNotSupportedException">The operating system has no supported firewall.</exception>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    public static INetPolHostBuilder UseAutomaticBackend(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = ChooseBackendName();
        if (OperatingSystem.IsLinux())
        {
            return name == "firewalld" ? builder.UseFirewalld() : builder.UseNftables();
        }

        return builder.UseWindowsFirewall();
    }
}
