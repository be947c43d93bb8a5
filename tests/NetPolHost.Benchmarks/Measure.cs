using System.Diagnostics;
using System.Globalization;

namespace NetPolHost.Benchmarks;

/// <summary>A small stopwatch harness: runs an action several times and reports the median.</summary>
internal static class Measure
{
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Milliseconds of each run of <paramref name="action"/> (after one warm-up run).</summary>
    public static List<double> Runs(int runs, Action action, bool warmUp = true)
    {
        if (warmUp)
        {
            action();
        }

        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return times;
    }

    public static void Report(string name, IReadOnlyList<double> milliseconds, string unit = "ms", double? limit = null)
    {
        var median = Median(milliseconds);
        var verdict = limit is null ? string.Empty : median <= limit ? $"  (target < {Format(limit.Value)} {unit}: met)" : $"  (target < {Format(limit.Value)} {unit}: NOT met)";
        Console.WriteLine($"{name,-58} median {Format(median),10} {unit}   min {Format(milliseconds.Min()),10}   max {Format(milliseconds.Max()),10}   runs {milliseconds.Count}{verdict}");
    }

    /// <summary>Reports a ratio of two medians measured in the same run, with its target.</summary>
    public static void Ratio(string name, double ratio, double atMost) =>
        Console.WriteLine($"{name,-58} ratio  {ratio.ToString("F2", CultureInfo.InvariantCulture),10}   (target <= {atMost.ToString("F2", CultureInfo.InvariantCulture)}: {(ratio <= atMost ? "met" : "NOT met")})");

    public static string Format(double value) => value >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture) : value.ToString("G4", CultureInfo.InvariantCulture);
}
