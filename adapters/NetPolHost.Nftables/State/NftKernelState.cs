using System.Globalization;
using System.Net;
using System.Text.Json;
using NetPolHost.Model;
using NetPolHost.Nftables.Rendering;
using NetPolHost.Planning;

namespace NetPolHost.Nftables.State;

/// <summary>What the kernel holds in the backend's table, read from <c>nft -j list table</c>, in the renderer's canonical
/// element form so it can be compared with an <see cref="NftState"/>.</summary>
internal sealed class NftKernelState
{
    public Dictionary<string, HashSet<string>> Sets { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<string>> ChainRuleComments { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string?> ChainHooks { get; } = new(StringComparer.Ordinal);

    /// <summary>Base chains: type, hook, priority and policy, as <see cref="Describe(string?)"/> writes them.</summary>
    public Dictionary<string, string> BaseChains { get; } = new(StringComparer.Ordinal);

    /// <summary>Named limit objects.</summary>
    public HashSet<string> Limits { get; } = new(StringComparer.Ordinal);

    /// <summary>Every rule in table order: its chain, comment and counter (null without one).</summary>
    public List<NftKernelRule> Rules { get; } = [];

    /// <summary>The names in <see cref="Sets"/> that are verdict maps.</summary>
    public HashSet<string> Maps { get; } = new(StringComparer.Ordinal);

    public static NftKernelState Parse(string json)
    {
        var state = new NftKernelState();
        using var document = JsonDocument.Parse(json);
        foreach (var item in document.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("limit", out var limit) && limit.ValueKind == JsonValueKind.Object)
            {
                state.Limits.Add(limit.GetProperty("name").GetString()!);
            }
            else if (item.TryGetProperty("set", out var set) || item.TryGetProperty("map", out set))
            {
                var elements = new HashSet<string>(StringComparer.Ordinal);
                var isMap = set.TryGetProperty("map", out _);
                if (set.TryGetProperty("elem", out var elems))
                {
                    foreach (var elem in elems.EnumerateArray())
                    {
                        elements.Add(isMap && elem.ValueKind == JsonValueKind.Array
                            ? Value(elem[0]) + " : " + Verdict(elem[1])
                            : Value(elem));
                    }
                }

                var setName = set.GetProperty("name").GetString()!;
                state.Sets[setName] = elements;
                if (isMap)
                {
                    state.Maps.Add(setName);
                }
            }
            else if (item.TryGetProperty("chain", out var chain))
            {
                var name = chain.GetProperty("name").GetString()!;
                state.ChainRuleComments.TryAdd(name, []);
                state.ChainHooks[name] = chain.TryGetProperty("hook", out var hook) ? hook.GetString() : null;
                if (hook.ValueKind == JsonValueKind.String && chain.TryGetProperty("type", out var type) && chain.TryGetProperty("prio", out var prio) && prio.TryGetInt32(out var number))
                {
                    state.BaseChains[name] = Describe(type.GetString(), hook.GetString(), number, chain.TryGetProperty("policy", out var policy) ? policy.GetString() : "accept");
                }
            }
            else if (item.TryGetProperty("rule", out var rule))
            {
                var name = rule.GetProperty("chain").GetString()!;
                if (!state.ChainRuleComments.TryGetValue(name, out var comments))
                {
                    comments = [];
                    state.ChainRuleComments[name] = comments;
                }

                var text = rule.TryGetProperty("comment", out var comment) ? comment.GetString() ?? string.Empty : string.Empty;
                comments.Add(text);
                (long Packets, long Bytes)? counter = null;
                var targets = new List<string>();
                if (rule.TryGetProperty("expr", out var expressions) && expressions.ValueKind == JsonValueKind.Array)
                {
                    foreach (var expression in expressions.EnumerateArray())
                    {
                        if (expression.ValueKind == JsonValueKind.Object && expression.TryGetProperty("counter", out var c) && c.ValueKind == JsonValueKind.Object
                            && c.TryGetProperty("packets", out var packets) && c.TryGetProperty("bytes", out var bytes))
                        {
                            counter = (packets.GetInt64(), bytes.GetInt64());
                        }
                        else if (expression.ValueKind == JsonValueKind.Object
                            && (expression.TryGetProperty("goto", out var target) || expression.TryGetProperty("jump", out target))
                            && target.ValueKind == JsonValueKind.Object && target.TryGetProperty("target", out var chainTarget))
                        {
                            targets.Add(chainTarget.GetString()!);
                        }
                    }
                }

                state.Rules.Add(new NftKernelRule(name, text, counter, targets));
            }
        }

        return state;
    }

    /// <summary>
    /// The kernel's table as an <see cref="NftState"/> to diff from, so a repair changes only what differs: sets and
    /// maps keep the elements they hold, chains whose rules (by their comments) and hook are as desired count as equal,
    /// other chains are refilled, objects not in <paramref name="desired"/> are deleted. Null when that cannot work
    /// in place (a chain's hook differs: a base chain cannot be changed, only replaced).
    /// </summary>
    /// <remarks>
    /// Why not delete and recreate the table: in one transaction the new chains' rules take effect at the commit's
    /// generation flip, but interval sets (rbtree, pipapo) publish their new elements only after it, so for a moment
    /// lookups in them miss and allowed packets fall through to the drop at the end of an isolated endpoint's chain
    /// (measured on Linux 6.18: about 1 new connection in 1,000 failed while the table was replaced in a loop;
    /// none with element-level changes). Elements that stay are never removed and re-added here.
    /// </remarks>
    public NftState? AsFrom(NftState desired)
    {
        var sets = new List<NftSet>();
        foreach (var (name, elements) in Sets)
        {
            if (desired.Sets.TryGetValue(name, out var wanted))
            {
                // The desired order for what both hold (so equal content compares equal), then what only the kernel holds.
                var wantedElements = new HashSet<string>(wanted.Elements, StringComparer.Ordinal);
                var ordered = wanted.Elements.Where(elements.Contains).Concat(elements.Where(e => !wantedElements.Contains(e)).Order(StringComparer.Ordinal));
                sets.Add(new NftSet(name, wanted.Declaration, [.. ordered], wanted.IsMap));
            }
            else
            {
                sets.Add(new NftSet(name, string.Empty, [.. elements.Order(StringComparer.Ordinal)], Maps.Contains(name)));
            }
        }

        var chains = new List<NftChain>();
        foreach (var (name, comments) in ChainRuleComments)
        {
            var hook = ChainHooks.GetValueOrDefault(name);
            if (desired.Chains.TryGetValue(name, out var wanted))
            {
                var wantedHook = wanted.Hook?.Split(' ')[3];
                if (wantedHook != hook || (wanted.Hook is not null && BaseChains.TryGetValue(name, out var actualBase) && actualBase != Describe(wanted.Hook)))
                {
                    return null;
                }

                chains.Add(wanted.Rules.Select(CommentOf).SequenceEqual(comments, StringComparer.Ordinal)
                    ? wanted
                    : new NftChain(name, wanted.Hook, [.. comments.Select(c => "# kernel rule " + c)]));
            }
            else
            {
                chains.Add(new NftChain(name, hook is null ? null : "hook " + hook, [.. comments.Select(c => "# kernel rule " + c)]));
            }
        }

        var limits = Limits.ToDictionary(l => l, l => desired.Limits.GetValueOrDefault(l) ?? string.Empty, StringComparer.Ordinal);
        return new NftState(desired.Table, sets, chains, limits);
    }

    /// <summary>Differences between the kernel and the state it should hold, one line each.</summary>
    public List<string> DriftFrom(NftState desired)
    {
        var drift = new List<string>();
        foreach (var set in desired.Sets.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (!Sets.TryGetValue(set.Name, out var actual))
            {
                drift.Add($"{set.Kind} {set.Name} is missing");
                continue;
            }

            var missing = set.Elements.Count(e => !actual.Contains(e));
            var extra = actual.Count - (set.Elements.Length - missing);
            if (missing > 0 || extra > 0)
            {
                drift.Add($"{set.Kind} {set.Name}: {missing.ToString(CultureInfo.InvariantCulture)} element(s) missing, {extra.ToString(CultureInfo.InvariantCulture)} unexpected");
            }
        }

        foreach (var name in Sets.Keys.Where(n => !desired.Sets.ContainsKey(n)).Order(StringComparer.Ordinal))
        {
            drift.Add($"set or map {name} is not in the plan");
        }

        foreach (var name in desired.Limits.Keys.Where(l => !Limits.Contains(l)).Order(StringComparer.Ordinal))
        {
            drift.Add($"limit {name} is missing");
        }

        foreach (var name in Limits.Where(l => !desired.Limits.ContainsKey(l)).Order(StringComparer.Ordinal))
        {
            drift.Add($"limit {name} is not in the plan");
        }

        foreach (var chain in desired.Chains.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            if (!ChainRuleComments.TryGetValue(chain.Name, out var comments))
            {
                drift.Add($"chain {chain.Name} is missing");
                continue;
            }

            var expectedHook = chain.Hook is null ? null : chain.Hook.Split(' ')[3];
            if (ChainHooks.GetValueOrDefault(chain.Name) != expectedHook)
            {
                drift.Add($"chain {chain.Name} has hook {ChainHooks.GetValueOrDefault(chain.Name) ?? "none"}, expected {expectedHook ?? "none"}");
                continue;
            }

            if (chain.Hook is not null && BaseChains.GetValueOrDefault(chain.Name) is { } actualBase && actualBase != Describe(chain.Hook))
            {
                drift.Add($"chain {chain.Name} is {actualBase}, expected {Describe(chain.Hook)}");
                continue;
            }

            var expected = chain.Rules.Select(CommentOf).ToList();
            if (!expected.SequenceEqual(comments, StringComparer.Ordinal))
            {
                drift.Add($"chain {chain.Name}: {comments.Count.ToString(CultureInfo.InvariantCulture)} rule(s), expected {expected.Count.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        foreach (var name in ChainRuleComments.Keys.Where(n => !desired.Chains.ContainsKey(n)).Order(StringComparer.Ordinal))
        {
            drift.Add($"chain {name} is not in the plan");
        }

        return drift;
    }

    /// <summary>A base chain as <c>type filter hook forward priority 0 policy accept</c>, from the renderer's
    /// declaration (<c>type filter hook forward priority filter; policy accept;</c>).</summary>
    internal static string Describe(string declaration)
    {
        var words = declaration.Replace(";", " ", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? Word(string key)
        {
            var at = Array.IndexOf(words, key);
            return at >= 0 && at + 1 < words.Length ? words[at + 1] : null;
        }

        var priority = Word("priority");
        int? number = priority switch
        {
            null => null,
            "raw" => -300,
            "mangle" => -150,
            "dstnat" => -100,
            "filter" => 0,
            "security" => 50,
            "srcnat" => 100,
            _ => int.TryParse(priority, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null,
        };
        return Describe(Word("type"), Word("hook"), number, Word("policy") ?? "accept");
    }

    private static string Describe(string? type, string? hook, int? priority, string? policy) =>
        $"type {type ?? "?"} hook {hook ?? "?"} priority {(priority is { } p ? p.ToString(CultureInfo.InvariantCulture) : "?")} policy {policy ?? "accept"}";

    /// <summary>The endpoints (their names, from the map elements' comments) that reach each chain: directly through a map,
    /// or through a chain that goes or jumps to it.</summary>
    public Dictionary<string, SortedSet<string>> EndpointsOfChains()
    {
        var result = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var work = new Queue<(string Chain, string Endpoint)>();
        foreach (var map in Maps)
        {
            foreach (var element in Sets[map])
            {
                var at = element.IndexOf(" comment \"", StringComparison.Ordinal);
                var arrow = element.LastIndexOf(" : ", StringComparison.Ordinal);
                if (at < 0 || arrow < at)
                {
                    continue;
                }

                var name = element[(at + 10)..element.IndexOf('"', at + 10)];
                var verdict = element[(arrow + 3)..].Split(' ');
                if (verdict.Length == 2)
                {
                    work.Enqueue((verdict[1], name));
                }
            }
        }

        var edges = Rules.Where(r => r.Targets.Count > 0).GroupBy(r => r.Chain, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.SelectMany(r => r.Targets).Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        while (work.TryDequeue(out var item))
        {
            if (!result.TryGetValue(item.Chain, out var names))
            {
                names = new SortedSet<string>(StringComparer.Ordinal);
                result[item.Chain] = names;
            }

            if (names.Add(item.Endpoint) && edges.TryGetValue(item.Chain, out var next))
            {
                foreach (var chain in next)
                {
                    work.Enqueue((chain, item.Endpoint));
                }
            }
        }

        return result;
    }

    private static string CommentOf(string rule)
    {
        var at = rule.IndexOf(" comment \"", StringComparison.Ordinal);
        if (at < 0)
        {
            return rule.StartsWith("comment \"", StringComparison.Ordinal) ? rule[9..^1] : string.Empty;
        }

        return rule[(at + 10)..^1];
    }

    private static string Verdict(JsonElement verdict)
    {
        foreach (var property in verdict.EnumerateObject())
        {
            return property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("target", out var target)
                ? property.Name + " " + target.GetString()
                : property.Name;
        }

        return verdict.ToString();
    }

    /// <summary>An element in the renderer's canonical form.</summary>
    private static string Value(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                return IPAddress.TryParse(text, out var address) ? address.ToString() : text;
            case JsonValueKind.Number:
                return value.GetRawText();
            case JsonValueKind.Object:
                if (value.TryGetProperty("elem", out var inner))
                {
                    var element = Value(inner.TryGetProperty("val", out var val) ? val : inner);
                    return inner.TryGetProperty("comment", out var elementComment) && elementComment.ValueKind == JsonValueKind.String
                        ? $"{element} comment \"{elementComment.GetString()}\""
                        : element;
                }

                if (value.TryGetProperty("prefix", out var prefix))
                {
                    var cidr = new Cidr(IPAddress.Parse(prefix.GetProperty("addr").GetString()!), prefix.GetProperty("len").GetInt32());
                    return AddressRange.FromCidr(cidr).ToString();
                }

                if (value.TryGetProperty("range", out var range))
                {
                    var first = range[0];
                    var last = range[1];
                    if (first.ValueKind == JsonValueKind.String && IPAddress.TryParse(first.GetString(), out var a) && IPAddress.TryParse(last.GetString(), out var b))
                    {
                        var start = AddressRange.FromAddress(a);
                        var end = AddressRange.FromAddress(b);
                        return new AddressRange(start.First, end.Last, start.IsIPv6).ToString();
                    }

                    var low = Value(first);
                    var high = Value(last);
                    return low == high ? low : low + "-" + high;
                }

                if (value.TryGetProperty("concat", out var concat))
                {
                    return string.Join(" . ", concat.EnumerateArray().Select(Value));
                }

                return value.GetRawText();
            default:
                return value.GetRawText();
        }
    }
}

/// <summary>One rule of the owned table as the kernel lists it.</summary>
/// <param name="Chain">The chain.</param>
/// <param name="Comment">The comment (label and fingerprint), empty without one.</param>
/// <param name="Counter">The counter's packets and bytes, or null when the rule has none.</param>
/// <param name="Targets">The chains the rule jumps or goes to.</param>
internal sealed record NftKernelRule(string Chain, string Comment, (long Packets, long Bytes)? Counter, IReadOnlyList<string> Targets);
