using System.Globalization;

namespace NetPolHost.Benchmarks;

/// <summary>The manifests the change benchmarks add and edit in the generated clusters (no document separators).</summary>
internal static class ChangeManifests
{
    /// <summary>A pod of ns-002 on node-050 (10.99.0.1), serving http on 8080.</summary>
    public const string NewPod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: new-pod
          namespace: ns-002
          labels: {app: app-3, tier: api, version: v1}
        spec:
          nodeName: node-050
          containers:
          - name: main
            ports: [{name: http, containerPort: 8080}]
        status: {podIP: 10.99.0.1, podIPs: [{ip: 10.99.0.1}]}

        """;

    /// <summary>The policy the benchmarks edit: ns-001's api pods admit app-3 on <paramref name="port"/>.</summary>
    public static string EditedPolicy(int port) => """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: edited, namespace: ns-001}
        spec:
          podSelector: {matchLabels: {tier: api}}
          ingress:
          - from: [{podSelector: {matchLabels: {app: app-3}}}]
            ports: [{port: PORT}]

        """.Replace("PORT", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
