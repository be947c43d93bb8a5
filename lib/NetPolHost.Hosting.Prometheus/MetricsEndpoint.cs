using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Backends;
using NetPolHost.Hosting.Agent;
using Prometheus;

namespace NetPolHost.Hosting.Prometheus;

/// <summary>
/// Serves <c>/metrics</c> (Prometheus text exposition of the meter <c>NetPolHost</c>, written by prometheus-net),
/// <c>/healthz</c> (200 while the process serves) and <c>/readyz</c> (200 when <see cref="AgentReadiness"/> says ready,
/// 503 with the reason otherwise) over HTTP on <see cref="MetricsEndpointOptions.Listen"/>.
/// </summary>
/// <remarks>
/// GET and HEAD only (405 otherwise); any other path is 404. Each host has its own prometheus-net registry (never the
/// static default one), fed only by the <c>NetPolHost</c> meter of this host's meter factory, so several hosts in one
/// process do not see each other's metrics. Scrapes run one at a time; health probes are answered meanwhile.
/// </remarks>
internal sealed partial class MetricsEndpoint : IHostedService, IDisposable
{
    private const string PlainText = "text/plain; charset=utf-8";
    private readonly IOptions<MetricsEndpointOptions> _options;
    private readonly IAgentStatusProvider _agent;
    private readonly ILogger _logger;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly MeterBridge _bridge;
    private readonly RuleCounterMetrics? _ruleCounters;
    private readonly SemaphoreSlim _scrapeGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private HttpListener? _listener;
    private Task? _acceptLoop;
    private int _disposed;

    public MetricsEndpoint(
        IOptions<MetricsEndpointOptions> options,
        IAgentStatusProvider agent,
        IFirewallBackend backend,
        TimeProvider time,
        ILogger<MetricsEndpoint> logger,
        IMeterFactory? meterFactory)
    {
        _options = options;
        _agent = agent;
        _logger = logger;

        // With a meter factory (any generic host has one), only this host's meter; without, every meter of that name.
        // The process's own figures too (process_working_set_bytes, process_cpu_seconds_total, dotnet_total_memory_bytes,
        // dotnet_collection_count_total): a node agent's memory and CPU are what an operator watches first.
        DotNetStats.Register(_registry);
        _bridge = new MeterBridge(
            _registry,
            i => i.Meter.Name == NetPolHost.Diagnostics.NetPolHostMeter.Name && (meterFactory is null || ReferenceEquals(i.Meter.Scope, meterFactory)));
        if (backend is IRuleCounterReader reader)
        {
            _ruleCounters = new RuleCounterMetrics(reader, time, options.Value.RuleCounterMaxAge, logger, meterFactory);
        }
    }

