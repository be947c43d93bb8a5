using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetPolHost.Backends;
using NetPolHost.Planning;
using NetPolHost.WindowsFirewall.Rules;
using NetPolHost.WindowsFirewall.Runtime;

namespace NetPolHost.WindowsFirewall;

/// <summary>Enforces rule plans for the host's own endpoints as Windows Firewall rules in one group the backend owns.</summary>
/// <remarks>
/// <para>Host endpoints only: pod traffic on a Windows node is policed in the virtual switch (HNS/VFP), so pod endpoints of
/// a plan are reported as warnings and left alone. For each isolated direction the backend writes allow rules for what
/// the plan allows and block rules over everything else, so other allow rules on the host cannot widen a policy (block
/// beats allow in Windows Firewall); only an allow-bypass (authenticated IPsec) rule can.</para>
/// <para>Apply reads the owned group, normalises the forms Windows stores addresses in, and adds, updates or removes only
/// the rules that differ; applying the same plan twice changes nothing. Windows Firewall has no transactions: the changes
/// are ordered so that no intermediate state allows what neither the old nor the new plan allows, and a failure part
/// way leaves the rules applied so far (apply again to finish). Nothing outside the group is touched;
/// <see cref="RemoveAllAsync"/> deletes the group's rules. Rendering (<see cref="RenderNative"/>) works on any OS;
/// apply, status and remove need Windows. Calls are serialised.</para>
/// </remarks>
public sealed partial class WindowsFirewallBackend : IFirewallBackend, IDisposable
{
    private readonly WindowsFirewallOptions _options;
    private readonly Func<IFirewallRuleStore>? _storeFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the backend.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is not valid; the message lists every problem.</exception>
    public WindowsFirewallBackend(WindowsFirewallOptions? options = null, ILogger<WindowsFirewallBackend>? logger = null)
        : this(options ?? new WindowsFirewallOptions(), null, logger)
    {
    }

    internal WindowsFirewallBackend(WindowsFirewallOptions options, Func<IFirewallRuleStore>? storeFactory, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new WindowsFirewallOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException("Windows Firewall options are not valid: " + validation.FailureMessage, nameof(options));
        }

        _options = options;
        _storeFactory = storeFactory;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public string Name => FirewallRuleTranslator.BackendName;

    /// <summary>The rule group the backend owns.</summary>
    public string GroupName => _options.GroupName;

    /// <inheritdoc/>
    public BackendCapabilities Capabilities => Supported;

    /// <summary>What Windows Firewall rules express: no SCTP ports (rules carry ports only for TCP and UDP), no pod
    /// traffic (it is switched in the virtual switch), no transactions, and no ClusterNetworkPolicy tiers
    /// (<see cref="BackendCapabilities.ClusterPolicyTiers"/>): rules are unordered and a block beats every allow, so a
    /// tier would have to be flattened into blocks per class of traffic, and a rule names one protocol or all of them:
    /// "every protocol but TCP, UDP and SCTP" (what a tier decides for ICMP and the like apart from the ports it allows,
    /// e.g. an Accept of TCP 443 followed by a Deny of everything) has no rule. Plans with tiers are refused; use the
    /// <c>wfp</c> backend, which enforces them.</summary>
    internal const BackendCapabilities Supported =
        BackendCapabilities.IPv4 | BackendCapabilities.IPv6 | BackendCapabilities.PortRanges | BackendCapabilities.HostTraffic | BackendCapabilities.Incremental;

    /// <summary>A PowerShell script that replaces the owned group with the rules of <paramref name="plan"/>.</summary>
    /// <param name="plan">The plan.</param>
    /// <returns>The script.</returns>
    /// <exception cref="UnsupportedPolicyFeatureException">A host endpoint's policy uses SCTP ports.</exception>
    public string RenderNative(RulePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return PowerShellScriptRenderer.Render(FirewallRuleTranslator.Translate(plan, _options), _options.GroupName, plan.NodeName);
    }

