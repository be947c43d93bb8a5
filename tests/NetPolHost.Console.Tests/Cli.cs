using System.Text.Json;
using NetPolHost.Cli;

namespace NetPolHost.Console.Tests;

/// <summary>Runs the command line in-process and captures its outputs.</summary>
internal static class Cli
{
    public static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await NetPolHostCli.RunAsync(args, output, error, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    public static string Root => NetPolHost.TestKit.RepositoryPaths.Root;

    public static string Sample => Path.Combine(Root, "examples", "sample");

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}

internal sealed class TempFile : IDisposable
{
    public TempFile(string content, string extension = ".yaml")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netpolhost-cli-" + Guid.NewGuid().ToString("N")[..8] + extension);
        File.WriteAllText(Path, content);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
