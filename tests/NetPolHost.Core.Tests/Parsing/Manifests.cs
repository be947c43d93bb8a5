using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>Small manifests for tests, with known line numbers.</summary>
internal static class Manifests
{
    /// <summary>Three lines; the text given to <see cref="LoadPolicy"/> starts at line 4.</summary>
    public const string PolicyHeader = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\n";

    /// <summary>The seed scenario of issue 2: a namespace and four policies.</summary>
    public const string SeedScenario = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: production, labels: {role: production}}
        ---
        kind: NetworkPolicy
        apiVersion: networking.k8s.io/v1
        metadata: {name: no-inbound-traffic, namespace: production}
        spec: {policyTypes: [Ingress], podSelector: {matchLabels: {}}}
        ---
        kind: NetworkPolicy
        apiVersion: networking.k8s.io/v1
        metadata: {name: allow-same-namespace-traffic, namespace: production}
        spec:
          policyTypes: [Ingress]
          podSelector: {matchLabels: {}}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {role: production}}
        ---
        kind: NetworkPolicy
        apiVersion: networking.k8s.io/v1
        metadata: {name: allow-port-8000, namespace: production}
        spec:
          policyTypes: [Ingress]
          podSelector: {matchLabels: {app: web-server}}
          ingress:
          - ports:
            - port: 8000
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: disable-aws-metadata, namespace: production}
        spec:
          policyTypes: [Egress]
          podSelector: {matchLabels: {}}
          egress:
          - to:
            - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}

        """;

    /// <summary>Loads <see cref="PolicyHeader"/> followed by <paramref name="rest"/> as <c>policy.yaml</c>.</summary>
    public static LoadResult LoadPolicy(string rest) => ManifestLoader.LoadText(PolicyHeader + rest, "policy.yaml");

    /// <summary>Loads <paramref name="text"/> as <c>test.yaml</c>.</summary>
    public static LoadResult Load(string text) => ManifestLoader.LoadText(text, "test.yaml");
}