    /// <inheritdoc/>
    /// <remarks>Not atomic (Windows Firewall has no transactions); see the class remarks for the order of changes.</remarks>
    public async Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new ApplyOptions();
        var translation = FirewallRuleTranslator.Translate(plan, _options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stopwatch = Stopwatch.StartNew();
            using var store = OpenStore();
            var warnings = new List<string>(translation.Warnings);
            warnings.AddRange(HostWarnings(store));
            var actual = Call(() => store.ListGroup(_options.GroupName), "list the rules of group '" + _options.GroupName + "'", 0, 0);
            var diff = FirewallRuleDiff.Compute(translation.Rules, actual, options.Full);
            if (diff.IsEmpty || options.DryRun)
            {
                // A dry run reports what an apply would change (Windows Firewall has no dry run: nothing is sent).
                return new ApplyResult
                {
                    Changed = !diff.IsEmpty,
                    DryRun = options.DryRun,
                    ObjectsAdded = options.DryRun ? diff.Added : 0,
                    ObjectsRemoved = options.DryRun ? diff.Removed : 0,
                    Changes = options.DryRun ? diff.Changes.Select(c => c.ToString()).ToList() : [],
                    Duration = stopwatch.Elapsed,
                    Warnings = options.DryRun ? [.. warnings, "Windows Firewall has no dry run: NetPolHost computed these changes but did not send them"] : warnings,
                };
            }

            var done = 0;
            foreach (var change in diff.Changes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (change.Kind)
                {
                    case RuleChangeKind.Add:
                        Call(() => store.Add(change.Rule), "add rule " + change.Name, done, diff.Changes.Count);
                        break;
                    case RuleChangeKind.Update:
                        Call(() => store.Update(change.Rule, change.Fields), $"update rule {change.Name} ({change.Fields})", done, diff.Changes.Count);
                        break;
                    default:
                        for (var i = 0; i < change.Count; i++)
                        {
                            Call(() => store.Remove(change.Name, _options.GroupName), "remove rule " + change.Name, done, diff.Changes.Count);
                        }

                        break;
                }

                done++;
            }

            stopwatch.Stop();
            Log.Applied(_logger, _options.GroupName, diff.Added, diff.Updated, diff.Removed, stopwatch.Elapsed.TotalMilliseconds);
            return new ApplyResult
            {
                Changed = true,
                ObjectsAdded = diff.Added,
                ObjectsRemoved = diff.Removed,
                Changes = diff.Changes.Select(c => c.ToString()).ToList(),
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
            using var store = OpenStore();
            var rules = Call(() => store.ListGroup(_options.GroupName), "list the rules of group '" + _options.GroupName + "'", 0, 0);
            var done = 0;
            foreach (var rule in rules)
            {
                Call(() => store.Remove(rule.Name, _options.GroupName), "remove rule " + rule.Name, done++, rules.Count);
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
        var translation = desired is null ? null : FirewallRuleTranslator.Translate(desired, _options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var store = OpenStore();
            var warnings = HostWarnings(store);
            var rules = Call(() => store.ListGroup(_options.GroupName), "list the rules of group '" + _options.GroupName + "'", 0, 0);
            var owned = rules
                .OrderBy(r => r.Name, StringComparer.Ordinal)
                .Select(r => $"rule {r.Name}: {(r.Action == FirewallAction.Allow ? "allow" : "block")} {(r.Direction == FirewallDirection.Inbound ? "in" : "out")} {NetFw.ProtocolName(r.Protocol)} ({r.Description})")
                .ToList();
            var drift = translation is null ? [] : FirewallRuleDiff.Compute(translation.Rules, rules).Changes.Select(c => c.ToString()).ToList();
            return new BackendStatus { Present = rules.Count > 0, OwnedObjects = owned, Drift = drift, Warnings = warnings };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Releases the lock that serialises calls.</summary>
    public void Dispose() => _gate.Dispose();

    private IFirewallRuleStore OpenStore()
    {
        if (_storeFactory is not null)
        {
            return _storeFactory();
        }

        if (!OperatingSystem.IsWindows())
        {
            throw new BackendUnavailableException(Name, $"Windows Firewall exists only on Windows, and this is {RuntimeInformation.OSDescription}. To review the rules elsewhere, run 'netpolhost plan --backend windows-firewall -o native' and run the PowerShell script on the Windows host.");
        }

        try
        {
            return new ComFirewallRuleStore();
        }
        catch (Exception ex) when (ex is COMException or UnauthorizedAccessException or InvalidCastException)
        {
            throw new BackendUnavailableException(Name, $"the Windows Firewall policy object (HNetCfg.FwPolicy2) cannot be created: HRESULT 0x{ex.HResult.ToString("X8", CultureInfo.InvariantCulture)} ({ex.Message}). Is the Windows Defender Firewall service (mpssvc) running?", ex);
        }
    }

    private List<string> HostWarnings(IFirewallRuleStore store)
    {
        var state = Call(store.GetHostState, "read the firewall state", 0, 0);
        var warnings = new List<string>();
        if ((state.DisabledProfiles & state.CurrentProfiles) != 0)
        {
            warnings.Add($"Windows Firewall is off in a profile in effect (profiles 0x{state.CurrentProfiles.ToString("X", CultureInfo.InvariantCulture)}, off 0x{state.DisabledProfiles.ToString("X", CultureInfo.InvariantCulture)}): the rules of group '{_options.GroupName}' have no effect there");
        }

        if (state.ModifyState == NetFw.ModifyStateGroupPolicyOverride)
        {
            warnings.Add($"group policy overrides the local firewall policy: the local rules of group '{_options.GroupName}' may have no effect");
        }
        else if (state.ModifyState == NetFw.ModifyStateInboundBlocked)
        {
            warnings.Add("all inbound traffic is blocked by a firewall setting, whatever the rules allow");
        }

        return warnings;
    }

    private T Call<T>(Func<T> action, string what, int done, int total)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            throw Failure(ex, what, done, total);
        }
    }

    private void Call(Action action, string what, int done, int total) => Call(() =>
    {
        action();
        return 0;
    }, what, done, total);

    private BackendApplyException Failure(Exception ex, string what, int done, int total)
    {
        var hint = ex is UnauthorizedAccessException || ex.HResult == unchecked((int)0x80070005) ? " Changing firewall rules needs an elevated (Administrator) process." : string.Empty;
        var progress = total == 0
            ? string.Empty
            : $" {done.ToString(CultureInfo.InvariantCulture)} of {total.ToString(CultureInfo.InvariantCulture)} changes were made before it (Windows Firewall has no transactions; apply again to finish).";
        return new BackendApplyException(Name, $"Windows Firewall refused to {what}: HRESULT 0x{ex.HResult.ToString("X8", CultureInfo.InvariantCulture)} ({ex.Message}).{progress}{hint}", ex);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Windows Firewall group {Group}: +{Added} ~{Updated} -{Removed} rules in {Milliseconds:F1} ms")]
        public static partial void Applied(ILogger logger, string group, int added, int updated, int removed, double milliseconds);
    }
}
