namespace NetPolHost.Parsing;

/// <summary>Options for <see cref="ManifestLoader"/>.</summary>
public sealed class ManifestLoaderOptions
{
    /// <summary>The largest file read, in bytes.</summary>
    /// <value>Default 256 MiB: a <c>kubectl get pods -A -o json</c> of a 10,000-pod cluster is about 100 MB.</value>
    public long MaxFileBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The namespace of namespaced objects (pods, policies, Services, host endpoints) that name none or an
    /// empty one, as kubectl takes it from its context (<c>-n</c>); <see langword="null"/> to report such objects as
    /// errors.</summary>
    /// <remarks>A <see cref="ManifestFileCache"/> holds objects read with the value of its first load: give it loads
    /// with one value.</remarks>
    public string? DefaultNamespace { get; set; }
}
