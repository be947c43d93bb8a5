using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Hosting.Agent;
using NetPolHost.Hosting.Diagnostics;
using NetPolHost.Hosting.Sources;
using NetPolHost.Sources;

namespace NetPolHost;

/// <summary>Registers the node agent and its file source.</summary>
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
        services.TryAddSingleton(sp => new NetPolHostMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp => new NodeAgent(
            sp.GetRequiredService<Backends.IFirewallBackend>(),
            sp.GetServices<IClusterSource>(),
            sp.GetRequiredService<IOptions<NodeAgentOptions>>(),
            sp.GetRequiredService<NetPolHostMetrics>(),
            sp.GetRequiredService<ILogger<NodeAgent>>(),
            sp.GetRequiredService<IConnectivityCheck>(),
            sp.GetRequiredService<TimeProvider>()));
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
    /// <param name="configure">Sets the paths, the poll interval and the default namespace.</param>
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
}
