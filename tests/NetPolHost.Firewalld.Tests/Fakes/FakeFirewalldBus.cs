using System.Net;
using NetPolHost.Firewalld.Bus;
using NetPolHost.Firewalld.Mapping;
using NetPolHost.Model;

namespace NetPolHost.Firewalld.Tests.Fakes;

/// <summary>
/// An in-memory firewalld: permanent and runtime ipsets and policies, zones, reload (runtime := permanent, with the
/// reference check that sends the real firewalld into state FAILED), firewalld's error replies, signals, and a log of
/// every call that changes something.
/// </summary>
internal sealed class FakeFirewalldBus : IFirewalldBus
{
    private Action? _onReloaded;
    private Action<bool>? _onOwnerChanged;

    public FakeFirewalldBus()
    {
        // What a fresh firewalld has that is not NetPolHost's.
        PermanentPolicies["allow-host-ipv6"] = new PolicySettings(string.Empty, string.Empty, "CONTINUE", -15000, ["ANY"], ["HOST"], [], ["icmp_blocks"]);
        PermanentIPSets["admin-set"] = IpsetSettings.Create("admin", string.Empty, "hash:net", "inet", ["192.0.2.0/24"]);
        Zones["public"] = new ZoneReferences([], []);
        Reload();
    }

    public string Address => "unix:path=/run/fake-bus";

    public string State { get; set; } = "RUNNING";

