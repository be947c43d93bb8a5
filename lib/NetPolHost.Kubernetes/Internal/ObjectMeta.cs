using System.Text.Json;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>The parts of <c>metadata</c> the source needs before converting an object.</summary>
internal readonly record struct ObjectMeta(string Namespace, string Name, string Uid, string ResourceVersion)
{
    /// <summary>Reads <c>metadata</c> of an object; absent or malformed fields read as empty.</summary>
    public static ObjectMeta Read(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            return new ObjectMeta(string.Empty, string.Empty, string.Empty, string.Empty);
        }

        return new ObjectMeta(Text(metadata, "namespace"), Text(metadata, "name"), Text(metadata, "uid"), Text(metadata, "resourceVersion"));
    }

    private static string Text(JsonElement metadata, string name) =>
        metadata.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;
}
