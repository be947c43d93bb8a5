using System.CommandLine;
using NetPolHost.Cli.Commands;
using NetPolHost.Parsing;

namespace NetPolHost.Cli;

/// <summary>The netpolhost command line: builds the commands and runs one.</summary>
internal static class NetPolHostCli
{
    /// <summary>Exit code for success (and "allowed" for check).</summary>
    public const int Ok = 0;

    /// <summary>Exit code for "denied" (check) or a failed operation.</summary>
    public const int Denied = 1;

    /// <summary>Exit code for bad input: invalid manifests, unknown options or arguments.</summary>
    public const int BadInput = 2;

    /// <summary>The name the tool is run by, used in hints (the process name differs under a test host or dotnet).</summary>
    public const string ToolName = "netpolhost";

    public static RootCommand Build(CliIO io)
    {
        var root = new RootCommand(
            "netpolhost: Kubernetes NetworkPolicy on host firewalls.\n" +
            "Exit code: 0 success (check: allowed), 1 denied or failed, 2 bad input; 'netpolhost COMMAND --help' gives each command's own.\n\n" +
            "Examples:\n" +
            "  netpolhost validate -f examples/sample\n" +
            "  netpolhost lint -f examples/sample\n" +
            "  netpolhost check -f examples/sample --from production/api --to production/web-server --port 8000\n" +
            "  netpolhost matrix -f examples/sample --namespace production\n" +
            "  netpolhost plan -f examples/sample --node node-1 --backend nftables -o native");
        root.Add(ValidateCommand.Create(io));
        root.Add(LintCommand.Create(io));
        root.Add(CheckCommand.Create(io));
        root.Add(MatrixCommand.Create(io));
        root.Add(PlanCommand.Create(io));
        root.Add(ReportCommand.Create(io));
        foreach (var command in BackendCommands.Create(io))
        {
            root.Add(command);
        }

        return root;
    }

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, new CliIO(output, error), cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliIO io, CancellationToken cancellationToken = default)
    {
        var error = io.Error;
        try
        {
            var root = Build(io);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var problem in parse.Errors)
                {
                    await error.WriteLineAsync("error: " + problem.Message).ConfigureAwait(false);
                }

                await error.WriteLineAsync($"Run '{CommandPath(parse.CommandResult)} --help' for usage.").ConfigureAwait(false);
                return BadInput;
            }

            // The agent's host stops itself on SIGINT/SIGTERM (removing rules, finishing an apply may take longer than the
            // 2 s System.CommandLine would wait before exiting under it): there, signals are left to the host.
            var configuration = new InvocationConfiguration { Output = io.Out, Error = error, EnableDefaultExceptionHandler = false };
            if (parse.CommandResult.Command.Name == "agent")
            {
                configuration.ProcessTerminationTimeout = null;
            }

            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (CliUsageException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return BadInput;
        }
        catch (NetPolHostException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return ex is PolicyValidationException ? BadInput : Denied;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (Exception ex)
        {
            // Last resort: a bug or an environment failure (e.g. a closed output) gets one readable line, never a stack trace.
            await TryWriteAsync(error, "error: unexpected failure: " + Describe(ex)).ConfigureAwait(false);
            return Denied;
        }
    }

    /// <summary>The exception's type and message, e.g. <c>System.IO.IOException: No space left on device</c>; the
    /// inner exception of a wrapper (AggregateException, TargetInvocationException) is what is described.</summary>
    public static string Describe(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        if (exception is AggregateException aggregate)
        {
            return string.Join("; ", aggregate.InnerExceptions.Select(Describe));
        }

        return (exception.GetType().FullName ?? exception.GetType().Name) + ": " + exception.Message;
    }

    /// <summary>The command as typed: <c>netpolhost</c> for the root, <c>netpolhost check</c> for a command.</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var current = result; current is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (current.Command is not RootCommand)
            {
                names.Add(current.Command.Name);
            }
        }

        names.Add(ToolName);
        names.Reverse();
        return string.Join(' ', names);
    }

    private static async Task TryWriteAsync(TextWriter writer, string line)
    {
        try
        {
            await writer.WriteLineAsync(line).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Standard error itself is gone: the exit code is all that is left.
        }
    }
}

/// <summary>Where the commands read and write.</summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
internal sealed record CliIO(TextWriter Out, TextWriter Error)
{
    /// <summary>Opens standard input (read by <c>-f -</c>).</summary>
    public Func<Stream> OpenInput { get; init; } = Console.OpenStandardInput;

    /// <summary>How manifests are loaded; its <see cref="ManifestLoaderOptions.MaxFileBytes"/> also bounds standard input.</summary>
    public ManifestLoaderOptions LoaderOptions { get; init; } = new();
}

/// <summary>A command-line value that cannot be used (exit code 2).</summary>
internal sealed class CliUsageException(string message) : Exception(message);
