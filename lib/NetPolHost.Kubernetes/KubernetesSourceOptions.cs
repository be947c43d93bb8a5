using k8s;

namespace NetPolHost.Kubernetes;

/// <summary>Options of <see cref="KubernetesClusterSource"/> (bind section <c>NetPolHost:Kubernetes</c>).</summary>
/// <remarks>
/// Which API server: <see cref="ClientConfiguration"/> when set; else the kubeconfig at <see cref="KubeconfigPath"/>;
/// else, much as kubectl does, the first existing file in <c>KUBECONFIG</c>, then <c>~/.kube/config</c>, then the pod's
/// service account when running in a cluster.
/// </remarks>
public sealed class KubernetesSourceOptions
{
    /// <summary>The kubeconfig file to read the API server and credentials from.</summary>
    /// <value>Default <see langword="null"/>: <c>KUBECONFIG</c>, <c>~/.kube/config</c>, or the in-cluster service account.</value>
    public string? KubeconfigPath { get; set; }

    /// <summary>The kubeconfig context to use.</summary>
    /// <value>Default <see langword="null"/>: the kubeconfig's current context.</value>
    public string? Context { get; set; }

    /// <summary>A ready client configuration (API server, credentials, TLS); when set, <see cref="KubeconfigPath"/> and
    /// <see cref="Context"/> are not used.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public KubernetesClientConfiguration? ClientConfiguration { get; set; }

    /// <summary>The first wait after a failed request (connection refused, a broken watch, a 5xx answer); each further
    /// failure doubles it up to <see cref="MaxBackoff"/>, and each wait is a random 50–100 % of that (jitter, so that the
    /// agents of many nodes do not retry in step).</summary>
    /// <value>Default 1 second; between 1 ms and <see cref="MaxBackoff"/>.</value>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries.</summary>
    /// <value>Default 30 seconds; at most 1 hour.</value>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The shortest time between two reported views: a burst of changes (a rollout, a namespace relabelled)
    /// is reported as one view.</summary>
    /// <value>Default 100 ms; between 0 and 1 minute.</value>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the API server keeps a watch open before closing it (the source then watches again from where
    /// it was); each watch asks for a random time between this and twice this. Also how often a resource that is not
    /// served (a ClusterNetworkPolicy CRD not installed) is asked for again.</summary>
    /// <value>Default 5 minutes; between 1 second and 1 hour.</value>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one list request (one page) may take.</summary>
    /// <value>Default 1 minute; between 1 second and 1 hour.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many objects to ask for per list page (<c>limit</c>).</summary>
    /// <value>Default 500; between 1 and 100,000.</value>
    public int PageSize { get; set; } = 500;
}
