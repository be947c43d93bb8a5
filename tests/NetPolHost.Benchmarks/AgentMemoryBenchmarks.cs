using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 15, agent memory: the real agent process (<c>netpolhost agent -f DIR --node node-000 --backend nftables
/// --netns NS --listen ...</c>, the console host built next to this benchmark) holding the 10,000-pod cluster: its
/// resident set (VmRSS, and its anonymous part) from /proc and its managed heap (dotnet_total_memory_bytes from /metrics)
/// after the first full apply and after 1,000 changes to the watched files, each change made once the previous one is in
/// the kernel (the agent's "applied" log line, whose latency is reported too). Each variant (GC and JIT settings through
/// DOTNET_* variables, a trimmed self-contained build) runs in a fresh process and network namespace.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class AgentMemoryBenchmarks
{
    private const string Node = "node-000";
    private const double RssTarget = 100;
    private const double HeapTarget = 40;

    /// <summary>A way to start the agent: its name, the environment added, and the program (null: the framework-dependent
    /// netpolhost.dll through dotnet).</summary>
    internal sealed record Variant(string Name, IReadOnlyDictionary<string, string> Environment, string? Executable = null);

    /// <summary>The variants of <c>agent-memory</c> (the shipped settings: what a user gets), or of
    /// <c>agent-memory-options</c> (each setting on its own). An executable of a trimmed publish is taken from
    /// $NETPOLHOST_TRIMMED (e.g. artifacts/publish/NetPolHost.Console/release_linux-x64/netpolhost).</summary>
    public static IReadOnlyList<Variant> Variants(bool options) => Variants(options ? "options" : "shipped");

    /// <summary>The variants of a set: "shipped", "options" (each setting on its own), or "builds" (the shipped settings
    /// in the framework-dependent build and in the executables of $NETPOLHOST_TRIMMED (a trimmed self-contained
    /// publish) and $NETPOLHOST_AOT (a native AOT publish), when set).</summary>
    public static IReadOnlyList<Variant> Variants(string set)
    {
        var none = new Dictionary<string, string>();
        if (set == "builds")
        {
            var builds = new List<Variant> { new("as shipped (the console's runtimeconfig)", none) };
            if (System.Environment.GetEnvironmentVariable("NETPOLHOST_TRIMMED") is { Length: > 0 } trimmedBuild)
            {
                builds.Add(new Variant("trimmed self-contained publish", none, trimmedBuild));
            }

            if (System.Environment.GetEnvironmentVariable("NETPOLHOST_AOT") is { Length: > 0 } aot)
            {
                builds.Add(new Variant("native AOT publish", none, aot));
            }

            return builds;
        }

        if (set != "options")
        {
            return [new Variant("as shipped (the console's runtimeconfig)", none)];
        }

        var list = new List<Variant>
        {
            new("as shipped (the console's runtimeconfig)", none),
            new("GC defaults (DOTNET_GCConserveMemory=0)", new Dictionary<string, string> { ["DOTNET_GCConserveMemory"] = "0" }),
            new("+ MALLOC_ARENA_MAX=2", new Dictionary<string, string> { ["MALLOC_ARENA_MAX"] = "2" }),
            new("+ DOTNET_GCgen0size=0x400000 (4 MiB gen0 budget)", new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x400000" }),
            new("+ DOTNET_gcConcurrent=0 (no background GC)", new Dictionary<string, string> { ["DOTNET_gcConcurrent"] = "0" }),
            new("+ DOTNET_TieredPGO=0", new Dictionary<string, string> { ["DOTNET_TieredPGO"] = "0" }),
            new("+ DOTNET_TieredCompilation=0", new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0" }),
            new("+ gen0 4 MiB, no background GC", new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x400000", ["DOTNET_gcConcurrent"] = "0" }),
        };
        if (System.Environment.GetEnvironmentVariable("NETPOLHOST_TRIMMED") is { Length: > 0 } trimmed)
        {
            list.Add(new Variant("trimmed self-contained publish", none, trimmed));
        }

        return list;
    }

    public static async Task RunAsync(IReadOnlyList<Variant> variants, int changes = 1000)
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("agent memory benchmark skipped: " + reason);
            return;
        }

        var dll = AgentDll();
        if (dll is null)
        {
            Console.WriteLine("agent memory benchmark skipped: netpolhost.dll not found next to the benchmark (build examples/NetPolHost.Console in the same configuration)");
            return;
        }

        var dir = Path.Combine(Path.GetTempPath(), "netpolhost-memory-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        try
        {
            var change = StageBenchmarks.ChangeFiles.Create(dir);
            await using var lab = NetworkLab.Create();
            Console.WriteLine($"agent memory: the console host {dll}, 10,000-pod cluster, node {Node}, nftables; {changes} changes each after the previous reached the kernel");
            var index = 0;
            foreach (var variant in variants)
            {
                var ns = lab.AddNode("mem" + (index++).ToString(CultureInfo.InvariantCulture));
                await RunVariantAsync(variant, dll, dir, ns, change, changes);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task RunVariantAsync(Variant variant, string dll, string dir, string ns, StageBenchmarks.ChangeFiles change, int changes)
    {
        var port = FreePort();
        var arguments = new List<string> { "agent", "-f", dir, "--node", Node, "--backend", "nftables", "--netns", ns, "--debounce", "0ms", "--listen", $"127.0.0.1:{port}" };
        var start = new ProcessStartInfo(variant.Executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (variant.Executable is null)
        {
            start.ArgumentList.Add(dll);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in variant.Environment)
        {
            start.Environment[key] = value;
        }

        var applied = new SemaphoreSlim(0);
        var latencies = new List<double>();
        var failures = new List<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            if (!await applied.WaitAsync(TimeSpan.FromMinutes(2)))
            {
                throw new InvalidOperationException($"the agent did not apply within 2 minutes: {string.Join(" | ", failures)}");
            }

            var first = await SampleAsync(process.Id, http);
            latencies.Clear();
            var unchanged = 0;
            for (var i = 0; i < changes; i++)
            {
                change.Next(i);
                if (!await applied.WaitAsync(TimeSpan.FromSeconds(1)))
                {
                    unchanged++;
                }
            }

            var after = await SampleAsync(process.Id, http);
            var p50 = latencies.Count == 0 ? double.NaN : StageBenchmarks.Percentile(latencies, 50);
            var p99 = latencies.Count == 0 ? double.NaN : StageBenchmarks.Percentile(latencies, 99);
            Console.WriteLine($"  {variant.Name}:");
            Console.WriteLine($"    after the full apply:      {first}");
            Console.WriteLine($"    after {changes} changes:       {after}   growth RSS {after.Rss - first.Rss:+0;-0;0} MiB, heap {after.Heap - first.Heap:+0;-0;0} MiB");
            Console.WriteLine($"    change seen -> applied (agent's log, {latencies.Count} applies, {unchanged} changes without one within 1 s): p50 {Measure.Format(p50)} ms, p99 {Measure.Format(p99)} ms; GCs {after.Collections}");
            if (failures.Count > 0)
            {
                Console.WriteLine($"    errors in the agent's log: {failures.Count}, first: {failures[0]}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                // SIGTERM: the host stops as on Ctrl+C (the rules stay; the namespace goes with the lab).
                _ = Kill(process.Id, 15);
                if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }

        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            var match = AppliedLine().Match(line);
            if (match.Success)
            {
                lock (latencies)
                {
                    latencies.Add(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
                }

                applied.Release();
            }
            else if (line.Contains("fail", StringComparison.OrdinalIgnoreCase) || line.Contains("error", StringComparison.OrdinalIgnoreCase))
            {
                lock (failures)
                {
                    failures.Add(line);
                }
            }
        }
    }

    /// <summary>Memory of the agent after it has been idle a moment: /proc for the resident set, /metrics for the heap.</summary>
    private static async Task<Sample> SampleAsync(int pid, HttpClient http)
    {
        await Task.Delay(TimeSpan.FromSeconds(2));
        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
        double Kib(string key) => status.Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024).FirstOrDefault();
        var rss = Kib("VmRSS");
        var anon = Kib("RssAnon");
        var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        double Metric(string name) => metrics.Split('\n').Where(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).Sum();
        return new Sample(rss, anon, Metric("dotnet_total_memory_bytes") / 1024 / 1024, (long)Metric("dotnet_collection_count_total"));
    }

    private readonly record struct Sample(double Rss, double Anon, double Heap, long Collections)
    {
        public override string ToString() =>
            $"RSS {Rss,4:F0} MiB (anonymous {Anon,4:F0}; target <= {RssTarget:F0}: {(Rss <= RssTarget ? "met" : "NOT met")}), managed heap {Heap,3:F0} MiB (target <= {HeapTarget:F0}: {(Heap <= HeapTarget ? "met" : "NOT met")})";
    }

    /// <summary>netpolhost.dll of the console host, built in this benchmark's configuration (a project reference that
    /// builds it without referencing it): artifacts/bin/NetPolHost.Console/CONFIG next to artifacts/bin/NetPolHost.Benchmarks/CONFIG.</summary>
    private static string? AgentDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var candidate = here.Parent?.Parent is { } bin ? Path.Combine(bin.FullName, "NetPolHost.Console", here.Name, "netpolhost.dll") : null;
        return candidate is not null && File.Exists(candidate) ? candidate : null;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"applied: .*\(([0-9.]+) ms after the change was seen\)", RegexOptions.CultureInvariant)]
    private static partial Regex AppliedLine();
}
