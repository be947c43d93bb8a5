using NetPolHost.Model;

namespace NetPolHost.Linting;

/// <summary>The values one label key may take: whether it may be absent, and a finite set of values or all values but
/// a finite set. Every label selector requirement is one of these, and so is its negation.</summary>
internal readonly record struct KeyConstraint(bool AbsentOk, bool Cofinite, string[] Values)
{
    public static KeyConstraint Any { get; } = new(true, true, []);

    public static KeyConstraint From(LabelSelectorRequirement requirement) => requirement.Operator switch
    {
        SelectorOperator.In => new(false, false, Sorted(requirement.Values)),
        SelectorOperator.NotIn => new(true, true, Sorted(requirement.Values)),
        SelectorOperator.Exists => new(false, true, []),
        _ => new(true, false, []),
    };

    public static KeyConstraint Equal(string value) => new(false, false, [value]);

    /// <summary>Whether some label set satisfies it (there are always more strings than a finite set).</summary>
    public bool Satisfiable => AbsentOk || Cofinite || Values.Length > 0;

    public KeyConstraint Negate() => new(!AbsentOk, !Cofinite, Values);

    public KeyConstraint Intersect(KeyConstraint other)
    {
        var absent = AbsentOk && other.AbsentOk;
        if (Cofinite && other.Cofinite)
        {
            return new(absent, true, Sorted(Values.Concat(other.Values)));
        }

        if (!Cofinite && !other.Cofinite)
        {
            return new(absent, false, [.. Values.Where(v => Array.BinarySearch(other.Values, v, StringComparer.Ordinal) >= 0)]);
        }

        var (finite, cofinite) = Cofinite ? (other, this) : (this, other);
        return new(absent, false, [.. finite.Values.Where(v => Array.BinarySearch(cofinite.Values, v, StringComparer.Ordinal) < 0)]);
    }

    /// <summary>Whether every label set this admits, <paramref name="other"/> admits too.</summary>
    public bool IsSubsetOf(KeyConstraint other) => !Intersect(other.Negate()).Satisfiable;

    private static string[] Sorted(IEnumerable<string> values)
    {
        var array = values.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(array, StringComparer.Ordinal);
        return array;
    }
}

/// <summary>One requirement on one key of one label space.</summary>
internal readonly record struct Literal(string Key, KeyConstraint Constraint);

/// <summary>A set of objects described by labels: a conjunction of requirements over keys of the pod, namespace and
/// node label spaces (keys carry their space as a prefix). A NetworkPolicy's pods are <c>namespace name = N</c> and its
/// pod selector; a peer with a namespace selector is that selector over namespace labels and its pod selector.</summary>
internal sealed class LabelSet
{
    public const string PodSpace = "p\u0001";
    public const string NamespaceSpace = "n\u0001";
    public const string NodeSpace = "o\u0001";

    public static readonly string NamespaceNameKey = NamespaceSpace + Namespace.NameLabel;

    private LabelSet(Literal[] literals) => Literals = literals;

    /// <summary>Everything.</summary>
    public static LabelSet All { get; } = new([]);

    /// <summary>The requirements, all of which hold.</summary>
    public Literal[] Literals { get; }

    public static LabelSet Of(params Literal[] literals) => new(literals);

    /// <summary>The literals of a selector in one label space.</summary>
    public static IEnumerable<Literal> LiteralsOf(LabelSelector? selector, string space)
    {
        if (selector is null)
        {
            yield break;
        }

        foreach (var (key, value) in selector.MatchLabels)
        {
            yield return new Literal(space + key, KeyConstraint.Equal(value));
        }

        foreach (var requirement in selector.MatchExpressions)
        {
            yield return new Literal(space + requirement.Key, KeyConstraint.From(requirement));
        }
    }

    /// <summary>The pods of one namespace that a pod selector picks (a NetworkPolicy's pods, or a peer with only a pod
    /// selector).</summary>
    public static LabelSet InNamespace(string ns, LabelSelector? podSelector) =>
        new([new Literal(NamespaceNameKey, KeyConstraint.Equal(ns)), .. LiteralsOf(podSelector, PodSpace)]);

    /// <summary>The pods a pod selector picks in the namespaces a namespace selector picks.</summary>
    public static LabelSet InNamespaces(LabelSelector namespaceSelector, LabelSelector? podSelector) =>
        new([.. LiteralsOf(namespaceSelector, NamespaceSpace), .. LiteralsOf(podSelector, PodSpace)]);

    /// <summary>Nodes a node selector picks.</summary>
    public static LabelSet Nodes(LabelSelector selector) => new([.. LiteralsOf(selector, NodeSpace)]);

    public LabelSet And(LabelSet other) => new([.. Literals, .. other.Literals]);

    /// <summary>The negation as a disjunction: one negated requirement per literal (none for "everything").</summary>
    public Literal[] Negation() => [.. Literals.Select(l => l with { Constraint = l.Constraint.Negate() })];
}

