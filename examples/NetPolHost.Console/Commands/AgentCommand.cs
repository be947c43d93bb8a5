using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NetPolHost.Cli.Commands;

/// <summary><c>netpolhost agent</c>: the node agent on the generic host, until stopped.</summary>
internal static partial class AgentCommand
{
    public static Command Create(CliIO io)
    {
        var files = Common.Files(required: false);
        var ns = Common.Namespace();
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Read namespaces, pods, nodes and NetworkPolicies from the Kubernetes API (list and watch): in a pod with its service account, elsewhere with $KUBECONFIG or ~/.kube/config." };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig file for the Kubernetes API (implies --kubernetes)." };
        var node = Common.Node(required: true);
        var backend = new Option<string>("--backend", "-b") { Description = "The host firewall: nftables, firewalld, windows-firewall, wfp, or auto (firewalld when it runs, else nftables; Windows Firewall on Windows).", DefaultValueFactory = _ => "auto" };
        backend.AcceptOnlyFromAmong([.. BackendRegistry.Names, "auto"]);
        var table = new Option<string>("--table") { Description = "nftables: the table the backend owns (default netpolhost)." };
        var netns = new Option<string>("--netns") { Description = "nftables: work inside this network namespace." };
        var resync = new Option<string>("--resync") { Description = "How often to repair drift: 1s to 24h, e.g. 30s, 5m (default 5m).", DefaultValueFactory = _ => "5m" };
        var debounce = new Option<string>("--debounce") { Description = "How long to gather changes before applying: 0ms to 1m, e.g. 200ms (default 200ms).", DefaultValueFactory = _ => "200ms" };
        var removeOnStop = new Option<bool>("--remove-on-stop") { Description = "Remove the rules when the agent stops (by default they stay in force)." };
        var safeApply = new Option<string[]>("--safe-apply") { Description = "Roll an apply back unless one of these host:port answers within 10 s after it (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var listen = new Option<string>("--listen") { Description = "Serve /metrics (Prometheus), /healthz and /readyz over HTTP on ADDRESS:PORT, e.g. 0.0.0.0:9940 or [::]:9940 (off by default)." };
        var flowLog = new Option<string>("--flow-log") { Description = "nftables: read the flow log while the agent runs (denied and would-deny connections): each record goes to the agent's log and the netpolhost.flows metric, and is appended to this file as a JSON line (the form of 'flows -o json')." };
        var audit = new Option<bool>("--audit") { Description = "nftables: audit mode: isolation is computed as usual, but instead of dropping, rules log would-deny and accept." };
        var command = new Command(
            "agent",
            "Run the node agent: watch the manifests (-f) and/or the Kubernetes API (--kubernetes), apply every change to this host's firewall incrementally, repair drift; until stopped (Ctrl+C).\n" +
            "Rules stay in force when the agent stops unless --remove-on-stop is given; invalid manifests are reported and the last valid state stays enforced.\n" +
            "Exit code: 0 when stopped (Ctrl+C, SIGTERM), 1 when the host could not start or a hosted service failed (firewall errors do not stop the agent: it reports and retries them), 2 bad input (options, settings).\n\n" +
            "Examples:\n" +
            "  sudo netpolhost agent -f /etc/netpolhost --node $(hostname) --backend nftables\n" +
            "  sudo netpolhost agent -f policies/ --node node-1 --backend auto --resync 1m --safe-apply 10.96.0.1:443\n" +
            "  sudo netpolhost agent -f /etc/netpolhost --node $(hostname) --listen 127.0.0.1:9940    (then curl 127.0.0.1:9940/metrics)\n" +
            "  sudo netpolhost agent -f /etc/netpolhost --node $(hostname) --backend nftables --audit --flow-log /var/log/netpolhost-flows.jsonl\n" +
            "  netpolhost agent --kubernetes --node $(NODE_NAME) --backend nftables    (in a DaemonSet: examples/deploy)")
        {
            files, ns, kubernetes, kubeconfig, node, backend, table, netns, resync, debounce, removeOnStop, safeApply, listen, flowLog, audit,
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

            if (paths.Contains("-"))
            {
                throw new CliUsageException("the agent watches files and directories; it cannot watch standard input ('-f -').");
            }

            // Everything from the command line is checked before the host is built: a bad value is one "error:" line and
            // exit code 2, never a host start-up failure with a stack trace.
            var nodeName = parse.GetValue(node)!;
            if (string.IsNullOrWhiteSpace(nodeName))
            {
                throw new CliUsageException("--node needs the name of this node (spec.nodeName of its pods).");
            }

            var resyncInterval = Duration(parse.GetValue(resync)!, "--resync", MinResync, MaxResync);
            var debounceDelay = Duration(parse.GetValue(debounce)!, "--debounce", TimeSpan.Zero, MaxDebounce);
            var targets = parse.GetValue(safeApply) ?? [];
            foreach (var target in targets)
            {
                if (!NetPolHost.Hosting.Agent.SafeApplyOptions.IsValidTarget(target))
                {
                    throw new CliUsageException($"--safe-apply '{target}' is not host:port with a port 1-65535 (e.g. 10.96.0.1:443 or [fd00::1]:6443).");
                }
            }

            var listenAt = parse.GetValue(listen);
            if (listenAt is not null)
            {
                if (!NetPolHost.Hosting.Prometheus.MetricsEndpointOptions.TryParseListen(listenAt, out var endpoint, out var listenError))
                {
                    throw new CliUsageException("--listen " + listenError);
                }

                if (endpoint.Port == 0)
                {
                    throw new CliUsageException($"--listen '{listenAt}' has port 0: give a port from 1 to 65535, e.g. 0.0.0.0:9940.");
                }
            }

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

            // The default, made explicit: a failed background service stops the host, and RunHostAsync turns that into exit code 1.
            builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost);
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            var netpolhost = builder.Services.AddNetPolHost();
            var settings = new BackendSettings { TableName = parse.GetValue(table), NetworkNamespace = parse.GetValue(netns), Audit = parse.GetValue(audit) };
            var flowLogPath = parse.GetValue(flowLog);
            if (flowLogPath is not null && string.IsNullOrWhiteSpace(flowLogPath))
            {
                throw new CliUsageException("--flow-log needs a file to append the flow records to, e.g. /var/log/netpolhost-flows.jsonl.");
            }

            // "auto" is resolved to a name first, so the options given (--table, --netns) reach the backend chosen and
            // are checked as for a named one.
            var backendName = parse.GetValue(backend)!;
            if (backendName == "auto")
            {
                backendName = AutomaticBackendNetPolHostBuilderExtensions.ChooseBackendName();
            }

            // Flow logs and audit mode are nftables' (as for 'apply --audit' and 'flows'): elsewhere, say so before starting.
            if (settings.Audit && backendName != "nftables")
            {
                throw new CliUsageException(BackendRegistry.NotOnThisBackend(backendName, "--audit (audit mode)"));
            }

            if (flowLogPath is not null && backendName != "nftables")
            {
                throw new CliUsageException(BackendRegistry.NotOnThisBackend(backendName, "--flow-log (flow logs)"));
            }

            switch (backendName)
            {
                case "nftables" when OperatingSystem.IsLinux():
                    UseNftables(netpolhost, settings);
                    break;
                case "firewalld" when OperatingSystem.IsLinux():
                    if (settings.NetworkNamespace is not null)
                    {
                        throw new CliUsageException("--netns does not apply to firewalld, which works in its own network namespace.");
                    }

                    netpolhost.UseFirewalld();
                    break;
                case "windows-firewall" when OperatingSystem.IsWindows():
                    netpolhost.UseWindowsFirewall();
                    break;
                case "wfp" when OperatingSystem.IsWindows():
                    netpolhost.UseWfp();
                    break;
                default:
                    throw new CliUsageException($"backend '{parse.GetValue(backend)}' does not run on this operating system.");
            }

            var removeRules = parse.GetValue(removeOnStop);
            netpolhost
                .AddNodeAgent(o =>
                {
                    o.NodeName = nodeName;
                    o.ResyncInterval = resyncInterval;
                    o.Debounce = debounceDelay;
                    o.RemoveRulesOnStop = removeRules;
                    o.FlowLog.Enabled = flowLogPath is not null;
                    o.FlowLog.Path = flowLogPath is null ? null : Path.GetFullPath(flowLogPath);
                    o.SafeApply.Enabled = targets.Length > 0;
                    foreach (var target in targets)
                    {
                        o.SafeApply.Targets.Add(target);
                    }
                });
            var watched = new List<string>(paths);
            if (paths.Length > 0)
            {
                var defaultNamespace = parse.GetValue(ns);
                netpolhost.AddFileSource(o =>
                {
                    foreach (var path in paths)
                    {
                        o.Paths.Add(path);
                    }

                    o.DefaultNamespace = defaultNamespace;
                });
            }

            if (useKubernetes)
            {
                netpolhost.AddKubernetesSource(o => o.KubeconfigPath = kubeconfigPath);
                watched.Add(kubeconfigPath is null ? "the Kubernetes API" : $"the Kubernetes API of {kubeconfigPath}");
            }

            if (listenAt is not null)
            {
                netpolhost.AddMetricsEndpoint(listenAt);
            }

            using var host = builder.Build();
            var serving = listenAt is null ? string.Empty : $", /metrics /healthz /readyz on {listenAt}";
            serving += settings.Audit ? ", audit mode (would-deny is logged and accepted)" : string.Empty;
            serving += flowLogPath is null ? string.Empty : $", flow log to {flowLogPath}";
            return await RunHostAsync(host, io, $"netpolhost agent: node {nodeName}, watching {string.Join(", ", watched)}{serving}; Ctrl+C stops", token).ConfigureAwait(false);
        });
        return command;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void UseNftables(INetPolHostBuilder builder, BackendSettings settings) =>
        builder.UseNftables(o =>
        {
            o.TableName = settings.TableName ?? o.TableName;
            o.NetworkNamespace = settings.NetworkNamespace;
            o.Audit = settings.Audit;
        });

    /// <summary>The shortest <c>--resync</c>: repairing drift more often than every second only burns CPU.</summary>
    public static readonly TimeSpan MinResync = TimeSpan.FromSeconds(1);

    /// <summary>The longest <c>--resync</c>: drift must be repaired at least daily.</summary>
    public static readonly TimeSpan MaxResync = TimeSpan.FromDays(1);

    /// <summary>The longest <c>--debounce</c>: changes must not wait longer than a minute to be enforced.</summary>
    public static readonly TimeSpan MaxDebounce = TimeSpan.FromMinutes(1);

    /// <summary>Runs the host until it stops, and tells how it stopped by the exit code: 0 when stopped as asked,
    /// 1 when a hosted service failed, 2 (<see cref="CliUsageException"/>) when its settings are invalid.</summary>
    /// <remarks>
    /// With <see cref="BackgroundServiceExceptionBehavior.StopHost"/> (the default), a <see cref="BackgroundService"/>
    /// whose ExecuteAsync throws stops the host; up to .NET 10 the host then stops as if asked to (RunAsync completes
    /// without an exception), so its faulted <see cref="BackgroundService.ExecuteTask"/> is what shows the failure;
    /// from .NET 11 StopAsync and WaitForShutdownAsync also throw that exception. Both are handled. Settings are
    /// validated (IStartupValidator) before the host starts, so invalid ones give one line rather than a logged
    /// start-up failure with a stack trace.
    /// </remarks>
    internal static async Task<int> RunHostAsync(IHost host, CliIO io, string banner, CancellationToken token)
    {
        try
        {
            host.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception ex) when (OptionsFailures(ex) is { } failures)
        {
            throw new CliUsageException("invalid settings: " + failures);
        }

        await io.Error.WriteLineAsync(banner).ConfigureAwait(false);
        try
        {
            await host.StartAsync(token).ConfigureAwait(false);
            await host.WaitForShutdownAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (OptionsFailures(ex) is { } failures)
        {
            throw new CliUsageException("invalid settings: " + failures);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            await io.Error.WriteLineAsync("error: the agent failed: " + NetPolHostCli.Describe(ex)).ConfigureAwait(false);
            return NetPolHostCli.Denied;
        }

        // The hosted services are singletons: these are the instances the host ran (resolved before it is disposed).
        var faulted = host.Services.GetServices<IHostedService>()
            .OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .ToList();
        if (faulted.Count == 0)
        {
            return NetPolHostCli.Ok;
        }

        foreach (var service in faulted)
        {
            await io.Error.WriteLineAsync($"error: the agent stopped because {service.GetType().Name} failed: {NetPolHostCli.Describe(service.ExecuteTask!.Exception!)}").ConfigureAwait(false);
        }

        return NetPolHostCli.Denied;
    }

    /// <summary>The failures of an options validation (alone or several in an AggregateException), or null.</summary>
    private static string? OptionsFailures(Exception exception) => exception switch
    {
        OptionsValidationException validation => string.Join("; ", validation.Failures),
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => e is OptionsValidationException) =>
            string.Join("; ", aggregate.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures)),
        _ => null,
    };

    /// <summary>Parses a duration: a decimal number with a unit (200ms, 30s, 1.5m, 1h) or a time span (00:05:00),
    /// between <paramref name="min"/> and <paramref name="max"/>.</summary>
    /// <exception cref="CliUsageException">Not a duration, negative, or out of range (never another exception).</exception>
    public static TimeSpan Duration(string text, string option, TimeSpan min, TimeSpan max)
    {
        var range = $"between {Format(min)} and {Format(max)}";
        var value = text.Trim();
        if (value.StartsWith('-'))
        {
            throw new CliUsageException($"{option} '{text}' is negative: give a duration {range}.");
        }

        double? seconds = null;
        foreach (var (suffix, factor) in s_units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal))
            {
                var number = value[..^suffix.Length];

                // Digits and one decimal point only: no exponent, sign, NaN or Infinity.
                if (DecimalNumber().IsMatch(number) && double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
                {
                    seconds = parsed * factor;
                }

                break;
            }
        }

        if (seconds is null && value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span))
        {
            seconds = span.TotalSeconds;
        }

        if (seconds is not { } total)
        {
            throw new CliUsageException($"{option} '{text}' is not a duration such as 200ms, 30s, 5m, 1h or 00:05:00; give one {range}.");
        }

        // Compared as a double first: a huge number (1000000000000h) must not overflow TimeSpan.
        if (!double.IsFinite(total) || total < min.TotalSeconds || total > max.TotalSeconds)
        {
            throw new CliUsageException($"{option} '{text}' is out of range: give a duration {range}.");
        }

        var result = TimeSpan.FromTicks((long)Math.Round(total * TimeSpan.TicksPerSecond));
        return result < min ? min : result > max ? max : result;
    }

    private static readonly (string Suffix, double Factor)[] s_units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];

    [GeneratedRegex(@"^(\d+(\.\d*)?|\.\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalNumber();

    private static string Format(TimeSpan span) =>
        span == TimeSpan.Zero ? "0ms"
        : span.Ticks % TimeSpan.TicksPerHour == 0 ? $"{(long)span.TotalHours}h"
        : span.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{(long)span.TotalMinutes}m"
        : span.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{(long)span.TotalSeconds}s"
        : $"{span.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
}
