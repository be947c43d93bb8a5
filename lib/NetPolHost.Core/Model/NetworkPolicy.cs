using System.Globalization;

namespace NetPolHost.Model;

/// <summary>The <c>port</c> of a NetworkPolicy port entry: a number or a named container port (IntOrString).</summary>
public readonly record struct PolicyPortValue
{
    private PolicyPortValue(int number, string? name)
    {
        Number = number;
        Name = name;
    }

    /// <summary>The port number, or 0 for a named port.</summary>
    public int Number { get; }

    /// <summary>The port name, or <see langword="null"/> for a numeric port.</summary>
    public string? Name { get; }

    /// <summary>Whether the port is a name to resolve against the destination's container ports.</summary>
    public bool IsNamed => Name is not null;

    /// <summary>A numeric port.</summary>
    /// <param name="number">The port number.</param>
    /// <returns>The value.</returns>
    public static PolicyPortValue FromNumber(int number) => new(number, null);

    /// <summary>A named port.</summary>
    /// <param name="name">The container port name.</param>
    /// <returns>The value.</returns>
    public static PolicyPortValue FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new(0, name);
    }

    /// <summary>Converts a number to a numeric port.</summary>
    /// <param name="number">The port number.</param>
    public static implicit operator PolicyPortValue(int number) => FromNumber(number);

    /// <summary>Converts a name to a named port.</summary>
    /// <param name="name">The port name.</param>
    public static implicit operator PolicyPortValue(string name) => FromName(name);

    /// <summary>The number or the name.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Name ?? Number.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One entry of a rule's <c>ports</c> list.</summary>
public sealed record NetworkPolicyPort
{
    /// <summary>The protocol; Kubernetes defaults an absent protocol to TCP.</summary>
    public Protocol Protocol { get; init; } = Protocol.Tcp;

    /// <summary>The port number or name; <see langword="null"/> means every port of the protocol.</summary>
    public PolicyPortValue? Port { get; init; }

    /// <summary>The last port of a range starting at a numeric <see cref="Port"/>, inclusive.</summary>
    public int? EndPort { get; init; }

    /// <summary>Formats the entry as <c>8000/TCP</c>, <c>8000-8080/TCP</c>, <c>http/TCP</c> or <c>*/UDP</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var port = Port is null ? "*" : Port.Value.ToString();
        if (EndPort is { } end)
        {
            port += "-" + end.ToString(CultureInfo.InvariantCulture);
        }

        return port + "/" + Protocol.ToKubernetesName();
    }
}

/// <summary>An <c>ipBlock</c> peer: addresses in <see cref="Cidr"/> and in none of <see cref="Except"/>.</summary>
/// <param name="Cidr">The block.</param>
/// <param name="Except">Blocks inside <paramref name="Cidr"/> that are excluded.</param>
public sealed record IPBlock(Cidr Cidr, ValueList<Cidr> Except = default)
{
    /// <summary>Whether an address is in the block and in no exception.</summary>
    /// <param name="address">The address.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Contains(System.Net.IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var value = IpMath.ToUInt128(address, out var isV6);
        return Contains(value, isV6);
    }

    internal bool Contains(UInt128 value, bool isV6)
    {
        if (!Cidr.Contains(value, isV6))
        {
            return false;
        }

        foreach (var except in Except)
        {
            if (except.Contains(value, isV6))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Formats the block as <c>cidr except [a, b]</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Except.IsEmpty ? Cidr.ToString() : $"{Cidr} except {string.Join(", ", Except)}";
}

/// <summary>One entry of a rule's <c>from</c> (ingress) or <c>to</c> (egress) list.</summary>
/// <remarks>
/// <see cref="PodSelector"/> alone selects pods in the policy's namespace; <see cref="NamespaceSelector"/> alone selects
/// every pod of the matching namespaces; both together select the matching pods of the matching namespaces.
/// <see langword="null"/> means "not given", which differs from the empty selector <c>{}</c> (everything).
/// </remarks>
public sealed record NetworkPolicyPeer
{
    /// <summary>Pods to select; <see langword="null"/> when not given.</summary>
    public LabelSelector? PodSelector { get; init; }

    /// <summary>Namespaces to select; <see langword="null"/> means the policy's own namespace.</summary>
    public LabelSelector? NamespaceSelector { get; init; }

    /// <summary>An address block; never combined with selectors.</summary>
    public IPBlock? IPBlock { get; init; }

    /// <summary>Formats the peer for explanations.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (IPBlock is not null)
        {
            return "ipBlock " + IPBlock;
        }

        var parts = new List<string>(2);
        if (NamespaceSelector is not null)
        {
            parts.Add("namespaces " + NamespaceSelector);
        }

        if (PodSelector is not null)
        {
            parts.Add("pods " + PodSelector);
        }

        return parts.Count == 0 ? "(no selector)" : string.Join(" and ", parts);
    }
}

