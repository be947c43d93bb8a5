using NetPolHost.Model;

namespace NetPolHost.Linting;

/// <summary>Options of <see cref="PolicyLinter"/>.</summary>
public sealed record LintOptions
{
    /// <summary>The most pods a finding lists in <see cref="LintFinding.AffectedPods"/> (it always counts them all).</summary>
    /// <value>Default 10.</value>
    public int MaxAffectedPods { get; init; } = 10;

    /// <summary>The most steps one exact label-selector question may take before it is left undecided (an undecided
    /// question never gives a finding). Selectors of real policies take a handful.</summary>
    /// <value>Default 20,000.</value>
    public int MaxSelectorSteps { get; init; } = 20_000;
}

/// <summary>What <see cref="PolicyLinter"/> found.</summary>
public sealed class LintResult
{
    internal LintResult(IReadOnlyList<LintFinding> findings, IReadOnlyList<string> notes, IReadOnlyList<string> skippedRules)
    {
        Findings = findings;
        Notes = notes;
        SkippedRules = skippedRules;
    }

    /// <summary>The findings, sorted by file, line, column and rule id.</summary>
    public IReadOnlyList<LintFinding> Findings { get; }

    /// <summary>What the lint could not do, e.g. the rules that need the cluster's pods when none were given.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The rules that were not run (see <see cref="Notes"/> for why).</summary>
    public IReadOnlyList<string> SkippedRules { get; }

    /// <summary>Whether any finding has at least <paramref name="severity"/>.</summary>
    /// <param name="severity">The level.</param>
    /// <returns><see langword="true"/> when one does.</returns>
    public bool Any(LintSeverity severity) => Findings.Any(f => f.Severity >= severity);

    /// <summary>The number of findings of one severity.</summary>
    /// <param name="severity">The severity.</param>
    /// <returns>The count.</returns>
    public int Count(LintSeverity severity) => Findings.Count(f => f.Severity == severity);

    internal static LintResult Create(List<LintFinding> findings, List<string> notes, List<string> skipped)
    {
        findings.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.File, b.File);
            if (c == 0)
            {
                c = a.Line.CompareTo(b.Line);
            }

            if (c == 0)
            {
                c = a.Column.CompareTo(b.Column);
            }

            if (c == 0)
            {
                c = string.CompareOrdinal(a.RuleId, b.RuleId);
            }

            if (c == 0)
            {
                c = string.CompareOrdinal(a.Policy, b.Policy);
            }

            if (c == 0)
            {
                c = string.CompareOrdinal(a.Path, b.Path);
            }

            return c != 0 ? c : string.CompareOrdinal(a.Message, b.Message);
        });
        return new LintResult(findings, notes, skipped);
    }
}
