using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetPolHost.Backends;
using NetPolHost.Planning;
using NetPolHost.Wfp.Filters;
using NetPolHost.Wfp.Runtime;

namespace NetPolHost.Wfp;

/// <summary>Enforces rule plans for the host's own endpoints as Windows Filtering Platform filters in a provider and
/// sublayer the backend owns.</summary>
/// <remarks>
/// <para>Host endpoints only: pod traffic on a Windows node is policed in the virtual switch (HNS/VFP), so pod endpoints
/// of a plan are reported as warnings and left alone. Filters sit at ALE auth recv-accept (ingress) and ALE auth connect
/// (egress), IPv4 and IPv6: per isolated direction a block filter over the endpoint's addresses and permit filters of
/// higher weight for what the plan allows; a direction with ClusterNetworkPolicy tiers is flattened into one decision
/// per class of traffic (permits above the block where NetworkPolicies isolate it, blocks of the denied peers
/// elsewhere). In the backend's sublayer this is exact for every protocol. A block in any
/// other sublayer still wins over our permits (Windows Firewall's default inbound block included) unless
/// <see cref="WfpOptions.HardPermit"/> is set and our sublayer is weighted above that sublayer; our blocks are hard blocks
/// that no other permit overrides.</para>
/// <para>Every apply runs in one transaction: the provider and sublayer are created when missing, filters are diffed by
/// key (name-based GUIDs over the content) and only the differing ones are deleted or added, so an unchanged plan changes
/// nothing and a failure changes nothing. Objects are persistent by default; with <see cref="WfpOptions.Persistent"/>
/// off the backend keeps one dynamic session open until it is disposed. Rendering works on any OS; apply, status and
/// remove need Windows (64-bit). Calls are serialised.</para>
/// </remarks>
public sealed partial class WfpFirewallBackend : IFirewallBackend, IBackendJsonRenderer, IDisposable
{
    private readonly WfpOptions _options;
    private readonly Func<IWfpEngine>? _engineFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IWfpEngine? _dynamicSession;

    /// <summary>Creates the backend.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is not valid; the message lists every problem.</exception>
    public WfpFirewallBackend(WfpOptions? options = null, ILogger<WfpFirewallBackend>? logger = null)
        : this(options ?? new WfpOptions(), null, logger)
    {
    }

    internal WfpFirewallBackend(WfpOptions options, Func<IWfpEngine>? engineFactory, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new WfpOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException("WFP options are not valid: " + validation.FailureMessage, nameof(options));
        }

        if (options.ProviderKey == Guid.Empty || options.SublayerKey == Guid.Empty)
        {
            throw new ArgumentException("WFP options are not valid: ProviderKey and SublayerKey must not be the empty GUID.", nameof(options));
        }

        _options = options;
        _engineFactory = engineFactory;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public string Name => WfpFilterTranslator.BackendName;

    /// <inheritdoc/>
    public BackendCapabilities Capabilities => Supported;

    /// <summary>What WFP filters express: no SCTP ports (port conditions apply to TCP and UDP) and no pod traffic (it is
    /// switched in the virtual switch, not seen at the ALE layers). ClusterNetworkPolicy tiers of host endpoints, Pass
    /// included: each tiered direction is flattened into one decision per class of traffic (protocol and port range, or
    /// every protocol but TCP, UDP and SCTP as ranges of protocol numbers), permits above the endpoint's block where
    /// NetworkPolicies isolate it, blocks of the denied peers elsewhere.</summary>
    internal const BackendCapabilities Supported =
        BackendCapabilities.IPv4 | BackendCapabilities.IPv6 | BackendCapabilities.PortRanges | BackendCapabilities.HostTraffic
        | BackendCapabilities.AtomicApply | BackendCapabilities.Incremental | BackendCapabilities.ClusterPolicyTiers;

    /// <summary>A text listing of the filters of <paramref name="plan"/>, one line each.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The listing.</returns>
    /// <exception cref="UnsupportedPolicyFeatureException">A host endpoint's policy uses SCTP ports.</exception>
    public string RenderNative(RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return WfpRenderer.Text(WfpFilterTranslator.Translate(plan, _options), plan.NodeName);
    }

    /// <summary>The provider, sublayer and filters of <paramref name="plan"/> as indented JSON in SDK vocabulary.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="UnsupportedPolicyFeatureException">A host endpoint's policy uses SCTP ports.</exception>
    public string RenderJson(RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return WfpRenderer.Json(WfpFilterTranslator.Translate(plan, _options), plan.NodeName);
    }

