using k8s;
using k8s.Models;
using NetPolHost.Parsing;

namespace NetPolHost.Kubernetes.Tests.Deploy;

/// <summary>examples/deploy: the DaemonSet, its RBAC and namespace, read by the project's own loader and checked for
/// the properties that matter (host network, only CAP_NET_ADMIN, read-only access to exactly what the source watches).</summary>
public sealed class DeployManifestTests
{
    private static readonly string s_deploy = Path.Combine(NetPolHost.TestKit.RepositoryPaths.Root, "examples", "deploy");

    [Fact]
    public void ManifestLoader_ReadsTheDeployFolder_NamespaceLoads_OtherKindsAreNotedAsSkipped()
    {
        var result = new ManifestLoader().LoadPaths([s_deploy]);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var ns = Assert.Single(result.Snapshot.Namespaces);
        Assert.Equal("netpolhost-system", ns.Name);
        Assert.Equal("privileged", ns.Labels["pod-security.kubernetes.io/enforce"]);
        Assert.Empty(result.Snapshot.Pods);
        Assert.Empty(result.Snapshot.Policies);
        Assert.Equal(
            [
                "skipped ServiceAccount netpolhost-system/netpolhost (not used by NetPolHost)",
                "skipped ClusterRole netpolhost (not used by NetPolHost)",
                "skipped ClusterRoleBinding netpolhost (not used by NetPolHost)",
                "skipped DaemonSet netpolhost-system/netpolhost (not used by NetPolHost)",
            ],
            result.Notes.Select(n => n.Message));
    }

    [Fact]
    public void DaemonSet_RunsOnEveryNode_InTheHostNetwork_WithOnlyNetAdmin()
    {
        var daemonSet = Load().OfType<V1DaemonSet>().Single();
        var pod = daemonSet.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);

        Assert.Equal(("netpolhost", "netpolhost-system"), (daemonSet.Metadata.Name, daemonSet.Metadata.NamespaceProperty));
        Assert.True(pod.HostNetwork);
        Assert.Equal("ClusterFirstWithHostNet", pod.DnsPolicy);
        Assert.Equal("netpolhost", pod.ServiceAccountName);
        var toleration = Assert.Single(pod.Tolerations);
        Assert.Equal("Exists", toleration.OperatorProperty);
        Assert.Null(toleration.Key);
        Assert.Null(toleration.Effect);

        var security = container.SecurityContext;
        Assert.Equal(["NET_ADMIN"], security.Capabilities.Add);
        Assert.Equal(["ALL"], security.Capabilities.Drop);
        Assert.False(security.Privileged);
        Assert.False(security.AllowPrivilegeEscalation);
        Assert.True(security.ReadOnlyRootFilesystem);
        Assert.Null(pod.SecurityContext?.Sysctls);

        Assert.Equal("ghcr.io/netpolhost/netpolhost:0.1.0", container.Image);
        Assert.Equal(["agent", "--kubernetes", "--node", "$(NODE_NAME)", "--backend", "nftables", "--listen", "0.0.0.0:9940"], container.Args);
        var nodeName = Assert.Single(container.Env, e => e.Name == "NODE_NAME");
        Assert.Equal("spec.nodeName", nodeName.ValueFrom.FieldRef.FieldPath);
        Assert.NotNull(container.Resources.Requests["cpu"]);
        Assert.NotNull(container.Resources.Requests["memory"]);
        Assert.NotNull(container.Resources.Limits["memory"]);
        Assert.Equal(daemonSet.Spec.Selector.MatchLabels, daemonSet.Spec.Template.Metadata.Labels);
    }

    [Fact]
    public void DaemonSet_ServesMetrics_AndIsProbedOnHealthzAndReadyz()
    {
        var daemonSet = Load().OfType<V1DaemonSet>().Single();
        var container = Assert.Single(daemonSet.Spec.Template.Spec.Containers);

        // The port --listen names, under the name the probes and a PodMonitor use.
        var listen = container.Args[container.Args.IndexOf("--listen") + 1];
        var port = Assert.Single(container.Ports);
        Assert.Equal(("metrics", "TCP"), (port.Name, port.Protocol));
        Assert.Equal("0.0.0.0:" + port.ContainerPort, listen);

        Assert.Equal(("/healthz", "metrics"), (container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal(("/readyz", "metrics"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value));
        Assert.True(container.LivenessProbe.FailureThreshold * container.LivenessProbe.PeriodSeconds >= 30, "a busy agent is not restarted at the first slow answer");

        var annotations = daemonSet.Spec.Template.Metadata.Annotations;
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal(port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
    }

    [Fact]
    public void ClusterRole_IsReadOnly_OnExactlyWhatTheSourceWatches_AndBoundToTheServiceAccount()
    {
        var objects = Load();
        var role = objects.OfType<V1ClusterRole>().Single();
        var binding = objects.OfType<V1ClusterRoleBinding>().Single();
        var account = objects.OfType<V1ServiceAccount>().Single();

        var granted = role.Rules
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{v} {res}{(g.Length == 0 ? "" : "." + g)}"))))
            .Order(StringComparer.Ordinal)
            .ToList();
        string[] resources =
        [
            "adminnetworkpolicies.policy.networking.k8s.io", "baselineadminnetworkpolicies.policy.networking.k8s.io",
            "clusternetworkpolicies.policy.networking.k8s.io", "namespaces", "networkpolicies.networking.k8s.io", "nodes", "pods",
        ];
        Assert.Equal([.. resources.SelectMany(r => new[] { "get", "list", "watch" }.Select(v => $"{v} {r}")).Order(StringComparer.Ordinal)], granted);
        Assert.All(role.Rules, r => Assert.Null(r.ResourceNames));
        Assert.All(role.Rules, r => Assert.Null(r.NonResourceURLs));

        Assert.Equal(("rbac.authorization.k8s.io", "ClusterRole", role.Metadata.Name), (binding.RoleRef.ApiGroup, binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, account.Metadata.NamespaceProperty), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal("netpolhost-system", account.Metadata.NamespaceProperty);
        Assert.Equal(account.Metadata.Name, objects.OfType<V1DaemonSet>().Single().Spec.Template.Spec.ServiceAccountName);
    }

    [Fact]
    public void ClusterRole_CoversEveryResourceTheSourceWatches()
    {
        var role = Load().OfType<V1ClusterRole>().Single();
        var granted = role.Rules
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(res => (Group: g, Resource: res, Verbs: r.Verbs))))
            .ToList();

        foreach (var resource in NetPolHost.Kubernetes.Internal.ApiResource.All)
        {
            var group = resource.ApiVersion.Contains('/', StringComparison.Ordinal) ? resource.ApiVersion[..resource.ApiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
            var rule = Assert.Single(granted, g => g.Group == group && g.Resource == resource.Plural);
            Assert.Equal(["get", "list", "watch"], rule.Verbs);
        }
    }

    private static List<object> Load() =>
        [.. Directory.EnumerateFiles(s_deploy, "*.yaml").Order(StringComparer.Ordinal).SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f)))];
}
