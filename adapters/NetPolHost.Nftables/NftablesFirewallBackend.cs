using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetPolHost.Backends;
using NetPolHost.Nftables.Interop;
using NetPolHost.Nftables.Rendering;
using NetPolHost.Nftables.Runtime;
using NetPolHost.Nftables.State;
using NetPolHost.Planning;

namespace NetPolHost.Nftables;

/// <summary>Enforces rule plans with nftables: one <c>inet</c> table owned by the backend, changed atomically.</summary>
/// <remarks>
/// The first apply (and any apply after a failure or <see cref="ApplyOptions"/> asking for it) replaces the table in one
/// transaction. Later applies send only the element-level differences from the state the backend applied last, also in
/// one transaction; if the kernel rejects them (someone changed the table), the backend replaces the whole table in one
/// transaction instead. The kernel is read back only by <see cref="GetStatusAsync"/>, to report drift. Nothing outside
/// the table is touched; <see cref="RemoveAllAsync"/> deletes the table. Calls are serialised.
/// </remarks>
public sealed partial class NftablesFirewallBackend : IFirewallBackend, IRuleCounterReader, IFlowLogReader, IDisposable
{
    private readonly NftablesOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Func<INftRunner>? _runnerFactory;
    private readonly NftPlanRenderer _renderer;
    private readonly NftRenderOptions _renderOptions;
    private INftRunner? _runner;
    private readonly ConnectionCutOff _cutOff;
    private NftState? _applied;
    private volatile bool _disposed;
    private RulePlan? _appliedPlan;
    private IReadOnlyList<string>? _coexistence;

    /// <summary>Creates the backend.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The table name is not valid.</exception>
    public NftablesFirewallBackend(NftablesOptions? options = null, ILogger<NftablesFirewallBackend>? logger = null)
        : this(options ?? new NftablesOptions(), null, null, logger)
    {
    }

    internal NftablesFirewallBackend(NftablesOptions options, Func<INftRunner>? runnerFactory, IConntrack? conntrack, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!NftNames.IsValidTableName(options.TableName))
        {
            throw new ArgumentException($"Table name '{NftNames.Comment(options.TableName)}' is not valid: a letter, then letters, digits or '_', at most 32 characters.", nameof(options));
        }

        if (options.LogFlows && options.DenyLogGroup == options.AllowLogGroup)
        {
            throw new ArgumentException($"DenyLogGroup and AllowLogGroup must differ (both are {options.DenyLogGroup.ToString(CultureInfo.InvariantCulture)}): flows --allowed tells the verdicts apart by group.", nameof(options));
        }

