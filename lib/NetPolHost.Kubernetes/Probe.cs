namespace NetPolHost.Kubernetes;

internal static class Probe
{
    public static async Task<HttpResponseMessage> Run(CancellationToken cancellationToken)
    {
        var config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile("/nonexistent");
        var inCluster = k8s.KubernetesClientConfiguration.IsInCluster() ? k8s.KubernetesClientConfiguration.InClusterConfig() : config;
        using var client = new k8s.Kubernetes(inCluster);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(client.BaseUri, "api/v1/pods"));
        if (client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        return await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }
}
