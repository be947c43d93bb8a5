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
    public string? DefaultNamespace { get; set; }

    /// <summary>Whether a loader keeps what it parsed, so that its next load reads again only the files whose size or
    /// write time changed (watchers of large folders use this). Such a loader is not thread-safe.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool ReuseUnchangedFiles { get; set; }

    /// <summary>Whether the load records where the fields of each NetworkPolicy and cluster policy are
    /// (<see cref="LoadResult.PolicyLocations"/>), for tools that point at fields, such as the linter. Only a compact
    /// map from field path to line and column is kept per policy, never a parse tree; other objects keep nothing.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool RecordPolicyFieldLocations { get; set; }
}
