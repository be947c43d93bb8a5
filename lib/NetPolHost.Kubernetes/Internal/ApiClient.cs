using System.Net;
using System.Net.Http.Headers;
using k8s;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>GET requests to the API server through the official client's HTTP pipeline (its TLS settings, client
/// certificates and credentials: tokens, exec plugins, the in-cluster service account with token refresh). The bodies
/// are read here, as JSON bytes, so objects reach the manifest loader exactly as the API server sent them.</summary>
internal sealed class ApiClient : IDisposable
{
    private const int MaxErrorBody = 64 * 1024;
    private static readonly MediaTypeWithQualityHeaderValue s_json = new("application/json");
    private readonly k8s.Kubernetes _client;

    public ApiClient(KubernetesClientConfiguration configuration) => _client = new k8s.Kubernetes(configuration);

    /// <summary>The API server's address.</summary>
    public Uri BaseUri => _client.BaseUri;

    /// <summary>Sends a GET and returns the response once its headers arrived (the body streams).</summary>
    /// <param name="pathAndQuery">E.g. <c>/api/v1/pods?limit=500</c>.</param>
    /// <param name="request">What is asked, for messages (e.g. <c>list pods</c>).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="KubernetesApiException">The API server answered with an error status.</exception>
    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery, string request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(_client.BaseUri, pathAndQuery.TrimStart('/')))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        message.Headers.Accept.Add(s_json);
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(message, cancellationToken).ConfigureAwait(false);
        }

        var response = await _client.HttpClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await ReadBoundedAsync(response.Content, cancellationToken).ConfigureAwait(false);
            throw KubernetesApiException.FromBody(request, (int)response.StatusCode, response.ReasonPhrase, body);
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxErrorBody];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }

                return buffer[..length];
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return [];
        }
    }

    public void Dispose() => _client.Dispose();
}
