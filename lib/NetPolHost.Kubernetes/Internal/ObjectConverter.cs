using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using NetPolHost.Parsing;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>
/// Turns one API object into a model object with exactly the semantics of manifest files: its JSON, as the API server
/// sent it, goes through <see cref="ManifestLoader.LoadBytes"/> (normalisation, validation, error messages with field
/// paths). List items, which the API sends without <c>kind</c> and <c>apiVersion</c>, get them added first.
/// </summary>
/// <remarks>
/// Pods that have finished (<c>status.phase</c> Succeeded or Failed) are left out: their addresses are released and may
/// already belong to another pod, so a policy that selects the finished pod must not open traffic to them.
/// </remarks>
internal sealed class ObjectConverter
{
    private readonly ManifestLoader _loader = new();

    public StoredObject Convert(ApiResource resource, JsonElement item, ObjectMeta meta)
    {
        var key = resource.Key(meta.Namespace, meta.Name);
        if (resource == ApiResource.Pods && IsFinished(item))
        {
            return new StoredObject(key, meta.Uid, meta.ResourceVersion, null, []);
        }

        var result = _loader.LoadBytes(WithKind(resource, item), resource.ObjectPath(meta.Namespace, meta.Name));
        var snapshot = result.Snapshot;
        object? model = resource.Kind switch
        {
            "Namespace" => snapshot.Namespaces.Count > 0 ? snapshot.Namespaces[0] : null,
            "Pod" => snapshot.Pods.Count > 0 ? snapshot.Pods[0] : null,
            "Node" => snapshot.Nodes.Count > 0 ? snapshot.Nodes[0] : null,
            "NetworkPolicy" => snapshot.Policies.Count > 0 ? snapshot.Policies[0] : null,
            "ClusterNetworkPolicy" or "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy" => snapshot.ClusterPolicies.Count > 0 ? snapshot.ClusterPolicies[0] : null,
            _ => null,
        };
        return new StoredObject(key, meta.Uid, meta.ResourceVersion, result.IsValid ? model : null, result.Errors);
    }

    /// <summary>Whether a pod has finished: its phase is Succeeded or Failed.</summary>
    public static bool IsFinished(JsonElement pod) =>
        pod.ValueKind == JsonValueKind.Object
        && pod.TryGetProperty("status", out var status)
        && status.ValueKind == JsonValueKind.Object
        && status.TryGetProperty("phase", out var phase)
        && phase.ValueKind == JsonValueKind.String
        && phase.GetString() is "Succeeded" or "Failed";

    /// <summary>The object's JSON bytes, with <c>apiVersion</c> and <c>kind</c> added at the front when absent.</summary>
    public static byte[] WithKind(ApiResource resource, JsonElement item)
    {
        var raw = JsonMarshal.GetRawUtf8Value(item);
        if (item.ValueKind != JsonValueKind.Object)
        {
            return raw.ToArray();
        }

        var missing = new StringBuilder();
        if (!item.TryGetProperty("apiVersion", out _))
        {
            missing.Append("\"apiVersion\":\"").Append(resource.ApiVersion).Append("\",");
        }

        if (!item.TryGetProperty("kind", out _))
        {
            missing.Append("\"kind\":\"").Append(resource.Kind).Append("\",");
        }

        if (missing.Length == 0)
        {
            return raw.ToArray();
        }

        using (var members = item.EnumerateObject())
        {
            if (!members.MoveNext())
            {
                missing.Length--; // "{}": no comma before the closing brace.
            }
        }

        var prefix = Encoding.UTF8.GetBytes(missing.ToString());
        var bytes = new byte[raw.Length + prefix.Length];
        bytes[0] = (byte)'{';
        prefix.CopyTo(bytes, 1);
        raw[1..].CopyTo(bytes.AsSpan(1 + prefix.Length));
        return bytes;
    }
}
