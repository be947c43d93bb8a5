using System.Globalization;
using System.Net;

namespace NetPolHost.Model;

/// <summary>A Service (<c>v1</c>): what it takes to turn a connection to it into connections to its backend pods.</summary>
/// <remarks>
/// NetworkPolicy never sees a Service: kube-proxy (or its replacement) translates the Service's address and port to one
/// backend pod and its target port before the policies of the destination apply. The backends of a Service with a
/// <see cref="Selector"/> are the pods of its namespace whose labels match it; a Service without one has its endpoints
/// managed elsewhere, so its backends cannot be known from manifests.
/// </remarks>
public sealed record Service
{
    /// <summary><c>metadata.namespace</c>.</summary>
    public required string Namespace { get; init; }

    /// <summary><c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>metadata.labels</c>.</summary>
    public LabelMap Labels { get; init; } = LabelMap.Empty;

    /// <summary><c>spec.selector</c> (equality on every label given), or <see langword="null"/> when the Service has
    /// none. A Service without a selector, or with an empty one (which the API server stores as none), has its
    /// endpoints managed elsewhere: its backends are not known.</summary>
    public LabelMap? Selector { get; init; }

    /// <summary><c>spec.type</c>: <c>ClusterIP</c> (the default), <c>NodePort</c>, <c>LoadBalancer</c> or <c>ExternalName</c>.</summary>
    public string Type { get; init; } = "ClusterIP";

    /// <summary><c>spec.clusterIPs</c> (or <c>spec.clusterIP</c>): empty for a headless Service (<c>None</c>) or one whose
    /// address is not allocated yet. IPv4-mapped IPv6 addresses are kept as the IPv4 address they stand for.</summary>
    public ValueList<IPAddress> ClusterIPs { get; init => field = IpMath.Unmap(value); }

    /// <summary><c>spec.ports</c>.</summary>
    public ValueList<ServicePort> Ports { get; init; }

    /// <summary>Finds the port a connection to <paramref name="port"/>/<paramref name="protocol"/> uses.</summary>
    /// <param name="port">The Service port.</param>
    /// <param name="protocol">The protocol.</param>
    /// <returns>The port, or <see langword="null"/> when the Service has none such.</returns>
    public ServicePort? FindPort(int port, Protocol protocol) => Ports.FirstOrDefault(p => p.Port == port && p.Protocol == protocol);

    /// <summary>Finds a port by its name.</summary>
    /// <param name="name">The port name.</param>
    /// <returns>The port, or <see langword="null"/>.</returns>
    public ServicePort? FindPort(string name) => Ports.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    /// <summary>Formats as <c>namespace/name</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>One entry of a Service's <c>spec.ports</c>.</summary>
public sealed record ServicePort
{
    /// <summary><c>name</c>, or <see langword="null"/>.</summary>
    public string? Name { get; init; }

    /// <summary><c>port</c>: the port clients connect to.</summary>
    public required int Port { get; init; }

    /// <summary><c>targetPort</c>: a number, or the name of a container port that each backend pod resolves for
    /// itself; <see langword="null"/> when not given (the same number as <see cref="Port"/>).</summary>
    public PolicyPortValue? TargetPort { get; init; }

    /// <summary><c>protocol</c> (TCP when not given).</summary>
    public Protocol Protocol { get; init; } = Protocol.Tcp;

    /// <summary><c>nodePort</c>, or <see langword="null"/>.</summary>
    public int? NodePort { get; init; }

    /// <summary>The target port, <see cref="Port"/> when none is given.</summary>
    public PolicyPortValue EffectiveTargetPort => TargetPort ?? PolicyPortValue.FromNumber(Port);

    /// <summary>The port a backend serves this port on: the number, or the named container port that
    /// <paramref name="ports"/> declare for this protocol.</summary>
    /// <param name="ports">The backend's container ports.</param>
    /// <returns>The port number, or <see langword="null"/> when the backend declares no port of that name.</returns>
    public int? ResolveTargetPort(IEnumerable<ContainerPort> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var target = EffectiveTargetPort;
        if (!target.IsNamed)
        {
            return target.Number;
        }

        return ports.FirstOrDefault(p => p.Protocol == Protocol && string.Equals(p.Name, target.Name, StringComparison.Ordinal))?.Port;
    }

    /// <summary>Formats as <c>http 80/TCP -&gt; 8080</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        (Name is null ? string.Empty : Name + " ") + Port.ToString(CultureInfo.InvariantCulture) + "/" + Protocol.ToKubernetesName() + " -> " + EffectiveTargetPort;
}
