using System.Diagnostics;

namespace NetPolHost.Nftables.Runtime;

/// <summary>Runs nft commands through the <c>nft</c> program (<c>nft -f -</c>), the fallback when libnftables is missing.</summary>
internal sealed class NftProcessRunner(string nftPath, string? networkNamespace) : INftRunner
{
    public string Kind => "nft";

    public NftResult Run(string commands, bool dryRun = false) => Execute(dryRun ? ["-c", "-f", "-"] : ["-f", "-"], commands);

    public NftResult ListJson(string command) => Execute(["-j", .. command.Split(' ', StringSplitOptions.RemoveEmptyEntries)], null);

    private NftResult Execute(string[] arguments, string? input)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (networkNamespace is null)
        {
            start.FileName = nftPath;
        }
        else
        {
            start.FileName = "nsenter";
            start.ArgumentList.Add("--net=" + (networkNamespace.Contains('/', StringComparison.Ordinal) ? networkNamespace : "/run/netns/" + networkNamespace));
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(nftPath);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + nftPath);

        // Process.Dispose leaves redirected pipes to the finalizer: close them here, or descriptors pile up.
        using var stdout = process.StandardOutput;
        using var stderr = process.StandardError;
        var output = stdout.ReadToEndAsync();
        var error = stderr.ReadToEndAsync();
        using (var stdin = process.StandardInput)
        {
            if (input is not null)
            {
                stdin.Write(input);
            }
        }

        process.WaitForExit();
        return new NftResult(process.ExitCode == 0, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    public void Dispose()
    {
    }

    /// <summary>Finds nft on PATH or in the usual places.</summary>
    public static string? Find()
    {
        foreach (var candidate in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/sbin"))
        {
            var path = Path.Combine(candidate, "nft");
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
