using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetPolHost.Sources;
using NetPolHost.Kubernetes.Internal;

namespace NetPolHost.Kubernetes;

/// <summary>
/// The Kubernetes API as a source: lists and watches Namespaces, Pods, Nodes and NetworkPolicies of the whole cluster
/// (pods on every node, since peers on other nodes matter) and reports a complete view after the first lists and after
/// every change.
/// </summary>
/// <remarks>
/// <para>Each object is converted exactly as a manifest file would be: its JSON, as the API server sent it, goes through
/// <see cref="Parsing.ManifestLoader"/>, so normalisation, validation and error messages are the same. Conversions are
/// cached per uid and resourceVersion: a change converts only the object that changed, and a change that does not alter
/// the model (a pod's status conditions) gives no new view. An object with errors makes the view invalid, reported with
/// the errors; the node agent then keeps the last valid state in force. Pods that have finished (phase Succeeded or
/// Failed) are left out, since their addresses may already belong to other pods.</para>
/// <para>Watches resume from the last resourceVersion seen (events and bookmarks). When the API server answers
/// <c>410 Gone</c> (an expired resourceVersion, as an HTTP status or an ERROR event) the resource is listed again. Other
/// failures (connection refused, a broken watch, 5xx answers, timeouts) are retried with exponential backoff and jitter
/// (<see cref="KubernetesSourceOptions.InitialBackoff"/> doubling up to <see cref="KubernetesSourceOptions.MaxBackoff"/>);
/// meanwhile nothing is reported, so the last view stays in force. Bursts of changes are reported as one view, at most
/// one per <see cref="KubernetesSourceOptions.ReportInterval"/>.</para>
/// <para>ClusterNetworkPolicies (<c>policy.networking.k8s.io/v1alpha2</c>) and the v1alpha1 AdminNetworkPolicies and
/// BaselineAdminNetworkPolicies are watched too, where their CRDs are installed: a resource the API server does not serve
/// (404 on the list) is logged once, at information level, holds no objects, and is asked for again every
/// <see cref="KubernetesSourceOptions.WatchTimeout"/>. Two cluster-wide policies of different kinds with the same name
/// make the view invalid, as in manifest files.</para>
/// <para>Needs get, list and watch on namespaces, pods, nodes, networkpolicies.networking.k8s.io, and
/// clusternetworkpolicies, adminnetworkpolicies and baselineadminnetworkpolicies in policy.networking.k8s.io.</para>
/// </remarks>
public sealed partial class KubernetesClusterSource : IClusterSource
{
    private readonly IOptions<KubernetesSourceOptions> _optionsAccessor;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Creates the source.</summary>
    /// <param name="options">Where the API server is, and the timings.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    /// <param name="time">The clock, or <see langword="null"/> for the system clock.</param>
    public KubernetesClusterSource(KubernetesSourceOptions options, ILogger<KubernetesClusterSource>? logger = null, TimeProvider? time = null)
        : this(Options.Create(options ?? throw new ArgumentNullException(nameof(options))), logger, time)
    {
    }

    /// <summary>Creates the source from options read when it runs (so start-up validation reports them first).</summary>
    /// <param name="options">Where the API server is, and the timings.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    /// <param name="time">The clock, or <see langword="null"/> for the system clock.</param>
    public KubernetesClusterSource(IOptions<KubernetesSourceOptions> options, ILogger<KubernetesClusterSource>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _optionsAccessor = options;
        _logger = logger ?? NullLogger<KubernetesClusterSource>.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public string Name => "kubernetes";

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">No API server is configured (no kubeconfig, not in a cluster).</exception>
    /// <exception cref="k8s.Exceptions.KubeConfigException">The kubeconfig cannot be used.</exception>
    public async Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var options = _optionsAccessor.Value;
        using var api = new ApiClient(KubernetesConnection.Configure(options));
        Log.Starting(_logger, api.BaseUri.ToString());
        var state = new ClusterState(_time, ApiResource.All.Count);
        var converter = new ObjectConverter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchers = ApiResource.All
            .Select(resource => new ResourceWatcher(resource, api, state, converter, options, _time, _logger, new Random()))
            .Select(watcher => Task.Run(() => watcher.RunAsync(stop.Token), CancellationToken.None))
            .ToList();
        var anyWatcherEnded = Task.WhenAny(watchers).Unwrap();
        try
        {
            var reported = false;
            var reportedVersion = -1L;
            long lastReport = 0;
            while (true)
            {
                var changed = state.WaitForChangeAsync(cancellationToken).AsTask();
                if (await Task.WhenAny(changed, anyWatcherEnded).ConfigureAwait(false) == anyWatcherEnded)
                {
                    await anyWatcherEnded.ConfigureAwait(false); // Rethrows: a watcher only ends when cancelled.
                    throw new InvalidOperationException("A watcher of the Kubernetes source stopped.");
                }

                await changed.ConfigureAwait(false);
                if (!state.IsSynced || state.Version == reportedVersion)
                {
                    // Nothing before every resource was listed (a partial view would isolate too much), and nothing
                    // for a signal whose change the last view already held.
                    continue;
                }

                var wait = options.ReportInterval - _time.GetElapsedTime(lastReport);
                if (reported && wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }

                var (update, version) = state.BuildView(Name);
                if (!update.IsValid)
                {
                    Log.Invalid(_logger, update.Errors.Count, update.Errors[0].ToString());
                }
                else if (!reported)
                {
                    Log.Synced(_logger, state.Describe());
                }

                await report(update, cancellationToken).ConfigureAwait(false);
                reported = true;
                reportedVersion = version;
                lastReport = _time.GetTimestamp();
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watchers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "watching the Kubernetes API at {Server}: namespaces, pods, nodes, networkpolicies; clusternetworkpolicies, adminnetworkpolicies and baselineadminnetworkpolicies where served")]
        public static partial void Starting(ILogger logger, string server);

        [LoggerMessage(2, LogLevel.Information, "the Kubernetes API view is complete: {Counts}")]
        public static partial void Synced(ILogger logger, string counts);

        [LoggerMessage(3, LogLevel.Warning, "objects from the Kubernetes API are not valid ({Count} errors; first: {First}); the last valid state stays in force")]
        public static partial void Invalid(ILogger logger, int count, string first);
    }
}
