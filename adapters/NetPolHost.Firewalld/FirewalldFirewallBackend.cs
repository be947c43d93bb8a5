using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetPolHost.Backends;
using NetPolHost.Firewalld.Bus;
using NetPolHost.Firewalld.Mapping;
using NetPolHost.Planning;

namespace NetPolHost.Firewalld;

/// <summary>Enforces rule plans through firewalld's D-Bus API: permanent ipsets and policies named with a prefix the
/// backend owns, ipset entries set at runtime, and a re-apply after every firewalld reload.</summary>
/// <remarks>
/// <para>Ownership: only objects whose name starts with <see cref="FirewalldOptions.Prefix"/> and a dash and whose
/// short description is <c>NetPolHost</c> are changed or removed; every other zone, policy and ipset is left as it was.</para>
/// <para>An apply reads firewalld's permanent and runtime objects, then changes only what differs: new ipsets first,
/// then policies (every ipset a rich rule names is checked to exist first, since a dangling reference puts firewalld into
/// state FAILED at its next reload), then removals of policies before ipsets. New objects need a firewalld reload (there
/// is no runtime call to create them); after a reload the backend checks that firewalld is RUNNING. Entries are set with
/// one <c>setEntries</c> call per ipset. Changed rich rules of existing policies are set both permanently and at runtime
/// without a reload. firewalld has no transactions: an apply is idempotent but not atomic, and a failed apply may leave
/// part of the change (the error says so; applying again completes it).</para>
/// <para>Reloads: every firewalld reload discards runtime state. The backend listens to <c>Reloaded</c> (and to
/// firewalld restarts) and applies the last plan again (<see cref="FirewalldOptions.ReapplyOnReload"/>).
/// With <see cref="FirewalldOptions.PersistEntries"/> the entries are also permanent, so a reload restores the plan
/// even when no process is left to re-apply it.</para>
/// <para>Calls are serialised.</para>
/// </remarks>
public sealed partial class FirewalldFirewallBackend : IFirewallBackend, IAsyncDisposable, IDisposable
{
    private readonly FirewalldOptions _options;
    private readonly ILogger _logger;
    private readonly Func<IFirewalldBus> _busFactory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private IFirewalldBus? _bus;
    private IDisposable? _subscription;
    private volatile bool _busBroken;
    private FirewalldState? _lastApplied;
    private FirewalldReloadWatcher? _watcher;

    /// <summary>Creates the backend.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The prefix or the policy priority is not valid.</exception>
    public FirewalldFirewallBackend(FirewalldOptions? options = null, ILogger<FirewalldFirewallBackend>? logger = null)
        : this(options ?? new FirewalldOptions(), null, logger)
    {
    }

    internal FirewalldFirewallBackend(FirewalldOptions options, Func<IFirewalldBus>? busFactory, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!FirewalldNames.IsValidPrefix(options.Prefix))
        {
            throw new ArgumentException($"Prefix '{FirewalldNames.Comment(options.Prefix)}' is not valid: a lower-case letter, then at most 7 lower-case letters or digits.", nameof(options));
        }

