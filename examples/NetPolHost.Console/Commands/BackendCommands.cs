using System.CommandLine;
using NetPolHost.Backends;
using NetPolHost.Nftables;
using NetPolHost.Planning;

namespace NetPolHost.Cli.Commands;

/// <summary>The commands that change or read host firewall state: apply, status, remove.</summary>
internal static class BackendCommands
{
    public static IEnumerable<Command> Create(CliIO io) => [Apply(io), Status(io), Remove(io), AgentCommand.Create(io), FlowsCommand.Create(io)];

    private static Option<string> BackendOption()
    {
        var option = new Option<string>("--backend", "-b")
        {
            Description = "The host firewall: " + string.Join(", ", BackendRegistry.Names) + ".",
            Required = true,
        };
        option.AcceptOnlyFromAmong(BackendRegistry.Names);
        return option;
    }

    private static Option<string> TableOption() => new("--table") { Description = "nftables: the table the backend owns (default netpolhost)." };

    private static Option<string> NetnsOption() => new("--netns") { Description = "Work inside this network namespace (a name under /run/netns, or a path)." };

    private static BackendSettings Settings(ParseResult parse, Option<string> table, Option<string> netns) =>
        new() { TableName = parse.GetValue(table), NetworkNamespace = parse.GetValue(netns) };

