using System.Globalization;
using System.Net;
using System.Text;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>One entry: traffic between <see cref="Peers"/> and the endpoint on <see cref="Ports"/>, and what a match does
/// (<see cref="Action"/>).</summary>
/// <remarks>
/// <see cref="Id"/> is stable for the same policy rule across plans (derived from a hash of the policy's namespace and
/// name, the direction and the rule index), so backends can update a rule's elements in place. It contains only
/// <c>[a-z0-9-]</c>; entries of ClusterNetworkPolicies start with <c>cnp-</c>, which no NetworkPolicy entry does.
/// <see cref="Source"/> names the policy rule it comes from; those names are user text that backends must never render
/// unescaped. Entries of NetworkPolicies (<see cref="DirectionPlan.Rules"/>) always accept; entries of the
/// ClusterNetworkPolicy tiers (<see cref="DirectionPlan.Admin"/>, <see cref="DirectionPlan.Baseline"/>) carry their
/// rule's action.
/// </remarks>
public sealed record PlanRule
{
    /// <summary>A stable identifier of <c>[a-z0-9-]</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The policy rule this entry implements.</summary>
    public required RuleRef Source { get; init; }

    /// <summary>The direction, seen from the endpoint.</summary>
    public required Direction Direction { get; init; }

    /// <summary>The addresses on the other side (sources for ingress, destinations for egress).</summary>
    public required AddressSet Peers { get; init; }

    /// <summary>The destination ports.</summary>
    public required PortSet Ports { get; init; }

    /// <summary>Identifies the selector part of the peers (<c>[a-z0-9]</c>): entries whose pod and namespace selectors
    /// (and scope) are alike share it and have equal <see cref="AddressSet.Hosts"/>, so backends can keep one address set
    /// for them all and still update it element by element. Empty when <see cref="AddressSet.IsAll"/>.</summary>
    public string HostsKey { get; init; } = string.Empty;

    /// <summary>What a match does: <see cref="ClusterPolicyAction.Accept"/> for every NetworkPolicy entry; a
    /// ClusterNetworkPolicy entry's rule action otherwise (in the Admin tier <see cref="ClusterPolicyAction.Pass"/> goes on
    /// to the NetworkPolicy stage, in the Baseline tier it allows).</summary>
    public ClusterPolicyAction Action { get; init; } = ClusterPolicyAction.Accept;

    /// <summary>Domain names the entry's peers also name (ClusterNetworkPolicy <c>domainNames</c>), sorted. They are not
    /// compiled into <see cref="Peers"/>: enforcing them needs a backend that resolves names
    /// (<see cref="Backends.BackendCapabilities.DomainNames"/>), and <see cref="Matches"/> leaves them out, as the
    /// matcher does for names whose addresses it does not know.</summary>
    public ValueList<string> DomainNames { get; init; }

    /// <summary>Whether a packet matches this entry.</summary>
    /// <param name="peer">The address on the other side.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="port">The destination port.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Matches(IPAddress peer, Protocol protocol, int port) => Ports.Contains(protocol, port) && Peers.Contains(peer);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Id} ({Source}, {Direction}{(Action == ClusterPolicyAction.Accept ? string.Empty : ", " + Action)}): peers {Peers}{(DomainNames.IsEmpty ? string.Empty : " and domain names " + string.Join(", ", DomainNames))}; ports {Ports}";
}

/// <summary>What kind of local endpoint a plan protects.</summary>
public enum PlanEndpointKind
{
    /// <summary>A pod on this node: its traffic is forwarded by the node.</summary>
    Pod,

    /// <summary>A host endpoint of this node: its traffic is the host's own input and output.</summary>
    HostEndpoint,
}

