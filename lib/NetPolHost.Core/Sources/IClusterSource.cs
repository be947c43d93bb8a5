using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Sources;

/// <summary>A complete view from one source: a snapshot, or the errors that kept the source from producing one.</summary>
/// <param name="Source">The source's name.</param>
/// <param name="Snapshot">The objects, or <see langword="null"/> when the source could not produce a valid view.</param>
/// <param name="Errors">Why the view is not valid (empty when it is).</param>
/// <param name="ChangedAt">When the change that led to this view was first seen (for latency figures).</param>
public sealed record SourceUpdate(string Source, ClusterSnapshot? Snapshot, IReadOnlyList<ManifestDiagnostic> Errors, DateTimeOffset ChangedAt)
{
    /// <summary>Whether the view is valid and can be enforced.</summary>
    public bool IsValid => Snapshot is not null && Errors.Count == 0;
}

/// <summary>Something that knows (part of) the cluster: manifest files, the Kubernetes API…</summary>
/// <remarks>
/// A source runs until cancelled and reports each complete new view through the callback. It reports a view once at
/// start (the node agent enforces nothing until every source has), then after every change. An invalid view is
/// reported with its errors; the agent then keeps enforcing the last valid state.
/// </remarks>
public interface IClusterSource
{
    /// <summary>A short name for logs and metrics, e.g. <c>files</c> or <c>kubernetes</c>.</summary>
    string Name { get; }

    /// <summary>Runs the source.</summary>
    /// <param name="report">Receives each new view.</param>
    /// <param name="cancellationToken">Stops the source.</param>
    /// <returns>A task that ends when the source stops.</returns>
    Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken);
}
