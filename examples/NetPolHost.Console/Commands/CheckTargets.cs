using System.Globalization;
using System.Net;
using NetPolHost.Matching;
using NetPolHost.Model;

namespace NetPolHost.Cli.Commands;

/// <summary>What <c>--port</c> and <c>--protocol</c> ask for: a number or a name (or nothing, for ICMP), and the
/// protocol when one was given.</summary>
/// <param name="Number">The port number, or <see langword="null"/>.</param>
/// <param name="Name">The port name, or <see langword="null"/>.</param>
/// <param name="Protocol">The protocol given (in --port or --protocol), or <see langword="null"/> for the default.</param>
/// <param name="Text">The --port text, for messages.</param>
internal sealed record PortRequest(int? Number, string? Name, Protocol? Protocol, string? Text)
{
    /// <summary>Whether the flow has no port: ICMP or ICMPv6.</summary>
    public bool IsIcmp => Protocol is Model.Protocol.Icmp or Model.Protocol.IcmpV6;

    public static PortRequest Parse(string? port, string? protocol)
    {
        Protocol? chosen = null;
        if (protocol is not null)
        {
            chosen = ProtocolNames.TryParseFlowProtocol(protocol.Trim(), out var p)
                ? p
                : throw new CliUsageException($"--protocol '{protocol}' is not TCP, UDP, SCTP, ICMP or ICMPv6.");
        }

        if (port is null)
        {
            return chosen is Model.Protocol.Icmp or Model.Protocol.IcmpV6
                ? new PortRequest(null, null, chosen, null)
                : throw new CliUsageException($"--port is required for {(chosen ?? Model.Protocol.Tcp).ToKubernetesName()} (NUMBER or NAME, optionally /PROTOCOL); for a ping, give --protocol ICMP (or ICMPv6) instead.");
        }

        var parts = port.Trim().Split('/');
        if (parts.Length == 2 && ProtocolNames.TryParseFlowProtocol(parts[1], out var suffix) && !suffix.HasPorts())
        {
            throw new CliUsageException($"--port '{port}': {suffix.ToKubernetesName()} has no ports; give --protocol {suffix.ToKubernetesName()} without --port.");
        }

        if (chosen is { } icmp && !icmp.HasPorts())
        {
            throw new CliUsageException($"--port '{port}' with --protocol {icmp.ToKubernetesName()}: {icmp.ToKubernetesName()} has no ports; leave --port out.");
        }

        var malformed = $"--port '{port}' is not NUMBER or NAME, optionally /PROTOCOL, with a port 1-65535 and protocol TCP, UDP or SCTP.";
        if (parts.Length > 2 || parts[0].Length == 0)
        {
            throw new CliUsageException(malformed);
        }

        Protocol? inPort = null;
        if (parts.Length == 2)
        {
            inPort = ProtocolNames.TryParseIgnoreCase(parts[1], out var parsed) ? parsed : throw new CliUsageException(malformed);
        }

        if (inPort is not null && chosen is not null && inPort != chosen)
        {
            throw new CliUsageException($"--port '{port}' says {inPort.Value.ToKubernetesName()} and --protocol says {chosen.Value.ToKubernetesName()}; give one.");
        }

        chosen ??= inPort;
        var head = parts[0];
        if (head.All(char.IsAsciiDigit))
        {
            return int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535
                ? new PortRequest(number, null, chosen, port)
                : throw new CliUsageException(malformed);
        }

        return new PortRequest(null, head, chosen, port);
    }
}

/// <summary>The destination of <c>check</c>: a flow endpoint, or a Service by name.</summary>
/// <param name="Endpoint">The endpoint, or <see langword="null"/> for a Service.</param>
/// <param name="ServiceNamespace">The Service's namespace.</param>
/// <param name="ServiceName">The Service's name.</param>
internal sealed record CheckDestination(FlowEndpoint? Endpoint, string? ServiceNamespace, string? ServiceName);

/// <summary>A Service check as printed: the verdict, each backend's verdict with its notes, and the notes.</summary>
/// <param name="Verdict">The verdict.</param>
/// <param name="Endpoints">One verdict per backend pod, with notes added (ports they do not declare).</param>
/// <param name="Notes">The Service's notes and the namespace notes.</param>
internal sealed record ServiceCheck(ServiceVerdict Verdict, IReadOnlyList<FlowVerdict> Endpoints, IReadOnlyList<string> Notes);