/// <summary>How one direction of a local endpoint is decided: the Admin tier, the NetworkPolicy stage, the Baseline tier.</summary>
/// <param name="Isolated">Whether a NetworkPolicy of this direction selects the endpoint (then, after the Admin tier, only
/// <paramref name="Rules"/> are allowed).</param>
/// <param name="Policies">The selecting NetworkPolicies, sorted.</param>
/// <param name="Rules">The ids of the <see cref="PlanRule"/>s that allow traffic at the NetworkPolicy stage, sorted (their
/// order does not matter: they add up).</param>
/// <remarks>
/// A new connection is decided, for this direction: by the first entry of <see cref="Admin"/> that matches (Accept and
/// Deny are final, Pass goes on); then, when <see cref="Isolated"/>, by <see cref="Rules"/> (any match allows; traffic
/// between a pod and its own node is allowed here, and only here); otherwise by the first entry of
/// <see cref="Baseline"/> that matches (Deny denies, Accept and Pass allow); otherwise it is allowed.
/// </remarks>
public sealed record DirectionPlan(bool Isolated, ValueList<PolicyRef> Policies, ValueList<string> Rules)
{
    /// <summary>A direction no policy applies to.</summary>
    public static DirectionPlan Open { get; } = new(false, default, default);

    /// <summary>The ids of the ClusterNetworkPolicy entries of the Admin tier that apply to the endpoint, in the order of
    /// evaluation (policies by priority then name, rules in written order; one rule's entries side by side).</summary>
    public ValueList<string> Admin { get; init; }

    /// <summary>The ids of the Baseline tier's entries that apply to the endpoint, in the order of evaluation. Empty
    /// when <see cref="Isolated"/>: the Baseline tier is then never reached.</summary>
    public ValueList<string> Baseline { get; init; }

    /// <summary>Whether a ClusterNetworkPolicy tier has entries for this direction.</summary>
    public bool HasTiers => !Admin.IsEmpty || !Baseline.IsEmpty;

    /// <summary>Whether anything can restrict this direction: NetworkPolicy isolation or a tier entry.</summary>
    public bool Applies => Isolated || HasTiers;

    /// <summary>Every entry id this direction refers to: <see cref="Admin"/>, <see cref="Rules"/>, <see cref="Baseline"/>.</summary>
    public IEnumerable<string> AllRules => Admin.Concat(Rules).Concat(Baseline);
}

/// <summary>A local endpoint the node enforces policy for.</summary>
public sealed record PlanEndpoint
{
    /// <summary>The endpoint as <c>namespace/name</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Pod or host endpoint.</summary>
    public required PlanEndpointKind Kind { get; init; }

    /// <summary>The endpoint's addresses.</summary>
    public required ValueList<IPAddress> Addresses { get; init; }

    /// <summary>The interface to restrict a host endpoint's enforcement to, if any.</summary>
    public string? InterfaceName { get; init; }

    /// <summary>Ingress tiers, isolation and rules.</summary>
    public required DirectionPlan Ingress { get; init; }

    /// <summary>Egress tiers, isolation and rules.</summary>
    public required DirectionPlan Egress { get; init; }

    /// <summary>The plan of one direction.</summary>
    /// <param name="direction">The direction.</param>
    /// <returns><see cref="Ingress"/> or <see cref="Egress"/>.</returns>
    public DirectionPlan For(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;
}

/// <summary>How a packet crosses the node, which decides the checks that apply.</summary>
public enum PacketPath
{
    /// <summary>Routed through the node (pod traffic): the source pod's egress and the destination pod's ingress.</summary>
    Forward,

    /// <summary>To one of the host's own addresses: the host endpoint's ingress.</summary>
    Input,