/// <summary>Exact questions about <see cref="LabelSet"/>s: whether two meet, whether one is inside the union of
/// others. Each requirement is about one key, so a conjunction is satisfiable when each key's requirements meet; a
/// union is covered when the set minus every member (a conjunction of disjunctions) is unsatisfiable, decided by a
/// search with a step budget. An answer the budget cuts short is <see langword="null"/>: callers treat it as the
/// answer that gives no finding.</summary>
internal sealed class LabelLogic(int maxSteps)
{
    private int _steps;

    /// <summary>Whether some object is in both sets.</summary>
    public bool Overlaps(LabelSet a, LabelSet b) => Satisfiable(Combine(a.Literals.Concat(b.Literals)), []) == true;

    /// <summary>Whether every object of <paramref name="set"/> is in some member of <paramref name="union"/>; null when
    /// the search ran out of steps.</summary>
    public bool? Covers(IReadOnlyList<LabelSet> union, LabelSet set) => Satisfiable(Combine(set.Literals), [.. union.Select(u => u.Negation())]) switch
    {
        true => false,
        false => true,
        null => null,
    };

    /// <summary>Whether some object of <paramref name="set"/> is in none of <paramref name="excluded"/>; null when the
    /// search ran out of steps.</summary>
    public bool? SomeOutside(LabelSet set, IReadOnlyList<LabelSet> excluded) =>
        Satisfiable(Combine(set.Literals), [.. excluded.Select(u => u.Negation())]);

    /// <summary>The requirements per key, intersected, or null when some key's cannot be met.</summary>
    private static Dictionary<string, KeyConstraint>? Combine(IEnumerable<Literal> literals)
    {
        var keys = new Dictionary<string, KeyConstraint>(StringComparer.Ordinal);
        foreach (var literal in literals)
        {
            var merged = keys.TryGetValue(literal.Key, out var existing) ? existing.Intersect(literal.Constraint) : literal.Constraint;
            if (!merged.Satisfiable)
            {
                return null;
            }

            keys[literal.Key] = merged;
        }

        return keys;
    }

    private bool? Satisfiable(Dictionary<string, KeyConstraint>? @base, List<Literal[]> disjunctions)
    {
        if (@base is null)
        {
            return false;
        }

        _steps = 0;
        var pending = new List<Literal[]>(disjunctions.Count);
        foreach (var disjunction in disjunctions)
        {
            var usable = new List<Literal>(disjunction.Length);
            var implied = false;
            foreach (var literal in disjunction)
            {
                var current = @base.TryGetValue(literal.Key, out var c) ? c : KeyConstraint.Any;
                if (current.IsSubsetOf(literal.Constraint))
                {
                    implied = true;
                    break;
                }

                if (current.Intersect(literal.Constraint).Satisfiable)
                {
                    usable.Add(literal);
                }
            }

            if (implied)
            {
                continue;
            }

            if (usable.Count == 0)
            {
                return false;
            }

            pending.Add([.. usable]);
        }

        // A requirement on a key that nothing else constrains can always be met on its own (keys are independent, and
        // the negation of any requirement admits some value): a disjunction holding one is met, whatever the others do.
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var literal in pending.SelectMany(d => d.Select(l => l.Key).Distinct(StringComparer.Ordinal)))
        {
            uses[literal] = uses.GetValueOrDefault(literal) + 1;
        }

        bool removed;
        do
        {
            removed = false;
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (pending[i].Any(l => !@base.ContainsKey(l.Key) && uses[l.Key] == 1 && l.Constraint.Satisfiable))
                {
                    foreach (var key in pending[i].Select(l => l.Key).Distinct(StringComparer.Ordinal))
                    {
                        uses[key]--;
                    }

                    pending.RemoveAt(i);
                    removed = true;
                }
            }
        }
        while (removed);

        // Fewest choices first.
        pending.Sort((x, y) => x.Length.CompareTo(y.Length));
        return Search(@base, pending, 0);
    }

    private bool? Search(Dictionary<string, KeyConstraint> state, List<Literal[]> pending, int index)
    {
        if (index == pending.Count)
        {
            return true;
        }

        if (++_steps > maxSteps)
        {
            return null;
        }

        var unknown = false;
        foreach (var literal in pending[index])
        {
            var current = state.TryGetValue(literal.Key, out var c) ? c : KeyConstraint.Any;
            if (current.IsSubsetOf(literal.Constraint))
            {
                return Search(state, pending, index + 1);
            }

            var merged = current.Intersect(literal.Constraint);
            if (!merged.Satisfiable)
            {
                continue;
            }

            var next = new Dictionary<string, KeyConstraint>(state, StringComparer.Ordinal) { [literal.Key] = merged };
            var result = Search(next, pending, index + 1);
            if (result == true)
            {
                return true;
            }

            unknown |= result is null;
        }

        return unknown ? null : false;
    }
}