    public Dictionary<string, IpsetSettings> PermanentIPSets { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, PolicySettings> PermanentPolicies { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ZoneReferences> Zones { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (string Type, string Family, List<string> Entries)> RuntimeIPSets { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, PolicySettings> RuntimePolicies { get; } = new(StringComparer.Ordinal);

    /// <summary>Every call that changes something, e.g. <c>addIPSet nph-pods-4</c>, <c>reload</c>.</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Makes a call fail: gets the call's log text (or the read's method name) and returns the error to throw.</summary>
    public Func<string, Exception?>? Fail { get; set; }

    public int Reloads { get; private set; }

    public bool Disposed { get; private set; }

    public Task ConnectAsync(CancellationToken cancellationToken) => Check("connect");

    public async Task<string> GetStateAsync(CancellationToken cancellationToken)
    {
        await Check("state");
        return State;
    }

    public Task<string> GetVersionAsync(CancellationToken cancellationToken) => Task.FromResult("1.3.3");

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await Mutate("reload");
        Reload();
        _onReloaded?.Invoke();
    }

    /// <summary>A reload by somebody else (firewall-cmd --reload).</summary>
    public void ExternalReload()
    {
        Reload();
        _onReloaded?.Invoke();
    }

    /// <summary>firewalld restarted: runtime from permanent, then a new owner on the bus.</summary>
    public void Restart()
    {
        Reload();
        _onOwnerChanged?.Invoke(true);
    }

    public async Task<IReadOnlyList<string>> GetPermanentIPSetNamesAsync(CancellationToken cancellationToken)
    {
        await Check("getIPSetNames");
        return [.. PermanentIPSets.Keys];
    }

    public async Task<IpsetSettings> GetPermanentIPSetAsync(string name, CancellationToken cancellationToken)
    {
        await Check("getIPSetByName");
        return PermanentIPSets.TryGetValue(name, out var settings) ? settings : throw Error("INVALID_IPSET", name);
    }

    public async Task AddPermanentIPSetAsync(string name, IpsetSettings settings, CancellationToken cancellationToken)
    {
        await Mutate("addIPSet " + name);
        RequireRunning();
        if (PermanentIPSets.ContainsKey(name))
        {
            throw Error("NAME_CONFLICT", $"new_ipset(): '{name}'");
        }

        CheckEntries(name, settings.Type, settings.Family, settings.Entries);
        PermanentIPSets[name] = settings;
    }

    public async Task UpdatePermanentIPSetAsync(string name, IpsetSettings settings, CancellationToken cancellationToken)
    {
        await Mutate("updateIPSet " + name);
        RequireRunning();
        _ = PermanentIPSets.TryGetValue(name, out _) ? 0 : throw Error("INVALID_IPSET", name);
        CheckEntries(name, settings.Type, settings.Family, settings.Entries);
        PermanentIPSets[name] = settings;
    }

    public async Task RemovePermanentIPSetAsync(string name, CancellationToken cancellationToken)
    {
        await Mutate("removeIPSet " + name);
        RequireRunning();
        _ = PermanentIPSets.Remove(name) ? 0 : throw Error("INVALID_IPSET", name);
    }

    public async Task<IReadOnlyList<string>> GetPermanentPolicyNamesAsync(CancellationToken cancellationToken)
    {
        await Check("getPolicyNames");
        return [.. PermanentPolicies.Keys];
    }

    public async Task<PolicySettings> GetPermanentPolicyAsync(string name, CancellationToken cancellationToken)
    {
        await Check("getPolicyByName");
        return PermanentPolicies.TryGetValue(name, out var settings) ? settings : throw Error("INVALID_POLICY", name);
    }

    public async Task AddPermanentPolicyAsync(string name, PolicySettings settings, CancellationToken cancellationToken)
    {
        await Mutate("addPolicy " + name);
        RequireRunning();
        if (PermanentPolicies.ContainsKey(name))
        {
            throw Error("NAME_CONFLICT", $"new_policy_object(): '{name}'");
        }

        PermanentPolicies[name] = settings with { RichRules = [.. settings.RichRules.Distinct()] };
    }

    public async Task UpdatePermanentPolicyAsync(string name, PolicySettings settings, CancellationToken cancellationToken)
    {
        await Mutate("updatePolicy " + name);
        RequireRunning();
        _ = PermanentPolicies.ContainsKey(name) ? 0 : throw Error("INVALID_POLICY", name);
        PermanentPolicies[name] = settings with { RichRules = [.. settings.RichRules.Distinct()] };
    }

    public async Task RemovePermanentPolicyAsync(string name, CancellationToken cancellationToken)
    {
        await Mutate("removePolicy " + name);
        RequireRunning();
        _ = PermanentPolicies.Remove(name) ? 0 : throw Error("INVALID_POLICY", name);
    }

    public async Task<IReadOnlyList<string>> GetPermanentZoneNamesAsync(CancellationToken cancellationToken)
    {
        await Check("getZoneNames");
        return [.. Zones.Keys];
    }

    public async Task<ZoneReferences> GetPermanentZoneAsync(string name, CancellationToken cancellationToken)
    {
        await Check("getZoneByName");
        return Zones.TryGetValue(name, out var zone) ? zone : throw Error("INVALID_ZONE", name);
    }

    public async Task<IReadOnlyList<string>> GetRuntimeIPSetNamesAsync(CancellationToken cancellationToken)
    {
        await Check("getIPSets");
        return [.. RuntimeIPSets.Keys];
    }

    public async Task<IReadOnlyList<string>> GetRuntimeEntriesAsync(string name, CancellationToken cancellationToken)
    {
        await Check("getEntries");
        return RuntimeIPSets.TryGetValue(name, out var set) ? [.. set.Entries] : throw Error("INVALID_IPSET", name);
    }

    public async Task SetRuntimeEntriesAsync(string name, IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        await Mutate($"setEntries {name} {entries.Count}");
        if (!RuntimeIPSets.TryGetValue(name, out var set))
        {
            throw Error("INVALID_IPSET", name);
        }

        CheckEntries(name, set.Type, set.Family, entries);
        RuntimeIPSets[name] = set with { Entries = [.. entries] };
    }

    public async Task<IReadOnlyList<string>> GetRuntimePolicyNamesAsync(CancellationToken cancellationToken)
    {
        await Check("getPolicies");
        return [.. RuntimePolicies.Keys];
    }

    public async Task<PolicySettings> GetRuntimePolicyAsync(string name, CancellationToken cancellationToken)
    {
        await Check("getPolicySettings");
        return RuntimePolicies.TryGetValue(name, out var settings) ? settings : throw Error("INVALID_POLICY", name);
    }

    public async Task SetRuntimePolicyRichRulesAsync(string name, IReadOnlyList<string> richRules, CancellationToken cancellationToken)
    {
        await Mutate("setPolicySettings " + name);
        if (!RuntimePolicies.TryGetValue(name, out var settings))
        {
            throw Error("INVALID_POLICY", name);
        }

        foreach (var set in richRules.SelectMany(RichRule.ReferencedIpsets).Where(s => !RuntimeIPSets.ContainsKey(s)))
        {
            throw Error("INVALID_IPSET", set);
        }

        RuntimePolicies[name] = settings with { RichRules = [.. richRules] };
    }

    public async Task<IDisposable> WatchAsync(Action onReloaded, Action<bool> onOwnerChanged, Action<Exception?> onClosed, CancellationToken cancellationToken)
    {
        await Check("watch");
        _onReloaded = onReloaded;
        _onOwnerChanged = onOwnerChanged;
        return new Unsubscribe(this);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>firewalld's reload: every permanent policy must name existing ipsets of its family, else state FAILED.</summary>
    private void Reload()
    {
        Reloads++;
        foreach (var (name, policy) in PermanentPolicies)
        {
            foreach (var rule in policy.RichRules)
            {
                foreach (var set in RichRule.ReferencedIpsets(rule))
                {
                    if (!PermanentIPSets.TryGetValue(set, out var settings) || (settings.Family == "inet6") != RichRule.IsV6(rule))
                    {
                        State = "FAILED";
                        RuntimePolicies.Clear();
                        throw Error("INVALID_IPSET", $"policy {name}: {set}");
                    }
                }
            }
        }

        RuntimeIPSets.Clear();
        foreach (var (name, settings) in PermanentIPSets)
        {
            RuntimeIPSets[name] = (settings.Type, settings.Family, [.. settings.Entries]);
        }

        RuntimePolicies.Clear();
        foreach (var (name, settings) in PermanentPolicies)
        {
            RuntimePolicies[name] = settings;
        }

        State = "RUNNING";
    }

    private void RequireRunning()
    {
        if (State == "FAILED")
        {
            throw Error("RUNNING_BUT_FAILED", string.Empty);
        }
    }

    /// <summary>setEntries rules: valid addresses of the set's family, no duplicates, no overlaps.</summary>
    private static void CheckEntries(string name, string type, string family, IReadOnlyList<string> entries)
    {
        var ranges = new List<(UInt128 First, UInt128 Last, string Entry)>();
        foreach (var entry in entries)
        {
            Cidr cidr;
            if (entry.Contains('/', StringComparison.Ordinal))
            {
                if (!Cidr.TryParse(entry, out cidr) || type == "hash:ip")
                {
                    throw Error("INVALID_ENTRY", $"invalid address '{entry}' in '{name}'");
                }
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                cidr = Cidr.ForHost(address);
            }
            else
            {
                throw Error("INVALID_ENTRY", $"invalid address '{entry}' in '{name}'");
            }

            if (cidr.IsIPv6 != (family == "inet6"))
            {
                throw Error("INVALID_ENTRY", $"'{entry}' is not of family {family} in '{name}'");
            }

            var range = Planning.AddressRange.FromCidr(cidr);
            foreach (var other in ranges.Where(r => r.First <= range.Last && range.First <= r.Last))
            {
                throw Error("INVALID_ENTRY", $"Entry '{entry}' overlaps with existing entry '{other.Entry}'");
            }

            ranges.Add((range.First, range.Last, entry));
        }
    }

    private Task Check(string read)
    {
        if (Disposed)
        {
            throw new FirewalldBusUnreachableException("disposed");
        }

        return Fail?.Invoke(read) is { } error ? Task.FromException(error) : Task.CompletedTask;
    }

    private Task Mutate(string call)
    {
        if (Fail?.Invoke(call) is { } error)
        {
            return Task.FromException(error);
        }

        Calls.Add(call);
        return Task.CompletedTask;
    }

    public static FirewalldBusException Error(string code, string detail) =>
        new(FirewalldBusNames.FirewallException, detail.Length == 0 ? code : code + ": " + detail);

    private sealed class Unsubscribe(FakeFirewalldBus bus) : IDisposable
    {
        public void Dispose()
        {
            bus._onReloaded = null;
            bus._onOwnerChanged = null;
        }
    }
}
