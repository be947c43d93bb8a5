using NetPolHost.Parsing;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>One API object as the source keeps it: its identity and version, and what the manifest loader made of it.</summary>
/// <param name="Key"><c>namespace/name</c>, or the name of a cluster-scoped object.</param>
/// <param name="Uid"><c>metadata.uid</c>.</param>
/// <param name="ResourceVersion"><c>metadata.resourceVersion</c>: with the uid, the key of the conversion cache.</param>
/// <param name="Model">The model object, or <see langword="null"/> when it has errors or is left out (a finished pod).</param>
/// <param name="Errors">The loader's errors for this object.</param>
internal sealed record StoredObject(string Key, string Uid, string ResourceVersion, object? Model, IReadOnlyList<ManifestDiagnostic> Errors)
{
    /// <summary>Whether the object contributes nothing to a view (left out, without errors).</summary>
    public bool IsEmpty => Model is null && Errors.Count == 0;

    /// <summary>Whether this version converts to the same model and errors as <paramref name="other"/>: then a change of
    /// the API object (a pod's status conditions, an annotation) does not change the view.</summary>
    public bool SameContent(StoredObject? other) =>
        other is null ? IsEmpty : Equals(Model, other.Model) && Errors.SequenceEqual(other.Errors);

    /// <summary>Whether <paramref name="other"/> is this very version of the same object (the cached conversion applies).</summary>
    public bool IsVersionOf(ObjectMeta other) =>
        Uid.Length > 0 && ResourceVersion.Length > 0 && Uid == other.Uid && ResourceVersion == other.ResourceVersion;
}
