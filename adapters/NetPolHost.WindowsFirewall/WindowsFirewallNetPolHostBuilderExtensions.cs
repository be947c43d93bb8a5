using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.WindowsFirewall;

namespace NetPolHost;

/// <summary>Registers the Windows Firewall backend.</summary>
public static class WindowsFirewallNetPolHostBuilderExtensions
{
    /// <summary>Uses the Windows Firewall backend with options from configuration or defaults.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    /// <remarks>The backend can be registered on any OS (to render plans); applying needs Windows.</remarks>
    public static INetPolHostBuilder UseWindowsFirewall(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<WindowsFirewallOptions>().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WindowsFirewallOptions>, WindowsFirewallOptionsValidator>());
        return builder.UseBackend("windows-firewall", sp => new WindowsFirewallBackend(
            sp.GetRequiredService<IOptions<WindowsFirewallOptions>>().Value,
            sp.GetService<ILogger<WindowsFirewallBackend>>()));
    }

    /// <summary>Uses the Windows Firewall backend and configures it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options, e.g. <c>o => o.GroupName = "NetPolHost"</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered.</exception>
    public static INetPolHostBuilder UseWindowsFirewall(this INetPolHostBuilder builder, Action<WindowsFirewallOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        UseWindowsFirewall(builder);
        builder.Services.Configure(configure);
        return builder;
    }
}

/// <summary>Validates <see cref="WindowsFirewallOptions"/> from their data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class WindowsFirewallOptionsValidator : IValidateOptions<WindowsFirewallOptions>
{
}
