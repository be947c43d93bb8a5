using System.Threading.Channels;
using NetPolHost.Sources;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>The objects of every watched resource, shared by the watchers (writers) and the reporter (reader). Only
/// changes of content (model or errors) count: a new resourceVersion with the same model is no change.</summary>
internal sealed class ClusterState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ApiResource, Dictionary<string, StoredObject>> _objects = [];
    private readonly HashSet<ApiResource> _synced = [];
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TimeProvider _time;
    private readonly int _resourceCount;
    private DateTimeOffset? _firstChange;
    private long _version;

    public ClusterState(TimeProvider time, int resourceCount)
    {
        _time = time;
        _resourceCount = resourceCount;
    }

    /// <summary>Whether every resource has been listed once (only then is a view complete).</summary>
    public bool IsSynced
    {
        get
        {
            lock (_lock)
            {
                return _synced.Count == _resourceCount;
            }
        }
    }

    /// <summary>Counts the changes: a view built at this version holds every change so far.</summary>
    public long Version
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    /// <summary>Waits until something changed since the last wait.</summary>
    public ValueTask<bool> WaitForChangeAsync(CancellationToken cancellationToken) => _changed.Reader.ReadAsync(cancellationToken);

    /// <summary>The stored version of an object, to reuse its conversion.</summary>
    public StoredObject? Find(ApiResource resource, string key)
    {
        lock (_lock)
        {
            return _objects.TryGetValue(resource, out var map) ? map.GetValueOrDefault(key) : null;
        }
    }

    /// <summary>Replaces all objects of a resource (after a list).</summary>
    public void Replace(ApiResource resource, Dictionary<string, StoredObject> objects)
    {
        lock (_lock)
        {
            var old = _objects.GetValueOrDefault(resource);
            _objects[resource] = objects;
            if (_synced.Add(resource) || old is null || !SameContent(old, objects))
            {
                Changed();
            }
        }
    }

    /// <summary>Adds or replaces one object (ADDED, MODIFIED).</summary>
    public void Upsert(ApiResource resource, StoredObject value)
    {
        lock (_lock)
        {
            var map = Map(resource);
            var old = map.GetValueOrDefault(value.Key);
            map[value.Key] = value;
            if (!value.SameContent(old))
            {
                Changed();
            }
        }
    }

    /// <summary>Removes one object (DELETED).</summary>
    public void Remove(ApiResource resource, string key)
    {
        lock (_lock)
        {
            if (Map(resource).Remove(key, out var old) && !old.IsEmpty)
            {
                Changed();
            }
        }
    }

    /// <summary>Counts per resource, for logs.</summary>
    public string Describe()
    {
        lock (_lock)
        {
            return string.Join(", ", _objects.Select(pair => $"{pair.Value.Values.Count(o => o.Model is not null)} {pair.Key.Plural}"));
        }
    }

    /// <summary>The current view: a snapshot when no object has errors, else the errors (sorted by object); and the
    /// <see cref="Version"/> it holds.</summary>
    public (SourceUpdate View, long Version) BuildView(string source)
    {
        var namespaces = new List<Model.Namespace>();
        var pods = new List<Pod>();
        var nodes = new List<Node>();
        var policies = new List<NetworkPolicy>();
        var clusterPolicies = new List<ClusterNetworkPolicy>();
        var clusterPolicyNames = new Dictionary<string, (ApiResource Resource, ClusterNetworkPolicy Policy)>(StringComparer.Ordinal);
        var errors = new List<ManifestDiagnostic>();
        DateTimeOffset changedAt;
        long version;
        lock (_lock)
        {
            version = _version;
            changedAt = _firstChange ?? _time.GetUtcNow();
            _firstChange = null;
            foreach (var (resource, stored) in _objects.SelectMany(pair => pair.Value.Values.Select(stored => (pair.Key, stored))))
            {
                errors.AddRange(stored.Errors);
                switch (stored.Model)
                {
                    case ClusterNetworkPolicy cluster when clusterPolicyNames.TryGetValue(cluster.Name, out var other):
                        errors.Add(SameName(resource, cluster, other.Resource, other.Policy));
                        break;
                    case ClusterNetworkPolicy cluster:
                        clusterPolicyNames[cluster.Name] = (resource, cluster);
                        clusterPolicies.Add(cluster);
                        break;
                    case Model.Namespace ns:
                        namespaces.Add(ns);
                        break;
                    case Pod pod:
                        pods.Add(pod);
                        break;
                    case Node node:
                        nodes.Add(node);
                        break;
                    case NetworkPolicy policy:
                        policies.Add(policy);
                        break;
                }
            }
        }

        if (errors.Count > 0)
        {
            errors.Sort((a, b) =>
            {
                var byFile = string.CompareOrdinal(a.File, b.File);
                return byFile != 0 ? byFile : a.Line != b.Line ? a.Line.CompareTo(b.Line) : a.Column.CompareTo(b.Column);
            });
            return (new SourceUpdate(source, null, errors, changedAt), version);
        }

        return (new SourceUpdate(source, ClusterSnapshot.Create(namespaces, pods, nodes, null, policies, clusterPolicies), [], changedAt), version);
    }

    /// <summary>The error for two cluster-wide policies of different kinds with one name (the snapshot holds them by
    /// name), as the manifest loader reports it; the kinds are ordered so the message does not depend on the order of
    /// the watchers.</summary>
    private static ManifestDiagnostic SameName(ApiResource resource, ClusterNetworkPolicy policy, ApiResource otherResource, ClusterNetworkPolicy other)
    {
        if (string.CompareOrdinal(resource.Kind, otherResource.Kind) > 0)
        {
            (resource, policy, otherResource, other) = (otherResource, other, resource, policy);
        }

        var path = resource.ObjectPath(string.Empty, policy.Name);
        var identity = $"{resource.Kind} {policy.Name}";
        return new ManifestDiagnostic(
            DiagnosticSeverity.Error,
            path,
            1,
            1,
            string.Empty,
            $"expected one cluster-wide policy per name, found {identity} and {otherResource.Kind} {other.Name} (at {otherResource.ObjectPath(string.Empty, other.Name)}): NetPolHost holds ClusterNetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicies by name; rename one, or delete the one a migration replaced") { Object = identity };
    }

    private Dictionary<string, StoredObject> Map(ApiResource resource)
    {
        if (!_objects.TryGetValue(resource, out var map))
        {
            map = new Dictionary<string, StoredObject>(StringComparer.Ordinal);
            _objects[resource] = map;
        }

        return map;
    }

    private void Changed()
    {
        _version++;
        _firstChange ??= _time.GetUtcNow();
        _changed.Writer.TryWrite(true);
    }

    private static bool SameContent(Dictionary<string, StoredObject> old, Dictionary<string, StoredObject> now) =>
        old.Values.Count(o => !o.IsEmpty) == now.Values.Count(o => !o.IsEmpty)
        && now.Values.All(o => o.SameContent(old.GetValueOrDefault(o.Key)));
}
