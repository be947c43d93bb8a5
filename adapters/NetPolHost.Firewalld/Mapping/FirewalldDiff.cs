using System.Globalization;
using NetPolHost.Firewalld.Bus;

namespace NetPolHost.Firewalld.Mapping;

/// <summary>What firewalld holds of the backend's objects (names with the prefix), permanently and at runtime.</summary>
/// <param name="PermanentIPSets">Permanent ipsets with the prefix, by name.</param>
/// <param name="PermanentPolicies">Permanent policies with the prefix, by name.</param>
/// <param name="RuntimeIPSets">Names of ipsets active at runtime.</param>
/// <param name="RuntimeEntries">Runtime entries of the prefixed ipsets active at runtime.</param>
/// <param name="RuntimePolicies">Runtime settings of the prefixed policies active at runtime.</param>
internal sealed record FirewalldSnapshot(
    IReadOnlyDictionary<string, IpsetSettings> PermanentIPSets,
    IReadOnlyDictionary<string, PolicySettings> PermanentPolicies,
    IReadOnlySet<string> RuntimeIPSets,
    IReadOnlyDictionary<string, IReadOnlyList<string>> RuntimeEntries,
    IReadOnlyDictionary<string, PolicySettings> RuntimePolicies)
{
    /// <summary>Whether a permanent object carries the backend's marker (only those are changed or removed).</summary>
    public static bool IsOwned(string shortText) => shortText == FirewalldNames.Marker;
}

/// <summary>The changes that bring firewalld from a <see cref="FirewalldSnapshot"/> to a <see cref="FirewalldState"/>,
/// in the order they must run: ipsets are created before the policies that refer to them, and policies are changed or
/// removed before the ipsets they referred to are removed (a policy referring to a missing ipset puts firewalld into
/// state FAILED at the next reload).</summary>
internal sealed class FirewalldDiff
{
    public List<IpsetSpec> AddIPSets { get; } = [];

    public List<IpsetSpec> UpdateIPSets { get; } = [];

    public List<PolicySpec> AddPolicies { get; } = [];

    public List<PolicySpec> UpdatePolicies { get; } = [];

    public List<string> RemovePolicies { get; } = [];

    public List<string> RemoveIPSets { get; } = [];

    /// <summary>Desired objects whose names are taken by objects NetPolHost did not create.</summary>
    public List<string> Conflicts { get; } = [];

    /// <summary>Runtime policies whose rich rules differ (applied at runtime when no reload happens).</summary>
    public List<PolicySpec> RuntimePolicies { get; } = [];

    /// <summary>Whether firewalld must reload: new objects, changed zones/priority/target or type/family, removed policies,
    /// or desired objects missing at runtime.</summary>
    public bool NeedsReload { get; private set; }

    /// <summary>One line per change (or drift), for people.</summary>
    public List<string> Lines { get; } = [];

    public bool HasPermanentChanges => AddIPSets.Count + UpdateIPSets.Count + AddPolicies.Count + UpdatePolicies.Count + RemovePolicies.Count + RemoveIPSets.Count > 0;

    public static FirewalldDiff Compute(FirewalldState desired, FirewalldSnapshot current, bool persistEntries, bool full)
    {
        var diff = new FirewalldDiff { NeedsReload = full };
        var desiredSets = desired.IPSets.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var desiredPolicies = desired.Policies.ToDictionary(p => p.Name, StringComparer.Ordinal);

        foreach (var set in desired.IPSets)
        {
            if (!current.PermanentIPSets.TryGetValue(set.Name, out var settings))
            {
                diff.AddIPSets.Add(set);
                diff.NeedsReload = true;
                diff.Lines.Add($"+ ipset {set.Name} ({set.Type} {set.Family}, {Count(set.Entries.Count, "entry", "entries")})");
                continue;
            }

            if (!FirewalldSnapshot.IsOwned(settings.Short))
            {
                diff.Conflicts.Add($"ipset {set.Name}");
                continue;
            }

            var wanted = ToSettings(set, persistEntries);
            var structural = settings.Type != wanted.Type || settings.Family != wanted.Family || settings.OtherOptions.Count > 0;
            if (full || structural || settings.Description != wanted.Description || !SameEntries(settings.Entries, wanted.Entries))
            {
                diff.UpdateIPSets.Add(set);
                diff.NeedsReload |= structural;
                diff.Lines.Add(structural
                    ? $"~ ipset {set.Name}: type or options changed (was {settings.Type} {settings.Family})"
                    : $"~ ipset {set.Name}: permanent entries{EntryDelta(settings.Entries, wanted.Entries)}");
            }

            if (!current.RuntimeIPSets.Contains(set.Name))
            {
                diff.NeedsReload = true;
                diff.Lines.Add($"! ipset {set.Name} is not active at runtime");
            }
        }

        foreach (var policy in desired.Policies)
        {
            if (!current.PermanentPolicies.TryGetValue(policy.Name, out var settings))
            {
                diff.AddPolicies.Add(policy);
                diff.NeedsReload = true;
                diff.Lines.Add($"+ policy {policy.Name} ({policy.IngressZone} -> {policy.EgressZone}, priority {policy.Priority.ToString(CultureInfo.InvariantCulture)}, {Count(policy.RichRules.Count, "rich rule", "rich rules")})");
                continue;
            }

            if (!FirewalldSnapshot.IsOwned(settings.Short))
            {
                diff.Conflicts.Add($"policy {policy.Name}");
                continue;
            }

            var wanted = ToSettings(policy);
            var structural = settings.Target != wanted.Target || settings.Priority != wanted.Priority
                || !settings.IngressZones.SequenceEqual(wanted.IngressZones, StringComparer.Ordinal)
                || !settings.EgressZones.SequenceEqual(wanted.EgressZones, StringComparer.Ordinal)
                || settings.OtherSettings.Count > 0;
            var rulesDiffer = !SameRules(settings.RichRules, wanted.RichRules);
            if (full || structural || rulesDiffer || settings.Description != wanted.Description)
            {
                diff.UpdatePolicies.Add(policy);
                diff.NeedsReload |= structural;
                diff.Lines.Add(structural
                    ? $"~ policy {policy.Name}: zones, priority, target or other settings changed"
                    : $"~ policy {policy.Name}: rich rules{RuleDelta(settings.RichRules, wanted.RichRules)}");
            }

            if (!current.RuntimePolicies.TryGetValue(policy.Name, out var runtime))
            {
                diff.NeedsReload = true;
                diff.Lines.Add($"! policy {policy.Name} is not active at runtime");
            }
            else if (!SameRules(runtime.RichRules, wanted.RichRules))
            {
                diff.RuntimePolicies.Add(policy);
                if (!rulesDiffer)
                {
                    diff.Lines.Add($"~ policy {policy.Name}: runtime rich rules{RuleDelta(runtime.RichRules, wanted.RichRules)}");
                }
            }
        }

        foreach (var (name, settings) in current.PermanentPolicies.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!desiredPolicies.ContainsKey(name) && FirewalldSnapshot.IsOwned(settings.Short))
            {
                diff.RemovePolicies.Add(name);
                diff.NeedsReload = true;
                diff.Lines.Add($"- policy {name}");
            }
        }

