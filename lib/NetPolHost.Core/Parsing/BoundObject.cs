namespace NetPolHost.Parsing;

/// <summary>The outcome of binding one Kubernetes object from a tree.</summary>
internal sealed record BoundObject(string Kind, string Identity, object? Value, int Line, int Column)
{
    /// <summary>The places of the object's fields (<see cref="FieldLocations.Record"/>), when the load records them.</summary>
    public Dictionary<string, long>? Fields { get; init; }
}
