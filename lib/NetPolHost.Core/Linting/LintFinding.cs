using System.Globalization;
using NetPolHost.Model;

namespace NetPolHost.Linting;

/// <summary>How much a lint finding matters.</summary>
public enum LintSeverity
{
    /// <summary>Worth knowing; nothing is wrong as such.</summary>
    Note,

    /// <summary>Most likely not what the author meant.</summary>
    Warning,

    /// <summary>Wrong.</summary>
    Error,
}

/// <summary>One finding of <see cref="PolicyLinter"/>: a rule, the offending field with its place, the policy, the pods it
/// affects, and what to do.</summary>
public sealed record LintFinding
{
    /// <summary>The rule, e.g. <c>NPH002</c> (<see cref="LintRules.All"/>).</summary>
    public required string RuleId { get; init; }

    /// <summary>The severity (the rule's default).</summary>
    public required LintSeverity Severity { get; init; }

    /// <summary>What is wrong, in one sentence or two.</summary>
    public required string Message { get; init; }

    /// <summary>The file of the policy; empty when the load did not record places
    /// (<see cref="Parsing.ManifestLoaderOptions.RecordPolicyFieldLocations"/>).</summary>
    public string File { get; init; } = string.Empty;

    /// <summary>The 1-based line of the offending field, or 0 when unknown.</summary>
    public int Line { get; init; }

    /// <summary>The 1-based column of the offending field, or 0 when unknown.</summary>
    public int Column { get; init; }

    /// <summary>The field path of the offending field, e.g. <c>spec.egress[0].to[0].ipBlock.except[0]</c>.</summary>
    public required string Path { get; init; }

    /// <summary>The policy, as diagnostics name it: <c>NetworkPolicy production/web</c> or <c>ClusterNetworkPolicy name</c>.</summary>
    public required string Policy { get; init; }

    /// <summary>Pods (and host endpoints) the finding affects, as <c>namespace/name</c>, sorted, at most
    /// <see cref="LintOptions.MaxAffectedPods"/>; empty when no cluster was given.</summary>
    public ValueList<string> AffectedPods { get; init; }

    /// <summary>How many pods the finding affects in all (<see cref="AffectedPods"/> may list fewer).</summary>
    public int AffectedPodCount { get; init; }

    /// <summary>A concrete change that resolves the finding.</summary>
    public string? Suggestion { get; init; }

    /// <summary>Other policies or rules the finding names, e.g. <c>NetworkPolicy production/allow-all-egress egress[0]</c>
    /// (the rule that re-allows what an except excludes).</summary>
    public ValueList<string> Related { get; init; }

    /// <summary>The severity as compilers print it: <c>note</c>, <c>warning</c> or <c>error</c>.</summary>
    public string SeverityName => LintRules.SeverityName(Severity);

    /// <summary>Formats as <c>file:line:col: severity NPH00x: message</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        File + ":" + Line.ToString(CultureInfo.InvariantCulture) + ":" + Column.ToString(CultureInfo.InvariantCulture) + ": " + SeverityName + " " + RuleId + ": " + Message;
}