/// <summary>One ingress or egress rule: traffic to any of <see cref="Ports"/> from or to any of <see cref="Peers"/>.</summary>
/// <remarks>An empty <see cref="Ports"/> list means every port; an empty <see cref="Peers"/> list means every peer.</remarks>
public sealed record NetworkPolicyRule
{
    /// <summary>The rule that allows everything (<c>- {}</c>).</summary>
    public static NetworkPolicyRule AllowAll { get; } = new();

    /// <summary>The <c>ports</c> list.</summary>
    public ValueList<NetworkPolicyPort> Ports { get; init; }

    /// <summary>The <c>from</c> list of an ingress rule or the <c>to</c> list of an egress rule.</summary>
    public ValueList<NetworkPolicyPeer> Peers { get; init; }
}

/// <summary>Identifies a NetworkPolicy by namespace and name.</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="Name">The name.</param>
public readonly record struct PolicyRef(string Namespace, string Name) : IComparable<PolicyRef>
{
    /// <inheritdoc/>
    public int CompareTo(PolicyRef other)
    {
        var c = string.CompareOrdinal(Namespace, other.Namespace);
        return c != 0 ? c : string.CompareOrdinal(Name, other.Name);
    }

    /// <summary>Formats as <c>namespace/name</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>A <c>networking.k8s.io/v1</c> NetworkPolicy, normalised as the API server stores it.</summary>
public sealed record NetworkPolicy
{
    private readonly PolicyTypes _policyTypes;

    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>metadata.namespace</c>.</summary>
    public required string Namespace { get; init; }

    /// <summary><c>metadata.labels</c> (informational).</summary>
    public LabelMap Labels { get; init; } = LabelMap.Empty;

    /// <summary>The pods of <see cref="Namespace"/> the policy applies to; <c>{}</c> selects all of them.</summary>
    public LabelSelector PodSelector { get; init; } = LabelSelector.Everything;

    /// <summary>The <c>ingress</c> rules.</summary>
    public ValueList<NetworkPolicyRule> Ingress { get; init; }

    /// <summary>The <c>egress</c> rules.</summary>
    public ValueList<NetworkPolicyRule> Egress { get; init; }

    /// <summary>The directions the policy applies to, after the API server's defaulting.</summary>
    /// <remarks>
    /// When <c>policyTypes</c> is absent or empty, the API server stores <c>[Ingress]</c>, plus <c>Egress</c> when the
    /// egress list is non-empty. Setting <see cref="PolicyTypes.None"/> asks for that defaulting.
    /// </remarks>
    public PolicyTypes PolicyTypes
    {
        get => _policyTypes != PolicyTypes.None ? _policyTypes : DefaultPolicyTypes(Egress);
        init => _policyTypes = value;
    }

    /// <summary>The identity of the policy.</summary>
    public PolicyRef Ref => new(Namespace, Name);

    /// <summary>The API server's default for absent <c>policyTypes</c>.</summary>
    /// <param name="egress">The egress rules.</param>
    /// <returns><c>Ingress</c>, plus <c>Egress</c> when there are egress rules.</returns>
    public static PolicyTypes DefaultPolicyTypes(ValueList<NetworkPolicyRule> egress) =>
        egress.IsEmpty ? PolicyTypes.Ingress : PolicyTypes.Both;

    /// <summary>Whether the policy applies to <paramref name="direction"/>.</summary>
    /// <param name="direction">The direction.</param>
    /// <returns><see langword="true"/> when <see cref="PolicyTypes"/> includes it.</returns>
    public bool Applies(Direction direction) =>
        (PolicyTypes & (direction == Direction.Ingress ? PolicyTypes.Ingress : PolicyTypes.Egress)) != 0;

    /// <summary>The rules of one direction.</summary>
    /// <param name="direction">The direction.</param>
    /// <returns><see cref="Ingress"/> or <see cref="Egress"/>.</returns>
    public ValueList<NetworkPolicyRule> Rules(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;

    /// <inheritdoc/>
    public bool Equals(NetworkPolicy? other) =>
        other is not null
        && Name == other.Name
        && Namespace == other.Namespace
        && Labels.Equals(other.Labels)
        && PodSelector.Equals(other.PodSelector)
        && PolicyTypes == other.PolicyTypes
        && Ingress.Equals(other.Ingress)
        && Egress.Equals(other.Egress);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Namespace, PodSelector, PolicyTypes, Ingress, Egress);

    /// <summary>Formats as <c>NetworkPolicy namespace/name</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => "NetworkPolicy " + Ref;
}
