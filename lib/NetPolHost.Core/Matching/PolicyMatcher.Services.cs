using System.Globalization;
using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>The decision on a connection to one backend pod of a Service.</summary>
/// <param name="Pod">The backend pod.</param>
/// <param name="TargetPort">The port the pod serves the Service port on (a named target port resolved on this pod).</param>
/// <param name="Verdict">The decision on the flow to that pod and port.</param>
public sealed record ServiceEndpointVerdict(Pod Pod, int TargetPort, FlowVerdict Verdict);

/// <summary>The decision on a connection to a Service: one verdict per backend pod, since the Service's address is
/// translated to one of them before any policy applies.</summary>
public sealed record ServiceVerdict
{
    /// <summary>Who connects.</summary>
    public required FlowEndpoint Source { get; init; }

    /// <summary>The Service.</summary>
    public required Service Service { get; init; }

    /// <summary>The Service port connected to.</summary>
    public required ServicePort Port { get; init; }

    /// <summary>One verdict per backend pod, sorted by pod name.</summary>
    public ValueList<ServiceEndpointVerdict> Endpoints { get; init; }

    /// <summary>Why pods are not backends, or why there are none.</summary>
    public ValueList<string> Notes { get; init; }

    /// <summary>Whether the Service has backends and the connection is allowed to every one of them.</summary>
    public bool Allowed => !Endpoints.IsEmpty && Endpoints.All(e => e.Verdict.Allowed);

    /// <summary>Explains the verdict: a summary, then each backend's explanation.</summary>
    /// <returns>The lines.</returns>
    public IReadOnlyList<string> Explain()
    {
        var denied = Endpoints.Where(e => !e.Verdict.Allowed).ToList();
        var count = Endpoints.Count.ToString(CultureInfo.InvariantCulture);
        var summary = Endpoints.IsEmpty ? "the Service has no backend pod, so the connection cannot succeed"
            : Endpoints.Count == 1 ? (denied.Count == 0 ? "allowed to its only backend pod" : "denied to its only backend pod")
            : denied.Count == 0 ? $"allowed to all {count} backend pods"
            : $"denied to {denied.Count.ToString(CultureInfo.InvariantCulture)} of {count} backend pods ({string.Join(", ", denied.Select(e => e.Pod.Name))})";
        var source = Endpoints.IsEmpty ? Source.ToString() : Endpoints[0].Verdict.SourceDescription;
        var addresses = Service.ClusterIPs.IsEmpty ? string.Empty : " (" + string.Join(", ", Service.ClusterIPs) + ")";
        var lines = new List<string>
        {
            $"{(Allowed ? "ALLOWED" : "DENIED")}: {source} -> Service {Service}{addresses} port {Port.Port.ToString(CultureInfo.InvariantCulture)}/{Port.Protocol.ToKubernetesName()} (targetPort {Port.EffectiveTargetPort}): {summary}",
        };
        lines.AddRange(Notes.Select(n => "  note: " + n));
        foreach (var endpoint in Endpoints)
        {
            lines.AddRange(endpoint.Verdict.Explain().Select(l => "  " + l));
        }

        return lines;
    }
}

/// <content>Connections to Services.</content>
public sealed partial class PolicyMatcher
{
    /// <summary>The pods a Service sends connections to: the pods of its namespace whose labels match its selector
    /// (hostNetwork pods too; finished pods are not in a snapshot). A Service without a selector, or with an empty one,
    /// has none that manifests can tell.</summary>
    /// <param name="service">The Service.</param>
    /// <returns>The pods, sorted by name.</returns>
    public IReadOnlyList<Pod> SelectedPods(Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.Selector is not { Count: > 0 } selector)
        {
            return [];
        }

        return [.. Snapshot.Pods.Where(p => p.Namespace == service.Namespace && selector.All(l => p.Labels.TryGetValue(l.Key, out var v) && v == l.Value))];
    }

    /// <summary>Decides a connection to a Service port: for every backend pod, the flow to it on its target port (a
    /// named target port resolves on each pod; a pod that does not declare it, or has no address yet, is no backend).</summary>
    /// <param name="source">Who connects.</param>
    /// <param name="service">The Service.</param>
    /// <param name="port">One of the Service's ports.</param>
    /// <returns>The verdict; allowed only when the Service has backends and every one allows the connection.</returns>
    /// <exception cref="ArgumentException">The source is not in the snapshot, or the port is not the Service's.</exception>
    public ServiceVerdict DecideService(FlowEndpoint source, Service service, ServicePort port)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(port);
        if (!service.Ports.Contains(port))
        {
            throw new ArgumentException($"Service {service} has no port {port}.", nameof(port));
        }

        var notes = new List<string>();
        var endpoints = new List<ServiceEndpointVerdict>();
        if (service.Selector is not { Count: > 0 } selector)
        {
            notes.Add($"Service {service} has no selector: its endpoints are managed elsewhere (EndpointSlices), so its backend pods are not known from manifests");
        }
        else
        {
            var pods = SelectedPods(service);
            if (pods.Count == 0)
            {
                notes.Add($"Service {service} selects no pod: no pod in namespace {service.Namespace} has the labels {string.Join(", ", selector.Select(l => l.Key + "=" + l.Value))}");
            }

            foreach (var pod in pods)
            {
                if (pod.IPs.IsEmpty)
                {
                    notes.Add($"pod {pod} is selected but has no address yet (status.podIP): it is not a backend");
                    continue;
                }

                if (port.ResolveTargetPort(pod.Ports) is not { } target)
                {
                    var declared = pod.Ports.IsEmpty ? "it declares no ports" : "it declares " + string.Join(", ", pod.Ports);
                    notes.Add($"pod {pod} is selected but declares no {port.Protocol.ToKubernetesName()} port named {Quote(port.EffectiveTargetPort.Name!)} ({declared}): it is not a backend");
                    continue;
                }

                var verdict = Decide(new Flow(source, FlowEndpoint.ForPod(pod.Namespace, pod.Name), target, port.Protocol));
                endpoints.Add(new ServiceEndpointVerdict(pod, target, verdict));
            }
        }

        if (endpoints.Count == 0)
        {
            // The source must still exist: a typo in it is a mistake of its own.
            _ = Resolve(source, []);
        }

        return new ServiceVerdict
        {
            Source = source,
            Service = service,
            Port = port,
            Endpoints = endpoints.ToValueList(),
            Notes = notes.ToValueList(),
        };
    }

    private static string Quote(string text) => "'" + text + "'";
}
