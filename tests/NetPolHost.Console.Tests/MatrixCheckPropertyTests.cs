using NetPolHost.Model;
using NetPolHost.TestKit;

namespace NetPolHost.Console.Tests;

/// <summary>For random clusters written to a file, every cell of <c>matrix -o json</c> equals <c>check -o json</c>.</summary>
public sealed class MatrixCheckPropertyTests
{
    [Fact]
    public async Task MatrixJson_EqualsCheck_ForEveryCell()
    {
        var cells = 0;
        for (var seed = 0; seed < 25; seed++)
        {
            var snapshot = new RandomCluster(500 + seed).Snapshot(1 + (seed % 5), mixedFamilies: seed % 2 == 1);
            using var file = new TempFile(ManifestWriter.Json(snapshot), ".json");
            var (exit, output, error) = await Cli.RunAsync("matrix", "-f", file.Path, "--port", "80", "--port", "81/UDP", "-o", "json");
            Assert.True(exit == 0, error);
            var json = Cli.Json(output);
            var pods = json.GetProperty("pods").EnumerateArray().Select(p => p.GetString()!).ToList();
            foreach (var probe in json.GetProperty("probes").EnumerateArray())
            {
                var port = probe.GetProperty("port").GetInt32() + "/" + probe.GetProperty("protocol").GetString();
                for (var i = 0; i < pods.Count; i++)
                {
                    for (var j = 0; j < pods.Count; j++)
                    {
                        var check = await Cli.RunAsync("check", "-f", file.Path, "--from", pods[i], "--to", pods[j], "--port", port, "-o", "json");
                        var verdict = Cli.Json(check.Out);
                        var where = $"seed {500 + seed}: {pods[i]} -> {pods[j]} {port}";
                        Assert.True(probe.GetProperty("allowed")[i][j].GetBoolean() == verdict.GetProperty("allowed").GetBoolean(), where);
                        Assert.True(probe.GetProperty("ingress")[i][j].GetBoolean() == verdict.GetProperty("ingress").GetProperty("allowed").GetBoolean(), where + " (ingress)");
                        Assert.True(probe.GetProperty("egress")[i][j].GetBoolean() == verdict.GetProperty("egress").GetProperty("allowed").GetBoolean(), where + " (egress)");
                        Assert.Equal(verdict.GetProperty("allowed").GetBoolean() ? 0 : 1, check.Exit);
                        cells++;
                    }
                }
            }
        }

        Assert.Equal(25 * 2 * 81, cells);
    }

    [Fact]
    public void ManifestWriter_RoundTrips_ThroughTheLoader()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var snapshot = new RandomCluster(seed, sctp: true).Snapshot(1 + (seed % 6), mixedFamilies: true);
            var loaded = NetPolHost.Parsing.ManifestLoader.LoadText(ManifestWriter.Json(snapshot), "roundtrip.json");
            Assert.True(loaded.IsValid, $"seed {seed}: " + string.Join("; ", loaded.Errors));
            Assert.Equal(snapshot.Policies, loaded.Snapshot.Policies);
            Assert.Equal(snapshot.Pods, loaded.Snapshot.Pods);
            Assert.Equal(snapshot.Namespaces, loaded.Snapshot.Namespaces);
        }
    }
}