        foreach (var (name, settings) in current.PermanentIPSets.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!desiredSets.ContainsKey(name) && FirewalldSnapshot.IsOwned(settings.Short))
            {
                diff.RemoveIPSets.Add(name);
                diff.Lines.Add($"- ipset {name}");
            }
        }

        return diff;
    }

    /// <summary>The runtime entry changes: sets whose runtime entries differ from the desired ones, with counts.</summary>
    public static List<(IpsetSpec Set, int Added, int Removed)> EntryChanges(FirewalldState desired, IReadOnlyDictionary<string, IReadOnlyList<string>> runtime, bool full)
    {
        var result = new List<(IpsetSpec, int, int)>();
        foreach (var set in desired.IPSets)
        {
            var have = runtime.TryGetValue(set.Name, out var entries) ? Normalized(entries) : [];
            var want = Normalized(set.Entries);
            var added = want.Count(e => !have.Contains(e));
            var removed = have.Count(e => !want.Contains(e));
            if (full || added > 0 || removed > 0)
            {
                result.Add((set, added, removed));
            }
        }

        return result;
    }

    /// <summary>The permanent settings of an ipset the backend wants.</summary>
    public static IpsetSettings ToSettings(IpsetSpec set, bool persistEntries) =>
        IpsetSettings.Create(FirewalldNames.Marker, set.Description, set.Type, set.Family, persistEntries ? set.Entries : []);

    /// <summary>The settings of a policy the backend wants.</summary>
    public static PolicySettings ToSettings(PolicySpec policy) =>
        new(FirewalldNames.Marker, policy.Description, PolicySpec.Target, policy.Priority, [policy.IngressZone], [policy.EgressZone], policy.RichRules, []);

    /// <summary>Whether two entry lists hold the same addresses (order and spelling aside).</summary>
    public static bool SameEntries(IReadOnlyList<string> a, IReadOnlyList<string> b) => Normalized(a).SetEquals(Normalized(b));

    /// <summary>Whether two rule lists hold the same rules (the order of rich rules does not matter: priorities order them).</summary>
    public static bool SameRules(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        new HashSet<string>(a, StringComparer.Ordinal).SetEquals(b);

    private static HashSet<string> Normalized(IEnumerable<string> entries) =>
        new(entries.Select(FirewalldPolicyMapper.NormalizeEntry), StringComparer.Ordinal);

    private static string EntryDelta(IReadOnlyList<string> have, IReadOnlyList<string> want)
    {
        var a = Normalized(have);
        var b = Normalized(want);
        return $" +{b.Count(e => !a.Contains(e)).ToString(CultureInfo.InvariantCulture)} -{a.Count(e => !b.Contains(e)).ToString(CultureInfo.InvariantCulture)}";
    }

    private static string RuleDelta(IReadOnlyList<string> have, IReadOnlyList<string> want)
    {
        var a = new HashSet<string>(have, StringComparer.Ordinal);
        var b = new HashSet<string>(want, StringComparer.Ordinal);
        return $" +{b.Count(e => !a.Contains(e)).ToString(CultureInfo.InvariantCulture)} -{a.Count(e => !b.Contains(e)).ToString(CultureInfo.InvariantCulture)}";
    }

    private static string Count(int n, string one, string many) => n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? one : many);
}
