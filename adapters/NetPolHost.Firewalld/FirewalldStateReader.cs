using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using NetPolHost.Backends;
using NetPolHost.Firewalld.Bus;
using NetPolHost.Firewalld.Mapping;

namespace NetPolHost.Firewalld;

/// <summary>Reads what firewalld holds: its state, the objects with the backend's prefix (permanent settings, runtime
/// names, entries and policies), and which ipsets others still name. Reads only; every call's failure becomes a
/// NetPolHost exception naming what was read.</summary>
/// <param name="bus">The connection to firewalld.</param>
/// <param name="prefix">The prefix of the owned objects.</param>
/// <param name="reloadTimeout">How long firewalld may take to become RUNNING.</param>
/// <param name="logger">The backend's logger.</param>
/// <param name="unreachable">Called when the bus could not be reached.</param>
internal sealed partial class FirewalldStateReader(IFirewalldBus bus, string prefix, TimeSpan reloadTimeout, ILogger logger, Action unreachable)
{
    /// <summary>Reads the prefixed objects: permanent settings, runtime names, entries and policies (calls in parallel).</summary>
    public async Task<FirewalldSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var setNames = (await DoAsync("listing ipsets", () => bus.GetPermanentIPSetNamesAsync(cancellationToken)).ConfigureAwait(false))
            .Where(n => FirewalldNames.HasPrefix(n, prefix)).ToList();
        var policyNames = (await DoAsync("listing policies", () => bus.GetPermanentPolicyNamesAsync(cancellationToken)).ConfigureAwait(false))
            .Where(n => FirewalldNames.HasPrefix(n, prefix)).ToList();
        var runtimeSets = (await DoAsync("listing runtime ipsets", () => bus.GetRuntimeIPSetNamesAsync(cancellationToken)).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var runtimePolicyNames = (await DoAsync("listing runtime policies", () => bus.GetRuntimePolicyNamesAsync(cancellationToken)).ConfigureAwait(false))
            .Where(n => FirewalldNames.HasPrefix(n, prefix)).ToList();

        var sets = DoAsync("reading ipsets", () => Task.WhenAll(setNames.Select(n => bus.GetPermanentIPSetAsync(n, cancellationToken))));
        var policies = DoAsync("reading policies", () => Task.WhenAll(policyNames.Select(n => bus.GetPermanentPolicyAsync(n, cancellationToken))));
        var runtimePolicies = DoAsync("reading runtime policies", () => Task.WhenAll(runtimePolicyNames.Select(n => bus.GetRuntimePolicyAsync(n, cancellationToken))));
        var entries = ReadRuntimeEntriesAsync(runtimeSets.Where(n => FirewalldNames.HasPrefix(n, prefix)), cancellationToken);
        await Task.WhenAll(sets, policies, runtimePolicies, entries).ConfigureAwait(false);

        return new FirewalldSnapshot(
            setNames.Zip(sets.Result).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal),
            policyNames.Zip(policies.Result).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal),
            runtimeSets,
            entries.Result,
            runtimePolicyNames.Zip(runtimePolicies.Result).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal));
    }

    /// <summary>The runtime entries of the ipsets of <paramref name="names"/> that exist at runtime.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ReadRuntimeEntriesAsync(IEnumerable<string> names, CancellationToken cancellationToken)
    {
        var runtime = (await DoAsync("listing runtime ipsets", () => bus.GetRuntimeIPSetNamesAsync(cancellationToken)).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var present = names.Where(runtime.Contains).Distinct(StringComparer.Ordinal).ToList();
        var entries = await DoAsync("reading runtime entries", () => Task.WhenAll(present.Select(n => bus.GetRuntimeEntriesAsync(n, cancellationToken)))).ConfigureAwait(false);
        return present.Zip(entries).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
    }

    /// <summary>The ipsets of <paramref name="names"/> that no permanent policy or zone of someone else names (removing a
    /// named ipset would put firewalld into state FAILED at its next reload).</summary>
    public async Task<List<string>> UnreferencedAsync(List<string> names, FirewalldSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (names.Count == 0)
        {
            return [];
        }

        var candidates = names.ToHashSet(StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var policyNames = await DoAsync("listing policies", () => bus.GetPermanentPolicyNamesAsync(cancellationToken)).ConfigureAwait(false);
        var foreignPolicies = policyNames.Where(p => !(snapshot.PermanentPolicies.TryGetValue(p, out var s) && FirewalldSnapshot.IsOwned(s.Short))).ToList();
        var policies = await DoAsync("reading policies", () => Task.WhenAll(foreignPolicies.Select(p => bus.GetPermanentPolicyAsync(p, cancellationToken)))).ConfigureAwait(false);
        foreach (var (name, settings) in foreignPolicies.Zip(policies))
        {
            foreach (var set in settings.RichRules.SelectMany(RichRule.ReferencedIpsets).Where(candidates.Contains))
            {
                referenced.Add(set);
                Log.IpsetKept(logger, set, "policy " + name);
            }
        }

        var zoneNames = await DoAsync("listing zones", () => bus.GetPermanentZoneNamesAsync(cancellationToken)).ConfigureAwait(false);
        var zones = await DoAsync("reading zones", () => Task.WhenAll(zoneNames.Select(z => bus.GetPermanentZoneAsync(z, cancellationToken)))).ConfigureAwait(false);
        foreach (var (name, zone) in zoneNames.Zip(zones))
        {
            var sets = zone.RichRules.SelectMany(RichRule.ReferencedIpsets)
                .Concat(zone.Sources.Where(s => s.StartsWith("ipset:", StringComparison.Ordinal)).Select(s => s["ipset:".Length..]));
            foreach (var set in sets.Where(candidates.Contains))
            {
                referenced.Add(set);
                Log.IpsetKept(logger, set, "zone " + name);
            }
        }

        return names.Where(n => !referenced.Contains(n)).ToList();
    }

    /// <summary>Waits until firewalld's state is RUNNING; FAILED (a broken configuration: firewalld filters nothing) is an error.</summary>
    /// <param name="when">When this is, for the message ("before applying").</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task WaitRunningAsync(string when, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var state = await DoAsync("reading firewalld's state", () => bus.GetStateAsync(cancellationToken)).ConfigureAwait(false);
            switch (state)
            {
                case "RUNNING":
                    return;
                case "FAILED":
                    throw new BackendUnavailableException(
                        FirewalldErrors.Backend,
                        $"firewalld's state is FAILED {when}: it failed to load its configuration and may filter nothing. Find the broken file (firewall-cmd --check-config, journalctl -u firewalld), fix it and restart firewalld.");
            }

            if (deadline.Elapsed > reloadTimeout)
            {
                throw new BackendUnavailableException(FirewalldErrors.Backend, $"firewalld's state is still {state} {when} after {reloadTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s; wait until it is RUNNING (firewall-cmd --state) and retry.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<T> DoAsync<T>(string operation, Func<Task<T>> call) => FirewalldErrors.CallAsync(operation, call, bus, unreachable);

    private static partial class Log
    {
        [LoggerMessage(9, LogLevel.Warning, "ipset {Ipset} is not removed: {Referrer} of someone else still names it")]
        public static partial void IpsetKept(ILogger logger, string ipset, string referrer);
    }
}
