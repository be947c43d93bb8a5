using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Wfp;

namespace NetPolHost;

/// <summary>Registers the WFP backend.</summary>
public static class WfpNetPolHostBuilderExtensions
{
    /// <summary>Uses the Windows Filtering Platform backend with options from configuration or defaults.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    /// <remarks>The backend can be registered on any OS (to render plans); applying needs Windows.</remarks>
    public static INetPolHostBuilder UseWfp(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WfpOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WfpOptions>, WfpOptionsValidator>());
        return builder.UseBackend("wfp", sp => new WfpFirewallBackend(
            sp.GetRequiredService<IOptions<WfpOptions>>().Value,
            sp.GetService<ILogger<WfpFirewallBackend>>()));
    }

    /// <summary>Uses the WFP backend and configures it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options, e.g. <c>o => o.HardPermit = true</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    public static INetPolHostBuilder UseWfp(this INetPolHostBuilder builder, Action<WfpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        UseWfp(builder);
        builder.Services.Configure(configure);
        return builder;
    }
}

/// <summary>Validates <see cref="WfpOptions"/> from their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class WfpOptionsValidator : IValidateOptions<WfpOptions>
{
}
