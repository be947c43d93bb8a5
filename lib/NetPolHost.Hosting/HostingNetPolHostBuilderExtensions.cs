using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Hosting.Agent;
using NetPolHost.Hosting.Sources;

namespace NetPolHost;

/// <summary>Registers the node agent, its sources and the automatic backend choice.</summary>
public static class HostingNetPolHostBuilderExtensions
{
    /// <summary>Adds the node agent as a hosted service.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options; at least <see cref="NodeAgentOptions.NodeName"/>.</param>
    /// <returns>The builder.</returns>
    /// <remarks>Options are validated when the host starts, and every broken field is listed.</remarks>
    public static INetPolHostBuilder AddNodeAgent(this INetPolHostBuilder builder, Action<NodeAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<NodeAgentOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NodeAgentOptions>, NodeAgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectivityCheck, TcpConnectivityCheck>();
        services.TryAddSingleton<NodeAgent>();
        services.TryAddSingleton<IAgentStatusProvider>(sp => sp.GetRequiredService<NodeAgent>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NodeAgent>(sp => sp.GetRequiredService<NodeAgent>()));
        return builder;
    }

    /// <summary>Adds manifest files and directories as a source, re-read when they change.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="paths">Files or directories.</param>
    /// <returns>The builder.</returns>
    public static INetPolHostBuilder AddFileSource(this INetPolHostBuilder builder, params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return AddFileSource(builder, o =>
        {
            foreach (var path in paths)
            {
                o.Paths.Add(path);
            }
        });
    }

    /// <summary>Adds manifest files and directories as a source, with options.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the paths and the poll interval.</param>
    /// <returns>The builder.</returns>
    public static INetPolHostBuilder AddFileSource(this INetPolHostBuilder builder, Action<FileSourceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<FileSourceOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FileSourceOptions>, FileSourceOptionsValidator>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterSource, FileClusterSource>(sp =>
            new FileClusterSource(sp.GetRequiredService<IOptions<FileSourceOptions>>(), sp.GetService<ILogger<FileClusterSource>>())));
        return builder;
    }

    /// <summary>Chooses the backend for this host: on Linux firewalld when it is running (an nftables table of our own
    /// cannot open what firewalld's chains drop), else nftables; on Windows the Windows Firewall.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="PlatformNotSupportedException">The operating system has no supported firewall.</exception>
    public static INetPolHostBuilder UseAutomaticBackend(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (OperatingSystem.IsLinux())
        {
            return IsFirewalldRunning() ? builder.UseFirewalld() : builder.UseNftables();
        }

        if (OperatingSystem.IsWindows())
        {
            return builder.UseWindowsFirewall();
        }

        throw new PlatformNotSupportedException("NetPolHost has backends for Linux (nftables, firewalld) and Windows (Windows Firewall, WFP) only.");
    }

    /// <summary>Whether a process named firewalld runs on this host (looked up in /proc).</summary>
    /// <returns><see langword="true"/> when one does.</returns>
    public static bool IsFirewalldRunning()
    {
        if (!Directory.Exists("/proc"))
        {
            return false;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Split('\0').Take(2).Any(part => Path.GetFileName(part) == "firewalld"))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return false;
    }
}
