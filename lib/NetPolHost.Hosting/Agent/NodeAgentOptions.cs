using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace NetPolHost.Hosting.Agent;

/// <summary>Options of the node agent (bind section <c>NetPolHost:Agent</c>).</summary>
public sealed class NodeAgentOptions
{
    /// <summary>The node this agent enforces policy for (required): its pods are those with this <c>spec.nodeName</c>.</summary>
    public string NodeName { get; set; } = string.Empty;

    /// <summary>The node's own addresses; empty to take them from the Node object of the snapshot.</summary>
    public IList<string> NodeAddresses { get; } = [];

    /// <summary>Host endpoints (<c>namespace/name</c>) to enforce here besides those whose <c>spec.nodeName</c> is this node.</summary>
    public IList<string> HostEndpoints { get; } = [];

    /// <summary>How long to wait for more changes before applying (changes arriving together are applied together).</summary>
    /// <value>Default 200 ms; between 0 and one minute.</value>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often to compare the host firewall with the plan and repair drift.</summary>
    /// <value>Default 5 minutes; between 1 second and 24 hours.</value>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether to remove everything the backend owns when the agent stops.</summary>
    /// <value>Default <see langword="false"/>: rules stay in force, so a restart never opens a gap.</value>
    public bool RemoveRulesOnStop { get; set; }

    /// <summary>Roll an apply back unless connectivity is confirmed after it.</summary>
    public SafeApplyOptions SafeApply { get; } = new();

    /// <summary>The flow log: connections the firewall logs, read while the agent runs (backends that implement
    /// <see cref="NetPolHost.Backends.IFlowLogReader"/>: nftables).</summary>
    public FlowLogOptions FlowLog { get; } = new();
}

/// <summary>The agent's flow log: each record the backend logs goes to the agent's logger (structured, at Information),
/// to the <c>netpolhost.flows</c> counter and, when <see cref="Path"/> is set, as a JSON line to a file (the form of
/// <c>netpolhost flows -o json</c>).</summary>
public sealed class FlowLogOptions
{
    /// <summary>Whether the agent reads the flow log.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>A file the records are appended to as JSON lines, or <see langword="null"/> for none.</summary>
    public string? Path { get; set; }

    /// <summary>Also allowed connections (else only denied and would-deny ones).</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool IncludeAllowed { get; set; }
}

/// <summary>Safe apply: after an apply that changed something, check that this host can still reach a target (the API
/// server, a gateway); otherwise go back to the previous state.</summary>
public sealed class SafeApplyOptions
{
    /// <summary>Whether safe apply is on.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>Targets as <c>host:port</c> (any one reachable by TCP confirms); empty means the Kubernetes API server
    /// from <c>KUBERNETES_SERVICE_HOST</c>/<c>KUBERNETES_SERVICE_PORT</c>.</summary>
    public IList<string> Targets { get; } = [];

    /// <summary>How long connectivity may take to confirm (the agent applies nothing else meanwhile).</summary>
    /// <value>Default 10 seconds; more than 0 and at most 5 minutes.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether <paramref name="target"/> is a valid entry of <see cref="Targets"/>: <c>host:port</c> or
    /// <c>[v6]:port</c> with a port from 1 to 65535.</summary>
    /// <param name="target">The text.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidTarget(string target) => TcpConnectivityCheck.TryParseTarget(target, out _, out _);
}

/// <summary>Checks <see cref="NodeAgentOptions"/> at start and lists every broken field.</summary>
internal sealed class NodeAgentOptionsValidator : IValidateOptions<NodeAgentOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeAgentOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.NodeName))
        {
            failures.Add("NodeName is required: the name of the Kubernetes node (spec.nodeName of its pods) this agent enforces policy for.");
        }

        foreach (var address in options.NodeAddresses)
        {
            if (!IPAddress.TryParse(address, out _))
            {
                failures.Add($"NodeAddresses: '{address}' is not an IPv4 or IPv6 address.");
            }
        }

        foreach (var endpoint in options.HostEndpoints)
        {
            if (endpoint.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            {
                failures.Add($"HostEndpoints: '{endpoint}' is not namespace/name.");
            }
        }

        if (options.Debounce < TimeSpan.Zero || options.Debounce > TimeSpan.FromMinutes(1))
        {
            failures.Add($"Debounce must be between 0 and 1 minute, found {options.Debounce}.");
        }

        if (options.ResyncInterval < TimeSpan.FromSeconds(1) || options.ResyncInterval > TimeSpan.FromHours(24))
        {
            failures.Add($"ResyncInterval must be between 1 second and 24 hours, found {options.ResyncInterval}.");
        }

        if (options.SafeApply.Timeout <= TimeSpan.Zero || options.SafeApply.Timeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"SafeApply.Timeout must be more than 0 and at most 5 minutes, found {options.SafeApply.Timeout}.");
        }

        if (options.FlowLog.Path is { } flowLog && string.IsNullOrWhiteSpace(flowLog))
        {
            failures.Add("FlowLog.Path is empty: give a file, or leave it unset for no file.");
        }

        foreach (var target in options.SafeApply.Targets)
        {
            if (!TcpConnectivityCheck.TryParseTarget(target, out _, out _))
            {
                failures.Add($"SafeApply.Targets: '{target}' is not host:port with a port 1-65535.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Confirms that the host can still reach the outside after an apply.</summary>
public interface IConnectivityCheck
{
    /// <summary>Whether any of <paramref name="targets"/> answers within <paramref name="timeout"/>.</summary>
    /// <param name="targets">Targets as <c>host:port</c>.</param>
    /// <param name="timeout">The time allowed.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns><see langword="true"/> when one answered.</returns>
    Task<bool> CheckAsync(IReadOnlyList<string> targets, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>Connectivity by TCP connect: the first target that accepts a connection confirms.</summary>
internal sealed class TcpConnectivityCheck : IConnectivityCheck
{
    /// <inheritdoc/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: that is no answer
    /// about connectivity, so it is not reported as unreachable.</exception>
    public async Task<bool> CheckAsync(IReadOnlyList<string> targets, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        cancellationToken.ThrowIfCancellationRequested();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);

        // Every target is tried at the same time, each again every 200 ms until the deadline: one that silently drops
        // connection attempts must not use up the time the others need. The first answer wins.
        var valid = targets.Select(t => TryParseTarget(t, out var host, out var port) ? (Host: host, Port: port) : (Host: (string?)null, Port: 0))
            .Where(t => t.Host is not null)
            .ToList();
        if (valid.Count > 0)
        {
            var probes = valid.Select(t => ProbeUntilAnswerAsync(t.Host!, t.Port, deadline.Token)).ToList();
            while (probes.Count > 0)
            {
                var done = await Task.WhenAny(probes).ConfigureAwait(false);
                probes.Remove(done);
                if (await done.ConfigureAwait(false))
                {
                    await deadline.CancelAsync().ConfigureAwait(false);
                    return true;
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }

    private static async Task<bool> ProbeUntilAnswerAsync(string host, int port, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(host, port, token).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
            {
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return false;
    }

    /// <summary>Parses <c>host:port</c> or <c>[v6]:port</c>.</summary>
    /// <param name="target">The text.</param>
    /// <param name="host">The host.</param>
    /// <param name="port">The port.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    internal static bool TryParseTarget(string target, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(target))
        {
            return false;
        }

        var colon = target.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = target[..colon].Trim('[', ']');
        return host.Length > 0;
    }
}
