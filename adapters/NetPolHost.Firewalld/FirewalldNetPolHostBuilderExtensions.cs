using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Firewalld;

namespace NetPolHost;

/// <summary>Registers the firewalld backend.</summary>
public static class FirewalldNetPolHostBuilderExtensions
{
    /// <summary>Uses the firewalld backend with options from configuration or defaults.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    public static INetPolHostBuilder UseFirewalld(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<FirewalldOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FirewalldOptions>, FirewalldOptionsValidator>());
        return builder.UseBackend("firewalld", sp => new FirewalldFirewallBackend(
            sp.GetRequiredService<IOptions<FirewalldOptions>>().Value,
            sp.GetService<ILogger<FirewalldFirewallBackend>>()));
    }

    /// <summary>Uses the firewalld backend and configures it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options, e.g. <c>o => o.Prefix = "nph"</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    public static INetPolHostBuilder UseFirewalld(this INetPolHostBuilder builder, Action<FirewalldOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        UseFirewalld(builder);
        builder.Services.Configure(configure);
        return builder;
    }
}

/// <summary>Validates <see cref="FirewalldOptions"/> from their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class FirewalldOptionsValidator : IValidateOptions<FirewalldOptions>
{
}
