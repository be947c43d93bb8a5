using System.Globalization;
using NetPolHost.Model;
using NetPolHost.Validation;

namespace NetPolHost.Parsing;

/// <summary>
/// Turns one object's <see cref="TreeNode"/> tree into a model object, with the API server's strictness: unknown fields
/// and wrong types are errors (for NetworkPolicy and HostEndpoint); for Pods, Namespaces, Nodes and Services only the
/// fields NetPolHost reads are checked. A key given twice is an error in every object, at any depth, as kubectl has it.
/// Every error carries the field path and the position of the value.
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

    /// <summary>The namespace of namespaced objects that name none (kubectl's context namespace), or
    /// <see langword="null"/> to report them.</summary>
    public string? DefaultNamespace { get; init; }

    /// <summary>Whether the object is a whole document (not an item of a List): a key given twice at its top level
    /// then most likely comes from two documents without <c>---</c> between them.</summary>
    public bool IsDocumentRoot { get; init; }

    /// <summary>Binds an object whose kind is known to be one NetPolHost reads.</summary>
    public static bool IsKnownKind(string kind) => kind is "NetworkPolicy" or "Namespace" or "Pod" or "Node" or "HostEndpoint" or "Service"
        or "ClusterNetworkPolicy" or "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy";

    public BoundObject Bind(MappingNode root, string kind, string apiVersion)
    {
        Position(string.Empty, root);
        foreach (var (key, path, message) in DuplicateKeys(root, IsDocumentRoot))
        {
            Error(key, path, message);
        }

        return kind switch
        {
            "NetworkPolicy" => BindPolicy(root, apiVersion),
            "Namespace" => BindNamespace(root, apiVersion),
            "Pod" => BindPod(root, apiVersion),
            "Node" => BindNode(root, apiVersion),
            "HostEndpoint" => BindHostEndpoint(root, apiVersion),
            "Service" => BindService(root, apiVersion),
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
        var ns = string.Empty;
        if (requireNamespace)
        {
            // An empty namespace, like a missing one, is the context's namespace for kubectl.
            var node = metadata.Get("namespace");
            var given = String(node, "metadata.namespace");
            var unset = node is null or ScalarNode { Kind: ScalarKind.Null } or ScalarNode { Kind: ScalarKind.String, Value: "" };
            ns = unset && DefaultNamespace is not null ? DefaultNamespace : given ?? string.Empty;
        }

        var labels = Labels(metadata.Get("labels"), "metadata.labels");
        if (metadata.Get("annotations") is { } annotations)
        {
            _ = Labels(annotations, "metadata.annotations", validateOnly: true);
        }

        return (name, ns, labels);
    }

    /// <summary>Every key given twice in an object, at any depth: the second key, its field path and the message.
    /// Only the first value of such a key is read, so a second one is lost unless reported; kubectl rejects them.</summary>
    /// <param name="root">The object.</param>
    /// <param name="documentRoot">Whether the object is a whole document: its own keys given twice then get the hint
    /// that two documents may have been joined without <c>---</c>.</param>
    /// <param name="recursive">Whether to look inside the values too (not for a List, whose items are objects of their own).</param>
    /// <returns>The duplicates, in document order.</returns>
    internal static List<(ScalarNode Key, string Path, string Message)> DuplicateKeys(MappingNode root, bool documentRoot, bool recursive = true)
    {
        var found = new List<(ScalarNode, string, string)>();
        var visited = new HashSet<TreeNode>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(TreeNode Node, string Path)>();
        pending.Push((root, string.Empty));
        while (pending.Count > 0)
        {
            var (node, path) = pending.Pop();
            if (!visited.Add(node))
            {
                // An alias: the same node was looked at where it was defined.
                continue;
            }

            if (node is MappingNode map)
            {
                foreach (var (key, firstLine) in map.Duplicates ?? [])
                {
                    var hint = documentRoot && ReferenceEquals(map, root) ? "; did you forget '---' between documents?" : string.Empty;
                    found.Add((key, Join(path, key.Value), $"expected each field once, found {Quote(key.Value)} again (first at line {firstLine.ToString(CultureInfo.InvariantCulture)}){hint}"));
                }

                if (recursive)
                {
                    for (var i = map.Entries.Count - 1; i >= 0; i--)
                    {
                        pending.Push((map.Entries[i].Value, Join(path, map.Entries[i].Key.Value)));
                    }
                }
            }
            else if (node is SequenceNode sequence && recursive)
            {
                for (var i = sequence.Items.Count - 1; i >= 0; i--)
                {
                    pending.Push((sequence.Items[i], Index(path, i)));
                }
            }
        }

        return found;
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
