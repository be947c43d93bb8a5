namespace NetPolHost.Model;

/// <summary>The operator of a label selector requirement.</summary>
public enum SelectorOperator
{
    /// <summary>The label is present and its value is one of the values.</summary>
    In,

    /// <summary>The label is absent, or its value is none of the values.</summary>
    NotIn,

    /// <summary>The label is present (any value).</summary>
    Exists,

    /// <summary>The label is absent.</summary>
    DoesNotExist,
}

/// <summary>One <c>matchExpressions</c> entry.</summary>
/// <param name="Key">The label key.</param>
/// <param name="Operator">The operator.</param>
/// <param name="Values">The values (non-empty for In and NotIn, empty otherwise).</param>
public sealed record LabelSelectorRequirement(string Key, SelectorOperator Operator, ValueList<string> Values)
{
    /// <summary>Whether a set of labels satisfies this requirement.</summary>
    /// <param name="labels">The labels of a pod or namespace.</param>
    /// <returns><see langword="true"/> when satisfied.</returns>
    /// <remarks><c>NotIn</c> and <c>DoesNotExist</c> are satisfied when the key is absent.</remarks>
    public bool Matches(LabelMap labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var present = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            SelectorOperator.In => present && Contains(value!),
            SelectorOperator.NotIn => !present || !Contains(value!),
            SelectorOperator.Exists => present,
            SelectorOperator.DoesNotExist => !present,
            _ => false,
        };
    }

    private bool Contains(string value)
    {
        foreach (var candidate in Values)
        {
            if (string.Equals(candidate, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Formats the requirement in kubectl selector syntax, e.g. <c>tier in (api,web)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Operator switch
    {
        SelectorOperator.In => $"{Key} in ({string.Join(",", Values)})",
        SelectorOperator.NotIn => $"{Key} notin ({string.Join(",", Values)})",
        SelectorOperator.Exists => Key,
        _ => "!" + Key,
    };
}

/// <summary>A Kubernetes label selector: <c>matchLabels</c> AND every <c>matchExpressions</c> entry.</summary>
/// <remarks>The empty selector <c>{}</c> matches everything.</remarks>
public sealed record LabelSelector
{
    /// <summary>The selector that matches everything (<c>{}</c>).</summary>
    public static LabelSelector Everything { get; } = new();

    /// <summary>Labels that must be present with exactly these values; <c>{k: ""}</c> needs <c>k</c> present and empty.</summary>
    public LabelMap MatchLabels { get; init; } = LabelMap.Empty;

    /// <summary>Further requirements, all of which must hold.</summary>
    public ValueList<LabelSelectorRequirement> MatchExpressions { get; init; }

    /// <summary>Whether this selector matches everything.</summary>
    public bool IsEmpty => MatchLabels.Count == 0 && MatchExpressions.IsEmpty;

    /// <summary>Creates a selector from <c>matchLabels</c> only.</summary>
    /// <param name="keysAndValues">Key, value pairs.</param>
    /// <returns>The selector.</returns>
    public static LabelSelector ForLabels(params string[] keysAndValues) => new() { MatchLabels = LabelMap.Of(keysAndValues) };

    /// <summary>Whether a set of labels satisfies the selector.</summary>
    /// <param name="labels">The labels of a pod or namespace.</param>
    /// <returns><see langword="true"/> when every label and every expression matches.</returns>
    public bool Matches(LabelMap labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var requirement in MatchExpressions)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Formats the selector in kubectl syntax; the empty selector prints as <c>{}</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (IsEmpty)
        {
            return "{}";
        }

        return string.Join(",", MatchLabels.Select(p => p.Key + "=" + p.Value).Concat(MatchExpressions.Select(e => e.ToString())));
    }
}
