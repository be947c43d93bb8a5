namespace NetPolHost.Parsing;

/// <summary>Options for <see cref="ManifestLoader"/>.</summary>
public sealed class ManifestLoaderOptions
{
    /// <summary>The largest file read, in bytes.</summary>
    /// <value>Default 256 MiB: a <c>kubectl get pods -A -o json</c> of a 10,000-pod cluster is about 100 MB.</value>
    public long MaxFileBytes { get; set; } = 256L * 1024 * 1024;
}
