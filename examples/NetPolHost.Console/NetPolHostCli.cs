using System.CommandLine;
using NetPolHost.Cli.Commands;

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

    public static RootCommand Build(CliIO io)
    {
        var root = new RootCommand(
            "netpolhost: Kubernetes NetworkPolicy on host firewalls.\n\n" +
            "Examples:\n" +
            "  netpolhost validate -f examples/sample\n" +
            "  netpolhost check -f examples/sample --from production/api --to production/web-server --port 8000\n" +
            "  netpolhost matrix -f examples/sample --namespace production\n" +
            "  netpolhost plan -f examples/sample --node node-1 --backend nftables -o native");
        root.Add(ValidateCommand.Create(io));
        root.Add(CheckCommand.Create(io));
        root.Add(MatrixCommand.Create(io));
        root.Add(PlanCommand.Create(io));
        foreach (var command in BackendCommands.Create(io))
        {
            root.Add(command);
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var io = new CliIO(output, error);
        var root = Build(io);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
            {
                await error.WriteLineAsync("error: " + problem.Message).ConfigureAwait(false);
            }

            await error.WriteLineAsync($"Run '{parse.CommandResult.Command.Name} --help' for usage.").ConfigureAwait(false);
            return BadInput;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
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
    }
}

/// <summary>Where the commands write.</summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
internal sealed record CliIO(TextWriter Out, TextWriter Error);

/// <summary>A command-line value that cannot be used (exit code 2).</summary>
internal sealed class CliUsageException(string message) : Exception(message);
