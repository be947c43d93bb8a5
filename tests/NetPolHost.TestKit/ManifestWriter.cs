using System.Text;
using System.Text.Json;
using NetPolHost.Model;

namespace NetPolHost.TestKit;

/// <summary>Writes a snapshot as Kubernetes manifests (a JSON <c>List</c>), for tests that go through files and the CLI.</summary>
public static class ManifestWriter
{
    /// <summary>The snapshot as one JSON <c>kind: List</c>.</summary>
    public static string Json(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "List");
            w.WriteStartArray("items");
            foreach (var ns in snapshot.Namespaces)
            {
                w.WriteStartObject();
                w.WriteString("apiVersion", "v1");
                w.WriteString("kind", "Namespace");
                Metadata(w, ns.Name, null, ns.Labels);
                w.WriteEndObject();
            }

            foreach (var node in snapshot.Nodes)
            {
                w.WriteStartObject();
                w.WriteString("apiVersion", "v1");
                w.WriteString("kind", "Node");
                Metadata(w, node.Name, null, node.Labels);
                w.WriteStartObject("status");
                w.WriteStartArray("addresses");
                foreach (var address in node.Addresses)
                {
                    w.WriteStartObject();
                    w.WriteString("type", "InternalIP");
                    w.WriteString("address", address.ToString());
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }

            foreach (var pod in snapshot.Pods)
            {
                w.WriteStartObject();
                w.WriteString("apiVersion", "v1");
                w.WriteString("kind", "Pod");
                Metadata(w, pod.Name, pod.Namespace, pod.Labels);
                w.WriteStartObject("spec");
                if (pod.NodeName is not null)
                {
                    w.WriteString("nodeName", pod.NodeName);
                }

                if (pod.HostNetwork)
                {
                    w.WriteBoolean("hostNetwork", true);
                }

                w.WriteStartArray("containers");
                w.WriteStartObject();
                w.WriteString("name", "main");
                w.WriteStartArray("ports");
                foreach (var port in pod.Ports)
                {
                    w.WriteStartObject();
                    if (port.Name is not null)
                    {
                        w.WriteString("name", port.Name);
                    }

                    w.WriteNumber("containerPort", port.Port);
                    w.WriteString("protocol", port.Protocol.ToKubernetesName());
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject("status");
                w.WriteStartArray("podIPs");
                foreach (var ip in pod.IPs)
                {
                    w.WriteStartObject();
                    w.WriteString("ip", ip.ToString());
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }

            foreach (var policy in snapshot.Policies)
            {
                Policy(w, policy);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Policy(Utf8JsonWriter w, NetworkPolicy policy)
    {
        w.WriteStartObject();
        w.WriteString("apiVersion", "networking.k8s.io/v1");
        w.WriteString("kind", "NetworkPolicy");
        Metadata(w, policy.Name, policy.Namespace, policy.Labels);
        w.WriteStartObject("spec");
        Selector(w, "podSelector", policy.PodSelector);
        w.WriteStartArray("policyTypes");
        if ((policy.PolicyTypes & PolicyTypes.Ingress) != 0)
        {
            w.WriteStringValue("Ingress");
        }

        if ((policy.PolicyTypes & PolicyTypes.Egress) != 0)
        {
            w.WriteStringValue("Egress");
        }

        w.WriteEndArray();
        Rules(w, "ingress", "from", policy.Ingress);
        Rules(w, "egress", "to", policy.Egress);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Rules(Utf8JsonWriter w, string name, string peersField, ValueList<NetworkPolicyRule> rules)
    {
        w.WriteStartArray(name);
        foreach (var rule in rules)
        {
            w.WriteStartObject();
            w.WriteStartArray("ports");
            foreach (var port in rule.Ports)
            {
                w.WriteStartObject();
                w.WriteString("protocol", port.Protocol.ToKubernetesName());
                if (port.Port is { } value)
                {
                    if (value.IsNamed)
                    {
                        w.WriteString("port", value.Name);
                    }
                    else
                    {
                        w.WriteNumber("port", value.Number);
                    }
                }

                if (port.EndPort is { } end)
                {
                    w.WriteNumber("endPort", end);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray(peersField);
            foreach (var peer in rule.Peers)
            {
                w.WriteStartObject();
                if (peer.PodSelector is not null)
                {
                    Selector(w, "podSelector", peer.PodSelector);
                }

                if (peer.NamespaceSelector is not null)
                {
                    Selector(w, "namespaceSelector", peer.NamespaceSelector);
                }

                if (peer.IPBlock is { } block)
                {
                    w.WriteStartObject("ipBlock");
                    w.WriteString("cidr", block.Cidr.ToString());
                    w.WriteStartArray("except");
                    foreach (var except in block.Except)
                    {
                        w.WriteStringValue(except.ToString());
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Selector(Utf8JsonWriter w, string name, LabelSelector selector)
    {
        w.WriteStartObject(name);
        w.WriteStartObject("matchLabels");
        foreach (var (key, value) in selector.MatchLabels)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
        w.WriteStartArray("matchExpressions");
        foreach (var requirement in selector.MatchExpressions)
        {
            w.WriteStartObject();
            w.WriteString("key", requirement.Key);
            w.WriteString("operator", requirement.Operator.ToString());
            w.WriteStartArray("values");
            foreach (var value in requirement.Values)
            {
                w.WriteStringValue(value);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Metadata(Utf8JsonWriter w, string name, string? ns, LabelMap labels)
    {
        w.WriteStartObject("metadata");
        w.WriteString("name", name);
        if (ns is not null)
        {
            w.WriteString("namespace", ns);
        }

        w.WriteStartObject("labels");
        foreach (var (key, value) in labels)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }
}
