using System.Net;
using System.Text;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Core.Tests.Parsing;

/// <summary>Loading: documents, JSON, lists, kubectl output, files and directories, duplicates and notes.</summary>
public sealed partial class ManifestLoaderTests
{
    private static readonly string s_kubectlYaml = Path.Combine(AppContext.BaseDirectory, "TestData", "kubectl", "get-ns-pods-netpol.yaml");
    private static readonly string s_kubectlJson = Path.Combine(AppContext.BaseDirectory, "TestData", "kubectl", "get-ns-pods-netpol.json");

    // ---- Text: documents and JSON ---------------------------------------------------------------------------

    [Fact]
    public void LoadText_MultiDocumentYaml_ReadsEveryDocument()
    {
        var result = Manifests.Load("""
            # leading comment
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: a}
            ---
            ---
            # an empty document in between
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: b}
            ...
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: c}
            """);

        LoadAssert.Valid(result);
        Assert.Equal(["a", "b", "c"], result.Snapshot.Namespaces.Select(n => n.Name).ToArray());
        Assert.Equal(["test.yaml"], result.Files.ToArray());
        Assert.Empty(result.Notes);
    }

    [Fact]
    public void LoadText_Json_IsRead()
    {
        var result = ManifestLoader.LoadText("""
            {
              "apiVersion": "networking.k8s.io/v1",
              "kind": "NetworkPolicy",
              "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": 80}]}]}
            }
            """, "policy.json");

        LoadAssert.Valid(result);
        var policy = Assert.Single(result.Snapshot.Policies);
        Assert.Equal(new PolicyRef("shop", "web"), policy.Ref);
        Assert.Equal(80, policy.Ingress[0].Ports[0].Port!.Value.Number);
    }

    [Fact]
    public void LoadText_JsonValuesInARow_AreAllRead()
    {
        var result = ManifestLoader.LoadText("""
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}
            """, "namespaces.json");

        LoadAssert.Valid(result);
        Assert.Equal(2, result.Snapshot.Namespaces.Count);
    }

    [Fact]
    public void LoadText_JsonWithoutJsonName_IsRecognised()
    {
        var result = ManifestLoader.LoadText("""{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"x": 1}}}""");

        LoadAssert.Errors(result, "<input>:1:85: metadata.labels.x: expected a string, found the integer 1 (quote it: \"1\")");
    }

    [Fact]
    public void LoadText_YamlFlowMappingOnOneLine_IsReadAsYaml()
    {
        var result = Manifests.Load("{apiVersion: v1, kind: Namespace, metadata: {name: a}}");

        LoadAssert.Valid(result);
        Assert.Single(result.Snapshot.Namespaces);
    }

    [Fact]
    public void LoadText_DocumentThatIsNotAMapping_IsRejected()
    {
        var result = Manifests.Load("""
            - apiVersion: v1
              kind: Namespace
            ---
            just text
            ---
            42
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:1:1: expected a Kubernetes object (a mapping with apiVersion and kind), found a list",
            "test.yaml:4:1: expected a Kubernetes object (a mapping with apiVersion and kind), found the string \"just text\"",
            "test.yaml:6:1: expected a Kubernetes object (a mapping with apiVersion and kind), found the integer 42");
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n---\n...\n")]
    [InlineData("null\n")]
    [InlineData("~")]
    public void LoadText_NothingInIt_IsValidAndEmpty(string text)
    {
        var result = Manifests.Load(text);

        LoadAssert.Valid(result);
        Assert.Equal(ClusterSnapshot.Empty, result.Snapshot);
        Assert.Empty(result.Notes);
    }

    // ---- Lists ----------------------------------------------------------------------------------------------

    [Fact]
    public void LoadText_KindList_ReadsItsItems()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: shop}
            - apiVersion: networking.k8s.io/v1
              kind: NetworkPolicy
              metadata: {name: deny, namespace: shop}
              spec: {podSelector: {}}
            - apiVersion: v1
              kind: ServiceAccount
              metadata: {name: web, namespace: shop}
            """);

        LoadAssert.Valid(result);
        Assert.Single(result.Snapshot.Namespaces);
        Assert.Single(result.Snapshot.Policies);
        LoadAssert.Notes(result, "test.yaml:11:3: items[2]: skipped ServiceAccount shop/web (not used by NetPolHost)");
    }