    /// <summary>From one of the host's own addresses: the host endpoint's egress.</summary>
    Output,
}

/// <summary>What a node's plan does with one new connection.</summary>
/// <param name="Allowed">Whether it passes.</param>
/// <param name="Path">The path it takes.</param>
/// <param name="Reason">Why, in a few words.</param>
/// <param name="Rule">The entry that allowed it, if one did.</param>
public sealed record PlanDecision(bool Allowed, PacketPath Path, string Reason, PlanRule? Rule);

/// <summary>
/// The backend-neutral rules one node must enforce: per local endpoint and direction, the ordered entries of the
/// ClusterNetworkPolicy Admin and Baseline tiers, whether NetworkPolicies isolate it and which (peer addresses × ports)
/// entries they allow, each with its provenance.
/// </summary>
/// <remarks>
/// No firewall vocabulary appears here. Rule count follows the distinct policy rules on the node; peers and ports are
/// data (sets). Named ports are already resolved and ipBlock excepts already subtracted. Traffic between local pods and
/// the node's own addresses (<see cref="NodeAddresses"/>, local host endpoints) is node-local: the NetworkPolicy stage
/// allows it, the tiers decide it like any other traffic (see <see cref="DirectionPlan"/>).
/// </remarks>
public sealed record RulePlan
{
    // Lookups built on first use. Not copied by `with` (see the copy constructor): they would describe the original.
    private Dictionary<string, PlanRule>? _rules;
    private Dictionary<(IPAddress, PlanEndpointKind), PlanEndpoint>? _endpoints;
    private HashSet<IPAddress>? _hostAddresses;

    /// <summary>Creates an empty plan; set the members with an object initializer.</summary>
    public RulePlan()
    {
    }

    /// <summary>The copy a <c>with</c> expression starts from: every member, none of the lookups.</summary>
    /// <param name="original">The plan copied.</param>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    private RulePlan(RulePlan original)
    {
        NodeName = original.NodeName;
        NodeAddresses = original.NodeAddresses;
        HostAddresses = original.HostAddresses;
        LocalPodAddresses = original.LocalPodAddresses;
        Endpoints = original.Endpoints;
        Rules = original.Rules;
        Notes = original.Notes;
    }

    /// <summary>The node this plan is for.</summary>
    public required string NodeName { get; init; }

    /// <summary>The node's own addresses.</summary>
    public ValueList<IPAddress> NodeAddresses { get; init; }

    /// <summary>Every address the node's host is known to have, sorted: <see cref="NodeAddresses"/> and the addresses of
    /// the node's host endpoints (whether or not a policy applies to them) and of its hostNetwork pods. For backends that
    /// must know which peers can be the host itself (addresses policies select by labels that are not among these are
    /// pods or other hosts); <see cref="Evaluate(IPAddress, IPAddress, Protocol, int)"/> does not use it.</summary>
    public ValueList<IPAddress> HostAddresses { get; init; }

    /// <summary>Addresses of every workload pod on this node (isolated or not): node-local traffic is recognised by them.</summary>
    public ValueList<IPAddress> LocalPodAddresses { get; init; }

    /// <summary>The local endpoints that a policy applies to (a NetworkPolicy isolates them or a ClusterNetworkPolicy tier
    /// has entries for them), sorted by name.</summary>
    public ValueList<PlanEndpoint> Endpoints { get; init; }

    /// <summary>The entries the endpoints refer to, sorted by id.</summary>
    public ValueList<PlanRule> Rules { get; init; }

    /// <summary>Remarks from compilation (e.g. a local pod without an address that cannot be enforced).</summary>
    public ValueList<string> Notes { get; init; }

    /// <summary>Whether any endpoint has entries of a ClusterNetworkPolicy tier (a backend needs
    /// <see cref="Backends.BackendCapabilities.ClusterPolicyTiers"/>).</summary>
    public bool HasTiers => Endpoints.Any(e => e.Ingress.HasTiers || e.Egress.HasTiers);

    /// <summary>An entry by id.</summary>
    /// <param name="id">The id.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="KeyNotFoundException">No entry has that id.</exception>
    public PlanRule GetRule(string id)
    {
        _rules ??= Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        return _rules.TryGetValue(id, out var rule) ? rule : throw new KeyNotFoundException($"The plan has no rule '{id}'.");
    }

