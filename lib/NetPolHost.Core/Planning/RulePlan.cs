using System.Globalization;
using System.Net;
using System.Text;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Planning;

/// <summary>One allow entry: traffic between <see cref="Peers"/> and the endpoint on <see cref="Ports"/>.</summary>
/// <remarks>
/// <see cref="Id"/> is stable for the same policy rule across plans (derived from a hash of the policy's namespace and
/// name, the direction and the rule index), so backends can update a rule's elements in place. It contains only
/// <c>[a-z0-9-]</c>. <see cref="Source"/> names the policy rule it comes from; those names are user text that
/// backends must never render unescaped.
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

    /// <summary>Whether a packet matches this entry.</summary>
    /// <param name="peer">The address on the other side.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="port">The destination port.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Matches(IPAddress peer, Protocol protocol, int port) => Ports.Contains(protocol, port) && Peers.Contains(peer);

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Source}, {Direction}): peers {Peers}; ports {Ports}";
}

/// <summary>What kind of local endpoint a plan protects.</summary>
public enum PlanEndpointKind
{
    /// <summary>A pod on this node: its traffic is forwarded by the node.</summary>
    Pod,

    /// <summary>A host endpoint of this node: its traffic is the host's own input and output.</summary>
    HostEndpoint,
}

/// <summary>The isolation state of one direction of a local endpoint.</summary>
/// <param name="Isolated">Whether a policy of this direction selects the endpoint (then only <paramref name="Rules"/> are allowed).</param>
/// <param name="Policies">The selecting policies, sorted.</param>
/// <param name="Rules">The ids of the <see cref="PlanRule"/>s that allow traffic, sorted.</param>
public sealed record DirectionPlan(bool Isolated, ValueList<PolicyRef> Policies, ValueList<string> Rules)
{
    /// <summary>A direction no policy selects.</summary>
    public static DirectionPlan Open { get; } = new(false, default, default);
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

    /// <summary>Ingress isolation and rules.</summary>
    public required DirectionPlan Ingress { get; init; }

    /// <summary>Egress isolation and rules.</summary>
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
/// The backend-neutral rules one node must enforce: per local endpoint and direction, whether it is isolated and which
/// (peer addresses × ports) entries are allowed, each with its provenance.
/// </summary>
/// <remarks>
/// No firewall vocabulary appears here. Rule count follows the distinct policy rules on the node; peers and ports are
/// data (sets). Named ports are already resolved and ipBlock excepts already subtracted. Traffic between local pods and
/// the node's own addresses (<see cref="NodeAddresses"/>, local host endpoints) is node-local and always allowed.
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
        LocalPodAddresses = original.LocalPodAddresses;
        Endpoints = original.Endpoints;
        Rules = original.Rules;
        Notes = original.Notes;
    }

    /// <summary>The node this plan is for.</summary>
    public required string NodeName { get; init; }

    /// <summary>The node's own addresses.</summary>
    public ValueList<IPAddress> NodeAddresses { get; init; }

    /// <summary>Addresses of every workload pod on this node (isolated or not): node-local traffic is recognised by them.</summary>
    public ValueList<IPAddress> LocalPodAddresses { get; init; }

    /// <summary>The local endpoints that at least one policy isolates, sorted by name.</summary>
    public ValueList<PlanEndpoint> Endpoints { get; init; }

    /// <summary>The allow entries the endpoints refer to, sorted by id.</summary>
    public ValueList<PlanRule> Rules { get; init; }

    /// <summary>Remarks from compilation (e.g. a local pod without an address that cannot be enforced).</summary>
    public ValueList<string> Notes { get; init; }

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
    /// Input: loopback and local pods are accepted, then the host endpoint's ingress. Output mirrors input.
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

            if (LocalPodAddresses.Contains(source))
            {
                return new PlanDecision(true, PacketPath.Input, "node-local: a local pod to its node", null);
            }

            return Check(FindEndpoint(destination, PlanEndpointKind.HostEndpoint), Direction.Ingress, source, protocol, port, PacketPath.Input)
                ?? new PlanDecision(true, PacketPath.Input, "not isolated", null);
        }

        if (sourceHost)
        {
            if (LocalPodAddresses.Contains(destination))
            {
                return new PlanDecision(true, PacketPath.Output, "node-local: the node to a local pod", null);
            }

            return Check(FindEndpoint(source, PlanEndpointKind.HostEndpoint), Direction.Egress, destination, protocol, port, PacketPath.Output)
                ?? new PlanDecision(true, PacketPath.Output, "not isolated", null);
        }

        var egress = Check(FindEndpoint(source, PlanEndpointKind.Pod), Direction.Egress, destination, protocol, port, PacketPath.Forward);
        if (egress is { Allowed: false })
        {
            return egress;
        }

        var ingress = Check(FindEndpoint(destination, PlanEndpointKind.Pod), Direction.Ingress, source, protocol, port, PacketPath.Forward);
        return ingress ?? egress ?? new PlanDecision(true, PacketPath.Forward, "not isolated", null);
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

    private PlanDecision? Check(PlanEndpoint? endpoint, Direction direction, IPAddress peer, Protocol protocol, int port, PacketPath path)
    {
        if (endpoint is null || !endpoint.For(direction).Isolated)
        {
            return null;
        }

        foreach (var id in endpoint.For(direction).Rules)
        {
            var rule = GetRule(id);
            if (rule.Matches(peer, protocol, port))
            {
                return new PlanDecision(true, path, $"{direction.ToString().ToLowerInvariant()} of {endpoint.Name} allowed by {rule.Source}", rule);
            }
        }

        return new PlanDecision(false, path, $"{direction.ToString().ToLowerInvariant()} of {endpoint.Name} isolated and no rule matches", null);
    }

    /// <inheritdoc/>
    public bool Equals(RulePlan? other) =>
        other is not null
        && NodeName == other.NodeName
        && NodeAddresses.Equals(other.NodeAddresses)
        && LocalPodAddresses.Equals(other.LocalPodAddresses)
        && Endpoints.Equals(other.Endpoints)
        && Rules.Equals(other.Rules)
        && Notes.Equals(other.Notes);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(NodeName, NodeAddresses, LocalPodAddresses, Endpoints, Rules);

    /// <summary>A readable summary of the plan.</summary>
    /// <returns>The text.</returns>
    public string Describe()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"node {NodeName}: {Endpoints.Count} isolated endpoints, {Rules.Count} rules").AppendLine();
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
                if (!plan.Isolated)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"    {name}: open").AppendLine();
                    continue;
                }

                builder.Append(CultureInfo.InvariantCulture, $"    {name}: isolated by {string.Join(", ", plan.Policies)}").AppendLine();
                if (plan.Rules.IsEmpty)
                {
                    builder.Append("      deny all").AppendLine();
                }

                foreach (var id in plan.Rules)
                {
                    var rule = GetRule(id);
                    builder.Append(CultureInfo.InvariantCulture, $"      allow {(direction == Direction.Ingress ? "from" : "to")} {rule.Peers} ports {rule.Ports}  ({rule.Source})").AppendLine();
                }
            }
        }

        foreach (var note in Notes)
        {
            builder.Append("  note: ").Append(note).AppendLine();
        }

        return builder.ToString();
    }
}