/// <summary>Reads the ends and the port of <c>check</c> and adds the notes a person needs to trust the verdict.</summary>
internal static class CheckTargets
{
    private const string ServicePrefix = "service:";

    public static FlowEndpoint ParseSource(string text, string? defaultNamespace)
    {
        if (text.Trim().StartsWith(ServicePrefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new CliUsageException($"--from '{text}': a Service does not open connections; give one of its pods.");
        }

        return ParseEndpoint(text, "--from", defaultNamespace);
    }

    public static CheckDestination ParseDestination(string text, string? defaultNamespace)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(ServicePrefix, StringComparison.OrdinalIgnoreCase))
        {
            return new CheckDestination(ParseEndpoint(text, "--to", defaultNamespace), null, null);
        }

        var name = trimmed[ServicePrefix.Length..];
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 && name.Length > 0 && defaultNamespace is not null)
        {
            return new CheckDestination(null, defaultNamespace, name);
        }

        if (slash > 0 && slash < name.Length - 1 && name.IndexOf('/', slash + 1) < 0)
        {
            return new CheckDestination(null, name[..slash], name[(slash + 1)..]);
        }

        throw new CliUsageException($"--to '{text}' is not service:NAMESPACE/NAME{(defaultNamespace is null ? " (or service:NAME with -n/--namespace)" : string.Empty)}.");
    }

    private static FlowEndpoint ParseEndpoint(string text, string option, string? defaultNamespace)
    {
        if (FlowEndpoint.TryParse(text, out var endpoint))
        {
            return endpoint;
        }

        var trimmed = text.Trim();
        if (defaultNamespace is not null && trimmed.Length > 0 && !trimmed.Contains('/', StringComparison.Ordinal) && !trimmed.Contains(':', StringComparison.Ordinal))
        {
            return FlowEndpoint.ForPod(defaultNamespace, trimmed);
        }

        throw new CliUsageException($"{option} '{text}' is not namespace/pod, node:NAME or an IPv4/IPv6 address{(defaultNamespace is null ? " (a pod name alone needs -n/--namespace)" : string.Empty)}.");
    }

    /// <summary>The Service the destination names, or whose cluster IP it is (when no pod, host endpoint or node owns
    /// that address); <see langword="null"/> for any other destination.</summary>
    public static Service? FindService(ClusterSnapshot snapshot, CheckDestination destination)
    {
        if (destination.ServiceName is { } name)
        {
            var ns = destination.ServiceNamespace!;
            return snapshot.FindService(ns, name) ?? throw new CliUsageException(UnknownService(snapshot, ns, name));
        }

        var endpoint = destination.Endpoint!;
        if (endpoint.Kind != FlowEndpointKind.Address || OwnerOf(snapshot, endpoint.Address!) is not null
            || snapshot.Nodes.Any(n => n.Addresses.Contains(endpoint.Address!)))
        {
            return null;
        }

        return snapshot.FindServiceByClusterIP(endpoint.Address!);
    }

    private static string UnknownService(ClusterSnapshot snapshot, string ns, string name)
    {
        var text = $"There is no Service {ns}/{name}";
        var inNamespace = snapshot.Services.Where(s => s.Namespace == ns).Select(s => s.Name).ToList();
        if (inNamespace.Count > 0)
        {
            var close = NameSuggestions.Find(name, inNamespace);
            return close.Count > 0
                ? $"{text}; did you mean {NameSuggestions.Join([.. close.Select(c => "service:" + ns + "/" + c)])}?"
                : $"{text}; namespace {ns} has the Services {NameSuggestions.List(inNamespace)}.";
        }

        var namespaces = snapshot.Services.Select(s => s.Namespace).Distinct(StringComparer.Ordinal).ToList();
        var closeNamespaces = NameSuggestions.Find(ns, namespaces);
        var same = closeNamespaces.Where(n => snapshot.FindService(n, name) is not null).Select(n => "service:" + n + "/" + name).ToList();
        return same.Count > 0 ? $"{text}: namespace {ns} has no Service; did you mean {NameSuggestions.Join(same)}?"
            : closeNamespaces.Count > 0 ? $"{text}: namespace {ns} has no Service; did you mean namespace {NameSuggestions.Join(closeNamespaces)}?"
            : namespaces.Count > 0 ? $"{text}: namespace {ns} has no Service (namespaces with Services: {NameSuggestions.List(namespaces)})."
            : $"{text}: the manifests have no Service objects (add them, e.g. from 'kubectl get services -A -o yaml').";
    }

    /// <summary>Decides a connection to a Service: the port by number or name, then every backend pod.</summary>
    public static ServiceCheck DecideService(PolicyMatcher matcher, FlowEndpoint source, Service service, PortRequest request)
    {
        if (request.IsIcmp)
        {
            throw new CliUsageException($"Service {service} forwards only its ports (TCP, UDP, SCTP): {request.Protocol!.Value.ToKubernetesName()} to it never reaches a pod; check a backend pod instead.");
        }

        var port = FindServicePort(service, request);
        var verdict = matcher.DecideService(source, service, port);
        var snapshot = matcher.Snapshot;
        var endpoints = verdict.Endpoints
            .Select(e => e.Verdict with
            {
                Notes = e.Verdict.Notes.Concat(UndeclaredPort(snapshot, e.Verdict.Flow.Destination, e.TargetPort, port.Protocol)).ToValueList(),
            })
            .ToList();
        var ends = new List<FlowEndpoint> { source };
        ends.AddRange(verdict.Endpoints.Select(e => e.Verdict.Flow.Destination));
        var notes = verdict.Notes.Concat(NamespaceNotes(snapshot, ends, service.Namespace)).ToList();
        return new ServiceCheck(verdict, endpoints, notes);
    }

    /// <summary>The Service's verdict line, its notes, then each backend's explanation.</summary>
    public static IEnumerable<string> Explain(ServiceCheck check)
    {
        yield return check.Verdict.Explain()[0];
        foreach (var note in check.Notes)
        {
            yield return "  note: " + note;
        }

        foreach (var endpoint in check.Endpoints)
        {
            foreach (var line in endpoint.Explain())
            {
                yield return "  " + line;
            }
        }
    }

    private static ServicePort FindServicePort(Service service, PortRequest request)
    {
        ServicePort? port;
        if (request.Name is { } name)
        {
            port = service.FindPort(name);
            if (port is not null && request.Protocol is { } protocol && port.Protocol != protocol)
            {
                port = null;
            }
        }
        else
        {
            port = service.FindPort(request.Number!.Value, request.Protocol ?? Protocol.Tcp);
            if (port is null && request.Protocol is null)
            {
                // Without a protocol, a port number the Service has for one protocol only is that one (DNS on 53/UDP).
                var same = service.Ports.Where(p => p.Port == request.Number).ToList();
                port = same.Count == 1 ? same[0] : null;
            }
        }

        if (port is not null)
        {
            return port;
        }

        var asked = request.Name ?? request.Number!.Value.ToString(CultureInfo.InvariantCulture) + "/" + (request.Protocol ?? Protocol.Tcp).ToKubernetesName();
        var ports = service.Ports.IsEmpty ? "it has no ports" : "its ports: " + string.Join(", ", service.Ports);
        var close = request.Name is null ? [] : NameSuggestions.Find(request.Name, service.Ports.Select(p => p.Name).OfType<string>());
        var hint = close.Count > 0 ? $"; did you mean {NameSuggestions.Join(close)}?" : string.Empty;
        throw new CliUsageException($"Service {service} has no port {asked}{hint} ({ports}).");
    }

    /// <summary>The port number and protocol of a flow: a name resolves on the destination pod or host endpoint.</summary>
    public static (int Port, Protocol Protocol) ResolvePort(ClusterSnapshot snapshot, FlowEndpoint destination, PortRequest request)
    {
        if (request.IsIcmp)
        {
            return (0, request.Protocol!.Value);
        }

        if (request.Number is { } number)
        {
            return (number, request.Protocol ?? Protocol.Tcp);
        }

        var name = request.Name!;
        if (Workload(snapshot, destination) is not { } workload)
        {
            throw new CliUsageException($"--port '{request.Text}' is a port name, and {destination} is not a pod or host endpoint that declares ports; give the number.");
        }

        var match = workload.Ports.FirstOrDefault(p => p.Name == name && (request.Protocol is null || p.Protocol == request.Protocol));
        if (match is not null)
        {
            return (match.Port, match.Protocol);
        }

        var close = NameSuggestions.Find(name, workload.Ports.Select(p => p.Name).OfType<string>());
        var hint = close.Count > 0 ? $"; did you mean {NameSuggestions.Join(close)}?" : string.Empty;
        var protocol = request.Protocol is { } p ? p.ToKubernetesName() + " " : string.Empty;
        throw new CliUsageException($"--port '{request.Text}': {workload.What} {workload.Name} declares no {protocol}port named '{name}'{hint} ({Declared(workload.Ports)}).");
    }

    /// <summary>The notes a check adds to the matcher's: namespaces without a Namespace object (when policies select
    /// namespaces by labels), and a port the destination does not declare.</summary>
    public static IEnumerable<string> Notes(ClusterSnapshot snapshot, IEnumerable<FlowEndpoint> ends, FlowEndpoint destination, int port, Protocol protocol) =>
        NamespaceNotes(snapshot, ends, null).Concat(UndeclaredPort(snapshot, destination, port, protocol));

    /// <summary>The notes of <see cref="UnlistedNamespace.Find"/> for the namespaces of the given ends.</summary>
    public static IEnumerable<string> NamespaceNotes(ClusterSnapshot snapshot, IEnumerable<FlowEndpoint> ends, string? extraNamespace)
    {
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var end in ends)
        {
            if (Workload(snapshot, end) is { } workload)
            {
                namespaces.Add(workload.Namespace);
            }
            else if (end.Namespace is { } ns)
            {
                namespaces.Add(ns);
            }
        }

        if (extraNamespace is not null)
        {
            namespaces.Add(extraNamespace);
        }

        return UnlistedNamespace.Find(snapshot).Where(u => namespaces.Contains(u.Name)).Select(u => u.Message);
    }

    private static IEnumerable<string> UndeclaredPort(ClusterSnapshot snapshot, FlowEndpoint destination, int port, Protocol protocol)
    {
        if (!protocol.HasPorts() || Workload(snapshot, destination) is not { } workload
            || workload.Ports.Any(p => p.Port == port && p.Protocol == protocol))
        {
            yield break;
        }

        yield return $"{workload.What} {workload.Name} declares no port {port.ToString(CultureInfo.InvariantCulture)}/{protocol.ToKubernetesName()} ({Declared(workload.Ports)}); the verdict is the policies', but nothing may be listening there";
    }

    private static string Declared(ValueList<ContainerPort> ports) =>
        ports.IsEmpty ? "it declares no ports" : "it declares " + string.Join(", ", ports);

    /// <summary>The pod or host endpoint an endpoint is, or owns its address.</summary>
    private static (string What, string Namespace, string Name, ValueList<ContainerPort> Ports)? Workload(ClusterSnapshot snapshot, FlowEndpoint endpoint)
    {
        switch (endpoint.Kind)
        {
            case FlowEndpointKind.Pod when snapshot.FindPod(endpoint.Namespace!, endpoint.Name!) is { } pod:
                return (pod.HostNetwork ? "hostNetwork pod" : "pod", pod.Namespace, pod.ToString(), pod.Ports);
            case FlowEndpointKind.Pod or FlowEndpointKind.HostEndpoint when snapshot.FindHostEndpoint(endpoint.Namespace!, endpoint.Name!) is { } host:
                return ("host endpoint", host.Namespace, host.ToString(), host.Ports);
            case FlowEndpointKind.Address:
                return OwnerOf(snapshot, endpoint.Address!) switch
                {
                    Pod pod => (pod.HostNetwork ? "hostNetwork pod" : "pod", pod.Namespace, pod.ToString(), pod.Ports),
                    HostEndpoint host => ("host endpoint", host.Namespace, host.ToString(), host.Ports),
                    _ => null,
                };
            default:
                return null;
        }
    }

    /// <summary>The workload pod or host endpoint with this address, as the matcher resolves it.</summary>
    private static object? OwnerOf(ClusterSnapshot snapshot, IPAddress address) =>
        (object?)snapshot.Pods.FirstOrDefault(p => !p.HostNetwork && p.IPs.Contains(address))
        ?? snapshot.HostEndpoints.FirstOrDefault(h => h.IPs.Contains(address));
}