    private static Command Apply(CliIO io)
    {
        var files = Common.Files();
        var ns = Common.Namespace();
        var node = Common.Node(required: true);
        var backend = BackendOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Have the kernel check the change without committing it." };
        var audit = new Option<bool>("--audit") { Description = "Audit mode (nftables): isolate as usual, but log denied connections as would-deny and accept them; apply again without it to enforce." };
        var table = TableOption();
        var netns = NetnsOption();
        var command = new Command(
            "apply",
            "Make this host enforce the policies for a node, atomically; prints what changed. Needs root (CAP_NET_ADMIN).\n" +
            "Exit code: 0 on success, 1 when the firewall refused the change (its message is printed; nothing changed), 2 bad input (invalid manifests, or a node that no Node object, pod or host endpoint names: nothing changed).\n\n" +
            "Examples:\n" +
            "  sudo netpolhost apply -f examples/sample --node node-1 --backend nftables\n" +
            "  sudo netpolhost apply -f policies/ --node $(hostname) --backend nftables --dry-run\n" +
            "  sudo netpolhost apply -f policies/ --node $(hostname) --backend nftables --audit")
        {
            files, ns, node, backend, dryRun, audit, table, netns,
        };
        command.SetAction(async (parse, token) =>
        {
            var snapshot = Common.LoadOrFail(parse.GetValue(files)!, io, parse.GetValue(ns));
            var nodeName = parse.GetValue(node)!;
            Common.RequireKnownNode(snapshot, nodeName);
            var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = nodeName });
            var firewall = BackendRegistry.Create(parse.GetValue(backend)!, Settings(parse, table, netns) with { Audit = parse.GetValue(audit) }, forPlanOnly: false);
            try
            {
                firewall.EnsureCanExpress(plan);
                var result = await firewall.ApplyAsync(plan, new ApplyOptions { DryRun = parse.GetValue(dryRun) }, token).ConfigureAwait(false);
                foreach (var note in plan.Notes)
                {
                    await io.Error.WriteLineAsync("note: " + note).ConfigureAwait(false);
                }

                foreach (var warning in result.Warnings)
                {
                    await io.Error.WriteLineAsync("warning: " + warning).ConfigureAwait(false);
                }

                if (!result.Changed)
                {
                    await io.Out.WriteLineAsync($"{firewall.Name}: already in effect, nothing changed").ConfigureAwait(false);
                    return NetPolHostCli.Ok;
                }

                foreach (var change in result.Changes)
                {
                    await io.Out.WriteLineAsync(change).ConfigureAwait(false);
                }

                // nftables cuts established connections the plan denies in the background: wait for it before exiting.
                if (OperatingSystem.IsLinux() && firewall is NftablesFirewallBackend nftables && !result.DryRun)
                {
                    var cutOff = await nftables.WaitForConnectionCutOffAsync(token).ConfigureAwait(false);
                    foreach (var warning in cutOff.Warnings)
                    {
                        await io.Error.WriteLineAsync("warning: " + warning).ConfigureAwait(false);
                    }

                    if (cutOff.EntriesDeleted > 0)
                    {
                        await io.Out.WriteLineAsync($"cut {cutOff.EntriesDeleted} established connection(s) the policies now deny").ConfigureAwait(false);
                    }
                }

                await io.Out.WriteLineAsync(
                    $"{firewall.Name}: {(result.DryRun ? "dry run accepted (nothing committed)" : "applied")}: +{result.ObjectsAdded} -{result.ObjectsRemoved} objects, +{result.ElementsAdded} -{result.ElementsRemoved} elements in {result.Duration.TotalMilliseconds:F0} ms; {plan.DescribeEndpointCount()}, {plan.Rules.Count} rules").ConfigureAwait(false);
                return NetPolHostCli.Ok;
            }
            finally
            {
                (firewall as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    private static Command Status(CliIO io)
    {
        var files = Common.Files(required: false);
        var ns = Common.Namespace();
        var node = Common.Node(required: false);
        var backend = BackendOption();
        var table = TableOption();
        var netns = NetnsOption();
        var counters = new Option<bool>("--counters") { Description = "List the packet and byte counters of every policy rule and isolation drop, named from the table (nftables)." };
        var output = Common.Output("Output format of --counters: text or json ({\"counters\": [...]}).", "text", "json");
        var command = new Command(
            "status",
            "Show what the backend owns on this host and, given policies and a node, how it differs from them (drift).\n" +
            "Exit code: 0 in sync (or nothing to compare), 1 drift found or the firewall failed, 2 bad input (invalid manifests, an unknown node).\n\n" +
            "Examples:\n" +
            "  sudo netpolhost status --backend nftables\n" +
            "  sudo netpolhost status --backend nftables -f examples/sample --node node-1\n" +
            "  sudo netpolhost status --backend nftables --counters -o json")
        {
            files, ns, node, backend, table, netns, counters, output,
        };
        command.SetAction(async (parse, token) =>
        {
            if (parse.GetValue(counters))
            {
                return await CountersAsync(io, parse.GetValue(backend)!, Settings(parse, table, netns), parse.GetValue(output) == "json", token).ConfigureAwait(false);
            }

            RulePlan? plan = null;
            var paths = parse.GetValue(files) ?? [];
            if (paths.Length > 0)
            {
                var nodeName = parse.GetValue(node) ?? throw new CliUsageException("--node is needed with -f to compare with the policies.");
                var snapshot = Common.LoadOrFail(paths, io, parse.GetValue(ns));
                Common.RequireKnownNode(snapshot, nodeName);
                plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = nodeName });
            }

            var firewall = BackendRegistry.Create(parse.GetValue(backend)!, Settings(parse, table, netns), forPlanOnly: false);
            try
            {
                var status = await firewall.GetStatusAsync(plan, token).ConfigureAwait(false);
                await io.Out.WriteLineAsync(status.Present ? $"{firewall.Name}: present" : $"{firewall.Name}: nothing owned on this host").ConfigureAwait(false);
                foreach (var line in status.OwnedObjects)
                {
                    await io.Out.WriteLineAsync("  " + line).ConfigureAwait(false);
                }

                foreach (var warning in status.Warnings)
                {
                    await io.Out.WriteLineAsync("warning: " + warning).ConfigureAwait(false);
                }

                if (plan is not null)
                {
                    await io.Out.WriteLineAsync(status.Drift.Count == 0 ? "in sync with the policies" : $"drift ({status.Drift.Count}):").ConfigureAwait(false);
                    foreach (var line in status.Drift)
                    {
                        await io.Out.WriteLineAsync("  " + line).ConfigureAwait(false);
                    }
                }

                return status.Drift.Count == 0 ? NetPolHostCli.Ok : NetPolHostCli.Denied;
            }
            finally
            {
                (firewall as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    private static async Task<int> CountersAsync(CliIO io, string backendName, BackendSettings settings, bool json, CancellationToken token)
    {
        var firewall = BackendRegistry.Create(backendName, settings, forPlanOnly: false);
        try
        {
            if (firewall is not IRuleCounterReader reader)
            {
                throw new CliUsageException($"the {firewall.Name} backend keeps no rule counters; --counters works with nftables.");
            }

            var list = await reader.ReadCountersAsync(token).ConfigureAwait(false);
            if (json)
            {
                await io.Out.WriteLineAsync(Common.Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteStartArray("counters");
                    foreach (var c in list)
                    {
                        w.WriteStartObject();
                        w.WriteString("endpoint", c.Endpoint);
                        w.WriteString("direction", c.Direction);
                        w.WriteString("tier", c.Tier);
                        w.WriteString("policy", c.Policy);
                        if (c.Rule is { } rule)
                        {
                            w.WriteNumber("rule", rule);
                        }
                        else
                        {
                            w.WriteNull("rule");
                        }

                        w.WriteString("action", c.Action);
                        w.WriteNumber("packets", c.Packets);
                        w.WriteNumber("bytes", c.Bytes);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                })).ConfigureAwait(false);
                return NetPolHostCli.Ok;
            }

            if (list.Count == 0)
            {
                await io.Out.WriteLineAsync($"{firewall.Name}: no counters (nothing applied)").ConfigureAwait(false);
                return NetPolHostCli.Ok;
            }

            await io.Out.WriteLineAsync($"{"PACKETS",10} {"BYTES",12}  {"ACTION",-10} {"TIER",-13} {"DIRECTION",-9} {"ENDPOINT",-30} RULE").ConfigureAwait(false);
            foreach (var c in list)
            {
                var rule = c.Policy is null ? "(isolation: no rule allows)" : $"{c.Policy} {c.Direction}[{c.Rule}]";
                await io.Out.WriteLineAsync($"{c.Packets,10} {c.Bytes,12}  {c.Action,-10} {c.Tier,-13} {c.Direction,-9} {c.Endpoint,-30} {rule}").ConfigureAwait(false);
            }

            return NetPolHostCli.Ok;
        }
        finally
        {
            (firewall as IDisposable)?.Dispose();
        }
    }

    private static Command Remove(CliIO io)
    {
        var backend = BackendOption();
        var table = TableOption();
        var netns = NetnsOption();
        var command = new Command(
            "remove",
            "Delete everything the backend owns on this host, and nothing else.\n" +
            "Exit code: 0 on success (also when nothing was owned), 1 when the firewall refused, 2 bad input.\n\n" +
            "Example:\n" +
            "  sudo netpolhost remove --backend nftables")
        {
            backend, table, netns,
        };
        command.SetAction(async (parse, token) =>
        {
            var firewall = BackendRegistry.Create(parse.GetValue(backend)!, Settings(parse, table, netns), forPlanOnly: false);
            try
            {
                await firewall.RemoveAllAsync(token).ConfigureAwait(false);
                await io.Out.WriteLineAsync($"{firewall.Name}: removed everything netpolhost owned").ConfigureAwait(false);
                return NetPolHostCli.Ok;
            }
            finally
            {
                (firewall as IDisposable)?.Dispose();
            }
        });
        return command;
    }
}
