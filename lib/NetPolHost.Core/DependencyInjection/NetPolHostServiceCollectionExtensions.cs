using NetPolHost;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers NetPolHost in a service collection.</summary>
public static class NetPolHostServiceCollectionExtensions
{
    /// <summary>Adds NetPolHost's core services (options; safe to call more than once) and returns a builder to choose a backend.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The builder, e.g. for <c>.UseNftables()</c>.</returns>
    /// <example><code>services.AddNetPolHost().UseNftables(o => o.TableName = "netpolhost");</code></example>
    public static INetPolHostBuilder AddNetPolHost(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        return new Builder(services);
    }

    private sealed class Builder(IServiceCollection services) : INetPolHostBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
