namespace NetPolHost.Parsing;

/// <summary>The outcome of binding one Kubernetes object from a tree.</summary>
internal sealed record BoundObject(string Kind, string Identity, object? Value, int Line, int Column);
