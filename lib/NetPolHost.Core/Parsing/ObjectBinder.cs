using System.Globalization;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Parsing;

/// <summary>
/// Turns one object's <see cref="TreeNode"/> tree into a model object, with the API server's strictness: unknown fields,
/// duplicate fields and wrong types are errors (for NetworkPolicy and HostEndpoint); for Pods, Namespaces and Nodes only
/// the fields NetPolHost reads are checked. Every error carries the field path and the position of the value.
/// </summary>
internal sealed partial class ObjectBinder
{
    private static readonly string[] s_objectFields = ["apiVersion", "kind", "metadata", "spec", "status"];
    private static readonly string[] s_metadataFields =
    [
        "name", "namespace", "labels", "annotations", "generateName", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers",
        "managedFields", "selfLink",
    ];

    private readonly List<(string Path, int Line, int Column, string Message)> _errors = [];
    private readonly List<(int Line, int Column, string Path, string Message)> _notes = [];
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    // Entries that could not be bound: the model holds a placeholder there (so later entries keep their index, and
    // validation paths match the manifest), and validation errors at or inside them are not reported.
    private readonly HashSet<string> _unbound = new(StringComparer.Ordinal);

    // The paths of the binder's own errors, indexed when validation starts (validation errors never hide each other).
    private PathSet? _bindErrorPaths;
    private bool _strict;

    public IReadOnlyList<(string Path, int Line, int Column, string Message)> Errors => _errors;

    public IReadOnlyList<(int Line, int Column, string Path, string Message)> Notes => _notes;

    /// <summary>Binds an object whose kind is known to be one NetPolHost reads.</summary>
    public static bool IsKnownKind(string kind) => kind is "NetworkPolicy" or "Namespace" or "Pod" or "Node" or "HostEndpoint"
        or "ClusterNetworkPolicy" or "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy";

    public BoundObject Bind(MappingNode root, string kind, string apiVersion)
    {
        Position(string.Empty, root);
        return kind switch
        {
            "NetworkPolicy" => BindPolicy(root, apiVersion),
            "Namespace" => BindNamespace(root, apiVersion),
            "Pod" => BindPod(root, apiVersion),
            "Node" => BindNode(root, apiVersion),
            "HostEndpoint" => BindHostEndpoint(root, apiVersion),
            "ClusterNetworkPolicy" => BindClusterPolicy(root, apiVersion, ClusterPolicyKind.Cluster),
            "AdminNetworkPolicy" => BindClusterPolicy(root, apiVersion, ClusterPolicyKind.Admin),
            "BaselineAdminNetworkPolicy" => BindClusterPolicy(root, apiVersion, ClusterPolicyKind.Baseline),
            _ => throw new InvalidOperationException("Unknown kind " + kind),
        };
    }

    /// <summary>The position of a field path, or of its nearest bound ancestor.</summary>
    public (int Line, int Column) PositionOf(string path)
    {
        while (true)
        {
            if (_positions.TryGetValue(path, out var position))
            {
                return position;
            }

            if (path.Length == 0)
            {
                return (1, 1);
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            path = cut <= 0 ? string.Empty : path[..cut];
        }
    }

    /// <summary>Whether the binder already reported an error that a validation error at <paramref name="path"/> would
    /// only repeat: at the path, inside it, on an enclosing field (what is inside could not be read), or, for
    /// <c>endPort</c>, on the <c>port</c> beside it (an unreadable port reads as "no port").</summary>
    /// <remarks>Only errors of the binder count: validation errors never hide each other. The errors are indexed by
    /// path, so an object with many errors of both kinds costs time linear in their number, not quadratic.</remarks>
    public bool HasErrorNear(string path)
    {
        var errors = _bindErrorPaths ?? IndexBindErrors();
        if (errors.Find(path).Any)
        {
            return true;
        }

        if (!path.EndsWith(".endPort", StringComparison.Ordinal))
        {
            return false;
        }

        var port = errors.Find(path[..^"endPort".Length] + "port");
        return port.Same || port.Inside;
    }

    private PathSet IndexBindErrors()
    {
        var paths = new PathSet();
        foreach (var error in _errors)
        {
            paths.Add(error.Path);
        }

        return paths;
    }

    private bool IsUnbound(string path)
    {
        if (_unbound.Count == 0)
        {
            return false;
        }

        while (true)
        {
            if (_unbound.Contains(path))
            {
                return true;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return false;
            }

            path = path[..cut];
        }
    }

    // ---- Shared parts ---------------------------------------------------------------------------------------

    private void CheckApiVersion(MappingNode root, string apiVersion, string expected, string kind)
    {
        if (apiVersion == expected)
        {
            return;
        }

        var node = (TreeNode?)root.Get("apiVersion") ?? root;
        if (apiVersion.Length == 0)
        {
            Error(node, "apiVersion", $"expected apiVersion {Quote(expected)} for kind {kind}, found none");
        }
        else if (kind == "NetworkPolicy" && apiVersion is "extensions/v1beta1" or "networking.k8s.io/v1beta1")
        {
            Error(node, "apiVersion", $"expected apiVersion {Quote(expected)}, found {Quote(apiVersion)}, which Kubernetes no longer serves for NetworkPolicy");
        }
        else
        {
            Error(node, "apiVersion", $"expected apiVersion {Quote(expected)} for kind {kind}, found {Quote(apiVersion)}");
        }
    }

    private (string Name, string Namespace, LabelMap Labels) Metadata(MappingNode root, bool requireNamespace)
    {
        var metadata = Map(root.Get("metadata"), "metadata");
        if (metadata is null)
        {
            if (IsAbsent(root.Get("metadata")))
            {
                Error(root, "metadata", "expected metadata with a name, found none");
            }

            return (string.Empty, string.Empty, LabelMap.Empty);
        }

        if (_strict)
        {
            CheckFields(metadata, "metadata", s_metadataFields);
        }

        var name = String(metadata.Get("name"), "metadata.name") ?? string.Empty;
        var ns = requireNamespace ? String(metadata.Get("namespace"), "metadata.namespace") ?? string.Empty : string.Empty;
        var labels = Labels(metadata.Get("labels"), "metadata.labels");
        if (metadata.Get("annotations") is { } annotations)
        {
            _ = Labels(annotations, "metadata.annotations", validateOnly: true);
        }

        return (name, ns, labels);
    }

    // ---- Bookkeeping ----------------------------------------------------------------------------------------

    private void CheckFields(MappingNode map, string path, string[] known)
    {
        for (var i = 0; i < map.Entries.Count; i++)
        {
            var key = map.Entries[i].Key;
            if (Array.IndexOf(known, key.Value) >= 0)
            {
                continue;
            }

            Error(key, Join(path, key.Value), Hints.UnknownField(map, i, known));
        }
    }

    private void AddValidationError(ValidationError error)
    {
        _bindErrorPaths ??= IndexBindErrors();
        if (IsUnbound(error.Path) || HasErrorNear(error.Path))
        {
            return;
        }

        var (line, column) = PositionOf(error.Path);
        _errors.Add((error.Path, line, column, error.Message));
    }

    private void Position(string path, TreeNode node) => _positions.TryAdd(path, (node.Line, node.Column));

    private void Error(TreeNode node, string path, string message) => _errors.Add((path, node.Line, node.Column, message));

    private void Note(TreeNode node, string path, string message) => _notes.Add((node.Line, node.Column, path, message));

    private static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    private static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private static string Quote(string value) => ScalarNode.Quote(value);
}