        if (options.PolicyPriority is < -32768 or > -1)
        {
            throw new ArgumentException($"PolicyPriority {options.PolicyPriority.ToString(CultureInfo.InvariantCulture)} is not valid: it must be between -32768 and -1.", nameof(options));
        }

        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _busFactory = busFactory ?? (() => new DBusFirewalldBus(options.BusAddress, options.CallTimeout, options.ReloadTimeout));
    }

    /// <inheritdoc/>
    public string Name => FirewalldErrors.Backend;

    /// <summary>The prefix of the objects the backend owns.</summary>
    public string Prefix => _options.Prefix;

    /// <inheritdoc/>
    /// <remarks>Not <see cref="BackendCapabilities.AtomicApply"/>: firewalld has no transactions.
    /// <see cref="BackendCapabilities.ClusterPolicyTiers"/>: enforced exactly, Pass included, by flattening each tiered
    /// direction into one drop per class of traffic; one shape is refused when the plan is mapped, because rich rules
    /// cannot express it without bypassing firewalld's zones (see <c>FirewalldPolicyMapper</c>): a tier that denies
    /// protocols without ports to a peer whose TCP, UDP or SCTP ports it allows, in traffic between a pod and its node or
    /// of a host endpoint that no NetworkPolicy isolates.</remarks>
    public BackendCapabilities Capabilities =>
        BackendCapabilities.IPv4 | BackendCapabilities.IPv6 | BackendCapabilities.Sctp | BackendCapabilities.PortRanges
        | BackendCapabilities.PodTraffic | BackendCapabilities.HostTraffic | BackendCapabilities.Incremental
        | BackendCapabilities.ClusterPolicyTiers;

    /// <summary>Raised after the backend applied the last plan again because firewalld reloaded or restarted (with the
    /// result, or the error).</summary>
    internal event Action<ApplyResult?, Exception?>? Reapplied;

    /// <inheritdoc/>
    /// <remarks>The firewall-cmd commands equivalent to a full apply; user text appears only in sanitised comments.</remarks>
    public string RenderNative(RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return FirewalldNativeRenderer.Render(Map(plan), plan.NodeName, _options.Prefix, _options.PersistEntries);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Idempotent: applying the same plan again reads firewalld and changes nothing. Not atomic (firewalld has no
    /// transactions); <see cref="ApplyOptions.DryRun"/> computes and checks the changes without sending them (firewalld
    /// has no dry run of its own); <see cref="ApplyOptions.Full"/> rewrites every owned object, reloads and sets every entry.
    /// </remarks>
    public async Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new ApplyOptions();
        var desired = Map(plan);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var bus = await EnsureBusAsync(cancellationToken).ConfigureAwait(false);
            var result = await ApplyCoreAsync(bus, desired, options.DryRun, options.Full, cancellationToken).ConfigureAwait(false);
            if (!options.DryRun)
            {
                _lastApplied = desired;
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>Removes the owned policies first, then the owned ipsets (an ipset that a policy or zone of someone else
    /// still names is kept, with a warning in the log), then reloads firewalld so nothing of ours stays active. Stops
    /// re-applying after reloads.</remarks>
    public async Task RemoveAllAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _lastApplied = null;
            var bus = await EnsureBusAsync(cancellationToken).ConfigureAwait(false);
            await Reader(bus).WaitRunningAsync("before removing", cancellationToken).ConfigureAwait(false);
            var snapshot = await Reader(bus).ReadAsync(cancellationToken).ConfigureAwait(false);
            var policies = snapshot.PermanentPolicies.Where(p => FirewalldSnapshot.IsOwned(p.Value.Short)).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            var ipsets = snapshot.PermanentIPSets.Where(p => FirewalldSnapshot.IsOwned(p.Value.Short)).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            foreach (var policy in policies)
            {
                await DoAsync($"removing policy {policy}", () => bus.RemovePermanentPolicyAsync(policy, cancellationToken), bus).ConfigureAwait(false);
            }

            var removable = await Reader(bus).UnreferencedAsync(ipsets, snapshot, cancellationToken).ConfigureAwait(false);
            foreach (var ipset in removable)
            {
                await DoAsync($"removing ipset {ipset}", () => bus.RemovePermanentIPSetAsync(ipset, cancellationToken), bus).ConfigureAwait(false);
            }

            var leftovers = snapshot.RuntimePolicies.Keys.Any(p => !snapshot.PermanentPolicies.ContainsKey(p))
                || snapshot.RuntimeIPSets.Any(s => FirewalldNames.HasPrefix(s, _options.Prefix) && !snapshot.PermanentIPSets.ContainsKey(s));
            if (policies.Count + removable.Count > 0 || leftovers)
            {
                await ReloadAsync(bus, "removal", cancellationToken).ConfigureAwait(false);
            }

            Log.Removed(_logger, _options.Prefix, policies.Count, removable.Count);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<BackendStatus> GetStatusAsync(RulePlan? desired = null, CancellationToken cancellationToken = default)
    {
        var target = desired is null ? null : Map(desired);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var bus = await EnsureBusAsync(cancellationToken).ConfigureAwait(false);
            var warnings = new List<string>();
            var state = await DoAsync("reading firewalld's state", () => bus.GetStateAsync(cancellationToken), bus).ConfigureAwait(false);
            if (state != "RUNNING")
            {
                warnings.Add($"firewalld's state is {state}, not RUNNING");
            }

            var snapshot = await Reader(bus).ReadAsync(cancellationToken).ConfigureAwait(false);
            var owned = new List<string>();
            foreach (var (name, policy) in snapshot.PermanentPolicies.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!FirewalldSnapshot.IsOwned(policy.Short))
                {
                    warnings.Add($"policy {name} has the prefix {_options.Prefix} but NetPolHost did not create it; it is left alone");
                    continue;
                }

                var active = snapshot.RuntimePolicies.ContainsKey(name) ? "active" : "not active at runtime";
                owned.Add($"policy {name}: {string.Join(",", policy.IngressZones)} -> {string.Join(",", policy.EgressZones)}, priority {policy.Priority.ToString(CultureInfo.InvariantCulture)}, {policy.RichRules.Count.ToString(CultureInfo.InvariantCulture)} rich rules, {active}");
            }

            foreach (var (name, set) in snapshot.PermanentIPSets.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!FirewalldSnapshot.IsOwned(set.Short))
                {
                    warnings.Add($"ipset {name} has the prefix {_options.Prefix} but NetPolHost did not create it; it is left alone");
                    continue;
                }

                var runtime = snapshot.RuntimeEntries.TryGetValue(name, out var entries) ? entries.Count.ToString(CultureInfo.InvariantCulture) + " entries at runtime" : "not active at runtime";
                owned.Add($"ipset {name}: {set.Type} {set.Family}, {runtime}, {set.Entries.Count.ToString(CultureInfo.InvariantCulture)} permanent");
            }

            target ??= _lastApplied;
            var drift = new List<string>();
            if (target is not null)
            {
                var diff = FirewalldDiff.Compute(target, snapshot, _options.PersistEntries, full: false);
                drift.AddRange(diff.Conflicts.Select(c => $"{c} exists but NetPolHost did not create it"));
                drift.AddRange(diff.Lines);
                drift.AddRange(FirewalldDiff.EntryChanges(target, snapshot.RuntimeEntries, full: false)
                    .Select(c => $"~ ipset {c.Set.Name}: runtime entries +{c.Added.ToString(CultureInfo.InvariantCulture)} -{c.Removed.ToString(CultureInfo.InvariantCulture)}"));
                warnings.AddRange(target.Warnings);
            }

            return new BackendStatus { Present = owned.Count > 0, OwnedObjects = owned, Drift = drift, Warnings = warnings };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Ends the signal subscriptions and closes the D-Bus connection.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_lifetime.IsCancellationRequested)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            await (_watcher?.Pending ?? Task.CompletedTask).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }

        _subscription?.Dispose();
        _subscription = null;
        if (_bus is not null)
        {
            await _bus.DisposeAsync().ConfigureAwait(false);
            _bus = null;
        }

        _lifetime.Dispose();
    }

    /// <summary>Ends the signal subscriptions and closes the D-Bus connection.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private FirewalldState Map(RulePlan plan)
    {
        // Refused before anything is sent: e.g. ClusterNetworkPolicy tiers (ordered Deny and Pass rules), which the
        // allow-only rich rules here cannot express yet.
        this.EnsureCanExpress(plan);
        var state = FirewalldPolicyMapper.Map(plan, _options.Prefix, _options.PolicyPriority);
        Validate(state);
        return state;
    }

    /// <summary>Checks the generated objects before anything is sent: every ipset a rich rule names is one of the
    /// desired ipsets and of the rule's family, and every name fits firewalld's limits.</summary>
    private static void Validate(FirewalldState state)
    {
        var sets = state.IPSets.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var policy in state.Policies)
        {
            if (policy.Name.Length > 18)
            {
                throw new BackendApplyException(FirewalldErrors.Backend, $"internal check failed: policy name {policy.Name} is longer than 18 characters; nothing was changed.");
            }

            foreach (var rule in policy.RichRules)
            {
                foreach (var name in RichRule.ReferencedIpsets(rule))
                {
                    if (!sets.TryGetValue(name, out var set) || set.V6 != RichRule.IsV6(rule))
                    {
                        throw new BackendApplyException(FirewalldErrors.Backend, $"internal check failed: rich rule of policy {policy.Name} names ipset {name}, which is not generated for its family; nothing was changed. Rule: {rule}");
                    }
                }
            }
        }

        foreach (var set in state.IPSets.Where(s => s.Name.Length > 32))
        {
            throw new BackendApplyException(FirewalldErrors.Backend, $"internal check failed: ipset name {set.Name} is longer than 32 characters; nothing was changed.");
        }
    }

    private async Task<IFirewalldBus> EnsureBusAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_lifetime.IsCancellationRequested, this);
        if (_bus is not null && _busBroken)
        {
            _subscription?.Dispose();
            _subscription = null;
            await _bus.DisposeAsync().ConfigureAwait(false);
            _bus = null;
        }

        if (_bus is null)
        {
            var bus = _busFactory();
            try
            {
                await bus.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FirewalldBusUnreachableException or FirewalldBusException)
            {
                await bus.DisposeAsync().ConfigureAwait(false);
                throw FirewalldErrors.Translate(ex, "connecting to firewalld", bus.Address);
            }

            _bus = bus;
            _busBroken = false;
        }

        if (_subscription is null && _options.ReapplyOnReload)
        {
            var bus = _bus;
            var watcher = Watcher();
            _subscription = await DoAsync("subscribing to firewalld's signals", () => bus.WatchAsync(watcher.OnReloaded, watcher.OnOwnerChanged, OnClosed, cancellationToken), bus).ConfigureAwait(false);
        }

        return _bus;
    }

    private async Task<ApplyResult> ApplyCoreAsync(IFirewalldBus bus, FirewalldState desired, bool dryRun, bool full, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        await Reader(bus).WaitRunningAsync("before applying", cancellationToken).ConfigureAwait(false);
        var snapshot = await Reader(bus).ReadAsync(cancellationToken).ConfigureAwait(false);
        var diff = FirewalldDiff.Compute(desired, snapshot, _options.PersistEntries, full);
        if (diff.Conflicts.Count > 0)
        {
            throw new BackendApplyException(
                Name,
                $"firewalld already has {string.Join(" and ", diff.Conflicts)}, which NetPolHost did not create (its short description is not '{FirewalldNames.Marker}'); nothing was changed. Remove or rename it, or choose another FirewalldOptions.Prefix.");
        }

        // What changes for the packets: the desired entries against what firewalld enforces now (its runtime).
        var entryChanges = FirewalldDiff.EntryChanges(desired, snapshot.RuntimeEntries, full);
        var effective = entryChanges;
        var warnings = new List<string>(desired.Warnings);
        if (dryRun)
        {
            warnings.Add("firewalld has no dry run: NetPolHost computed and checked these changes but did not send them");
            return Result(diff, entryChanges, dryRun: true, diff.HasPermanentChanges || diff.NeedsReload || entryChanges.Count > 0 || diff.RuntimePolicies.Count > 0, stopwatch, warnings);
        }

        if (!diff.HasPermanentChanges && !diff.NeedsReload && entryChanges.Count == 0 && diff.RuntimePolicies.Count == 0)
        {
            return new ApplyResult { Changed = false, Duration = stopwatch.Elapsed, Warnings = warnings };
        }

        var started = false;
        try
        {
            foreach (var set in diff.AddIPSets)
            {
                started = true;
                await DoAsync($"adding ipset {set.Name}", () => bus.AddPermanentIPSetAsync(set.Name, FirewalldDiff.ToSettings(set, _options.PersistEntries), cancellationToken), bus).ConfigureAwait(false);
            }

            foreach (var set in diff.UpdateIPSets)
            {
                started = true;
                await DoAsync($"updating ipset {set.Name}", () => bus.UpdatePermanentIPSetAsync(set.Name, FirewalldDiff.ToSettings(set, _options.PersistEntries), cancellationToken), bus).ConfigureAwait(false);
            }

            foreach (var policy in diff.AddPolicies)
            {
                started = true;
                await DoAsync($"adding policy {policy.Name}", () => bus.AddPermanentPolicyAsync(policy.Name, FirewalldDiff.ToSettings(policy), cancellationToken), bus).ConfigureAwait(false);
            }

            foreach (var policy in diff.UpdatePolicies)
            {
                started = true;
                await DoAsync($"updating policy {policy.Name}", () => bus.UpdatePermanentPolicyAsync(policy.Name, FirewalldDiff.ToSettings(policy), cancellationToken), bus).ConfigureAwait(false);
            }

            foreach (var policy in diff.RemovePolicies)
            {
                started = true;
                await DoAsync($"removing policy {policy}", () => bus.RemovePermanentPolicyAsync(policy, cancellationToken), bus).ConfigureAwait(false);
            }

            if (diff.RemoveIPSets.Count > 0)
            {
                var removable = await Reader(bus).UnreferencedAsync(diff.RemoveIPSets, snapshot, cancellationToken).ConfigureAwait(false);
                foreach (var name in diff.RemoveIPSets.Except(removable, StringComparer.Ordinal))
                {
                    warnings.Add($"ipset {name} is no longer used by NetPolHost but another policy or zone names it, so it was kept");
                }

                foreach (var name in removable)
                {
                    started = true;
                    await DoAsync($"removing ipset {name}", () => bus.RemovePermanentIPSetAsync(name, cancellationToken), bus).ConfigureAwait(false);
                }
            }

            var reloaded = false;
            if (diff.NeedsReload)
            {
                started = true;
                await ReloadAsync(bus, "apply", cancellationToken).ConfigureAwait(false);
                reloaded = true;
                var runtime = await Reader(bus).ReadRuntimeEntriesAsync(desired.IPSets.Select(s => s.Name), cancellationToken).ConfigureAwait(false);
                entryChanges = FirewalldDiff.EntryChanges(desired, runtime, full);
            }

            foreach (var (set, _, _) in entryChanges)
            {
                started = true;
                await DoAsync($"setting the entries of ipset {set.Name}", () => bus.SetRuntimeEntriesAsync(set.Name, set.Entries, cancellationToken), bus).ConfigureAwait(false);
            }

            if (!reloaded)
            {
                foreach (var policy in diff.RuntimePolicies)
                {
                    started = true;
                    await DoAsync($"setting the runtime rich rules of policy {policy.Name}", () => bus.SetRuntimePolicyRichRulesAsync(policy.Name, policy.RichRules, cancellationToken), bus).ConfigureAwait(false);
                }
            }

            var result = Result(diff, effective, dryRun: false, changed: true, stopwatch, warnings);
            Log.Applied(_logger, _options.Prefix, reloaded ? "with reload" : "runtime", result.ObjectsAdded, result.ObjectsRemoved, result.ElementsAdded, result.ElementsRemoved, stopwatch.Elapsed.TotalMilliseconds);
            return result;
        }
        catch (BackendApplyException ex) when (started)
        {
            throw new BackendApplyException(Name, ex.Detail + " firewalld may hold part of this change: apply again to complete it, or remove to delete everything NetPolHost owns.", ex.InnerException);
        }
    }

    private static ApplyResult Result(FirewalldDiff diff, List<(IpsetSpec Set, int Added, int Removed)> entryChanges, bool dryRun, bool changed, Stopwatch stopwatch, List<string> warnings)
    {
        var lines = new List<string>(diff.Lines);
        lines.AddRange(entryChanges.Select(c => $"~ ipset {c.Set.Name}: entries +{c.Added.ToString(CultureInfo.InvariantCulture)} -{c.Removed.ToString(CultureInfo.InvariantCulture)} (now {c.Set.Entries.Count.ToString(CultureInfo.InvariantCulture)})"));
        if (diff.NeedsReload)
        {
            lines.Add("reload firewalld");
        }

        return new ApplyResult
        {
            Changed = changed,
            DryRun = dryRun,
            ObjectsAdded = diff.AddIPSets.Count + diff.AddPolicies.Count,
            ObjectsRemoved = diff.RemoveIPSets.Count + diff.RemovePolicies.Count,
            ElementsAdded = entryChanges.Sum(c => c.Added),
            ElementsRemoved = entryChanges.Sum(c => c.Removed),
            Changes = lines,
            Duration = stopwatch.Elapsed,
            Warnings = warnings,
        };
    }

    private async Task ReloadAsync(IFirewalldBus bus, string reason, CancellationToken cancellationToken)
    {
        Log.Reloading(_logger, reason);
        var watcher = _watcher;
        watcher?.ExpectReload();
        try
        {
            await DoAsync("reloading firewalld", () => bus.ReloadAsync(cancellationToken), bus).ConfigureAwait(false);
        }
        catch
        {
            watcher?.ReloadNotSent();
            throw;
        }

        await Reader(bus).WaitRunningAsync("after reloading", cancellationToken).ConfigureAwait(false);
    }

    private async Task DoAsync(string operation, Func<Task> action, IFirewalldBus bus) =>
        await FirewalldErrors.CallAsync(operation, async () => { await action().ConfigureAwait(false); return true; }, bus, MarkBroken).ConfigureAwait(false);

    private Task<T> DoAsync<T>(string operation, Func<Task<T>> action, IFirewalldBus bus) =>
        FirewalldErrors.CallAsync(operation, action, bus, MarkBroken);

    private void MarkBroken() => _busBroken = true;

    /// <summary>What firewalld holds now, read through <paramref name="bus"/>.</summary>
    private FirewalldStateReader Reader(IFirewalldBus bus) => new(bus, _options.Prefix, _options.ReloadTimeout, _logger, MarkBroken);

    /// <summary>The watcher of reloads and restarts, made when the signals are first subscribed to.</summary>
    private FirewalldReloadWatcher Watcher()
    {
        // Called under _gate, as every use of the bus.
        return _watcher ??= new FirewalldReloadWatcher(_logger, () => _lastApplied is not null && !_lifetime.IsCancellationRequested, ReapplyAsync, _lifetime.Token);
    }

    private void OnClosed(Exception? error)
    {
        _busBroken = true;
        Log.ConnectionClosed(_logger, error?.Message ?? "closed");
    }

    /// <summary>Applies the last plan again (after a reload or restart that <see cref="FirewalldReloadWatcher"/> saw).</summary>
    private async Task ReapplyAsync(string reason, CancellationToken cancellationToken)
    {
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            var desired = _lastApplied;
            if (desired is null)
            {
                return;
            }

            var bus = await EnsureBusAsync(cancellationToken).ConfigureAwait(false);
            var result = await ApplyCoreAsync(bus, desired, dryRun: false, full: false, cancellationToken).ConfigureAwait(false);
            Log.Reapplied(_logger, reason, result.Changed, result.ElementsAdded, result.Duration.TotalMilliseconds);
            Reapplied?.Invoke(result, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.ReapplyFailed(_logger, reason, ex);
            Reapplied?.Invoke(null, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "firewalld objects {Prefix}-*: applied ({Kind}), +{Added}/-{Removed} objects, +{ElementsAdded}/-{ElementsRemoved} entries in {Milliseconds:F1} ms")]
        public static partial void Applied(ILogger logger, string prefix, string kind, int added, int removed, int elementsAdded, int elementsRemoved, double milliseconds);

        [LoggerMessage(2, LogLevel.Information, "reloading firewalld ({Reason})")]
        public static partial void Reloading(ILogger logger, string reason);

        [LoggerMessage(4, LogLevel.Information, "applied the last plan again after a firewalld {Reason}: changed {Changed}, {Entries} entries set, in {Milliseconds:F1} ms")]
        public static partial void Reapplied(ILogger logger, string reason, bool changed, int entries, double milliseconds);

        [LoggerMessage(5, LogLevel.Error, "could not apply the last plan again after a firewalld {Reason}")]
        public static partial void ReapplyFailed(ILogger logger, string reason, Exception exception);

        [LoggerMessage(8, LogLevel.Warning, "the D-Bus connection to firewalld closed ({Reason}); reloads are not seen until the next call reconnects")]
        public static partial void ConnectionClosed(ILogger logger, string reason);

        [LoggerMessage(10, LogLevel.Information, "removed firewalld objects {Prefix}-*: {Policies} policies, {Ipsets} ipsets")]
        public static partial void Removed(ILogger logger, string prefix, int policies, int ipsets);
    }
}
