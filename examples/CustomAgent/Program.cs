// A minimal node agent on the NetPolHost packages: it watches a folder of manifests and enforces them with nftables on
// this host, incrementally, until Ctrl+C. It references only Hosting and the nftables backend (for the automatic choice
// of a backend, reference NetPolHost.AutomaticBackend and call UseAutomaticBackend()).
//   sudo dotnet run --project examples/CustomAgent -- /etc/netpolhost node-1
//   dotnet run --project examples/CustomAgent -- examples/sample node-1 --plan     (print the plan, change nothing)
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NetPolHost;
using NetPolHost.Parsing;
using NetPolHost.Planning;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: CustomAgent <manifest file or folder> <node name> [--plan]");
    return 2;
}

var (manifests, node) = (args[0], args[1]);
if (args.Contains("--plan"))
{
    var load = new ManifestLoader().LoadPaths([manifests]);
    foreach (var error in load.Errors)
    {
        Console.Error.WriteLine(error);
    }

    Console.Write(RulePlanCompiler.Compile(load.Snapshot, new RulePlanOptions { NodeName = node }).Describe());
    return load.IsValid ? 0 : 2;
}

if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("this agent enforces with nftables, on Linux only");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Services.AddNetPolHost()
    .UseNftables()
    .AddNodeAgent(o =>
    {
        o.NodeName = node;
        o.ResyncInterval = TimeSpan.FromMinutes(1);
    })
    .AddFileSource(manifests);

using var host = builder.Build();
await host.RunAsync();
return 0;