    /// <summary>Decides a new connection the way the node's firewall does with this plan.</summary>
    /// <param name="source">The source address.</param>
    /// <param name="destination">The destination address.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="port">The destination port.</param>
    /// <returns>The decision.</returns>
    /// <remarks>
    /// The path is the host's input when the destination is the host's (node address or local host endpoint), its output
    /// when the source is, and forward otherwise. Forward: the source pod's egress, then the destination pod's ingress.
    /// Input: loopback is accepted; a local pod's traffic to the host is node-local (its egress, then the host
    /// endpoint's ingress, each decided by the tiers, the NetworkPolicy stage allowing it); other traffic meets the host
    /// endpoint's ingress. Output mirrors input. Each direction is decided as <see cref="DirectionPlan"/> says.
    /// </remarks>
    public PlanDecision Evaluate(IPAddress source, IPAddress destination, Protocol protocol, int port) =>
        Evaluate(source, destination, protocol, port, null);

    /// <summary>Decides a new connection like <see cref="Evaluate(IPAddress, IPAddress, Protocol, int)"/>, with the
    /// host's own addresses given as the kernel knows them (every address of the node's network namespace), which
    /// decide the path: input to them, output from them, forward otherwise.</summary>
    /// <param name="source">The source address.</param>
    /// <param name="destination">The destination address.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="port">The destination port.</param>
    /// <param name="hostAddresses">The host's addresses; <see langword="null"/> for the plan's node addresses and
    /// host endpoint addresses.</param>
    /// <returns>The decision.</returns>
    public PlanDecision Evaluate(IPAddress source, IPAddress destination, Protocol protocol, int port, IReadOnlySet<IPAddress>? hostAddresses)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        _hostAddresses ??= [.. NodeAddresses, .. Endpoints.Where(e => e.Kind == PlanEndpointKind.HostEndpoint).SelectMany(e => e.Addresses)];
        var sourceHost = hostAddresses?.Contains(source) ?? _hostAddresses.Contains(source);
        var destinationHost = hostAddresses?.Contains(destination) ?? _hostAddresses.Contains(destination);
        if (source.Equals(destination))
        {
            return new PlanDecision(true, destinationHost ? PacketPath.Input : PacketPath.Forward, "same address", null);
        }

        if (destinationHost)
        {
            if (sourceHost)
            {
                return new PlanDecision(true, PacketPath.Input, "host to itself (loopback)", null);
            }

            var host = FindEndpoint(destination, PlanEndpointKind.HostEndpoint);
            if (LocalPodAddresses.Contains(source))
            {
                return Both(
                    FindEndpoint(source, PlanEndpointKind.Pod), host, source, destination, protocol, port, PacketPath.Input, nodeLocal: true)
                    ?? new PlanDecision(true, PacketPath.Input, "node-local: a local pod to its node", null);
            }

            return Check(host, Direction.Ingress, source, protocol, port, PacketPath.Input, nodeLocal: false)
                ?? new PlanDecision(true, PacketPath.Input, "not isolated", null);
        }

        if (sourceHost)
        {
            var host = FindEndpoint(source, PlanEndpointKind.HostEndpoint);
            if (LocalPodAddresses.Contains(destination))
            {
                return Both(host, FindEndpoint(destination, PlanEndpointKind.Pod), source, destination, protocol, port, PacketPath.Output, nodeLocal: true)
                    ?? new PlanDecision(true, PacketPath.Output, "node-local: the node to a local pod", null);
            }

            return Check(host, Direction.Egress, destination, protocol, port, PacketPath.Output, nodeLocal: false)
                ?? new PlanDecision(true, PacketPath.Output, "not isolated", null);
        }

        return Both(FindEndpoint(source, PlanEndpointKind.Pod), FindEndpoint(destination, PlanEndpointKind.Pod), source, destination, protocol, port, PacketPath.Forward, nodeLocal: false)
            ?? new PlanDecision(true, PacketPath.Forward, "not isolated", null);
    }

    /// <summary>The source's egress, then (unless it denies) the destination's ingress; null when neither decides.</summary>
    private PlanDecision? Both(PlanEndpoint? from, PlanEndpoint? to, IPAddress source, IPAddress destination, Protocol protocol, int port, PacketPath path, bool nodeLocal)
    {
        var egress = Check(from, Direction.Egress, destination, protocol, port, path, nodeLocal);
        if (egress is { Allowed: false })
        {
            return egress;
        }

        return Check(to, Direction.Ingress, source, protocol, port, path, nodeLocal) ?? egress;
    }

