using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Hosting.Agent;
using NetPolHost.Hosting.Prometheus;

namespace NetPolHost;

/// <summary>Registers the node agent's metrics and health endpoint.</summary>
public static class PrometheusNetPolHostBuilderExtensions
{
    /// <summary>Serves <c>/metrics</c> (Prometheus text exposition of the meter <c>NetPolHost</c>, with rule counters when
    /// the backend keeps them), <c>/healthz</c> and <c>/readyz</c> on <paramref name="listen"/>.</summary>
    /// <param name="builder">The builder, with the node agent (<c>AddNodeAgent()</c>).</param>
    /// <param name="listen">Where to listen as <c>ADDRESS:PORT</c>, e.g. <c>0.0.0.0:9940</c>.</param>
    /// <returns>The builder.</returns>
    public static INetPolHostBuilder AddMetricsEndpoint(this INetPolHostBuilder builder, string listen) =>
        AddMetricsEndpoint(builder, o => o.Listen = listen);

    /// <summary>Serves <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>, with options.</summary>
    /// <param name="builder">The builder, with the node agent (<c>AddNodeAgent()</c>).</param>
    /// <param name="configure">Sets <see cref="MetricsEndpointOptions.Listen"/> and the rule counters' maximum age.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <remarks>Options are validated when the host starts. Calling it twice configures the one endpoint twice.</remarks>
    public static INetPolHostBuilder AddMetricsEndpoint(this INetPolHostBuilder builder, Action<MetricsEndpointOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<MetricsEndpointOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsEndpointOptions>, MetricsEndpointOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new MetricsEndpoint(
            sp.GetRequiredService<IOptions<MetricsEndpointOptions>>(),
            sp.GetService<IAgentStatusProvider>() ?? throw new InvalidOperationException("The metrics endpoint serves the node agent's metrics and health: add the agent too (AddNodeAgent())."),
            sp.GetRequiredService<Backends.IFirewallBackend>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MetricsEndpoint>>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MetricsEndpoint>(sp => sp.GetRequiredService<MetricsEndpoint>()));
        return builder;
    }
}
