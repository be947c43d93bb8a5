using System.Globalization;

namespace NetPolHost.Parsing;

/// <summary>The weight of a <see cref="ManifestDiagnostic"/>.</summary>
public enum DiagnosticSeverity
{
    /// <summary>The object (or file) is rejected.</summary>
    Error,

    /// <summary>Information, e.g. a skipped kind; nothing is rejected.</summary>
    Note,
}

/// <summary>A problem or note found while loading manifests, with its exact place.</summary>
/// <param name="Severity">Error or note.</param>
/// <param name="File">The file (or source name).</param>
/// <param name="Line">The 1-based line, or 0 when the whole file is meant.</param>
/// <param name="Column">The 1-based column, or 0 when the whole file is meant.</param>
/// <param name="Path">The field path inside the object, e.g. <c>spec.ingress[0].from[1].ipBlock.cidr</c>; empty for file-level problems.</param>
/// <param name="Message">What was expected and what was found.</param>
public sealed record ManifestDiagnostic(DiagnosticSeverity Severity, string File, int Line, int Column, string Path, string Message)
{
    /// <summary>The object the diagnostic is about, e.g. <c>NetworkPolicy production/web</c>, when known.</summary>
    public string? Object { get; init; }

    /// <summary>Formats as <c>file:line:col: path: message</c> (the path is left out when empty).</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var place = File + ":" + Line.ToString(CultureInfo.InvariantCulture) + ":" + Column.ToString(CultureInfo.InvariantCulture) + ": ";
        return Path.Length == 0 ? place + Message : place + Path + ": " + Message;
    }
}
