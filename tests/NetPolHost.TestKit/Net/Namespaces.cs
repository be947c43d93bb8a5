using System.Diagnostics;
using System.Runtime.InteropServices;

namespace NetPolHost.TestKit.Net;

/// <summary>Runs commands and creates sockets inside network namespaces that tests create.</summary>
public static partial class Namespaces
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>Why kernel tests cannot run here, or null when they can (Linux, root, ip and nft present).</summary>
    public static string? UnavailableReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "kernel tests need Linux";
        }

        if (Environment.UserName != "root" && GetEuid() != 0)
        {
            return "kernel tests need root (network namespaces and nftables); run ./test.sh as root";
        }

        if (Which("ip") is null)
        {
            return "the ip program (Debian package iproute2) is missing";
        }

        if (Which("nft") is null && !NativeLibrary.TryLoad("libnftables.so.1", out _))
        {
            return "neither nft (Debian package nftables) nor libnftables.so.1 (libnftables1) is installed";
        }

        return null;
    }

    /// <summary>The full path of a program on PATH or in /usr/sbin, /sbin.</summary>
    public static string? Which(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/sbin"))
        {
            var path = Path.Combine(dir, program);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Runs a program and returns its output; throws with its error output when it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var (code, output, error) = TryRun(program, arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({code}): {error.Trim()}");
        }

        return output;
    }

    /// <summary>Runs a program and returns its exit code and output.</summary>
    public static (int Code, string Output, string Error) TryRun(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(Which(program) ?? program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();

        // Process.Dispose leaves redirected pipes to the finalizer: close them here.
        using var stdout = process.StandardOutput;
        using var stderr = process.StandardError;
        var output = stdout.ReadToEndAsync();
        var error = stderr.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    /// <summary>Runs <paramref name="work"/> on a new thread that has entered the network namespace <paramref name="name"/>.
    /// Sockets created there stay in that namespace whichever thread uses them later.</summary>
    public static T InNamespace<T>(string name, Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle("/run/netns/" + name, FileMode.Open, FileAccess.Read);
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = work();
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException($"in network namespace {name}: {error.Message}", error);
        }

        return result;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
