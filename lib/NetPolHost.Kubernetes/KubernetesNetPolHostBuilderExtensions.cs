using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Sources;
using NetPolHost.Kubernetes;

namespace NetPolHost;

/// <summary>Registers the Kubernetes API as a source of the node agent.</summary>
public static class KubernetesNetPolHostBuilderExtensions
{
    /// <summary>Adds the Kubernetes API as a source: namespaces, pods, nodes and NetworkPolicies, listed and watched.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>The API server is found as kubectl finds it: <c>KUBECONFIG</c>, <c>~/.kube/config</c>, or the pod's
    /// service account. Options are validated when the host starts, and every broken field is listed. Safe to call
    /// twice.</remarks>
    public static INetPolHostBuilder AddKubernetesSource(this INetPolHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<KubernetesSourceOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesSourceOptions>, KubernetesSourceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterSource, KubernetesClusterSource>(sp => new KubernetesClusterSource(
            sp.GetRequiredService<IOptions<KubernetesSourceOptions>>(),
            sp.GetService<ILogger<KubernetesClusterSource>>(),
            sp.GetService<TimeProvider>())));
        return builder;
    }

    /// <summary>Adds the Kubernetes API as a source, with options.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the kubeconfig, context and timings.</param>
    /// <returns>The builder.</returns>
    public static INetPolHostBuilder AddKubernetesSource(this INetPolHostBuilder builder, Action<KubernetesSourceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddKubernetesSource(builder);
        builder.Services.Configure(configure);
        return builder;
    }
}
