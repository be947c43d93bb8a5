using Microsoft.Extensions.DependencyInjection;

namespace NetPolHost;

/// <summary>Configures NetPolHost in a service collection; returned by <c>services.AddNetPolHost()</c>.</summary>
public interface INetPolHostBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }
}

/// <summary>Records which backend a service collection uses (one backend per host).</summary>
/// <param name="Name">The backend name, e.g. <c>nftables</c>.</param>
internal sealed record NetPolHostBackendRegistration(string Name);

/// <summary>Helpers for backend packages registering themselves.</summary>
public static class NetPolHostBuilderExtensions
{
    /// <summary>Registers <typeparamref name="TBackend"/> as the host's <see cref="Backends.IFirewallBackend"/>.</summary>
    /// <typeparam name="TBackend">The backend type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The backend name.</param>
    /// <param name="factory">Creates the backend.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Another backend is already registered; the message names both.</exception>
    public static INetPolHostBuilder UseBackend<TBackend>(this INetPolHostBuilder builder, string name, Func<IServiceProvider, TBackend> factory)
        where TBackend : class, Backends.IFirewallBackend
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        var existing = builder.Services.FirstOrDefault(d => d.ServiceType == typeof(NetPolHostBackendRegistration))?.ImplementationInstance as NetPolHostBackendRegistration;
        if (existing is not null)
        {
            if (existing.Name == name)
            {
                return builder;
            }

            throw new InvalidOperationException($"NetPolHost already uses the '{existing.Name}' backend; it cannot also use '{name}'. One backend enforces policy on a host: remove one of the Use… calls.");
        }

        builder.Services.AddSingleton(new NetPolHostBackendRegistration(name));
        builder.Services.AddSingleton(factory);
        builder.Services.AddSingleton<Backends.IFirewallBackend>(sp => sp.GetRequiredService<TBackend>());
        return builder;
    }

    /// <summary>The name of the registered backend, or <see langword="null"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The name.</returns>
    public static string? BackendName(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return (builder.Services.FirstOrDefault(d => d.ServiceType == typeof(NetPolHostBackendRegistration))?.ImplementationInstance as NetPolHostBackendRegistration)?.Name;
    }
}