    /// <summary>The local endpoint of a kind that has an address, or <see langword="null"/>.</summary>
    /// <param name="address">The address.</param>
    /// <param name="kind">Pod or host endpoint.</param>
    /// <returns>The first such endpoint in <see cref="Endpoints"/>' order.</returns>
    public PlanEndpoint? FindEndpoint(IPAddress address, PlanEndpointKind kind)
    {
        if (_endpoints is null)
        {
            var index = new Dictionary<(IPAddress, PlanEndpointKind), PlanEndpoint>();
            foreach (var endpoint in Endpoints)
            {
                foreach (var a in endpoint.Addresses)
                {
                    index.TryAdd((a, endpoint.Kind), endpoint);
                }
            }

            _endpoints = index;
        }

        return _endpoints.GetValueOrDefault((address, kind));
    }

    /// <summary>One direction of one endpoint, decided as <see cref="DirectionPlan"/> says; null when nothing applies
    /// (allowed).</summary>
    internal PlanDecision? Check(PlanEndpoint? endpoint, Direction direction, IPAddress peer, Protocol protocol, int port, PacketPath path, bool nodeLocal)
    {
        if (endpoint is null)
        {
            return null;
        }

        var plan = endpoint.For(direction);
        var name = direction.ToString().ToLowerInvariant() + " of " + endpoint.Name;
        foreach (var id in plan.Admin)
        {
            var rule = GetRule(id);
            if (!rule.Matches(peer, protocol, port))
            {
                continue;
            }

            if (rule.Action == ClusterPolicyAction.Pass)
            {
                break;
            }

            return new PlanDecision(rule.Action == ClusterPolicyAction.Accept, path, $"{name} {(rule.Action == ClusterPolicyAction.Accept ? "accepted" : "denied")} by {Describe(rule)} (Admin tier)", rule);
        }

        if (plan.Isolated)
        {
            if (nodeLocal)
            {
                return new PlanDecision(true, path, $"{name}: node-local traffic, allowed at the NetworkPolicy stage", null);
            }

            foreach (var id in plan.Rules)
            {
                var rule = GetRule(id);
                if (rule.Matches(peer, protocol, port))
                {
                    return new PlanDecision(true, path, $"{name} allowed by {rule.Source}", rule);
                }
            }

            return new PlanDecision(false, path, $"{name} isolated and no rule matches", null);
        }

        foreach (var id in plan.Baseline)
        {
            var rule = GetRule(id);
            if (rule.Matches(peer, protocol, port))
            {
                var allowed = rule.Action != ClusterPolicyAction.Deny;
                var verb = rule.Action switch
                {
                    ClusterPolicyAction.Accept => "accepted",
                    ClusterPolicyAction.Deny => "denied",
                    _ => "passed (allowed)",
                };
                return new PlanDecision(allowed, path, $"{name} {verb} by {Describe(rule)} (Baseline tier)", rule);
            }
        }

        return null;
    }

    private static string Describe(PlanRule rule) =>
        $"ClusterNetworkPolicy {rule.Source.Policy.Name} rule {rule.Source.Rule.ToString(CultureInfo.InvariantCulture)} ({rule.Action})";

    /// <inheritdoc/>
    public bool Equals(RulePlan? other) =>
        other is not null
        && NodeName == other.NodeName
        && NodeAddresses.Equals(other.NodeAddresses)
        && HostAddresses.Equals(other.HostAddresses)
        && LocalPodAddresses.Equals(other.LocalPodAddresses)
        && Endpoints.Equals(other.Endpoints)
        && Rules.Equals(other.Rules)
        && Notes.Equals(other.Notes);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(NodeName, NodeAddresses, LocalPodAddresses, Endpoints, Rules);

