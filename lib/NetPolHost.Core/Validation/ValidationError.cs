namespace NetPolHost.Validation;

/// <summary>One reason an object would be rejected by the API server.</summary>
/// <param name="Path">The field path inside the object, e.g. <c>spec.ingress[0].ports[1].endPort</c>.</param>
/// <param name="Message">What was expected and what was found.</param>
public sealed record ValidationError(string Path, string Message)
{
    /// <summary>Formats as <c>path: message</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Path + ": " + Message;
}
