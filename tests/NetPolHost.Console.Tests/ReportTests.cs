using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NetPolHost.Console.Tests;

/// <summary><c>netpolhost report</c>: the embedded data, the command's errors, and the page as headless Chromium renders
/// it (its script draws the graph, the heat map and the findings from the data, so their presence in the rendered DOM
/// proves that it ran).</summary>
public sealed partial class ReportTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Report_Sample_RendersPodsEdgesAndFindingsInChromium()
    {
        Assert.SkipUnless(File.Exists(Chromium), $"{Chromium} is absent (Debian package 'chromium'; test.sh installs it when run as root)");
        var folder = OutputFolder();
        var html = Path.Combine(folder, "sample-report.html");
        var (exit, _, error) = await Cli.RunAsync("report", "-f", Cli.Sample, "--output-file", html);
        Assert.True(exit == 0, error);

        var url = new Uri(html).AbsoluteUri;
        var png = Path.Combine(folder, "sample-report.png");
        File.Delete(png);
        var dump = RunChromiumAsync(folder, "dom", "--dump-dom", url + "#pod=production/web-server");
        var shot = RunChromiumAsync(folder, "shot", "--window-size=1400,1000", "--screenshot=" + png, url + "#pod=production/web-server");
        var dom = WebUtility.HtmlDecode(await dump);
        await shot;

        Assert.Contains("data-report=\"rendered\"", dom, StringComparison.Ordinal);
        foreach (var pod in new[] { "production/api", "production/db", "production/web-server", "staging/frontend", "staging/worker" })
        {
            Assert.Contains($"data-pod=\"{pod}\"", dom, StringComparison.Ordinal);
        }

        // web-server accepts port 8000 from anywhere; production accepts nothing else from staging.
        Assert.Contains("data-edge=\"staging/frontend->production/web-server:8000/TCP\"", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("data-edge=\"staging/frontend->production/web-server:80/TCP\"", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("data-edge=\"staging/frontend->production/db:", dom, StringComparison.Ordinal);
        Assert.Contains("data-edge=\"production/api->production/db:5432/TCP\"", dom, StringComparison.Ordinal);

        // The heat map drew its 25 cells, 21 of them allowed on some port (as 'matrix' says).
        Assert.Matches("<canvas id=\"heatmap\"[^>]*data-rendered=\"true\"[^>]*data-cells=\"25\"[^>]*data-allowed=\"21\"", dom);

        // NPH001 on allow-same-namespace-traffic, linked to its line in the embedded policy text.
        var finding = FindingLink().Match(dom);
        Assert.True(finding.Success, "no NPH001 finding with a link in the rendered page");
        Assert.Equal("NetworkPolicy production/allow-same-namespace-traffic", finding.Groups["policy"].Value);
        Assert.Contains($"id=\"{finding.Groups["anchor"].Value}\"", dom, StringComparison.Ordinal);
        var line = int.Parse(finding.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("    - namespaceSelector: {matchLabels: {role: production}}", File.ReadAllLines(Path.Combine(Cli.Sample, "policies.yaml"))[line - 1]);

        // #pod=… selected web-server: the panel says who reaches it on 8000 and why, as 'check' does.
        Assert.Contains("data-selected=\"production/web-server\"", dom, StringComparison.Ordinal);
        Assert.Contains("ingress of the destination: allowed by production/allow-port-8000 rule 0", dom, StringComparison.Ordinal);

        Assert.True(new FileInfo(png).Length > 10_000, "the screenshot is missing or empty");
        TestContext.Current.TestOutputHelper?.WriteLine($"report: {html}; screenshot: {png}");
        TestContext.Current.SendDiagnosticMessage($"report screenshot: {png}");
    }

    [Fact]
    public async Task Report_Sample_EmbedsDataThatAgreesWithMatrix()
    {
        var (exit, html, error) = await Cli.RunAsync("report", "-f", Cli.Sample);
        Assert.True(exit == 0, error);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        var data = EmbeddedData(html);

        var pods = data.GetProperty("endpoints").EnumerateArray()
            .Select(e => data.GetProperty("namespaces")[e.GetProperty("ns").GetInt32()].GetProperty("name").GetString() + "/" + e.GetProperty("name").GetString())
            .ToList();
        Assert.Equal(["production/api", "production/db", "production/web-server", "staging/frontend", "staging/worker"], pods);
        Assert.Equal(["80/TCP", "5432/TCP", "8000/TCP", "8080/TCP"], data.GetProperty("ports").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(0, data.GetProperty("stats").GetProperty("disagreements").GetInt64());

        // 80, 5432 and 8080 have the same verdicts and reasons; 8000 differs (allow-port-8000).
        var groups = data.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal([[0, 1, 3], [2]], groups.Select(g => g.GetProperty("ports").EnumerateArray().Select(p => p.GetInt32()).ToArray()).ToArray());

        var (matrixExit, matrixJson, _) = await Cli.RunAsync("matrix", "-f", Cli.Sample, "-o", "json");
        Assert.Equal(0, matrixExit);
        var matrix = Cli.Json(matrixJson);
        var probes = matrix.GetProperty("probes").EnumerateArray().ToList();
        var compared = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            var bits = Convert.FromBase64String(groups[g].GetProperty("allowed").GetString()!);
            foreach (var p in groups[g].GetProperty("ports").EnumerateArray().Select(x => x.GetInt32()))
            {
                var allowed = probes[p].GetProperty("allowed");
                for (var r = 0; r < pods.Count; r++)
                {
                    for (var c = 0; c < pods.Count; c++)
                    {
                        var i = (r * pods.Count) + c;
                        Assert.Equal(allowed[r][c].GetBoolean(), (bits[i >> 3] & (1 << (i & 7))) != 0);
                        compared++;
                    }
                }
            }
        }

        Assert.Equal(100, compared);

        // Each cell's reason is one of a few distinct explanations, named by check's lines.
        var reasons = data.GetProperty("reasons").EnumerateArray().ToList();
        Assert.InRange(reasons.Count, 2, 25);
        var frontendToWeb = reasons[Reason(data, groups[1], 3, 2)];
        Assert.True(frontendToWeb.GetProperty("allowed").GetBoolean());
        Assert.Contains(
            "ingress of the destination: allowed by production/allow-port-8000 rule 0",
            frontendToWeb.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).Single(l => l.StartsWith("ingress", StringComparison.Ordinal)),
            StringComparison.Ordinal);
        var frontendToDb = reasons[Reason(data, groups[1], 3, 1)];
        Assert.False(frontendToDb.GetProperty("allowed").GetBoolean());
        Assert.Contains(frontendToDb.GetProperty("lines").EnumerateArray(), l => l.GetString()!.Contains("on port {port}", StringComparison.Ordinal));

        // Policies are embedded with their text and first line; NPH001 points into allow-same-namespace-traffic.
        var policies = data.GetProperty("policies").EnumerateArray().ToList();
        Assert.Equal(4, policies.Count);
        var lint = data.GetProperty("lint");
        Assert.True(lint.GetProperty("available").GetBoolean());
        var nph001 = lint.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("rule").GetString() == "NPH001");
        var policy = policies[nph001.GetProperty("policyIndex").GetInt32()];
        Assert.Equal("NetworkPolicy production/allow-same-namespace-traffic", policy.GetProperty("key").GetString());
        var offset = nph001.GetProperty("line").GetInt32() - policy.GetProperty("start").GetInt32();
        Assert.Contains("role: production", policy.GetProperty("lines")[offset].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_500Pods_StaysCompact()
    {
        using var cluster = new TempFile(NetPolHost.TestKit.LargeCluster.Yaml(pods: 500, namespaces: 10, policies: 60, podsPerNode: 100));
        var stopwatch = Stopwatch.StartNew();
        var (exit, html, error) = await Cli.RunAsync("report", "-f", cluster.Path, "--node", "node-001");
        stopwatch.Stop();
        Assert.True(exit == 0, error);
        var data = EmbeddedData(html);
        Assert.Equal(500, data.GetProperty("endpoints").GetArrayLength());
        Assert.Equal(0, data.GetProperty("stats").GetProperty("disagreements").GetInt64());
        Assert.Equal("node-001", data.GetProperty("node").GetString());
        var reasons = data.GetProperty("reasons").GetArrayLength();
        var cells = data.GetProperty("stats").GetProperty("cells").GetInt64();

        // 250,000 pairs on every port: endpoints with equal rows (columns) of explanations share them, so the page
        // holds less than a byte per cell (815 KiB for 1,000,000 cells when measured).
        Assert.True(html.Length < cells, $"{html.Length} characters for {cells} cells");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"500 pods, {data.GetProperty("ports").GetArrayLength()} ports, {data.GetProperty("groups").GetArrayLength()} port groups, {cells} cells: " +
            $"{reasons} distinct explanations, {data.GetProperty("why").GetProperty("rowClass").EnumerateArray().Max(x => x.GetInt32()) + 1} row classes, " +
            $"{data.GetProperty("why").GetProperty("columns").GetInt32()} column classes, {html.Length / 1024} KiB of HTML, {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Report_UnknownNode_ExitsTwoWithSuggestion()
    {
        var (exit, html, error) = await Cli.RunAsync("report", "-f", Cli.Sample, "--node", "node-3");
        Assert.Equal(2, exit);
        Assert.Empty(html);
        Assert.Equal(
            "error: node 'node-3' is unknown: no Node object, pod (spec.nodeName) or host endpoint names it (nodes in the manifests: node-1, node-2); did you mean node-1 or node-2?" + Environment.NewLine,
            error);
    }

    [Fact]
    public async Task Report_StandardInput_ExitsTwo()
    {
        var (exit, _, error) = await Cli.RunAsync("report", "-f", "-");
        Assert.Equal(2, exit);
        Assert.Equal("error: report reads files and directories only ('-f -' is not supported): the policies' text is part of the report." + Environment.NewLine, error);
    }

    private static JsonElement EmbeddedData(string html)
    {
        const string Open = "<script type=\"application/json\" id=\"report-data\">";
        var start = html.IndexOf(Open, StringComparison.Ordinal) + Open.Length;
        var end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        return Cli.Json(html[start..end]);
    }

    /// <summary>The explanation index of a cell: an exception of the group, or the one stored for (row class, column
    /// class), little-endian.</summary>
    private static int Reason(JsonElement data, JsonElement group, int row, int column)
    {
        var exceptions = group.GetProperty("exceptions");
        for (var i = 0; i < exceptions.GetArrayLength(); i += 3)
        {
            if (exceptions[i].GetInt32() == row && exceptions[i + 1].GetInt32() == column)
            {
                return exceptions[i + 2].GetInt32();
            }
        }

        var why = data.GetProperty("why");
        var width = why.GetProperty("width").GetInt32();
        var at = ((why.GetProperty("rowClass")[row].GetInt32() * why.GetProperty("columns").GetInt32()) + why.GetProperty("columnClass")[column].GetInt32()) * width;
        var bytes = Convert.FromBase64String(group.GetProperty("why").GetString()!);
        var value = 0;
        for (var b = width - 1; b >= 0; b--)
        {
            value = (value << 8) | bytes[at + b];
        }

        return value;
    }

    /// <summary>Where the report and its screenshot stay after the run: TestResults/report at the repository root (where
    /// test.sh puts the test results).</summary>
    private static string OutputFolder()
    {
        var folder = NetPolHost.TestKit.RepositoryPaths.Combine("TestResults", "report");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static async Task<string> RunChromiumAsync(string folder, string profile, params string[] args)
    {
        var start = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var userData = Path.Combine(Path.GetTempPath(), "netpolhost-chromium-" + profile + "-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--user-data-dir=" + userData }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.WorkingDirectory = folder;
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await errors}");
            return await output;
        }
        finally
        {
            try
            {
                Directory.Delete(userData, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Nothing was written.
            }
        }
    }

    [GeneratedRegex("<li class=\"finding\" data-finding=\"NPH001\" data-policy=\"(?<policy>[^\"]+)\" data-line=\"(?<line>\\d+)\">.*?<a href=\"#(?<anchor>p\\d+-L\\d+)\"", RegexOptions.Singleline)]
    private static partial Regex FindingLink();
}
