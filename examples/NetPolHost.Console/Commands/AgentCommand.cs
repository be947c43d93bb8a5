using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost agent</c>: the node agent on the generic host, until stopped.</summary>
internal static class AgentCommand
{
    public static Command Create(CliIO io)
    {
        var files = Common.Files(required: false);
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Read namespaces, pods, nodes and NetworkPolicies from the Kubernetes API (list and watch): in a pod with its service account, elsewhere with $KUBECONFIG or ~/.kube/config." };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig file for the Kubernetes API (implies --kubernetes)." };
        var node = Common.Node(required: true);
        var backend = new Option<string>("--backend", "-b") { Description = "The host firewall: nftables, firewalld, windows-firewall, wfp, or auto (firewalld when it runs, else nftables; Windows Firewall on Windows).", DefaultValueFactory = _ => "auto" };
        backend.AcceptOnlyFromAmong([.. BackendRegistry.Names, "auto"]);
        var table = new Option<string>("--table") { Description = "nftables: the table the backend owns (default netpolhost)." };
        var netns = new Option<string>("--netns") { Description = "nftables: work inside this network namespace." };
        var resync = new Option<string>("--resync") { Description = "How often to repair drift, e.g. 30s, 5m (default 5m).", DefaultValueFactory = _ => "5m" };
        var debounce = new Option<string>("--debounce") { Description = "How long to gather changes before applying, e.g. 200ms (default 200ms).", DefaultValueFactory = _ => "200ms" };
        var removeOnStop = new Option<bool>("--remove-on-stop") { Description = "Remove the rules when the agent stops (by default they stay in force)." };
        var safeApply = new Option<string[]>("--safe-apply") { Description = "Roll an apply back unless one of these host:port answers within 10 s after it (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command(
            "agent",
            "Run the node agent: watch the manifests (-f) and/or the Kubernetes API (--kubernetes), apply every change to this host's firewall incrementally, repair drift; until stopped (Ctrl+C).\n" +
            "Rules stay in force when the agent stops unless --remove-on-stop is given; invalid manifests are reported and the last valid state stays enforced.\n\n" +
            "Examples:\n" +
            "  sudo netpolhost agent -f /etc/netpolhost --node $(hostname) --backend nftables\n" +
            "  sudo netpolhost agent -f policies/ --node node-1 --backend auto --resync 1m --safe-apply 10.96.0.1:443\n" +
            "  netpolhost agent --kubernetes --node $(NODE_NAME) --backend nftables    (in a DaemonSet: examples/deploy)")
        {
            files, kubernetes, kubeconfig, node, backend, table, netns, resync, debounce, removeOnStop, safeApply,
        };
        command.SetAction(async (parse, token) =>
        {
            var paths = parse.GetValue(files) ?? [];
            var kubeconfigPath = parse.GetValue(kubeconfig);
            var useKubernetes = parse.GetValue(kubernetes) || kubeconfigPath is not null;
            if (paths.Length == 0 && !useKubernetes)
            {
                throw new CliUsageException("give the manifests to watch with -f (a file or directory; repeatable), or read them from the Kubernetes API with --kubernetes, or both.");
            }

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            var netpolhost = builder.Services.AddNetPolHost();
            var settings = new BackendSettings { TableName = parse.GetValue(table), NetworkNamespace = parse.GetValue(netns) };
            switch (parse.GetValue(backend))
            {
                case "nftables" when OperatingSystem.IsLinux():
                    UseNftables(netpolhost, settings);
                    break;
                case "firewalld" when OperatingSystem.IsLinux():
                    netpolhost.UseFirewalld();
                    break;
                case "windows-firewall" when OperatingSystem.IsWindows():
                    netpolhost.UseWindowsFirewall();
                    break;
                case "wfp" when OperatingSystem.IsWindows():
                    netpolhost.UseWfp();
                    break;
                case "auto":
                    netpolhost.UseAutomaticBackend();
                    break;
                default:
                    throw new CliUsageException($"backend '{parse.GetValue(backend)}' does not run on this operating system.");
            }

            var targets = parse.GetValue(safeApply) ?? [];
            netpolhost
                .AddNodeAgent(o =>
                {
                    o.NodeName = parse.GetValue(node)!;
                    o.ResyncInterval = Duration(parse.GetValue(resync)!, "--resync");
                    o.Debounce = Duration(parse.GetValue(debounce)!, "--debounce");
                    o.RemoveRulesOnStop = parse.GetValue(removeOnStop);
                    o.SafeApply.Enabled = targets.Length > 0;
                    foreach (var target in targets)
                    {
                        o.SafeApply.Targets.Add(target);
                    }
                });
            var watched = new List<string>(paths);
            if (paths.Length > 0)
            {
                netpolhost.AddFileSource(paths);
            }

            if (useKubernetes)
            {
                netpolhost.AddKubernetesSource(o => o.KubeconfigPath = kubeconfigPath);
                watched.Add(kubeconfigPath is null ? "the Kubernetes API" : $"the Kubernetes API of {kubeconfigPath}");
            }

            using var host = builder.Build();
            await io.Error.WriteLineAsync($"netpolhost agent: node {parse.GetValue(node)}, watching {string.Join(", ", watched)}; Ctrl+C stops").ConfigureAwait(false);
            try
            {
                await host.RunAsync(token).ConfigureAwait(false);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                throw new CliUsageException("invalid settings: " + string.Join("; ", ex.Failures));
            }

            return NetPolHostCli.Ok;
        });
        return command;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void UseNftables(INetPolHostBuilder builder, BackendSettings settings) =>
        builder.UseNftables(o =>
        {
            o.TableName = settings.TableName ?? o.TableName;
            o.NetworkNamespace = settings.NetworkNamespace;
        });

    /// <summary>Parses 200ms, 30s, 5m, 1h, or a TimeSpan.</summary>
    public static TimeSpan Duration(string text, string option)
    {
        var units = new (string Suffix, double Factor)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600) };
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0)
            {
                return TimeSpan.FromSeconds(value * factor);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero
            ? span
            : throw new CliUsageException($"{option} '{text}' is not a duration such as 200ms, 30s, 5m or 1h.");
    }
}