        _options = options;
        _renderOptions = NftRenderOptions.From(options);
        _renderer = new NftPlanRenderer(_renderOptions);
        _runnerFactory = runnerFactory;
        _logger = logger ?? NullLogger.Instance;
        _cutOff = new ConnectionCutOff(conntrack is not null ? () => conntrack : () => NetlinkConntrack.Open(options.NetworkNamespace), _logger);
    }

    /// <inheritdoc/>
    public string Name => "nftables";

    /// <summary>The table the backend owns.</summary>
    public string TableName => _options.TableName;

    /// <inheritdoc/>
    public BackendCapabilities Capabilities =>
        BackendCapabilities.IPv4 | BackendCapabilities.IPv6 | BackendCapabilities.Sctp | BackendCapabilities.PortRanges
        | BackendCapabilities.PodTraffic | BackendCapabilities.HostTraffic | BackendCapabilities.AtomicApply | BackendCapabilities.Incremental
        | BackendCapabilities.ClusterPolicyTiers;

    /// <summary>Which transport is in use ("libnftables" or "nft"), once the backend has been used.</summary>
    public string? Transport => _runner?.Kind;

    /// <inheritdoc/>
    public string RenderNative(RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return NftPlanRenderer.Render(plan, _options.TableName, _renderOptions).FullScript();
    }

    /// <summary>The script an apply of <paramref name="plan"/> would send now: the element-level changes from the last
    /// applied state, or the full replacement when nothing was applied yet.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The nft commands.</returns>
    public string RenderChanges(RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var desired = _renderer.RenderPlan(plan, _options.TableName);
        return (_applied is null ? NftDiff.Full(desired) : NftDiff.Between(_applied, desired)).Script;
    }

    /// <inheritdoc/>
    public async Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        this.EnsureCanExpress(plan);
        options ??= new ApplyOptions();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stopwatch = Stopwatch.StartNew();
            var desired = _renderer.RenderPlan(plan, _options.TableName);
            var runner = Runner();
            var full = false;
            var fromKernel = false;
            NftDiff? diff = null;
            IReadOnlyList<string>? kernelChanges = null;
            if (_applied is null || options.Full)
            {
                // A new process, or a repair: compare with what the kernel holds, so an unchanged plan changes nothing
                // and a drifted table is repaired element by element (see NftKernelState.AsFrom for why not replaced).
                if (ReadTable(runner) is { } kernel)
                {
                    var drift = kernel.DriftFrom(desired);
                    if (drift.Count == 0)
                    {
                        if (!options.DryRun)
                        {
                            _applied = desired;
                            _appliedPlan = plan;
                        }

                        return new ApplyResult { Changed = false, DryRun = options.DryRun, Duration = stopwatch.Elapsed, Warnings = Coexistence(runner) };
                    }

                    if (kernel.AsFrom(desired) is { } from)
                    {
                        diff = NftDiff.Between(from, desired);
                        fromKernel = true;
                        kernelChanges = ["table inet " + _options.TableName + " repaired in place; it differed in:", .. drift.Select(d => "  " + d)];
                    }
                    else
                    {
                        kernelChanges = ["table inet " + _options.TableName + " replaced whole; it differed in:", .. drift.Select(d => "  " + d)];
                    }
                }
            }
            else
            {
                try
                {
                    diff = NftDiff.Between(_applied, desired);
                }
                catch (InvalidOperationException)
                {
                    diff = null;
                }
            }

            if (diff is null)
            {
                full = true;
                diff = NftDiff.Full(desired);
            }

            if (diff.IsEmpty)
            {
                return new ApplyResult { Changed = false, DryRun = options.DryRun, Duration = stopwatch.Elapsed, Warnings = Coexistence(runner) };
            }

            // Element-only changes skip nft (and the cache it fetches first) when the runner can send them itself.
            var result = (diff.ElementChanges is { } elements && !options.DryRun ? runner.RunElements(_options.TableName, elements) : null)
                ?? runner.Run(diff.Script, options.DryRun);
            string? rejected = null;
            var repaired = false;
            if (!result.Success && !full)
            {
                // The kernel refused the element-level change (the table is not what we applied last, e.g. someone
                // flushed or edited it): diff from what the kernel holds, unless that was the refused diff; if that
                // cannot work or is refused too, replace the table whole. Each attempt is one transaction.
                rejected = FirstLine(result.Error);
                Log.IncrementalRejected(_logger, _options.TableName, rejected);
                var repair = fromKernel ? null : ReadTable(runner)?.AsFrom(desired);
                if (repair is not null)
                {
                    diff = NftDiff.Between(repair, desired);
                    result = runner.Run(diff.Script, options.DryRun);
                    repaired = result.Success;
                }

                if (!repaired)
                {
                    diff = NftDiff.Full(desired);
                    full = true;
                    result = runner.Run(diff.Script, options.DryRun);
                }
            }

            if (!result.Success)
            {
                throw new BackendApplyException(Name, $"nft rejected the {(full ? "full" : "incremental")} transaction; the previous state is unchanged. nft said: {result.Error.Trim()}");
            }

            var warnings = new List<string>(Coexistence(runner));
            if (!options.DryRun)
            {
                var previousPlan = _appliedPlan;
                _applied = desired;
                _appliedPlan = plan;
                if (_options.DeleteConntrackEntriesOfDeniedFlows)
                {
                    _cutOff.Enqueue(previousPlan, plan);
                }
            }

            stopwatch.Stop();
            Log.Applied(_logger, _options.TableName, full ? "full" : "incremental", diff.ObjectsAdded, diff.ObjectsRemoved, diff.ElementsAdded, diff.ElementsRemoved, stopwatch.Elapsed.TotalMilliseconds);
            var changes = rejected is not null
                ? diff.Changes.Prepend($"! the kernel refused the incremental change ({rejected}); {(repaired ? "changed what differs from the kernel's table instead" : "replaced the table whole")}").ToList()
                : kernelChanges ?? diff.Changes;
            return new ApplyResult
            {
                Changed = true,
                DryRun = options.DryRun,
                ObjectsAdded = diff.ObjectsAdded,
                ObjectsRemoved = diff.ObjectsRemoved,
                ElementsAdded = diff.ElementsAdded,
                ElementsRemoved = diff.ElementsRemoved,
                Changes = changes,
                Duration = stopwatch.Elapsed,
                Warnings = warnings,
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task RemoveAllAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var runner = Runner();
            if (runner.ListJson($"list table inet {_options.TableName}").Success)
            {
                var result = runner.Run($"delete table inet {_options.TableName}\n");
                if (!result.Success)
                {
                    throw new BackendApplyException(Name, "could not delete table inet " + _options.TableName + ": " + result.Error.Trim());
                }
            }

            _applied = null;
            _appliedPlan = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<BackendStatus> GetStatusAsync(RulePlan? desired = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var runner = Runner();
            var kernel = ReadTable(runner);
            var warnings = Coexistence(runner);
            var target = desired is not null ? NftPlanRenderer.Render(desired, _options.TableName, _renderOptions) : _applied;
            if (kernel is null)
            {
                return new BackendStatus
                {
                    Present = false,
                    Drift = target is null ? [] : [$"table inet {_options.TableName} is missing"],
                    Warnings = warnings,
                };
            }

            var owned = new List<string> { $"table inet {_options.TableName} (via {runner.Kind})", "mode: " + ModeOf(kernel) };
            owned.AddRange(kernel.ChainRuleComments.OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => $"chain {c.Key}{(kernel.ChainHooks[c.Key] is { } hook ? " (hook " + hook + ")" : string.Empty)}: {c.Value.Count.ToString(CultureInfo.InvariantCulture)} rules"));
            owned.AddRange(kernel.Sets.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"set {s.Key}: {s.Value.Count.ToString(CultureInfo.InvariantCulture)} elements"));
            return new BackendStatus
            {
                Present = true,
                OwnedObjects = owned,
                Drift = target is null ? [] : kernel.DriftFrom(target),
                Warnings = warnings,
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether the table in force enforces or audits, from its isolation rules' labels.</summary>
    /// <param name="kernel">The table as the kernel lists it.</param>
    /// <returns><c>enforce</c>, <c>audit (…)</c>, or <c>none</c> when nothing isolates.</returns>
    internal static string ModeOf(NftKernelState kernel)
    {
        var actions = kernel.Rules.Select(r => NftProvenance.Parse(r.Comment)).Where(p => p is not null && (p.IsIsolation || p.Action is "deny" or "would-deny")).Select(p => p!.Action).ToHashSet(StringComparer.Ordinal);
        if (actions.Contains("would-deny"))
        {
            return actions.Contains("drop") || actions.Contains("deny") ? "mixed (audit and enforce)" : "audit (denied connections are logged as would-deny and accepted)";
        }

        return actions.Count == 0 ? "none (nothing is isolated)" : "enforce";
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<RuleCounter>> ReadCountersAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var kernel = ReadTable(Runner());
            return kernel is null ? [] : Counters(kernel);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The counters of the table's policy rules and isolation drops, named by their labels, in table order.</summary>
    internal static List<RuleCounter> Counters(NftKernelState kernel)
    {
        var endpoints = kernel.EndpointsOfChains();
        var counters = new List<RuleCounter>();
        foreach (var rule in kernel.Rules)
        {
            if (rule.Counter is not { } counter || NftProvenance.Parse(rule.Comment) is not { } provenance)
            {
                continue;
            }

            var names = endpoints.GetValueOrDefault(rule.Chain);
            counters.Add(new RuleCounter
            {
                Endpoint = names is { Count: 1 } ? names.Min! : rule.Chain,
                Direction = provenance.Direction,
                Tier = provenance.Tier,
                Policy = provenance.Policy,
                Rule = provenance.Rule,
                Action = provenance.Action,
                Packets = counter.Packets,
                Bytes = counter.Bytes,
            });
        }

        // One policy rule can be several nft rules (IPv4 and IPv6 peers, address ranges): their counts are summed.
        return [.. counters
            .GroupBy(c => (c.Endpoint, c.Direction, c.Tier, c.Policy, c.Rule, c.Action))
            .Select(g => g.First() with { Packets = g.Sum(c => c.Packets), Bytes = g.Sum(c => c.Bytes) })];
    }

    /// <inheritdoc/>
    /// <remarks>Reads NFLOG in-process (the groups of <see cref="NftablesOptions.DenyLogGroup"/> and, with
    /// <paramref name="includeAllowed"/>, <see cref="NftablesOptions.AllowLogGroup"/>) in the backend's network namespace;
    /// each record is named from the log prefix (the rule's label) and the endpoint names on the table's map elements,
    /// re-read at most every 5 seconds. Only one reader can bind a group in a namespace at a time.</remarks>
    /// <exception cref="BackendUnavailableException">The groups cannot be bound (another reader has them, no
    /// CAP_NET_ADMIN, no nfnetlink_log).</exception>
    public async IAsyncEnumerable<FlowRecord> ReadFlowsAsync(bool includeAllowed, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ushort[] groups = includeAllowed ? [(ushort)_options.DenyLogGroup, (ushort)_options.AllowLogGroup] : [(ushort)_options.DenyLogGroup];
        using var reader = _options.NetworkNamespace is { } netns ? NflogReader.Open(groups, netns) : NflogReader.Open(groups);
        Dictionary<IPAddress, string> names = [];
        var namesRead = DateTime.MinValue;
        await foreach (var packet in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (NftProvenance.Parse(packet.Prefix) is not { Verdict: { } verdict } provenance)
            {
                continue;
            }

            if (DateTime.UtcNow - namesRead > TimeSpan.FromSeconds(5))
            {
                names = await EndpointNamesAsync(cancellationToken).ConfigureAwait(false);
                namesRead = DateTime.UtcNow;
            }

            yield return ToRecord(packet, provenance, verdict, names);
        }
    }

    /// <summary>A flow record from a logged packet, its rule's provenance and the table's endpoint names.</summary>
    internal static FlowRecord ToRecord(NflogPacket packet, NftProvenance provenance, string verdict, IReadOnlyDictionary<IPAddress, string> names)
    {
        var ports = packet.Protocol is 6 or 17 or 132;
        return new FlowRecord
        {
            Time = packet.Time,
            Verdict = verdict,
            Direction = provenance.Direction,
            Protocol = packet.Protocol switch
            {
                6 => "tcp",
                17 => "udp",
                132 => "sctp",
                1 => "icmp",
                58 => "icmpv6",
                _ => packet.Protocol.ToString(CultureInfo.InvariantCulture),
            },
            Source = packet.Source,
            SourcePort = ports ? packet.SourcePort : null,
            Destination = packet.Destination,
            DestinationPort = ports ? packet.DestinationPort : null,
            SourceEndpoint = names.GetValueOrDefault(packet.Source),
            DestinationEndpoint = names.GetValueOrDefault(packet.Destination),
            Tier = provenance.Tier,
            Policy = provenance.Policy,
            Rule = provenance.Rule,
            Explanation = [provenance.Policy is null
                ? $"{provenance.Verdict} by the {provenance.Direction} isolation of {(provenance.Direction == "ingress" ? "the destination" : "the source")}: no rule allows it"
                : $"{provenance.Action} by {provenance.Policy} {provenance.Direction} rule {provenance.Rule?.ToString(CultureInfo.InvariantCulture)} ({provenance.Tier} tier)"],
        };
    }

    /// <summary>Endpoint names by address, from the comments of the table's map elements.</summary>
    private async Task<Dictionary<IPAddress, string>> EndpointNamesAsync(CancellationToken cancellationToken)
    {
        var names = new Dictionary<IPAddress, string>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (ReadTable(Runner()) is not { } kernel)
            {
                return names;
            }

            foreach (var map in kernel.Maps)
            {
                foreach (var element in kernel.Sets[map])
                {
                    var at = element.IndexOf(" comment \"", StringComparison.Ordinal);
                    if (at > 0 && IPAddress.TryParse(element.AsSpan(0, at), out var address))
                    {
                        names[address] = element[(at + 10)..element.IndexOf('"', at + 10)];
                    }
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        return names;
    }

    /// <summary>Waits until the connection cut-off of every apply made so far is done: the established connections the
    /// applied plans deny are cut (see <see cref="NftablesOptions.DeleteConntrackEntriesOfDeniedFlows"/>). Applies do not
    /// wait for it; a one-shot program that applies and exits, or a test, does.</summary>
    /// <param name="cancellationToken">Stops waiting (the cut-off goes on).</param>
    /// <returns>What the cut-off has done, with the warnings of its last pass.</returns>
    public Task<ConnectionCutOffReport> WaitForConnectionCutOffAsync(CancellationToken cancellationToken = default) =>
        _cutOff.WaitAsync(cancellationToken);

    /// <summary>What the connection cut-off has done so far (it runs in the background after applies).</summary>
    public ConnectionCutOffReport ConnectionCutOff => _cutOff.Report;

    /// <summary>Waits for a running connection cut-off (up to 30 s), then releases the libnftables context and the
    /// netlink sockets.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _cutOff.Dispose();

        // Waits for a running apply, status or remove: the runner (a native libnftables context) must not be freed under it.
        _gate.Wait();
        try
        {
            _disposed = true;
            _runner?.Dispose();
            _runner = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The owned table as the kernel holds it, or <see langword="null"/> when there is none.</summary>
    private NftKernelState? ReadTable(INftRunner runner)
    {
        var listing = runner.ListJson($"list table inet {_options.TableName}");
        return listing.Success ? NftKernelState.Parse(listing.Output) : null;
    }

    private INftRunner Runner()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_runner is not null)
        {
            return _runner;
        }

        var runner = _runnerFactory?.Invoke() ?? CreateRunner();
        var probe = runner.ListJson("list tables");
        if (!probe.Success)
        {
            runner.Dispose();
            var error = probe.Error.Trim();
            throw new BackendUnavailableException(
                Name,
                error.Contains("Operation not permitted", StringComparison.OrdinalIgnoreCase) || error.Contains("Permission denied", StringComparison.OrdinalIgnoreCase)
                    ? "nftables needs root or CAP_NET_ADMIN; run as root (or grant CAP_NET_ADMIN) and try again."
                    : "nft cannot list tables: " + error);
        }

        _runner = runner;
        return runner;
    }

    private INftRunner CreateRunner()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new BackendUnavailableException(Name, "nftables exists only on Linux.");
        }

        var useLib = _options.Transport != NftTransport.Process && LibNftables.IsAvailable();
        if (useLib)
        {
            try
            {
                return new LibNftablesRunner(_options.NetworkNamespace);
            }
            catch (Exception ex) when (_options.Transport == NftTransport.Auto && ex is not OutOfMemoryException)
            {
                Log.LibraryFailed(_logger, ex.Message);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new BackendUnavailableException(Name, "libnftables could not be used: " + ex.Message, ex);
            }
        }

        if (_options.Transport == NftTransport.LibNftables)
        {
            throw new BackendUnavailableException(Name, "libnftables.so.1 cannot be loaded; install the Debian package libnftables1 (or choose Transport = Auto or Process).");
        }

        var nft = NftProcessRunner.Find()
            ?? throw new BackendUnavailableException(Name, "neither libnftables.so.1 (Debian package libnftables1) nor the nft program (Debian package nftables) is installed.");
        return new NftProcessRunner(nft, _options.NetworkNamespace);
    }

    /// <summary>Base chains of other tables on our hooks whose policy drops: they can still drop what we accept.</summary>
    private IReadOnlyList<string> Coexistence(INftRunner runner)
    {
        if (_coexistence is not null)
        {
            return _coexistence;
        }

        var warnings = new List<string>();
        var firewalld = false;
        var listing = runner.ListJson("list chains");
        if (listing.Success)
        {
            using var document = JsonDocument.Parse(listing.Output);
            foreach (var item in document.RootElement.GetProperty("nftables").EnumerateArray())
            {
                if (!item.TryGetProperty("chain", out var chain) || !chain.TryGetProperty("hook", out var hook))
                {
                    continue;
                }

                var table = chain.GetProperty("table").GetString();
                var family = chain.GetProperty("family").GetString();

                // Bridge chains see bridged frames, not the routed traffic netpolhost filters; netdev hooks are ingress/egress.
                if ((table == _options.TableName && family == "inet") || family is "bridge" or "netdev")
                {
                    continue;
                }

                if (table == "firewalld")
                {
                    // firewalld's chains accept by policy but end in reject rules: any zone that does not allow a flow rejects it.
                    if (firewalld)
                    {
                        continue;
                    }

                    firewalld = true;
                    warnings.Add($"table {family} firewalld is present: firewalld rejects traffic its zones do not allow, also traffic netpolhost accepts; on a host that runs firewalld use the firewalld backend");
                    continue;
                }

                var hookName = hook.GetString();
                var policy = chain.TryGetProperty("policy", out var p) ? p.GetString() : "accept";
                if (hookName is "forward" or "input" or "output" && policy == "drop")
                {
                    warnings.Add($"table {family} {table} chain {chain.GetProperty("name").GetString()} (hook {hookName}, policy drop) can still drop traffic that netpolhost accepts");
                }
            }
        }

        _coexistence = warnings;
        return warnings;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "nftables table {Table}: {Kind} apply, +{Added}/-{Removed} objects, +{ElementsAdded}/-{ElementsRemoved} elements in {Milliseconds:F1} ms")]
        public static partial void Applied(ILogger logger, string table, string kind, int added, int removed, int elementsAdded, int elementsRemoved, double milliseconds);

        [LoggerMessage(2, LogLevel.Warning, "nftables table {Table} rejected the incremental change ({Error}); repairing it from what the kernel holds")]
        public static partial void IncrementalRejected(ILogger logger, string table, string error);

        [LoggerMessage(3, LogLevel.Warning, "libnftables could not be used ({Error}); using the nft program")]
        public static partial void LibraryFailed(ILogger logger, string error);
    }
}
