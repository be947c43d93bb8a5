using NetPolHost.Linting;

namespace NetPolHost.Cli.Report;

/// <summary>Runs the linter for the report (the same findings as <c>netpolhost lint</c>).</summary>
internal static class ReportLinting
{
    public static ReportLint Run(ReportInput input)
    {
        var result = PolicyLinter.Lint(input.Snapshot, input.Locations);
        var findings = result.Findings
            .Select(f => new ReportFinding(
                f.RuleId, f.SeverityName, f.Message, f.File, f.Line, f.Column, f.Path, f.Policy,
                [.. f.AffectedPods], f.AffectedPodCount, f.Suggestion, [.. f.Related]))
            .ToList();
        return new ReportLint(true, [.. result.Notes], findings);
    }
}
