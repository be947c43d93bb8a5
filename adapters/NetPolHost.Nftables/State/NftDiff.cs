using System.Globalization;
using System.Text;
using NetPolHost.Nftables.Rendering;
using NetPolHost.Nftables.Runtime;

namespace NetPolHost.Nftables.State;

/// <summary>The commands that turn one owned state into another, as one transaction.</summary>
internal sealed class NftDiff
{
    public string Script { get; private init; } = string.Empty;

    public bool IsEmpty => Script.Length == 0;

    public int ObjectsAdded { get; private init; }

    public int ObjectsRemoved { get; private init; }

    public int ElementsAdded { get; private init; }

    public int ElementsRemoved { get; private init; }

    public IReadOnlyList<string> Changes { get; private init; } = [];

    /// <summary>When the diff only adds and deletes elements of plain address sets and address verdict maps: the same
    /// changes in netlink form (see <see cref="NftElementBatch"/>), in script order; else <see langword="null"/>.</summary>
    public IReadOnlyList<NftElementChange>? ElementChanges { get; private init; }

    /// <summary>Everything of <paramref name="state"/> as additions (for a first, full apply).</summary>
    public static NftDiff Full(NftState state)
    {
        var changes = new List<string> { $"+ table inet {state.Table}" };
        changes.AddRange(state.Limits.Keys.Order(StringComparer.Ordinal).Select(l => $"+ limit {l}"));
        changes.AddRange(state.Sets.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => $"+ {s.Kind} {s.Name} ({Count(s.Elements.Length, "element")})"));
        changes.AddRange(state.Chains.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => $"+ chain {c.Name} ({Count(c.Rules.Length, "rule")})"));
        return new NftDiff
        {
            Script = state.FullScript(),
            ObjectsAdded = 1 + state.Limits.Count + state.Sets.Count + state.Chains.Count + state.RuleCount,
            ElementsAdded = state.ElementCount,
            Changes = changes,
        };
    }

    /// <summary>The element-level changes from <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <remarks>
    /// Order inside the one transaction: new sets, maps and chains; rules of new and changed chains (a changed chain is
    /// flushed and refilled); map and set elements (jump targets exist by then); then the removals, each after what
    /// refers to it: base chains, maps, regular chains, sets.
    /// </remarks>
    public static NftDiff Between(NftState from, NftState to)
    {
        var table = "inet " + to.Table;
        var script = new StringBuilder();
        var changes = new List<string>();
        int added = 0, removed = 0, elementsAdded = 0, elementsRemoved = 0;
        List<NftElementChange>? elementChanges = [];

        // Limit objects are named after their settings, so one is only ever added or deleted, never changed.
        foreach (var (name, declaration) in to.Limits.Where(l => !from.Limits.ContainsKey(l.Key)).OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            script.Append(CultureInfo.InvariantCulture, $"add limit {table} {name} {{ {declaration} }}\n");
            added++;
            changes.Add($"+ limit {name}");
        }

        foreach (var set in to.Sets.Values.Where(s => !from.Sets.ContainsKey(s.Name)).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            script.Append(CultureInfo.InvariantCulture, $"add {set.Kind} {table} {set.Name} {{ {set.Declaration} }}\n");
            added++;
            changes.Add($"+ {set.Kind} {set.Name}");
        }

        foreach (var chain in to.Chains.Values.Where(c => !from.Chains.ContainsKey(c.Name)).OrderBy(c => c.Hook is null ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal))
        {
            script.Append(CultureInfo.InvariantCulture, $"add chain {table} {chain.Name}");
            script.Append(chain.Hook is null ? "\n" : $" {{ {chain.Hook} }}\n");
            added++;
            changes.Add($"+ chain {chain.Name} ({Count(chain.Rules.Length, "rule")})");
        }

        foreach (var chain in to.Chains.Values.OrderBy(c => c.Hook is null ? 0 : 1).ThenBy(c => c.Name, StringComparer.Ordinal))
        {
            var isNew = !from.Chains.TryGetValue(chain.Name, out var old);
            if (!isNew && old!.SameAs(chain))
            {
                continue;
            }

            if (!isNew)
            {
                if (old!.Hook != chain.Hook)
                {
                    // A base chain's hook cannot be changed in place: the caller falls back to a full apply.
                    throw new InvalidOperationException("hook changed");
                }

                script.Append(CultureInfo.InvariantCulture, $"flush chain {table} {chain.Name}\n");
                removed += old.Rules.Length;
                changes.Add($"~ chain {chain.Name} ({Count(old.Rules.Length, "rule")} -> {chain.Rules.Length.ToString(CultureInfo.InvariantCulture)})");
            }

            foreach (var rule in chain.Rules)
            {
                script.Append(CultureInfo.InvariantCulture, $"add rule {table} {chain.Name} {rule}\n");
            }

            added += chain.Rules.Length;
        }

        foreach (var set in to.Sets.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            from.Sets.TryGetValue(set.Name, out var old);
            if (old is not null && old.SameElements(set))
            {
                continue;
            }

            var (gone, fresh) = Compare(old?.Elements ?? [], set.Elements, set.IsMap);
            if (gone.Count > 0)
            {
                script.Append(CultureInfo.InvariantCulture, $"delete element {table} {set.Name} {{ ");
                NftState.AppendElements(script, gone);
                script.Append(" }\n");
                Batch(set, delete: true, gone);
            }

            if (fresh.Count > 0)
            {
                script.Append(CultureInfo.InvariantCulture, $"add element {table} {set.Name} {{ ");
                NftState.AppendElements(script, fresh);
                script.Append(" }\n");
                Batch(set, delete: false, fresh);
            }

            elementsAdded += fresh.Count;
            elementsRemoved += gone.Count;
            if (old is not null && (gone.Count > 0 || fresh.Count > 0))
            {
                changes.Add($"~ {set.Kind} {set.Name}: +{fresh.Count.ToString(CultureInfo.InvariantCulture)} -{gone.Count.ToString(CultureInfo.InvariantCulture)} elements");
            }
            else if (fresh.Count > 0)
            {
                changes[changes.IndexOf($"+ {set.Kind} {set.Name}")] = $"+ {set.Kind} {set.Name} ({Count(fresh.Count, "element")})";
            }
        }

        // Removals, each after everything that refers to it is gone: base chains (they refer to maps and sets and jump
        // to regular chains), then maps (their elements jump to regular chains), then regular chains (their rules refer
        // to sets), then sets.
        var removedChains = from.Chains.Values.Where(c => !to.Chains.ContainsKey(c.Name)).ToList();
        var removedSets = from.Sets.Values.Where(s => !to.Sets.ContainsKey(s.Name)).ToList();
        foreach (var chain in removedChains.Where(c => c.Hook is not null).OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            RemoveChain(chain);
        }

        foreach (var set in removedSets.Where(s => s.IsMap).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            RemoveSet(set);
        }

        // Regular chains may go to one another (a tier's Pass goes to the next stage): all are flushed before any is
        // deleted, so none is still referred to when it goes.
        var removedRegular = removedChains.Where(c => c.Hook is null).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        foreach (var chain in removedRegular)
        {
            script.Append(CultureInfo.InvariantCulture, $"flush chain {table} {chain.Name}\n");
        }

        foreach (var chain in removedRegular)
        {
            script.Append(CultureInfo.InvariantCulture, $"delete chain {table} {chain.Name}\n");
            removed += 1 + chain.Rules.Length;
            changes.Add($"- chain {chain.Name}");
        }

        foreach (var set in removedSets.Where(s => !s.IsMap).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            RemoveSet(set);
        }

        foreach (var name in from.Limits.Keys.Where(l => !to.Limits.ContainsKey(l)).Order(StringComparer.Ordinal))
        {
            script.Append(CultureInfo.InvariantCulture, $"delete limit {table} {name}\n");
            removed++;
            changes.Add($"- limit {name}");
        }

        return new NftDiff
        {
            Script = script.ToString(),
            ObjectsAdded = added,
            ObjectsRemoved = removed,
            ElementsAdded = elementsAdded,
            ElementsRemoved = elementsRemoved,
            Changes = changes,
            ElementChanges = added == 0 && removed == 0 && script.Length > 0 ? elementChanges : null,
        };

        void Batch(NftSet set, bool delete, List<string> elements)
        {
            if (elementChanges is not null)
            {
                var change = NftElementBatch.TryCreate(set.Name, set.Declaration, delete, elements);
                if (change is null)
                {
                    elementChanges = null;
                }
                else
                {
                    elementChanges.Add(change);
                }
            }
        }

        void RemoveChain(NftChain chain)
        {
            script.Append(CultureInfo.InvariantCulture, $"flush chain {table} {chain.Name}\n");
            script.Append(CultureInfo.InvariantCulture, $"delete chain {table} {chain.Name}\n");
            removed += 1 + chain.Rules.Length;
            changes.Add($"- chain {chain.Name}");
        }

        void RemoveSet(NftSet set)
        {
            script.Append(CultureInfo.InvariantCulture, $"delete {set.Kind} {table} {set.Name}\n");
            removed++;
            elementsRemoved += set.Elements.Length;
            changes.Add($"- {set.Kind} {set.Name} ({Count(set.Elements.Length, "element")})");
        }
    }

    /// <summary>Elements only in <paramref name="old"/> and only in <paramref name="fresh"/>, in their order. A map key
    /// whose verdict changed is deleted (by key) and added again.</summary>
    private static (List<string> Gone, List<string> Fresh) Compare(string[] old, string[] fresh, bool isMap)
    {
        var oldSet = new HashSet<string>(old, StringComparer.Ordinal);
        var freshSet = new HashSet<string>(fresh, StringComparer.Ordinal);
        var gone = old.Where(e => !freshSet.Contains(e)).Select(e => isMap ? MapKey(e) : e).ToList();
        var added = fresh.Where(e => !oldSet.Contains(e)).ToList();
        return (gone, added);
    }

    private static string MapKey(string element) => element[..element.IndexOf(" : ", StringComparison.Ordinal)];

    private static string Count(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? string.Empty : "s");
}