    /// <inheritdoc/>
    /// <remarks>One transaction: all of the changes or none.</remarks>
    public async Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new ApplyOptions();
        var translation = WfpFilterTranslator.Translate(plan, _options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stopwatch = Stopwatch.StartNew();
            var engine = OpenEngine();
            try
            {
                return InTransaction(engine, "apply", commit: !options.DryRun, () =>
                {
                    var changes = new List<string>();
                    var added = 0;
                    var removed = 0;
                    if (!engine.ProviderExists(_options.ProviderKey))
                    {
                        engine.AddProvider(translation.Provider);
                        changes.Add($"+ provider {_options.ProviderKey:D}");
                        added++;
                    }

                    var actual = engine.ListFilters(_options.ProviderKey);
                    var sublayer = engine.GetSublayer(_options.SublayerKey);
                    var full = options.Full;
                    if (sublayer is not null && (sublayer.Weight != translation.Sublayer.Weight || sublayer.Persistent != translation.Sublayer.Persistent))
                    {
                        // The sublayer cannot be changed in place: delete its filters and recreate it.
                        full = true;
                    }

                    var diff = full ? new WfpFilterDiff(actual, translation.Filters, 0) : WfpFilterDiff.Compute(translation.Filters, actual);
                    foreach (var filter in diff.Delete)
                    {
                        engine.DeleteFilter(filter.Key);
                    }

                    if (sublayer is not null && full && (sublayer.Weight != translation.Sublayer.Weight || sublayer.Persistent != translation.Sublayer.Persistent))
                    {
                        engine.DeleteSublayer(_options.SublayerKey);
                        changes.Add($"- sublayer {_options.SublayerKey:D} (weight 0x{sublayer.Weight:X4})");
                        removed++;
                        sublayer = null;
                    }

                    if (sublayer is null)
                    {
                        engine.AddSublayer(translation.Sublayer);
                        changes.Add($"+ sublayer {_options.SublayerKey:D} (weight 0x{translation.Sublayer.Weight:X4})");
                        added++;
                    }

                    foreach (var filter in diff.Add)
                    {
                        engine.AddFilter(filter, _options.ProviderKey, _options.SublayerKey);
                    }

                    changes.AddRange(diff.Describe());
                    added += diff.Add.Count;
                    removed += diff.Delete.Count;
                    var warnings = new List<string>(translation.Warnings);
                    if (_options.HardPermit && _options.SublayerWeight < 0xFFFF)
                    {
                        warnings.Add($"hard permits override blocks only in sublayers weighted below 0x{_options.SublayerWeight:X4}; a block in a sublayer of higher weight still wins");
                    }

                    stopwatch.Stop();
                    if (changes.Count > 0 && !options.DryRun)
                    {
                        Log.Applied(_logger, diff.Add.Count, diff.Delete.Count, diff.Unchanged, stopwatch.Elapsed.TotalMilliseconds);
                    }

                    return new ApplyResult
                    {
                        Changed = changes.Count > 0,
                        DryRun = options.DryRun,
                        ObjectsAdded = added,
                        ObjectsRemoved = removed,
                        Changes = changes,
                        Duration = stopwatch.Elapsed,
                        Warnings = warnings,
                    };
                });
            }
            finally
            {
                CloseEngine(engine);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>One transaction: the provider's filters, then the sublayer, then the provider.</remarks>
    public async Task RemoveAllAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var engine = OpenEngine();
            try
            {
                InTransaction(engine, "remove", commit: true, () =>
                {
                    foreach (var filter in engine.ListFilters(_options.ProviderKey))
                    {
                        engine.DeleteFilter(filter.Key);
                    }

                    if (engine.GetSublayer(_options.SublayerKey) is not null)
                    {
                        engine.DeleteSublayer(_options.SublayerKey);
                    }

                    if (engine.ProviderExists(_options.ProviderKey))
                    {
                        engine.DeleteProvider(_options.ProviderKey);
                    }

                    return 0;
                });
            }
            finally
            {
                CloseEngine(engine);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<BackendStatus> GetStatusAsync(RulePlan? desired = null, CancellationToken cancellationToken = default)
    {
        var translation = desired is null ? null : WfpFilterTranslator.Translate(desired, _options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var engine = OpenEngine();
            try
            {
                return InTransaction(engine, "read the state", commit: false, () =>
                {
                    var provider = engine.ProviderExists(_options.ProviderKey);
                    var sublayer = engine.GetSublayer(_options.SublayerKey);
                    var filters = engine.ListFilters(_options.ProviderKey);
                    var owned = new List<string>();
                    if (provider)
                    {
                        owned.Add($"provider {_options.ProviderKey:D}");
                    }

                    if (sublayer is not null)
                    {
                        owned.Add($"sublayer {_options.SublayerKey:D} (weight 0x{sublayer.Weight:X4})");
                    }

                    owned.AddRange(filters.OrderBy(f => f.Layer).ThenBy(f => f.Key).Select(f => $"filter {f.Key:D} ({f.Name}, {WfpConstants.LayerName(f.Layer)})"));
                    var drift = new List<string>();
                    if (translation is not null)
                    {
                        if (!provider)
                        {
                            drift.Add($"provider {_options.ProviderKey:D} is missing");
                        }

                        if (sublayer is null)
                        {
                            drift.Add($"sublayer {_options.SublayerKey:D} is missing");
                        }
                        else if (sublayer.Weight != translation.Sublayer.Weight)
                        {
                            drift.Add($"sublayer weight is 0x{sublayer.Weight:X4}, expected 0x{translation.Sublayer.Weight:X4}");
                        }

                        drift.AddRange(WfpFilterDiff.Compute(translation.Filters, filters).Describe());
                    }

                    return new BackendStatus { Present = provider || sublayer is not null || filters.Count > 0, OwnedObjects = owned, Drift = drift, Warnings = translation?.Warnings ?? [] };
                });
            }
            finally
            {
                CloseEngine(engine);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the dynamic session, if any (which deletes what it added), and releases the lock.</summary>
    public void Dispose()
    {
        _dynamicSession?.Dispose();
        _dynamicSession = null;
        _gate.Dispose();
    }

    private IWfpEngine OpenEngine()
    {
        if (!_options.Persistent && _dynamicSession is not null)
        {
            return _dynamicSession;
        }

        IWfpEngine engine;
        if (_engineFactory is not null)
        {
            engine = _engineFactory();
        }
        else if (!OperatingSystem.IsWindows())
        {
            throw new BackendUnavailableException(Name, $"the Windows Filtering Platform exists only on Windows, and this is {RuntimeInformation.OSDescription}. To review the filters elsewhere, run 'netpolhost plan --backend wfp -o json'.");
        }
        else if (!Environment.Is64BitProcess)
        {
            throw new BackendUnavailableException(Name, "the WFP structures are laid out for 64-bit processes; run netpolhost as a 64-bit process.");
        }
        else
        {
            try
            {
                engine = new NativeWfpEngine(dynamic: !_options.Persistent, _options.DisplayName);
            }
            catch (WfpException ex)
            {
                var hint = ex.Code == WfpConstants.ErrorAccessDenied ? " Managing WFP objects needs an elevated (Administrator) process." : string.Empty;
                throw new BackendUnavailableException(Name, $"the filter engine cannot be opened: {ex.Message}. Is the Base Filtering Engine service (BFE) running?{hint}", ex);
            }
            catch (DllNotFoundException ex)
            {
                throw new BackendUnavailableException(Name, "fwpuclnt.dll cannot be loaded: " + ex.Message, ex);
            }
        }

        if (!_options.Persistent)
        {
            _dynamicSession = engine;
        }

        return engine;
    }

    private void CloseEngine(IWfpEngine engine)
    {
        if (!ReferenceEquals(engine, _dynamicSession))
        {
            engine.Dispose();
        }
    }

    private T InTransaction<T>(IWfpEngine engine, string what, bool commit, Func<T> work)
    {
        try
        {
            engine.BeginTransaction();
        }
        catch (WfpException ex)
        {
            throw new BackendApplyException(Name, $"could not begin a transaction to {what}: {ex.Message}; nothing was changed.", ex);
        }

        T result;
        try
        {
            result = work();
        }
        catch (WfpException ex)
        {
            Abort(engine);
            var hint = ex.Code == WfpConstants.ErrorAccessDenied ? " Managing WFP objects needs an elevated (Administrator) process." : string.Empty;
            throw new BackendApplyException(Name, $"could not {what}: {ex.Message}; the transaction was aborted and nothing was changed.{hint}", ex);
        }
        catch
        {
            Abort(engine);
            throw;
        }

        try
        {
            if (commit)
            {
                engine.CommitTransaction();
            }
            else
            {
                engine.AbortTransaction();
            }
        }
        catch (WfpException ex)
        {
            throw new BackendApplyException(Name, $"could not commit the transaction to {what}: {ex.Message}; nothing was changed.", ex);
        }

        return result;
    }

    private void Abort(IWfpEngine engine)
    {
        try
        {
            engine.AbortTransaction();
        }
        catch (WfpException ex)
        {
            Log.AbortFailed(_logger, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "WFP: +{Added} -{Removed} filters ({Unchanged} unchanged) in {Milliseconds:F1} ms")]
        public static partial void Applied(ILogger logger, int added, int removed, int unchanged, double milliseconds);

        [LoggerMessage(2, LogLevel.Warning, "WFP: aborting the transaction failed: {Error}")]
        public static partial void AbortFailed(ILogger logger, string error);
    }
}