    /// <summary>How many endpoints the plan protects, in words: <c>3 isolated endpoints</c> when NetworkPolicies isolate
    /// each of them (in one direction or both), else <c>4 endpoints with policies</c> (some have only entries of a
    /// ClusterNetworkPolicy tier, which does not isolate).</summary>
    /// <returns>The text.</returns>
    public string DescribeEndpointCount() =>
        Endpoints.Count.ToString(CultureInfo.InvariantCulture) + (Endpoints.All(e => e.Ingress.Isolated || e.Egress.Isolated) ? " isolated endpoints" : " endpoints with policies");

    /// <summary>A readable summary of the plan.</summary>
    /// <returns>The text.</returns>
    public string Describe()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"node {NodeName}: {DescribeEndpointCount()}, {Rules.Count} rules").AppendLine();
        if (!NodeAddresses.IsEmpty)
        {
            builder.Append("  node addresses: ").AppendJoin(", ", NodeAddresses).AppendLine();
        }

        foreach (var endpoint in Endpoints)
        {
            builder.Append(CultureInfo.InvariantCulture, $"  {(endpoint.Kind == PlanEndpointKind.Pod ? "pod" : "host endpoint")} {endpoint.Name} [{string.Join(", ", endpoint.Addresses)}]").AppendLine();
            foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
            {
                var plan = endpoint.For(direction);
                var name = direction.ToString().ToLowerInvariant();
                var toward = direction == Direction.Ingress ? "from" : "to";
                if (!plan.Applies)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"    {name}: open").AppendLine();
                    continue;
                }

                if (!plan.HasTiers)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"    {name}: isolated by {string.Join(", ", plan.Policies)}").AppendLine();
                    AppendNetworkPolicyRules(builder, plan, toward, "      ");
                    continue;
                }

                builder.Append(CultureInfo.InvariantCulture, $"    {name}:").AppendLine();
                AppendTier(builder, "Admin tier", plan.Admin, toward, "then the NetworkPolicy stage");
                if (plan.Isolated)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"      NetworkPolicy stage: isolated by {string.Join(", ", plan.Policies)}").AppendLine();
                    AppendNetworkPolicyRules(builder, plan, toward, "        ");
                }
                else
                {
                    builder.Append("      NetworkPolicy stage: not isolated").AppendLine();
                    AppendTier(builder, "Baseline tier", plan.Baseline, toward, "allow");
                    builder.Append("      otherwise allow").AppendLine();
                }
            }
        }

        foreach (var note in Notes)
        {
            builder.Append("  note: ").Append(note).AppendLine();
        }

        return builder.ToString();
    }

    private void AppendNetworkPolicyRules(StringBuilder builder, DirectionPlan plan, string toward, string indent)
    {
        if (plan.Rules.IsEmpty)
        {
            builder.Append(indent).Append("deny all").AppendLine();
        }

        foreach (var id in plan.Rules)
        {
            var rule = GetRule(id);
            builder.Append(CultureInfo.InvariantCulture, $"{indent}allow {toward} {rule.Peers} ports {rule.Ports}  ({rule.Source})").AppendLine();
        }
    }

    private void AppendTier(StringBuilder builder, string tier, ValueList<string> ids, string toward, string pass)
    {
        if (ids.IsEmpty)
        {
            return;
        }

        builder.Append("      ").Append(tier).Append(", first match:").AppendLine();
        foreach (var id in ids)
        {
            var rule = GetRule(id);
            var action = rule.Action switch
            {
                ClusterPolicyAction.Accept => "accept",
                ClusterPolicyAction.Deny => "deny",
                _ => "pass (" + pass + ")",
            };
            var domains = rule.DomainNames.IsEmpty ? string.Empty : " and domain names " + string.Join(", ", rule.DomainNames) + " (not compiled)";
            builder.Append(CultureInfo.InvariantCulture, $"        {action} {toward} {rule.Peers}{domains} ports {rule.Ports}  (ClusterNetworkPolicy {rule.Source.Policy.Name} rule {rule.Source.Rule.ToString(CultureInfo.InvariantCulture)})").AppendLine();
        }
    }
}
