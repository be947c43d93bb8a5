using System.Diagnostics;
using System.IO.Compression;

namespace NetPolHost.Packaging.Tests;

/// <summary>Packs every shipped project, checks the packages, and restores them into fresh consumer projects outside
/// the repository (a small program, and examples/CustomAgent) that then run.</summary>
[Trait("Category", "Packaging")]
public sealed class PackagesTests : IDisposable
{
    private static readonly string[] s_libraries = ["NetPolHost.Core", "NetPolHost.Hosting", "NetPolHost.Hosting.Prometheus", "NetPolHost.Kubernetes", "NetPolHost.AutomaticBackend", "NetPolHost.Nftables", "NetPolHost.Firewalld", "NetPolHost.WindowsFirewall", "NetPolHost.Wfp"];
    private readonly string _work = Path.Combine(Path.GetTempPath(), "netpolhost-pack-" + Guid.NewGuid().ToString("N")[..8]);

    public PackagesTests() => Directory.CreateDirectory(_work);

    private static string Root => NetPolHost.TestKit.RepositoryPaths.Root;

    [Fact]
    public void Pack_ThenConsumeFromAFreshProject_Works()
    {
        var version = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var feed = Path.Combine(_work, "feed");
        Dotnet(Root, "pack", "NetPolHost.sln", "-c", "Release", "-o", feed, "-p:Version=" + version, "-p:ContinuousIntegrationBuild=true", "-p:NuGetAudit=false");

        foreach (var id in s_libraries)
        {
            var package = Path.Combine(feed, $"{id}.{version}.nupkg");
            Assert.True(File.Exists(package), $"{id} was not packed");
            Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"{id} has no symbol package");
            using var zip = ZipFile.OpenRead(package);
            var names = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("README.md", names);
            Assert.Contains("LICENSE", names);
            Assert.Contains($"lib/net10.0/{id}.dll", names);
            Assert.Contains($"lib/net10.0/{id}.xml", names);
            var nuspec = new StreamReader(zip.GetEntry($"{id}.nuspec")!.Open()).ReadToEnd();
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
            Assert.Contains("<readme>README.md</readme>", nuspec, StringComparison.Ordinal);

            // Deterministic builds map the source root to /_/ in the symbols.
            using var symbols = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.snupkg"));
            using var pdb = new MemoryStream();
            symbols.GetEntry($"lib/net10.0/{id}.pdb")!.Open().CopyTo(pdb);
            pdb.Position = 0;
            using var metadata = System.Reflection.Metadata.MetadataReaderProvider.FromPortablePdbStream(pdb);
            var reader = metadata.GetMetadataReader();
            var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.StartsWith("/_/", d, StringComparison.Ordinal));
        }

        using (var tool = ZipFile.OpenRead(Path.Combine(feed, $"NetPolHost.Console.{version}.nupkg")))
        {
            Assert.Contains(tool.Entries, e => e.FullName == "tools/net10.0/any/DotnetToolSettings.xml");
            Assert.Contains(tool.Entries, e => e.FullName == "tools/net10.0/any/netpolhost.dll");
        }

        // A fresh consumer project, outside the repository, restoring from the feed.
        var consumer = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(consumer);
        WriteNuGetConfig(consumer, feed);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="NetPolHost.Core" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            using NetPolHost.Matching;
            using NetPolHost.Parsing;
            using NetPolHost.Planning;

            var snapshot = new ManifestLoader().LoadPaths([args[0]]).GetSnapshotOrThrow();
            var matcher = new PolicyMatcher(snapshot);
            Console.WriteLine("frontend->web:8000 " + matcher.IsAllowed("staging/frontend", "production/web-server", 8000));
            Console.WriteLine("frontend->api:8080 " + matcher.IsAllowed("staging/frontend", "production/api", 8080));
            Console.WriteLine("rules " + RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = "node-1" }).Rules.Count);
            """);
        var output = Dotnet(consumer, "run", "--", Path.Combine(Root, "examples", "sample"));
        Assert.Equal(["frontend->web:8000 True", "frontend->api:8080 False", "rules 3"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        // examples/CustomAgent, copied out of the repository and built against the packages.
        var agent = Path.Combine(_work, "CustomAgent");
        Directory.CreateDirectory(agent);
        foreach (var file in new[] { "CustomAgent.csproj", "Program.cs" })
        {
            File.Copy(Path.Combine(Root, "examples", "CustomAgent", file), Path.Combine(agent, file));
        }

        WriteNuGetConfig(agent, feed);
        var plan = Dotnet(agent, "run", "-p:UseNetPolHostPackages=true", "-p:NetPolHostVersion=" + version, "--", Path.Combine(Root, "examples", "sample"), "node-1", "--plan");
        Assert.StartsWith("node node-1: 3 isolated endpoints, 3 rules", plan, StringComparison.Ordinal);
        Assert.True(File.ReadAllLines(Path.Combine(Root, "examples", "CustomAgent", "Program.cs")).Length < 60, "CustomAgent must stay under 60 lines");
    }

    private static void WriteNuGetConfig(string directory, string feed) =>
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="NetPolHost.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);

    private static string Dotnet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A child build must not reuse the test run's build servers or inherit its MSBuild state.
        start.Environment["MSBUILDNOINPROCNODE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;

        // Children get an empty standard input, never the test process's own (the test runner's channel).
        process.StandardInput.Close();
        using var stdout = process.StandardOutput;
        using var stderr = process.StandardError;
        var output = stdout.ReadToEndAsync();
        var error = stderr.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} took more than 8 minutes");
        }

        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{output.Result}\n{error.Result}");
        return output.Result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
