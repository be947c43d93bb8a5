using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Nftables;

namespace NetPolHost;

/// <summary>Registers the nftables backend.</summary>
public static class NftablesNetPolHostBuilderExtensions
{
    /// <summary>Uses the nftables backend with options from configuration or defaults.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    public static INetPolHostBuilder UseNftables(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<NftablesOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NftablesOptions>, NftablesOptionsValidator>());
        return builder.UseBackend("nftables", sp => new NftablesFirewallBackend(
            sp.GetRequiredService<IOptions<NftablesOptions>>().Value,
            sp.GetService<ILogger<NftablesFirewallBackend>>()));
    }

    /// <summary>Uses the nftables backend and configures it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options, e.g. <c>o => o.TableName = "netpolhost"</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    public static INetPolHostBuilder UseNftables(this INetPolHostBuilder builder, Action<NftablesOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        UseNftables(builder);
        builder.Services.Configure(configure);
        return builder;
    }
}

/// <summary>Validates <see cref="NftablesOptions"/> from their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class NftablesOptionsValidator : IValidateOptions<NftablesOptions>
{
}
