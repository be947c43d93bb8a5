namespace NetPolHost.Model;

/// <summary>A namespace that objects are in but that has no Namespace object, while policies select namespaces by
/// labels: it has only its name label (<c>kubernetes.io/metadata.name</c>), which may not be what the cluster has.</summary>
/// <param name="Name">The namespace.</param>
/// <param name="Policies">The policies that select namespaces by other labels: <c>namespace/name</c> for a
/// NetworkPolicy, <c>KIND name</c> for a cluster-scoped one; sorted.</param>
/// <param name="Keys">The label keys those selectors use, other than the name label; sorted.</param>
public sealed record UnlistedNamespace(string Name, ValueList<string> Policies, ValueList<string> Keys)
{
    /// <summary>What to tell a person: which labels the namespace lacks, and how to fix it.</summary>
    public string Message
    {
        get
        {
            var policies = Policies.Count <= 3
                ? string.Join(", ", Policies)
                : string.Join(", ", Policies.Take(3)) + " and " + (Policies.Count - 3).ToString(System.Globalization.CultureInfo.InvariantCulture) + " more";
            return $"namespace {Name} has no Namespace object in the manifests, so it has only the label {Namespace.NameLabel}={Name}; "
                + $"{policies} select{(Policies.Count == 1 ? "s" : string.Empty)} namespaces by {(Keys.Count == 1 ? "the label" : "the labels")} {string.Join(", ", Keys)}: "
                + $"if {Name} has such labels, add its Namespace object (kubectl get namespace {Name} -o yaml)";
        }
    }

    /// <summary>Every namespace that a pod, host endpoint, policy or Service is in but that has no Namespace object,
    /// when at least one NetworkPolicy or ClusterNetworkPolicy selects namespaces by a label other than the name label;
    /// sorted by name. Empty when no policy selects namespaces by labels (a missing Namespace object then changes
    /// nothing).</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <returns>The namespaces.</returns>
    public static IReadOnlyList<UnlistedNamespace> Find(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var policies = new SortedSet<string>(StringComparer.Ordinal);
        var keys = new SortedSet<string>(StringComparer.Ordinal);

        void Add(LabelSelector? selector, string policy)
        {
            if (selector is null)
            {
                return;
            }

            var used = selector.MatchLabels.Select(l => l.Key).Concat(selector.MatchExpressions.Select(e => e.Key))
                .Where(k => k != Namespace.NameLabel).ToList();
            if (used.Count > 0)
            {
                policies.Add(policy);
                keys.UnionWith(used);
            }
        }

        foreach (var policy in snapshot.Policies)
        {
            foreach (var peer in policy.Ingress.SelectMany(r => r.Peers).Concat(policy.Egress.SelectMany(r => r.Peers)))
            {
                Add(peer.NamespaceSelector, policy.Namespace + "/" + policy.Name);
            }
        }

        foreach (var policy in snapshot.ClusterPolicies)
        {
            var name = policy.SourceKind + " " + policy.Name;
            Add(policy.Subject.Namespaces, name);
            Add(policy.Subject.Pods?.NamespaceSelector, name);
            foreach (var peer in policy.Ingress.SelectMany(r => r.Peers).Concat(policy.Egress.SelectMany(r => r.Peers)))
            {
                Add(peer.Namespaces, name);
                Add(peer.Pods?.NamespaceSelector, name);
            }
        }

        if (policies.Count == 0)
        {
            return [];
        }

        var used = snapshot.Pods.Select(p => p.Namespace)
            .Concat(snapshot.HostEndpoints.Select(h => h.Namespace))
            .Concat(snapshot.Policies.Select(p => p.Namespace))
            .Concat(snapshot.Services.Select(s => s.Namespace))
            .Where(ns => ns.Length > 0 && !snapshot.HasNamespace(ns))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        var list = policies.ToValueList();
        var keyList = keys.ToValueList();
        return [.. used.Select(ns => new UnlistedNamespace(ns, list, keyList))];
    }
}