    /// <summary>Where the endpoint listens once started (the port chosen, when 0 was asked for).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The rule counters, when the backend keeps them (for tests).</summary>
    internal RuleCounterMetrics? RuleCounters => _ruleCounters;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!MetricsEndpointOptions.TryParseListen(_options.Value.Listen, out var endpoint, out var error))
        {
            throw new OptionsValidationException(nameof(MetricsEndpointOptions), typeof(MetricsEndpointOptions), ["Listen: " + error]);
        }

        // HttpListener takes no port 0: a free port is found by binding one, then handed over (tried again if taken meanwhile).
        for (var attempt = 1; ; attempt++)
        {
            var port = endpoint.Port == 0 ? FreePort(endpoint.Address) : endpoint.Port;
            var listener = new HttpListener { IgnoreWriteExceptions = true };
            listener.Prefixes.Add($"http://{Host(endpoint.Address)}:{port}/");
            try
            {
                listener.Start();
            }
            catch (HttpListenerException ex) when (endpoint.Port == 0 && attempt < 10)
            {
                Log.PortTaken(_logger, port, ex.Message);
                listener.Close();
                continue;
            }
            catch (HttpListenerException ex)
            {
                listener.Close();
                throw new InvalidOperationException($"The metrics endpoint cannot listen on {Format(endpoint.Address, port)}: {ex.Message}", ex);
            }

            _listener = listener;
            LocalEndPoint = new IPEndPoint(endpoint.Address, port);
            break;
        }

        Log.Listening(_logger, Format(LocalEndPoint.Address, LocalEndPoint.Port), _ruleCounters is null ? "without rule counters (the backend keeps none)" : "with rule counters");
        _acceptLoop = Task.Run(() => AcceptAsync(_listener), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Close();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        // Disposed once per registration (the endpoint and the hosted service are the one instance).
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        _listener?.Close();
        _bridge.Dispose();
        _ruleCounters?.Dispose();
        _scrapeGate.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptAsync(HttpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                Log.AcceptFailed(_logger, ex, ex.Message);
                continue;
            }

            _ = Task.Run(() => HandleAsync(context), CancellationToken.None);
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var request = context.Request;
            var path = request.Url?.AbsolutePath ?? "/";
            if (path is not ("/metrics" or "/healthz" or "/readyz"))
            {
                await WriteAsync(response, request, 404, PlainText, Encoding.UTF8.GetBytes($"not found: {path} (this endpoint serves /metrics, /healthz and /readyz)\n")).ConfigureAwait(false);
                return;
            }

            if (request.HttpMethod is not ("GET" or "HEAD"))
            {
                response.AddHeader("Allow", "GET, HEAD");
                await WriteAsync(response, request, 405, PlainText, Encoding.UTF8.GetBytes($"method {request.HttpMethod} not allowed: use GET\n")).ConfigureAwait(false);
                return;
            }

            switch (path)
            {
                case "/healthz":
                    await WriteAsync(response, request, 200, PlainText, "ok\n"u8.ToArray()).ConfigureAwait(false);
                    break;
                case "/readyz":
                    var ready = AgentReadiness.IsReady(_agent.Current, out var reason);
                    await WriteAsync(response, request, ready ? 200 : 503, PlainText, Encoding.UTF8.GetBytes(reason + "\n")).ConfigureAwait(false);
                    break;
                default:
                    var body = await ScrapeAsync(_stopping.Token).ConfigureAwait(false);
                    await WriteAsync(response, request, 200, PrometheusConstants.TextContentTypeWithVersionAndEncoding, body).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            Log.RequestFailed(_logger, ex, context.Request.Url?.AbsolutePath ?? "?", ex.Message);
            try
            {
                await WriteAsync(response, context.Request, 500, PlainText, Encoding.UTF8.GetBytes("error: " + ex.Message + "\n")).ConfigureAwait(false);
            }
            catch (Exception)
            {
                response.Abort(); // the response had started: cut it, the scraper sees a failure
            }
        }
        catch (Exception)
        {
            response.Abort();
        }
    }

    /// <summary>Reads the rule counters (or reuses a recent read) and the observable instruments, and writes the registry.</summary>
    internal async Task<byte[]> ScrapeAsync(CancellationToken cancellationToken)
    {
        await _scrapeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ruleCounters is not null)
            {
                await _ruleCounters.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }

            _bridge.Observe();
            using var buffer = new MemoryStream();
            await _registry.CollectAndExportAsTextAsync(buffer, ExpositionFormat.PrometheusText, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
        finally
        {
            _scrapeGate.Release();
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, HttpListenerRequest request, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        response.AddHeader("Cache-Control", "no-store");
        if (request.HttpMethod != "HEAD")
        {
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }

        response.Close();
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new TcpListener(address, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The prefix host: every address is the strong wildcard (so any Host header matches, as a kubelet's probe
    /// to the pod's address sends); a given address is itself, and requests must name it.</summary>
    private static string Host(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "+"
        : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]"
        : address.ToString();

    private static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "metrics and health on http://{Address}: /metrics, /healthz, /readyz ({RuleCounters})")]
        public static partial void Listening(ILogger logger, string address, string ruleCounters);

        [LoggerMessage(2, LogLevel.Debug, "port {Port} was taken before the metrics endpoint could listen on it ({Error}); trying another")]
        public static partial void PortTaken(ILogger logger, int port, string error);

        [LoggerMessage(3, LogLevel.Warning, "the metrics endpoint failed to accept a request: {Error}")]
        public static partial void AcceptFailed(ILogger logger, Exception exception, string error);

        [LoggerMessage(4, LogLevel.Warning, "the metrics endpoint failed to answer {Path}: {Error}")]
        public static partial void RequestFailed(ILogger logger, Exception exception, string path, string error);
    }
}
