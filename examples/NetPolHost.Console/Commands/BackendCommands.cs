using System.CommandLine;

namespace NetPolHost.Cli.Commands;

/// <summary>The commands that change or read host firewall state: apply, status, remove, agent.</summary>
internal static class BackendCommands
{
    public static IEnumerable<Command> Create(CliIO io)
    {
        _ = io;
        return [];
    }
}