    [Fact]
    public void LoadText_NetworkPolicyList_ItemsWithoutKindOrApiVersion_TakeThemFromTheList()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicyList
            metadata: {resourceVersion: "48470"}
            items:
            - metadata: {name: deny-all, namespace: shop, uid: 0b8e, resourceVersion: "1"}
              spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
            - metadata: {name: allow-dns, namespace: shop}
              spec:
                podSelector: {}
                egress:
                - ports: [{port: 53, protocol: UDP}]
            """);

        LoadAssert.Valid(result);
        Assert.Equal(["allow-dns", "deny-all"], result.Snapshot.Policies.Select(p => p.Name).ToArray());
        Assert.Equal(PolicyTypes.Both, result.Snapshot.Policies[0].PolicyTypes);
    }

    [Fact]
    public void LoadText_PodListAndNamespaceList_AreRead()
    {
        var result = ManifestLoader.LoadText("""
            {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": [
              {"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}}, "spec": {"nodeName": "n1"}, "status": {"podIP": "10.1.0.5"}},
              {"metadata": {"name": "web-2", "namespace": "shop"}, "status": {"podIPs": [{"ip": "10.1.0.6"}]}}
            ]}
            {"apiVersion": "v1", "kind": "NamespaceList", "items": [{"metadata": {"name": "shop"}}]}
            """, "lists.json");

        LoadAssert.Valid(result);
        Assert.Equal(
            [
                new Pod { Namespace = "shop", Name = "web-1", Labels = LabelMap.Of("app", "web"), NodeName = "n1", IPs = [IPAddress.Parse("10.1.0.5")] },
                new Pod { Namespace = "shop", Name = "web-2", IPs = [IPAddress.Parse("10.1.0.6")] },
            ],
            result.Snapshot.Pods.ToArray());
        Assert.Equal("shop", Assert.Single(result.Snapshot.Namespaces).Name);
    }

    [Fact]
    public void LoadText_ListWithBadItems_ReportsEachItem()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              metadata: {name: a}
            - 5
            - apiVersion: v1
              kind: Namespace
              metadata: {name: b}
            """);

        LoadAssert.Errors(
            result,
            "test.yaml:4:3: items[0].kind: expected the kind of the object (e.g. NetworkPolicy), found none",
            "test.yaml:6:3: items[1]: expected a Kubernetes object, found the integer 5");
        Assert.Equal("b", Assert.Single(result.Snapshot.Namespaces).Name);
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: List\n")]
    [InlineData("apiVersion: v1\nkind: List\nitems:\n")]
    [InlineData("apiVersion: v1\nkind: List\nitems: []\n")]
    [InlineData("apiVersion: v1\nkind: PodList\nitems: []\n")]
    public void LoadText_EmptyList_IsValidAndEmpty(string text)
    {
        var result = Manifests.Load(text);

        LoadAssert.Valid(result);
        Assert.Empty(result.Notes);
        Assert.Equal(ClusterSnapshot.Empty, result.Snapshot);
    }

    [Fact]
    public void LoadText_ListItemsNotAList_IsRejected()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: List
            items: {apiVersion: v1, kind: Namespace}
            """);

        LoadAssert.Errors(result, "test.yaml:3:8: items: expected a list of objects, found a mapping");
    }

    // ---- kubectl output -------------------------------------------------------------------------------------

    [Fact]
    public void LoadPaths_KubectlGetYaml_LoadsAsIs()
    {
        var result = new ManifestLoader().LoadPaths([s_kubectlYaml]);

        LoadAssert.Valid(result);
        Assert.Empty(result.Notes);
        AssertKubectlSnapshot(result.Snapshot);
    }

    [Fact]
    public void LoadPaths_KubectlGetJson_LoadsAsIs_AndEqualsTheYaml()
    {
        var json = new ManifestLoader().LoadPaths([s_kubectlJson]);
        var yaml = new ManifestLoader().LoadPaths([s_kubectlYaml]);

        LoadAssert.Valid(json);
        AssertKubectlSnapshot(json.Snapshot);
        Assert.Equal(yaml.Snapshot, json.Snapshot);
    }

    [Fact]
    public void LoadPaths_KubectlGetYaml_HasTheSeedScenarioPolicies()
    {
        var kubectl = new ManifestLoader().LoadPaths([s_kubectlYaml]).Snapshot;
        var seed = Manifests.Load(Manifests.SeedScenario).Snapshot;

        // Defaults (protocol TCP, podSelector {} = {matchLabels: {}}) make the stored objects equal the applied ones.
        foreach (var name in new[] { "allow-port-8000", "disable-aws-metadata" })
        {
            Assert.Equal(seed.Policies.Single(p => p.Name == name), kubectl.Policies.Single(p => p.Name == name));
        }

        Assert.Equal(seed.Namespaces.Single(), kubectl.Namespaces.Single(n => n.Name == "production"));
    }

    private static void AssertKubectlSnapshot(ClusterSnapshot snapshot)
    {
        Assert.Equal(["default", "kube-system", "production"], snapshot.Namespaces.Select(n => n.Name).ToArray());
        Assert.Equal(LabelMap.Of(Model.Namespace.NameLabel, "production", "role", "production"), snapshot.Namespaces[2].Labels);
        Assert.Equal(
            [
                new Pod { Namespace = "kube-system", Name = "kube-proxy-7hzqv", Labels = LabelMap.Of("controller-revision-hash", "5c7d9f8b6", "k8s-app", "kube-proxy", "pod-template-generation", "1"), NodeName = "worker-1", HostNetwork = true, IPs = [IPAddress.Parse("192.168.56.11")] },
                new Pod { Namespace = "production", Name = "batch-pending", Labels = LabelMap.Of("app", "batch") },
                new Pod
                {
                    Namespace = "production",
                    Name = "web-server-7d9c8b6f5d-x2k9q",
                    Labels = LabelMap.Of("app", "web-server", "pod-template-hash", "7d9c8b6f5d"),
                    NodeName = "worker-1",
                    IPs = [IPAddress.Parse("10.244.1.17"), IPAddress.Parse("fd00:10:244:1::11")],
                    Ports = [new ContainerPort("http", 8000), new ContainerPort("metrics", 9090)],
                },
            ],
            snapshot.Pods.ToArray());
        Assert.Equal(["kube-system/allow-dns", "production/allow-port-8000", "production/disable-aws-metadata"], snapshot.Policies.Select(p => p.Ref.ToString()).ToArray());
        var dns = snapshot.Policies[0];
        Assert.Equal(PolicyTypes.Ingress, dns.PolicyTypes);
        Assert.Equal("k8s-app in (kube-dns,coredns)", dns.PodSelector.ToString());
        Assert.Equal(["53/UDP", "53/TCP", "9100-9200/TCP"], dns.Ingress[0].Ports.Select(p => p.ToString()).ToArray());
        Assert.Equal([new NetworkPolicyPeer { NamespaceSelector = LabelSelector.Everything }], dns.Ingress[0].Peers.ToArray());
    }

    // ---- Files and directories ------------------------------------------------------------------------------

    [Fact]
    public void LoadPaths_Directory_ReadsYamlYmlAndJsonRecursively_InOrder()
    {
        using var dir = new TempDirectory();
        dir.Write("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");
        dir.Write("a.yml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        dir.Write("sub/deeper/c.json", """{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}""");
        dir.Write("sub/D.YAML", "apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\n");
        dir.Write("README.md", "# not a manifest: [\n");
        dir.Write("sub/notes.txt", "kind: Namespace\n");
        dir.Write("kustomization.yaml.bak", "garbage: [\n");

        var result = new ManifestLoader().LoadPaths([dir.Path]);

        LoadAssert.Valid(result);
        Assert.Equal(["a", "b", "c", "d"], result.Snapshot.Namespaces.Select(n => n.Name).ToArray());
        Assert.Equal([dir.Combine("a.yml"), dir.Combine("b.yaml"), dir.Combine("sub/D.YAML"), dir.Combine("sub/deeper/c.json")], result.Files.ToArray());
    }

    [Fact]
    public void LoadPaths_ConfigMapVolume_SkipsDotEntriesAndReadsEachFileOnce()
    {
        // The layout kubelet writes for a ConfigMap volume: the files live in a timestamped folder, "..data" links to it,
        // and each visible name links to "..data/<name>".
        using var dir = new TempDirectory();
        dir.Write("..2024_05_03_11_22_10.123456789/policy.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n");
        Directory.CreateSymbolicLink(dir.Combine("..data"), "..2024_05_03_11_22_10.123456789");
        File.CreateSymbolicLink(dir.Combine("policy.yaml"), "..data/policy.yaml");
        dir.Write(".hidden.yaml", "not: [valid\n");
        dir.Write(".git/config.yaml", "not: [valid\n");

        var result = new ManifestLoader().LoadPaths([dir.Path]);

        LoadAssert.Valid(result);
        Assert.Equal([dir.Combine("policy.yaml")], result.Files.ToArray());
        Assert.Single(result.Snapshot.Policies);
    }

    [Fact]
    public void LoadPaths_DirectoryLinkLoop_ReadsEachDirectoryOnce()
    {
        using var dir = new TempDirectory();
        dir.Write("sub/a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        Directory.CreateSymbolicLink(dir.Combine("sub/up"), "..");
        Directory.CreateSymbolicLink(dir.Combine("sub/again"), dir.Path);
        Directory.CreateSymbolicLink(dir.Combine("elsewhere"), dir.Combine("sub"));

        var result = new ManifestLoader().LoadPaths([dir.Path]);

        LoadAssert.Valid(result);
        Assert.Single(result.Files);
        Assert.Equal("a", Assert.Single(result.Snapshot.Namespaces).Name);
    }

    [Fact]
    public void LoadPaths_SameObjectInTwoFiles_IsAnErrorNamingTheFirstPlace()
    {
        using var dir = new TempDirectory();
        var first = dir.Write("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {v: one}}\n");
        var second = dir.Write("b.yaml", "# the same namespace again\n\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {v: two}}\n");

        var result = new ManifestLoader().LoadPaths([dir.Path]);

        LoadAssert.Errors(result, $"{second}:3:1: expected each object once, found Namespace shop again (first at {first}:1)");
        Assert.Equal("Namespace shop", result.Errors[0].Object);
        Assert.Equal("one", result.Snapshot.Namespaces.Single().Labels["v"]);
    }

    [Fact]
    public void LoadText_SamePolicyTwiceInOneFile_IsAnError()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: shop}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: shop}
            spec: {podSelector: {}}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: other}
            spec: {podSelector: {}}
            """);

        LoadAssert.Errors(result, "test.yaml:5:1: expected each object once, found NetworkPolicy shop/deny again (first at test.yaml:1)");
        Assert.Equal(2, result.Snapshot.Policies.Count);
    }

    [Fact]
    public void LoadPaths_NonexistentPath_IsAnErrorForTheWholePath()
    {
        using var dir = new TempDirectory();
        var missing = dir.Combine("no-such.yaml");

        var result = new ManifestLoader().LoadPaths([missing]);

        var error = Assert.Single(result.Errors);
        Assert.Equal(new ManifestDiagnostic(DiagnosticSeverity.Error, missing, 0, 0, string.Empty, "expected a file or a directory, found nothing at this path"), error);
        Assert.Equal($"{missing}:0:0: expected a file or a directory, found nothing at this path", error.ToString());
        Assert.Empty(result.Files);
    }

    [Fact]
    public void LoadPaths_FileLargerThanTheLimit_IsAnError()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("big.yaml", new string('#', 3000) + "\n");

        var result = new ManifestLoader(new ManifestLoaderOptions { MaxFileBytes = 2048 }).LoadPaths([file]);

        LoadAssert.Errors(result, $"{file}:0:0: expected a manifest file of at most 2048 bytes, found 3001 bytes (raise ManifestLoaderOptions.MaxFileBytes to read it)");
    }

    [Fact]
    public void LoadPaths_SeveralErrorsInSeveralDocumentsAndFiles_ReportsThemAll_AndKeepsTheValidObjects()
    {
        using var dir = new TempDirectory();
        var a = dir.Write("a.yaml", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: one, namespace: shop}
            spec:
              podSelector: {}
              ingress:
              - ports: [{port: 0}, {port: 80, protocol: tcp}]
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: two, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: yes}}
              egress:
              - to: [{ipBlock: {cidr: 10.0.0.0/33}}]

            """);
        var b = dir.Write("b.json", """
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "three"},
             "spec": {"podSelector": {}}}
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "four", "namespace": "shop"},
             "spec": {"podSelector": {}}}
            """);

        var result = new ManifestLoader().LoadPaths([dir.Path]);

        LoadAssert.Errors(
            result,
            $"{a}:7:20: spec.ingress[0].ports[0].port: expected a port number between 1 and 65535, found 0",
            $"{a}:7:45: spec.ingress[0].ports[1].protocol: expected one of \"TCP\", \"UDP\", \"SCTP\", found \"tcp\" (protocols are case-sensitive: write TCP)",
            $"{a}:17:36: spec.podSelector.matchLabels.app: expected a string, found the boolean yes (quote it: \"yes\")",
            $"{a}:19:27: spec.egress[0].to[0].ipBlock.cidr: expected a CIDR such as 10.9.8.0/24 or 2001:db8::/64, found \"10.0.0.0/33\" (the prefix length of an IPv4 block is at most 32)",
            $"{b}:1:77: metadata.namespace: expected the namespace of the policy, found none (kubectl would take it from the current context; write it in the manifest)");
        Assert.Equal("NetworkPolicy shop/one", result.Errors[0].Object);
        Assert.Equal("NetworkPolicy /three", result.Errors[4].Object);
        Assert.Equal("shop", Assert.Single(result.Snapshot.Namespaces).Name);
        Assert.Equal("four", Assert.Single(result.Snapshot.Policies).Name);
        Assert.False(result.IsValid);
        var exception = Assert.Throws<PolicyValidationException>(result.GetSnapshotOrThrow);
        Assert.Equal(5, exception.Errors.Count);
        Assert.StartsWith("5 errors in the manifests:" + Environment.NewLine + "  " + result.Errors[0], exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadPaths_FileAndDirectory_AreBothRead()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("one/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        dir.Write("two/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");

        var result = new ManifestLoader().LoadPaths([file, dir.Combine("two")]);

        LoadAssert.Valid(result);
        Assert.Equal(2, result.Snapshot.Namespaces.Count);
        Assert.Equal(2, result.Files.Count);
    }

    // ---- Unknown kinds --------------------------------------------------------------------------------------

    [Fact]
    public void LoadText_UnknownKinds_AreSkippedWithANote()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: shop}
            data: {key: value}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: web, namespace: shop}
            automountServiceAccountToken: false
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha2
            kind: NamespacedNetworkPolicy
            metadata: {name: cluster-wide}
            ---
            apiVersion: v1
            kind: Secret
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(
            result,
            "test.yaml:1:1: skipped ConfigMap shop/settings (not used by NetPolHost)",
            "test.yaml:6:1: skipped ServiceAccount shop/web (not used by NetPolHost)",
            "test.yaml:11:1: skipped Deployment web (not used by NetPolHost)",
            "test.yaml:15:1: skipped NamespacedNetworkPolicy cluster-wide (not used by NetPolHost)",
            "test.yaml:19:1: skipped Secret (not used by NetPolHost)");
        Assert.All(result.Notes, n => Assert.Equal(DiagnosticSeverity.Note, n.Severity));
        Assert.Equal(ClusterSnapshot.Empty, result.Snapshot);
    }

    [Fact]
    public void LoadText_UnknownKindWithBrokenContent_IsStillOnlyANote()
    {
        var result = Manifests.Load("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: 5, labels: {a: yes}}
            data: [what, ever]
            """);

        LoadAssert.Valid(result);
        LoadAssert.Notes(result, "test.yaml:1:1: skipped ConfigMap 5 (not used by NetPolHost)");
    }

    // ---- Bytes and encodings --------------------------------------------------------------------------------

    [Fact]
    public void LoadBytes_Utf8WithByteOrderMark_IsRead()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: -y}\n")).ToArray();

        var result = new ManifestLoader().LoadBytes(bytes, "bom.yaml");

        LoadAssert.Errors(result, "bom.yaml:5:15: metadata.labels.x: expected a label value (empty, or letters, digits, '-', '_' or '.', starting and ending with a letter or digit; regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), found \"-y\"");
    }

    [Theory]
    [InlineData("utf-16LE")]
    [InlineData("utf-16BE")]
    public void LoadBytes_Utf16WithByteOrderMark_IsRead(string encodingName)
    {
        var encoding = Encoding.GetEncoding(encodingName);
        var bytes = encoding.GetPreamble().Concat(encoding.GetBytes("apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: é-a\r\n")).ToArray();

        var result = new ManifestLoader().LoadBytes(bytes, "windows.yaml");

        LoadAssert.Errors(result, "windows.yaml:4:9: metadata.name: expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"é-a\"");
    }

    [Fact]
    public void LoadBytes_Json_IsRead()
    {
        var result = new ManifestLoader().LoadBytes(Encoding.UTF8.GetBytes("""{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ä"}}"""), "ns.json");

        LoadAssert.Errors(result, "ns.json:1:64: metadata.name: expected a lower-case DNS label (letters a-z, digits and '-', starting and ending with a letter or digit; regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), found \"ä\"");
    }

    [Fact]
    public void LoadBytes_LargerThanTheLimit_IsAnError()
    {
        var result = new ManifestLoader(new ManifestLoaderOptions { MaxFileBytes = 3 * 1024 * 1024 }).LoadBytes(new byte[(3 * 1024 * 1024) + 1], "big.yaml");

        LoadAssert.Errors(result, "big.yaml:0:0: expected manifests of at most 3 MiB, found 3 MiB (3145729 bytes)");
    }

    // ---- Diagnostics ----------------------------------------------------------------------------------------

    [Fact]
    public void Diagnostic_ToString_LeavesOutAnEmptyPath()
    {
        var withPath = new ManifestDiagnostic(DiagnosticSeverity.Error, "a.yaml", 3, 7, "spec.ingress[0]", "expected a mapping, found a list");
        var withoutPath = withPath with { Path = string.Empty };

        Assert.Equal("a.yaml:3:7: spec.ingress[0]: expected a mapping, found a list", withPath.ToString());
        Assert.Equal("a.yaml:3:7: expected a mapping, found a list", withoutPath.ToString());
    }

    [Fact]
    public void Errors_AreOrderedByFileLineAndColumn()
    {
        var result = Manifests.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: shop}
            spec:
              ingress:
              - ports: [{port: 0, protocol: x}]
              podSelector: {matchLabels: {a: "b c"}}
            """);

        Assert.Equal(
            [(6, 20), (6, 33), (7, 34)],
            result.Errors.Select(e => (e.Line, e.Column)).ToArray());
    }
}
