using System.Net;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Windows.Tests.Conformance;

/// <summary>The upstream e2e cases with every pod turned into a host endpoint (same namespace, labels, IPs and named
/// ports), each the host of its own node, so each endpoint's plan is the host traffic the Windows backends enforce.</summary>
internal static class HostEndpointCases
{
    public static ClusterSnapshot Convert(ConformanceCase testCase)
    {
        var snapshot = testCase.Snapshot;
        var hosts = snapshot.Pods.Select(p => new HostEndpoint
        {
            Namespace = p.Namespace,
            Name = p.Name,
            Labels = p.Labels,
            NodeName = NodeOf(p.Namespace + "/" + p.Name),
            IPs = p.IPs,
            Ports = p.Ports,
        });
        return ClusterSnapshot.Create(snapshot.Namespaces, [], [], hosts, snapshot.Policies);
    }

    public static string NodeOf(string endpoint) => "node-" + endpoint.Replace('/', '-');

    public static RulePlan Plan(ClusterSnapshot snapshot, string endpoint) =>
        RulePlanCompiler.Compile(snapshot, new RulePlanOptions { NodeName = NodeOf(endpoint) });

    public static IPAddress Address(string endpoint) => ConformanceData.PodIPs[endpoint];
}
