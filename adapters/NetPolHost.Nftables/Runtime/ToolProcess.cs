using System.Diagnostics;

namespace NetPolHost.Nftables.Runtime;

/// <summary>Runs a tool (nft, conntrack), optionally inside a network namespace through nsenter. This is the only place
/// the nftables backend starts processes.</summary>
internal static class ToolProcess
{
    /// <summary>How long a tool may run before it is killed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <exception cref="TimeoutException">The tool ran longer than <see cref="Timeout"/> and was killed.</exception>
    public static (int Code, string Output, string Error) Run(string path, string? networkNamespace, IEnumerable<string> arguments, string? input = null)
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
            start.FileName = path;
        }
        else
        {
            start.FileName = "nsenter";
            start.ArgumentList.Add("--net=" + (networkNamespace.Contains('/', StringComparison.Ordinal) ? networkNamespace : "/run/netns/" + networkNamespace));
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(path);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + path);

        // Process.Dispose leaves redirected pipes to the finalizer: close them here, or descriptors pile up (and
        // libnftables, which select()s on its netlink socket, aborts the process once one is numbered 1024 or more).
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

        if (!process.WaitForExit(Timeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended meanwhile.
            }

            process.WaitForExit();
            throw new TimeoutException($"{Path.GetFileName(path)} did not finish within {Timeout.TotalSeconds:F0} s and was stopped");
        }

        process.WaitForExit();
        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }
}
