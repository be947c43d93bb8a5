using System.Net;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>
/// Loading manifests as a newcomer writes them (issue 13): keys given twice in any kind, Services, the default namespace
/// of <c>kubectl run</c>-style objects, files that are not manifests, and namespaces without a Namespace object.
/// </summary>
public sealed class FirstUseLoaderTests
{
    private const string PodThenPolicyWithoutSeparator = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: shop
          labels: {app: web}
        spec:
          containers: [{name: web, image: nginx}]
        status: {podIP: 10.0.0.5}
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: deny-all
          namespace: shop
        spec:
          podSelector: {}
        """;

    // ---- Keys given twice -----------------------------------------------------------------------------------

    [Fact]
    public void TwoDocumentsWithoutSeparator_EveryKeyGivenTwice_IsAnError_WithBothLinesAndTheHint()
    {
        var result = Manifests.Load(PodThenPolicyWithoutSeparator);

        LoadAssert.Errors(
            result,
            "test.yaml:10:1: apiVersion: expected each field once, found \"apiVersion\" again (first at line 1); did you forget '---' between documents?",
            "test.yaml:11:1: kind: expected each field once, found \"kind\" again (first at line 2); did you forget '---' between documents?",
            "test.yaml:12:1: metadata: expected each field once, found \"metadata\" again (first at line 3); did you forget '---' between documents?",
            "test.yaml:15:1: spec: expected each field once, found \"spec\" again (first at line 7); did you forget '---' between documents?");
        Assert.Empty(result.Snapshot.Pods);
        Assert.Empty(result.Snapshot.Policies);
    }

    [Fact]
    public void DuplicateLabel_InAPod_IsAnError_NotTheFirstValueKept()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: shop, labels: {app: a, app: b}}
            """);

        LoadAssert.Errors(result, "test.yaml:3:57: metadata.labels.app: expected each field once, found \"app\" again (first at line 3)");
        Assert.Empty(result.Snapshot.Pods);
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {team: a}\n  labels: {team: b}\n", "test.yaml:6:3: metadata.labels: expected each field once, found \"labels\" again (first at line 5)")]
    [InlineData("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus:\n  addresses: []\n  addresses: []\n", "test.yaml:6:3: status.addresses: expected each field once, found \"addresses\" again (first at line 5)")]
    [InlineData("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - name: web\n    resources: {limits: {cpu: 1, cpu: 2}}\n", "test.yaml:7:34: spec.containers[0].resources.limits.cpu: expected each field once, found \"cpu\" again (first at line 7)")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  selector: {app: api}\n", "test.yaml:6:3: spec.selector: expected each field once, found \"selector\" again (first at line 5)")]
    public void DuplicateKey_InEveryKind_AtAnyDepth_IsAnError(string text, string expected)
    {
        // These binders read only some fields; a key given twice is reported wherever it is, as kubectl rejects it.
        LoadAssert.Errors(Manifests.Load(text), expected);
    }

    [Fact]
    public void DuplicateKey_InAKindNetPolHostSkips_IsAnError_SoAPolicyPastedAfterItIsNotLost()
    {
        var result = Manifests.Load("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec: {replicas: 1}
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: shop}
            spec: {podSelector: {}}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:5:1: apiVersion: expected each field once, found \"apiVersion\" again (first at line 1); did you forget '---' between documents?",
            "test.yaml:6:1: kind: expected each field once, found \"kind\" again (first at line 2); did you forget '---' between documents?",
            "test.yaml:7:1: metadata: expected each field once, found \"metadata\" again (first at line 3); did you forget '---' between documents?",
            "test.yaml:8:1: spec: expected each field once, found \"spec\" again (first at line 4); did you forget '---' between documents?");
        LoadAssert.Notes(result, "test.yaml:1:1: skipped Deployment shop/web (not used by NetPolHost)");
    }

    [Fact]
    public void DuplicateKey_InAListItem_HasItsPath_AndNoSeparatorHint()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: web, namespace: shop}
              metadata: {name: api, namespace: shop}
            """);

        LoadAssert.Errors(result, "test.yaml:7:3: metadata: expected each field once, found \"metadata\" again (first at line 6)");
    }

    // ---- Services -------------------------------------------------------------------------------------------

    [Fact]
    public void Service_IsBound_WithSelectorPortsTargetPortsAndClusterIPs()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop, labels: {tier: front}}
            spec:
              type: NodePort
              selector: {app: web}
              clusterIP: 10.96.0.10
              clusterIPs: [10.96.0.10, "fd00::10"]
              ports:
              - {name: http, port: 80, targetPort: http, nodePort: 30080}
              - {name: metrics, port: 9090, targetPort: 9100, protocol: TCP}
              - {name: dns, port: 53, protocol: UDP}
            """);

        LoadAssert.Valid(result);
        var service = Assert.Single(result.Snapshot.Services);
        Assert.Equal("shop/web", service.ToString());
        Assert.Equal("NodePort", service.Type);
        Assert.Equal(LabelMap.Of("app", "web"), service.Selector);
        Assert.Equal([IPAddress.Parse("10.96.0.10"), IPAddress.Parse("fd00::10")], service.ClusterIPs);
        Assert.Equal(
            ["http 80/TCP -> http", "metrics 9090/TCP -> 9100", "dns 53/UDP -> 53"],
            service.Ports.Select(p => p.ToString()));
        Assert.Equal(30080, service.Ports[0].NodePort);
        Assert.Same(service, result.Snapshot.FindServiceByClusterIP(IPAddress.Parse("fd00::10")));
    }

    [Fact]
    public void Service_Headless_AndWithoutSelector_HaveNoAddressAndNoSelector()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Service
            metadata: {name: db, namespace: shop}
            spec:
              clusterIP: None
              selector: {}
              ports: [{port: 5432}]
            """);

        LoadAssert.Valid(result);
        var service = Assert.Single(result.Snapshot.Services);
        Assert.Empty(service.ClusterIPs);
        Assert.Null(service.Selector);
    }

    [Fact]
    public void Service_BadPorts_AreErrorsAtTheirPlaces()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              selector: {app: web}
              ports:
              - {name: http, port: 70000, targetPort: Http_Port}
              - {port: 81, protocol: ICMP, targetPort: 0}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:7:24: spec.ports[0].port: expected a port number between 1 and 65535, found 70000",
            "test.yaml:7:43: spec.ports[0].targetPort: expected a port name (IANA_SVC_NAME), found \"Http_Port\": it may contain only lower-case letters a-z, digits and '-'",
            "test.yaml:8:5: spec.ports[1].name: expected a name for each port of a Service with several ports, found none",
            "test.yaml:8:26: spec.ports[1].protocol: expected one of \"TCP\", \"UDP\", \"SCTP\", found \"ICMP\"",
            "test.yaml:8:44: spec.ports[1].targetPort: expected a port number between 1 and 65535, found 0");
    }

    [Fact]
    public void Service_WithoutNamespace_HasTheLoadersDefault()
    {
        var loader = new ManifestLoader(new ManifestLoaderOptions { DefaultNamespace = "shop" });
        var result = loader.LoadBytes("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n"u8.ToArray(), "svc.yaml");

        LoadAssert.Valid(result);
        Assert.NotNull(result.Snapshot.FindService("shop", "web"));
    }

    // ---- The default namespace ------------------------------------------------------------------------------

    [Fact]
    public void DefaultNamespace_IsTheNamespaceOfObjectsThatNameNone_ButNotOfOthers()
    {
        var loader = new ManifestLoader(new ManifestLoaderOptions { DefaultNamespace = "shop" });
        var result = loader.LoadBytes("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, labels: {run: web}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: api, namespace: ""}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: db, namespace: data}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all}
            spec: {podSelector: {}}
            """u8.ToArray(), "run.yaml");

        LoadAssert.Valid(result);
        Assert.Equal(["shop/api", "shop/web", "data/db"], result.Snapshot.Pods.Select(p => p.ToString()).OrderBy(p => p.StartsWith("data", StringComparison.Ordinal)).ThenBy(p => p, StringComparer.Ordinal));
        Assert.Equal("shop", Assert.Single(result.Snapshot.Policies).Namespace);
    }

    [Fact]
    public void WithoutDefaultNamespace_AnObjectWithoutOne_IsTheErrorItWas()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n");

        LoadAssert.Errors(result, "test.yaml:3:11: metadata.namespace: expected the namespace of the pod, found none (kubectl would take it from the current context; write it in the manifest)");
    }

    // ---- Files that are not manifests -----------------------------------------------------------------------

    [Theory]
    [InlineData("README.md", "# Policies\n\nApply with `kubectl apply -f .`:\n\n- deny: all\n- allow web: port 80\n", "Markdown")]
    [InlineData("notes.txt", "remember: the metadata address\n", "plain text")]
    [InlineData("policies", "just: [some, text\n", "a file")]
    public void AFileGivenByName_WithoutAnyKubernetesObject_IsSaidToBeNoManifest(string name, string content, string what)
    {
        using var dir = new TempDirectory();
        var file = dir.Write(name, content);

        var result = new ManifestLoader().LoadPaths([file]);

        LoadAssert.Errors(result, $"{file}:0:0: expected Kubernetes manifests (YAML or JSON objects with apiVersion and kind), found {what} without any; give the manifests themselves (.yaml, .yml or .json files, or directories of them)");
    }

    [Fact]
    public void AYamlFileGivenByName_KeepsItsYamlErrors()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("broken.yaml", "just: [some, text\n");

        var result = new ManifestLoader().LoadPaths([file]);

        Assert.DoesNotContain("not", result.Errors.Single().Message.Split(' ').Take(3));
        Assert.Contains("invalid YAML", result.Errors.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATextFileWithAManifestInIt_IsRead()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("pod.txt", "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n");

        var result = new ManifestLoader().LoadPaths([file]);

        LoadAssert.Valid(result);
        Assert.Single(result.Snapshot.Pods);
    }

    // ---- Namespaces without a Namespace object --------------------------------------------------------------

    [Fact]
    public void NamespaceWithoutItsObject_IsNoted_WhenAPolicySelectsNamespacesByLabels()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: frontend, namespace: staging, labels: {app: frontend}}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: from-staging, namespace: production}
            spec:
              podSelector: {}
              ingress:
              - from:
                - namespaceSelector: {matchLabels: {env: staging}}
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(
            result,
            "test.yaml:1:1: namespace staging has no Namespace object in the manifests, so it has only the label kubernetes.io/metadata.name=staging; production/from-staging selects namespaces by the label env: if staging has such labels, add its Namespace object (kubectl get namespace staging -o yaml)",
            "test.yaml:5:1: namespace production has no Namespace object in the manifests, so it has only the label kubernetes.io/metadata.name=production; production/from-staging selects namespaces by the label env: if production has such labels, add its Namespace object (kubectl get namespace production -o yaml)");
    }

    [Fact]
    public void NamespaceWithoutItsObject_IsNotNoted_WhenPoliciesSelectNamespacesOnlyByName()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: Pod
            metadata: {name: frontend, namespace: staging}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: from-staging, namespace: production}
            spec:
              podSelector: {}
              ingress:
              - from:
                - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: staging}}
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(result);
        Assert.Empty(UnlistedNamespace.Find(result.Snapshot));
    }
}
