using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>Compiles the plan of one node again and again as the cluster changes, recomputing only what a change
/// touches; each plan equals the one <see cref="RulePlanCompiler.Compile(ClusterSnapshot, RulePlanOptions)"/> gives for
/// the same snapshot.</summary>
/// <remarks>
/// <para>The compiler keeps the snapshot it compiled last and, per NetworkPolicy peer definition (selectors and scope),
/// the addresses it selects, and per egress rule with named ports, their resolution. Given the next snapshot it compares
/// the two: a pod added, removed or changed is taken out of the peer sets whose selectors matched it and put into those
/// that match it now (likewise for the named-port resolutions), or those sets are computed again when one of its
/// addresses is shared by several workloads; a namespace relabelled drops the sets whose namespace selectors judge the
/// old and new labels differently; an edited policy brings new definitions, computed on first use. Everything
/// else is reused; rule ids, hosts keys and the order of entries come out as in a full compilation, which walks the
/// same policies in the same order. A change of host endpoints starts afresh; ClusterNetworkPolicy peers are computed
/// on every call.</para>
/// <para>Not thread-safe: one caller at a time (the node agent's loop). A call that throws forgets everything, so the
/// next one compiles in full.</para>
/// </remarks>
public sealed class IncrementalPlanCompiler
{
    private readonly CompileCache _cache = new();
    private ClusterIndex? _index;

    /// <summary>Creates a compiler for one node.</summary>
    /// <param name="options">The node.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The node name is empty.</exception>
    public IncrementalPlanCompiler(RulePlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.NodeName);
        Options = options;
    }

    /// <summary>The node the plans are for.</summary>
    public RulePlanOptions Options { get; }

    /// <summary>Peer sets the last <see cref="Compile"/> reused and computed.</summary>
    internal (int Reused, int Computed) LastPeerSets { get; private set; }

    /// <summary>Whether the last <see cref="Compile"/> started afresh.</summary>
    internal bool LastWasFull { get; private set; }

    /// <summary>Compiles the plan for <paramref name="snapshot"/>, reusing what the last call computed that the changes
    /// since its snapshot leave valid.</summary>
    /// <param name="snapshot">The cluster now.</param>
    /// <returns>The plan, equal to a full compilation's.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="snapshot"/> is <see langword="null"/>.</exception>
    public RulePlan Compile(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var previous = _index;
        _index = null;
        RulePlan plan;
        ClusterIndex index;
        try
        {
            index = new ClusterIndex(snapshot, previous);
            LastWasFull = previous is null || !Invalidate(previous, index);
            if (LastWasFull)
            {
                _cache.Clear();
            }

            _cache.ResetCounts();
            plan = RulePlanCompiler.Compile(index, Options, _cache);
        }
        catch
        {
            _cache.Clear();
            throw;
        }

        LastPeerSets = _cache.PeerSets;
        _index = index;
        return plan;
    }

    /// <summary>Brings the cache up to date with the changes from one index's snapshot to the other's; false when
    /// the compiler must start afresh.</summary>
    private bool Invalidate(ClusterIndex beforeIndex, ClusterIndex afterIndex)
    {
        var before = beforeIndex.Snapshot;
        var after = afterIndex.Snapshot;
        if (ReferenceEquals(before, after))
        {
            return true;
        }

        // Host endpoints are workloads too, selected by peers and resolving named ports: rare changes, compiled afresh.
        if (!before.HostEndpoints.Equals(after.HostEndpoints))
        {
            return false;
        }

        var pods = Changes(before.Pods, after.Pods, p => (p.Namespace, p.Name));
        var names = new SortedSet<string>(before.Namespaces.Select(n => n.Name).Concat(after.Namespaces.Select(n => n.Name)), StringComparer.Ordinal);
        var namespaces = new List<(string Name, LabelMap Old, LabelMap New)>();
        foreach (var name in names)
        {
            var old = before.NamespaceLabels(name);
            var now = after.NamespaceLabels(name);
            if (!old.Equals(now))
            {
                namespaces.Add((name, old, now));
            }
        }

        _cache.Invalidate(beforeIndex, afterIndex, pods, namespaces);
        return true;
    }

    /// <summary>The objects that differ between two lists sorted by key (ordinal): pairs of old and new, either null
    /// when the object was added or removed.</summary>
    private static List<(T? Old, T? New)> Changes<T>(ValueList<T> before, ValueList<T> after, Func<T, (string, string)> key)
        where T : class
    {
        var changes = new List<(T?, T?)>();
        int i = 0, j = 0;
        while (i < before.Count || j < after.Count)
        {
            if (i == before.Count)
            {
                changes.Add((null, after[j++]));
                continue;
            }

            if (j == after.Count)
            {
                changes.Add((before[i++], null));
                continue;
            }

            if (ReferenceEquals(before[i], after[j]))
            {
                // The same object: the same key, unchanged (most of a large cluster between two snapshots).
                i++;
                j++;
                continue;
            }

            var (a1, a2) = key(before[i]);
            var (b1, b2) = key(after[j]);
            var c = string.CompareOrdinal(a1, b1);
            if (c == 0)
            {
                c = string.CompareOrdinal(a2, b2);
            }

            if (c < 0)
            {
                changes.Add((before[i++], null));
            }
            else if (c > 0)
            {
                changes.Add((null, after[j++]));
            }
            else
            {
                var old = before[i++];
                var now = after[j++];
                if (!ReferenceEquals(old, now) && !old.Equals(now))
                {
                    changes.Add((old, now));
                }
            }
        }

        return changes;
    }
}
