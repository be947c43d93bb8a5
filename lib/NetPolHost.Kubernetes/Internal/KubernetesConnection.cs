using k8s;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>Finds the API server and credentials much as kubectl does: an explicit kubeconfig, else the first existing
/// file in <c>KUBECONFIG</c> (the files are not merged), else <c>~/.kube/config</c>, else the pod's service account.</summary>
internal static class KubernetesConnection
{
    private const string NoConfiguration =
        "no Kubernetes API server is configured: set KubeconfigPath (--kubeconfig), set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account";

    /// <summary>The client configuration for the options.</summary>
    /// <exception cref="InvalidOperationException">Nothing configures an API server.</exception>
    public static KubernetesClientConfiguration Configure(KubernetesSourceOptions options)
    {
        if (options.ClientConfiguration is { } configuration)
        {
            return configuration;
        }

        if (options.KubeconfigPath is { Length: > 0 } path)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, options.Context);
        }

        var files = EnvironmentKubeconfigs();
        if (files.Length > 0)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(files[0], options.Context);
        }

        if (File.Exists(KubernetesClientConfiguration.KubeConfigDefaultLocation))
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(KubernetesClientConfiguration.KubeConfigDefaultLocation, options.Context);
        }

        if (KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        throw new InvalidOperationException(NoConfiguration + ".");
    }

    /// <summary>Why <see cref="Configure"/> would fail for lack of a file, or <see langword="null"/>.</summary>
    public static string? FindProblem(KubernetesSourceOptions options)
    {
        if (options.KubeconfigPath is { Length: > 0 } path)
        {
            return File.Exists(path) ? null : $"KubeconfigPath: '{path}' does not exist.";
        }

        if (options.KubeconfigPath is { Length: 0 })
        {
            return "KubeconfigPath is empty: give a kubeconfig file, or leave it unset to use KUBECONFIG, ~/.kube/config or the in-cluster service account.";
        }

        return EnvironmentKubeconfigs().Length > 0 || File.Exists(KubernetesClientConfiguration.KubeConfigDefaultLocation) || KubernetesClientConfiguration.IsInCluster()
            ? null
            : char.ToUpperInvariant(NoConfiguration[0]) + NoConfiguration[1..] + ".";
    }

    private static FileInfo[] EnvironmentKubeconfigs() =>
        Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } list
            ? [.. list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(f => new FileInfo(f)).Where(f => f.Exists)]
            : [];
}
