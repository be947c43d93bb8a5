using System.CommandLine;
using NetPolHost.Backends;
using NetPolHost.Planning;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost plan</c>: compiles the rules one node must enforce (no root needed).</summary>
internal static class PlanCommand
{
    public static Command Create(CliIO io)
    {
        var files = Common.Files();
        var ns = Common.Namespace();
        var node = Common.Node(required: true);
        var backend = new Option<string>("--backend", "-b") { Description = "The backend whose native form -o native prints: " + string.Join(", ", BackendRegistry.Names) + "." };
        backend.AcceptOnlyFromAmong(BackendRegistry.Names);
        var output = Common.Output("Output format: text (readable plan), json (the backend-neutral plan, or the backend's translation when it has one), native (what a full apply loads, e.g. the nft script).", "text", "json", "native");
        var table = new Option<string>("--table") { Description = "nftables: the table name (default netpolhost)." };
        var command = new Command(
            "plan",
            "Compile the rules a node must enforce, without changing anything (no root needed).\n" +
            "Exit code: 0 success (a node that no Node object, pod or host endpoint names gets a warning and an empty plan), 2 bad input.\n\n" +
            "Examples:\n" +
            "  netpolhost plan -f examples/sample --node node-1\n" +
            "  netpolhost plan -f examples/sample --node node-1 --backend nftables -o native\n" +
            "  netpolhost plan -f examples/sample --node node-1 --backend windows-firewall -o native > apply.ps1")
        {
            files,
            ns,
            node,
            backend,
            output,
            table,
        };
        command.SetAction(parse =>
        {
            var format = parse.GetValue(output)!;
            var backendName = parse.GetValue(backend);
            if (format == "native" && backendName is null)
            {
                throw new CliUsageException("-o native needs --backend (" + string.Join(", ", BackendRegistry.Names) + ").");
            }

            var snapshot = Common.LoadOrFail(parse.GetValue(files)!, io, parse.GetValue(ns));
            var nodeName = parse.GetValue(node)!;
            Common.WarnUnknownNode(snapshot, nodeName, io);
            var plan = RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = nodeName });
            var settings = new BackendSettings { TableName = parse.GetValue(table) };
            if (backendName is not null)
            {
                BackendRegistry.Create(backendName, settings, forPlanOnly: true).EnsureCanExpress(plan);
            }

            switch (format)
            {
                case "native":
                    io.Out.Write(BackendRegistry.Create(backendName!, settings, forPlanOnly: true).RenderNative(plan));
                    break;
                case "json" when backendName is not null && BackendRegistry.Create(backendName, settings, forPlanOnly: true) is IBackendJsonRenderer json:
                    io.Out.WriteLine(json.RenderJson(plan));
                    break;
                case "json":
                    io.Out.WriteLine(RulePlanJson.Serialize(plan));
                    break;
                default:
                    io.Out.Write(plan.Describe());
                    break;
            }

            return NetPolHostCli.Ok;
        });
        return command;
    }
}
