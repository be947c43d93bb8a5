using System.Globalization;
using NetPolHost.Model;

namespace NetPolHost.Parsing;

/// <content>The state of one load: diagnostics, objects, and the duplicate check.</content>
public sealed partial class ManifestLoader
{
    private sealed class Session
    {
        private readonly List<ManifestDiagnostic> _errors = [];
        private readonly List<ManifestDiagnostic> _notes = [];
        private readonly Dictionary<string, (string File, int Line)> _seen = new(StringComparer.Ordinal);
        private readonly List<Model.Namespace> _namespaces = [];
        private readonly List<Pod> _pods = [];
        private readonly List<Node> _nodes = [];
        private readonly List<HostEndpoint> _hostEndpoints = [];
        private readonly List<NetworkPolicy> _policies = [];
        private readonly List<Service> _services = [];
        private readonly List<ClusterNetworkPolicy> _clusterPolicies = [];
        private readonly Dictionary<string, (string Identity, string File, int Line)> _clusterPolicyNames = new(StringComparer.Ordinal);
        private readonly List<(string File, BoundObject Bound)> _placed = [];
        private readonly List<BoundObject> _objects = [];
        private readonly Dictionary<string, FieldLocations> _locations = new(StringComparer.Ordinal);

        public List<string> Files { get; } = [];

        /// <summary>The namespace of objects that name none, or <see langword="null"/>.</summary>
        public string? DefaultNamespace { get; init; }

        /// <summary>Whether the places of the fields of policies are recorded.</summary>
        public bool RecordPolicyFields { get; init; }

        /// <summary>The number of errors so far.</summary>
        public int ErrorCount => _errors.Count;

        /// <summary>How many documents (or List items) looked like Kubernetes objects: mappings with a kind or an apiVersion.</summary>
        public int ObjectDocuments { get; set; }

        /// <summary>Replaces the errors found since <paramref name="count"/> of them were found by one.</summary>
        public void ReplaceErrorsSince(int count, ManifestDiagnostic replacement)
        {
            _errors.RemoveRange(count, _errors.Count - count);
            _errors.Add(replacement);
        }

        public ManifestFileCache.Entry Capture((long Length, DateTime WriteTime) stamp) =>
            new(stamp.Length, stamp.WriteTime, [.. _objects], [.. _errors, .. _notes]);

        public void Replay(ManifestFileCache.Entry entry, string file)
        {
            Files.Add(file);
            foreach (var diagnostic in entry.Diagnostics)
            {
                Add(diagnostic);
            }

            foreach (var bound in entry.Objects)
            {
                AddObject(bound, file);
            }
        }

        public void Error(string file, int line, int column, string path, string message) =>
            _errors.Add(new ManifestDiagnostic(DiagnosticSeverity.Error, file, line, column, path, message));

        public void Note(string file, int line, int column, string path, string message) =>
            _notes.Add(new ManifestDiagnostic(DiagnosticSeverity.Note, file, line, column, path, message));

        public void Add(ManifestDiagnostic diagnostic) =>
            (diagnostic.Severity == DiagnosticSeverity.Error ? _errors : _notes).Add(diagnostic);

        public void AddObject(BoundObject bound, string file)
        {
            if (_seen.TryGetValue(bound.Identity, out var first))
            {
                _errors.Add(new ManifestDiagnostic(
                    DiagnosticSeverity.Error,
                    file,
                    bound.Line,
                    bound.Column,
                    string.Empty,
                    $"expected each object once, found {bound.Identity} again (first at {first.File}:{first.Line.ToString(CultureInfo.InvariantCulture)})") { Object = bound.Identity });
                return;
            }

            if (bound.Value is ClusterNetworkPolicy cluster)
            {
                // ClusterNetworkPolicies and the v1alpha1 kinds converted to them share one name space in the snapshot.
                if (_clusterPolicyNames.TryGetValue(cluster.Name, out var other))
                {
                    _errors.Add(new ManifestDiagnostic(
                        DiagnosticSeverity.Error,
                        file,
                        bound.Line,
                        bound.Column,
                        string.Empty,
                        $"expected one cluster-wide policy per name, found {bound.Identity} and {other.Identity} (at {other.File}:{other.Line.ToString(CultureInfo.InvariantCulture)}): NetPolHost holds ClusterNetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicies by name; rename one, or delete the one a migration replaced") { Object = bound.Identity });
                    return;
                }

                _clusterPolicyNames[cluster.Name] = (bound.Identity, file, bound.Line);
                _clusterPolicies.Add(cluster);
            }

            _seen[bound.Identity] = (file, bound.Line);
            _objects.Add(bound);
            if (bound.Fields is { } fields)
            {
                _locations[bound.Identity] = new FieldLocations(bound.Identity, file, bound.Line, bound.Column, fields);
            }

            _placed.Add((file, bound));
            switch (bound.Value)
            {
                case NetworkPolicy policy:
                    _policies.Add(policy);
                    break;
                case Model.Namespace ns:
                    _namespaces.Add(ns);
                    break;
                case Pod pod:
                    _pods.Add(pod);
                    break;
                case Node node:
                    _nodes.Add(node);
                    break;
                case HostEndpoint endpoint:
                    _hostEndpoints.Add(endpoint);
                    break;
                case Service service:
                    _services.Add(service);
                    break;
            }
        }

        /// <summary>Notes each namespace without a Namespace object when policies select namespaces by labels, at the
        /// first object in it.</summary>
        private void NoteUnlistedNamespaces(ClusterSnapshot snapshot)
        {
            foreach (var unlisted in UnlistedNamespace.Find(snapshot))
            {
                foreach (var (file, bound) in _placed)
                {
                    if (NamespaceOf(bound.Value) == unlisted.Name)
                    {
                        _notes.Add(new ManifestDiagnostic(DiagnosticSeverity.Note, file, bound.Line, bound.Column, string.Empty, unlisted.Message) { Object = bound.Identity });
                        break;
                    }
                }
            }

            static string? NamespaceOf(object? value) => value switch
            {
                Pod pod => pod.Namespace,
                HostEndpoint endpoint => endpoint.Namespace,
                NetworkPolicy policy => policy.Namespace,
                Service service => service.Namespace,
                _ => null,
            };
        }

        public LoadResult Finish()
        {
            static List<ManifestDiagnostic> Sorted(List<ManifestDiagnostic> list) =>
                [.. list.Select((d, i) => (d, i)).OrderBy(x => x.d.File, StringComparer.Ordinal).ThenBy(x => x.d.Line).ThenBy(x => x.d.Column).ThenBy(x => x.i).Select(x => x.d)];

            var snapshot = ClusterSnapshot.Create(_namespaces, _pods, _nodes, _hostEndpoints, _policies, _clusterPolicies, _services);
            NoteUnlistedNamespaces(snapshot);
            return new LoadResult(snapshot, Sorted(_errors), Sorted(_notes), Files) { PolicyLocations = _locations };
        }
    }
}
