using System.Globalization;
using System.Text;

namespace NetPolHost.TestKit;

/// <summary>
/// Generates a large cluster as manifest text: namespaces with team/env labels, pods with app/tier/version labels and
/// named container ports spread over nodes, and policies of realistic shapes (default deny, selectors on 2–3 label
/// keys, namespace selectors, matchExpressions, ipBlocks with excepts, named ports, egress to DNS and the internet).
/// </summary>
public static class LargeCluster
{
    private static readonly string[] s_tiers = ["web", "api", "db", "cache"];
    private static readonly string[] s_envs = ["prod", "staging", "dev"];

    /// <summary>The node that hosts the first <paramref name="podsPerNode"/> pods of every namespace stride.</summary>
    public static string NodeOf(int podIndex, int podsPerNode) => "node-" + (podIndex / podsPerNode).ToString("000", CultureInfo.InvariantCulture);

    /// <summary>Generates the cluster as multi-document YAML.</summary>
    /// <param name="pods">Pods in all.</param>
    /// <param name="namespaces">Namespaces.</param>
    /// <param name="policies">Policies in all (spread evenly over the namespaces).</param>
    /// <param name="podsPerNode">Pods per node (node-000 gets the first ones).</param>
    /// <param name="seed">The random seed.</param>
    /// <returns>The YAML text.</returns>
    public static string Yaml(int pods = 10_000, int namespaces = 100, int policies = 1_000, int podsPerNode = 110, int seed = 7)
    {
        var random = new Random(seed);
        var text = new StringBuilder(pods * 420);
        for (var n = 0; n < namespaces; n++)
        {
            text.Append(CultureInfo.InvariantCulture, $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{n:000}\n  labels: {{team: t{n % 10}, env: {s_envs[n % 3]}}}\n---\n");
        }

        for (var p = 0; p < pods; p++)
        {
            var n = p % namespaces;
            var ip = $"10.{64 + (p >> 16)}.{(p >> 8) & 255}.{p & 255}";
            var dns = p % 7 == 0 ? ", {name: dns, containerPort: 53, protocol: UDP}" : string.Empty;
            text.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: pod-{p:00000}
                  namespace: ns-{n:000}
                  labels: {'{'}app: app-{p / namespaces % 10}, tier: {s_tiers[p % 4]}, version: v{p % 3}, pod-template-hash: h{random.Next(100000):00000}{'}'}
                spec:
                  nodeName: {NodeOf(p, podsPerNode)}
                  containers:
                  - name: main
                    ports: [{'{'}name: http, containerPort: {8080 + (p % 2)}{'}'}, {'{'}name: metrics, containerPort: 9090{'}'}{dns}]
                status: {'{'}podIP: {ip}, podIPs: [{'{'}ip: {ip}{'}'}]{'}'}
                ---

                """);
        }

        for (var i = 0; i < policies; i++)
        {
            var n = i % namespaces;
            var ns = $"ns-{n:000}";
            var app = $"app-{random.Next(10)}";
            var other = $"app-{random.Next(10)}";
            var tier = s_tiers[random.Next(4)];
            var body = (i / namespaces) switch
            {
                0 => "  podSelector: {}\n  policyTypes: [Ingress]\n",
                1 => $"  podSelector: {{matchLabels: {{app: {app}, tier: {tier}}}}}\n  ingress:\n  - from:\n    - podSelector: {{matchLabels: {{app: {other}}}}}\n    ports: [{{port: http}}]\n",
                2 => $"  podSelector: {{matchLabels: {{tier: {tier}}}}}\n  ingress:\n  - from:\n    - namespaceSelector: {{matchLabels: {{team: t{random.Next(10)}}}}}\n      podSelector: {{matchLabels: {{tier: web}}}}\n    ports: [{{port: 8080}}, {{port: 9090}}]\n",
                3 => $"  podSelector: {{matchExpressions: [{{key: tier, operator: In, values: [web, api]}}, {{key: version, operator: NotIn, values: [v0]}}]}}\n  ingress:\n  - from:\n    - ipBlock: {{cidr: 192.168.0.0/16, except: [192.168.{random.Next(256)}.0/24, 192.168.{random.Next(256)}.0/24]}}\n    - namespaceSelector: {{matchLabels: {{env: prod}}}}\n",
                4 => $"  podSelector: {{matchLabels: {{app: {app}}}}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: ns-000}}}}\n      podSelector: {{matchLabels: {{tier: api}}}}\n    ports: [{{port: 53, protocol: UDP}}, {{port: 53}}]\n  - to:\n    - ipBlock: {{cidr: 0.0.0.0/0, except: [169.254.169.254/32, 10.0.0.0/8]}}\n",
                5 => $"  podSelector: {{matchLabels: {{tier: db}}}}\n  ingress:\n  - from:\n    - podSelector: {{matchLabels: {{tier: api, app: {app}}}}}\n    - podSelector: {{matchExpressions: [{{key: version, operator: Exists}}, {{key: canary, operator: DoesNotExist}}]}}\n    ports: [{{port: 5432}}, {{port: 6000, endPort: 6010}}]\n",
                6 => $"  podSelector: {{matchLabels: {{app: {app}, version: v{random.Next(3)}}}}}\n  ingress:\n  - from:\n    - namespaceSelector: {{matchExpressions: [{{key: env, operator: In, values: [prod, staging]}}]}}\n    ports: [{{port: metrics}}]\n",
                7 => $"  podSelector: {{matchLabels: {{tier: web}}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - {{}}\n  egress:\n  - to:\n    - podSelector: {{}}\n  - to:\n    - namespaceSelector: {{}}\n      podSelector: {{matchLabels: {{tier: cache}}}}\n    ports: [{{port: http}}]\n",
                8 => $"  podSelector: {{matchLabels: {{app: {app}}}}}\n  ingress:\n  - from:\n    - namespaceSelector: {{matchLabels: {{team: t{random.Next(10)}, env: {s_envs[random.Next(3)]}}}}}\n",
                _ => $"  podSelector: {{matchLabels: {{tier: {tier}, app: {app}}}}}\n  ingress:\n  - from:\n    - podSelector: {{matchLabels: {{app: {other}, tier: {s_tiers[random.Next(4)]}}}}}\n    - ipBlock: {{cidr: 10.{64 + random.Next(2)}.0.0/16}}\n    ports: [{{port: http}}, {{port: 53, protocol: UDP}}]\n",
            };
            text.Append(CultureInfo.InvariantCulture, $"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: policy-{i:0000}\n  namespace: {ns}\nspec:\n{body}---\n");
        }

        return text.ToString();
    }

    /// <summary>Generates ClusterNetworkPolicies of both tiers for the cluster of <see cref="Yaml"/>: guardrails (Deny
    /// to addresses, namespaces and pods), Pass and Accept rules, named ports and port ranges, with priorities that
    /// repeat (ties are broken by name).</summary>
    /// <param name="count">Policies in all.</param>
    /// <param name="namespaces">The namespaces of the cluster.</param>
    /// <param name="seed">The random seed.</param>
    /// <returns>The YAML text.</returns>
    public static string ClusterPoliciesYaml(int count = 100, int namespaces = 100, int seed = 11)
    {
        var random = new Random(seed);
        var text = new StringBuilder(count * 600);
        for (var i = 0; i < count; i++)
        {
            var tier = i % 3 == 2 ? "Baseline" : "Admin";
            var team = $"t{random.Next(10)}";
            var env = s_envs[random.Next(3)];
            var ns = $"ns-{random.Next(namespaces):000}";
            var body = (i / 3 % 6) switch
            {
                0 => $"  subject:\n    namespaces: {{matchLabels: {{env: {env}}}}}\n  egress:\n  - name: no-metadata\n    action: Deny\n    to:\n    - networks: [169.254.169.254/32, 10.{64 + random.Next(2)}.{random.Next(40)}.0/24]\n",
                1 => $"  subject:\n    namespaces: {{matchLabels: {{team: {team}}}}}\n  ingress:\n  - name: pass-prod\n    action: Pass\n    from:\n    - namespaces: {{matchLabels: {{env: prod}}}}\n  - name: deny-dev\n    action: Deny\n    from:\n    - namespaces: {{matchLabels: {{env: dev}}}}\n    protocols:\n    - tcp: {{destinationPort: {{range: {{start: 8000, end: 8100}}}}}}\n",
                2 => $"  subject:\n    pods:\n      namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {ns}}}}}\n      podSelector: {{matchLabels: {{tier: db}}}}\n  ingress:\n  - name: api-only\n    action: Accept\n    from:\n    - pods:\n        namespaceSelector: {{}}\n        podSelector: {{matchLabels: {{tier: api}}}}\n    protocols:\n    - destinationNamedPort: http\n  - name: no-one-else\n    action: Deny\n    from:\n    - namespaces: {{}}\n",
                3 => $"  subject:\n    namespaces: {{matchExpressions: [{{key: env, operator: In, values: [prod, staging]}}]}}\n  egress:\n  - name: dns\n    action: Accept\n    to:\n    - pods:\n        namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: ns-000}}}}\n        podSelector: {{}}\n    protocols:\n    - udp: {{destinationPort: {{number: 53}}}}\n    - tcp: {{destinationPort: {{number: 53}}}}\n",
                4 => $"  subject:\n    pods:\n      namespaceSelector: {{matchLabels: {{team: {team}}}}}\n      podSelector: {{matchLabels: {{tier: web}}}}\n  egress:\n  - name: nodes\n    action: Pass\n    to:\n    - nodes: {{}}\n  - name: other-teams\n    action: Deny\n    to:\n    - namespaces: {{matchExpressions: [{{key: team, operator: NotIn, values: [{team}]}}]}}\n    protocols:\n    - tcp: {{destinationPort: {{number: 9090}}}}\n",
                _ => $"  subject:\n    namespaces: {{}}\n  ingress:\n  - name: monitoring\n    action: Accept\n    from:\n    - namespaces: {{matchLabels: {{team: t0}}}}\n    protocols:\n    - destinationNamedPort: metrics\n",
            };
            text.Append(CultureInfo.InvariantCulture, $"apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata:\n  name: cnp-{i:000}\nspec:\n  tier: {tier}\n  priority: {random.Next(20) * 5}\n{body}---\n");
        }

        return text.ToString();
    }
}
