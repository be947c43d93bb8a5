namespace NetPolHost.Firewalld.Mapping;

/// <summary>One ipset the backend wants.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Type"><c>hash:ip</c> (addresses) or <c>hash:net</c> (networks).</param>
/// <param name="V6">Family inet6 (else inet).</param>
/// <param name="Entries">Its entries: merged, without overlaps, sorted.</param>
/// <param name="Description">A fixed description (no user text).</param>
/// <param name="Comment">What it holds for people (sanitised; only for rendering).</param>
internal sealed record IpsetSpec(string Name, string Type, bool V6, IReadOnlyList<string> Entries, string Description, string Comment)
{
    /// <summary>The firewalld family option.</summary>
    public string Family => V6 ? "inet6" : "inet";
}

/// <summary>One firewalld policy the backend wants.</summary>
/// <param name="Name">Its name.</param>
/// <param name="IngressZone"><c>ANY</c> or <c>HOST</c>.</param>
/// <param name="EgressZone"><c>ANY</c> or <c>HOST</c>.</param>
/// <param name="Priority">The policy priority.</param>
/// <param name="RichRules">Rich rules in firewalld's printed form, in order.</param>
/// <param name="Description">A fixed description (no user text).</param>
internal sealed record PolicySpec(string Name, string IngressZone, string EgressZone, int Priority, IReadOnlyList<string> RichRules, string Description)
{
    /// <summary>The target: the policy only decides through its rich rules; everything else continues to the zones.</summary>
    public const string Target = "CONTINUE";
}

/// <summary>Every firewalld object a plan needs, in creation order (ipsets, then the policies that reference them).</summary>
/// <param name="IPSets">The ipsets, sorted by name.</param>
/// <param name="Policies">The policies.</param>
/// <param name="Warnings">What the mapping could not express exactly.</param>
internal sealed record FirewalldState(IReadOnlyList<IpsetSpec> IPSets, IReadOnlyList<PolicySpec> Policies, IReadOnlyList<string> Warnings)
{
    /// <summary>The state that owns nothing.</summary>
    public static FirewalldState Empty { get; } = new([], [], []);
}
