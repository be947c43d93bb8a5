using NetPolHost.Benchmarks;

// Stopwatch benchmarks of NetPolHost (medians of several runs; this machine is noisy, compare within one run).
//   dotnet run -c Release --project tests/NetPolHost.Benchmarks -- all
//   dotnet run -c Release --project tests/NetPolHost.Benchmarks -- matcher | compile | windows | nftables | apply | agent | stages | agent-stages | cutoff | packets | lint | scale | agent-memory [N] | agent-memory-options [N] | agent-memory-builds [N]
var what = args.Length > 0 ? args[0] : "all";
Console.WriteLine($"NetPolHost benchmarks ({what}) on {Environment.ProcessorCount} cores, .NET {Environment.Version}");
if (what is "matcher" or "all")
{
    MatcherBenchmarks.Run();
}

if (what is "compile" or "all")
{
    CompileBenchmarks.Run();
}

if (what is "windows" or "all")
{
    WindowsBenchmarks.Run();
}

if (what is "nftables" or "all" && OperatingSystem.IsLinux())
{
    await NftablesBenchmarks.RunAsync();
}

if (what is "agent" or "all" && OperatingSystem.IsLinux())
{
    await AgentBenchmarks.RunAsync();
}

if (what is "stages" or "all" && OperatingSystem.IsLinux())
{
    await StageBenchmarks.RunAsync();
}

if (what is "agent-stages" or "stages" or "all" && OperatingSystem.IsLinux())
{
    await StageBenchmarks.RunAgentAsync();
}

if (what is "cutoff" or "stages" or "all" && OperatingSystem.IsLinux())
{
    await CutOffBenchmarks.RunAsync();
}

if (what is "packets" or "all" && OperatingSystem.IsLinux())
{
    await PacketBenchmarks.RunAsync();
}

if (what is "apply" or "nftables" or "all" && OperatingSystem.IsLinux())
{
    await ApplyBenchmarks.RunAsync();
}

if (what is "agent-memory" or "agent-memory-options" or "agent-memory-builds" or "all" && OperatingSystem.IsLinux())
{
    await AgentMemoryBenchmarks.RunAsync(AgentMemoryBenchmarks.Variants(what is "agent-memory" or "all" ? "shipped" : what["agent-memory-".Length..]), args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000);
}

if (what is "lint" or "all")
{
    LintBenchmarks.Run();
}

if (what is "scale" or "all")
{
    ScaleBenchmarks.Run();
}

return 0;
