using System.Reflection;

namespace NetPolHost.Cli.Report;

/// <summary>Puts the report's data into the page: one HTML file with its CSS and JavaScript inline and the data as JSON
/// in <c>&lt;script type="application/json" id="report-data"&gt;</c>; the script draws everything from that data, with no
/// network access.</summary>
internal static class ReportHtml
{
    public static string Render(ReportInput input)
    {
        var builder = new ReportBuilder(input);
        var data = builder.Build();
        ReportLint lint;
        try
        {
            lint = ReportLinting.Run(input);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            lint = new ReportLint(false, ["lint failed: " + NetPolHostCli.Describe(ex)], []);
        }

        var json = builder.Json(data, lint);
        return Resource("report.html")
            .Replace("/*REPORT-CSS*/", Resource("report.css"), StringComparison.Ordinal)
            .Replace("/*REPORT-JS*/", Resource("report.js"), StringComparison.Ordinal)
            .Replace("\"REPORT-DATA\"", json, StringComparison.Ordinal);
    }

    private static string Resource(string name)
    {
        using var stream = typeof(ReportHtml).Assembly.GetManifestResourceStream("NetPolHost.Cli.Report." + name)
            ?? throw new InvalidOperationException($"The resource {name} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
