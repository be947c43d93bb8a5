namespace NetPolHost.Console.Tests;

/// <summary>
/// The command line as a newcomer uses it (issue 13): policies pasted from tutorials, pods as <c>kubectl run</c> writes
/// them, Services, named ports, ICMP, typos. Every message is asserted in full.
/// </summary>
public sealed class FirstUseTests
{
    /// <summary>What <c>kubectl run web --image nginx --port 80 --dry-run=client -o yaml</c> and a tutorial's policy
    /// look like: no namespace anywhere.</summary>
    private const string KubectlRun = """
        apiVersion: v1
        kind: Pod
        metadata:
          labels: {run: web}
          name: web
        spec:
          containers:
          - image: nginx
            name: web
            ports: [{containerPort: 80}]
        status: {podIP: 10.1.0.2}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          labels: {run: client}
          name: client
        spec:
          containers: [{image: busybox, name: client}]
        status: {podIP: 10.1.0.3}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          labels: {run: other}
          name: other
        spec:
          containers: [{image: busybox, name: other}]
        status: {podIP: 10.1.0.4}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web-allow-client
        spec:
          podSelector: {matchLabels: {run: web}}
          ingress:
          - from: [{podSelector: {matchLabels: {run: client}}}]
        """;

    private const string UnlistedNamespaceHint = "namespace staging has no Namespace object in the manifests, so it has only the label kubernetes.io/metadata.name=staging; production/from-staging selects namespaces by the label env: if staging has such labels, add its Namespace object (kubectl get namespace staging -o yaml)";

    private const string UnlistedNamespace = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: production}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: frontend, namespace: staging, labels: {app: frontend}}
        status: {podIP: 10.2.0.1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: api, namespace: production, labels: {app: api}}
        spec: {containers: [{name: api, ports: [{containerPort: 8080}]}]}
        status: {podIP: 10.2.0.2}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: from-staging, namespace: production}
        spec:
          podSelector: {}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {env: staging}}
        """;

    // ---- 1. Keys given twice --------------------------------------------------------------------------------

    [Fact]
    public async Task TwoFilesJoinedWithoutSeparator_AreErrors_NotAPolicyMergedIntoAPod()
    {
        using var file = new TempFile("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: shop, labels: {app: web, app: api}}
            status: {podIP: 10.0.0.5}
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: shop}
            spec: {podSelector: {}}
            """);

        var validate = await Cli.RunAsync("validate", "-f", file.Path);
        var check = await Cli.RunAsync("check", "-f", file.Path, "--from", "10.0.0.9", "--to", "shop/web", "--port", "80");

        Assert.Equal(2, validate.Exit);
        Assert.Equal(
            [
                $"{file.Path}:3:59: metadata.labels.app: expected each field once, found \"app\" again (first at line 3)",
                $"{file.Path}:5:1: apiVersion: expected each field once, found \"apiVersion\" again (first at line 1); did you forget '---' between documents?",
                $"{file.Path}:6:1: kind: expected each field once, found \"kind\" again (first at line 2); did you forget '---' between documents?",
                $"{file.Path}:7:1: metadata: expected each field once, found \"metadata\" again (first at line 3); did you forget '---' between documents?",
                "invalid: 4 error(s) in 1 file(s)",
            ],
            validate.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, check.Exit);
        Assert.Equal(string.Empty, check.Out);
        Assert.EndsWith("error: 4 error(s) in the manifests; fix them first ('netpolhost validate' lists them too).", check.Error.Trim(), StringComparison.Ordinal);
    }

    // ---- 2. Services ----------------------------------------------------------------------------------------

    [Fact]
    public async Task Check_Service_DecidesTheBackendPod_OnItsResolvedTargetPort()
    {
        var (exit, output, _) = await Cli.RunAsync("check", "-f", Cli.Sample, "--namespace", "production", "--from", "api", "--to", "service:web", "--port", "80");

        Assert.Equal(0, exit);
        Assert.Equal(
            [
                "ALLOWED: pod production/api (10.244.1.11) -> Service production/web (10.96.0.80) port 80/TCP (targetPort http): allowed to its only backend pod",
                "  ALLOWED: pod production/api (10.244.1.11) -> pod production/web-server (10.244.1.10) port 8000/TCP",
                "    egress of the source: allowed by production/disable-aws-metadata rule 0 (selected by production/disable-aws-metadata)",
                "    ingress of the destination: allowed by production/allow-port-8000 rule 0, production/allow-same-namespace-traffic rule 0 (selected by production/allow-port-8000, production/allow-same-namespace-traffic, production/no-inbound-traffic)",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Check_ClusterIP_IsTheService_AndJsonHasServiceAndEndpoints()
    {
        var (exit, output, _) = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "10.96.0.80", "--port", "http", "-o", "json");

        Assert.Equal(0, exit);
        var json = Cli.Json(output);
        Assert.True(json.GetProperty("allowed").GetBoolean());
        var service = json.GetProperty("service");
        Assert.Equal("production/web 80/TCP http http", $"{service.GetProperty("namespace").GetString()}/{service.GetProperty("name").GetString()} {service.GetProperty("port").GetInt32()}/{service.GetProperty("protocol").GetString()} {service.GetProperty("portName").GetString()} {service.GetProperty("targetPort").GetString()}");
        Assert.Equal(["10.96.0.80"], service.GetProperty("clusterIPs").EnumerateArray().Select(a => a.GetString()));
        var endpoint = json.GetProperty("endpoints").EnumerateArray().Single();
        Assert.True(endpoint.GetProperty("allowed").GetBoolean());
        Assert.Equal("production/web-server", endpoint.GetProperty("to").GetString());
        Assert.Equal(8000, endpoint.GetProperty("port").GetInt32());
        Assert.Equal("allowed-by-rule", endpoint.GetProperty("ingress").GetProperty("reason").GetString());
        Assert.Equal("NetworkPolicy", endpoint.GetProperty("ingress").GetProperty("tier").GetString());
    }

    [Fact]
    public async Task Check_Service_NamedTargetPortResolvesPerPod_OneVerdictEach_AllowedOnlyWhenAllAre()
    {
        using var file = new TempFile("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop, labels: {app: web}}
            spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
            status: {podIP: 10.0.1.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-2, namespace: shop, labels: {app: web}}
            spec: {containers: [{name: web, ports: [{name: http, containerPort: 9090}]}]}
            status: {podIP: 10.0.1.2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: cart, namespace: shop, labels: {app: cart}}
            status: {podIP: 10.0.1.9}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: http}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web-8080, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: web}}
              ingress: [{ports: [{port: 8080}]}]
            """);

        var (exit, output, _) = await Cli.RunAsync("check", "-f", file.Path, "--from", "shop/cart", "--to", "service:shop/web", "--port", "http");
        var json = await Cli.RunAsync("check", "-f", file.Path, "--from", "shop/cart", "--to", "service:shop/web", "--port", "80", "-o", "json");

        Assert.Equal(1, exit);
        Assert.Equal(
            [
                "DENIED: pod shop/cart (10.0.1.9) -> Service shop/web port 80/TCP (targetPort http): denied to 1 of 2 backend pods (web-2)",
                "  ALLOWED: pod shop/cart (10.0.1.9) -> pod shop/web-1 (10.0.1.1) port 8080/TCP",
                "    egress of the source: allowed (no policy with Egress selects it)",
                "    ingress of the destination: allowed by shop/web-8080 rule 0 (selected by shop/web-8080)",
                "  DENIED: pod shop/cart (10.0.1.9) -> pod shop/web-2 (10.0.1.2) port 9090/TCP",
                "    egress of the source: allowed (no policy with Egress selects it)",
                "    ingress of the destination: denied (selected by shop/web-8080; none of their ingress rules allows this flow)",
                "    to allow it: add an ingress rule from the source on port 9090/TCP to one of the policies that select the destination (shop/web-8080), or a new policy selecting the destination with such a rule",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(1, json.Exit);
        var root = Cli.Json(json.Out);
        Assert.False(root.GetProperty("allowed").GetBoolean());
        Assert.Equal(["web-1 8080 True", "web-2 9090 False"], root.GetProperty("endpoints").EnumerateArray().Select(e => $"{e.GetProperty("to").GetString()![5..]} {e.GetProperty("port").GetInt32()} {e.GetProperty("allowed").GetBoolean()}"));
    }

    [Fact]
    public async Task Check_ServiceWithoutSelectedPods_SaysSo_AndIsNotAllowed()
    {
        using var file = new TempFile("""
            apiVersion: v1
            kind: Pod
            metadata: {name: cart, namespace: shop, labels: {app: cart}}
            status: {podIP: 10.0.1.9}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec: {selector: {app: web}, ports: [{port: 80}]}
            """);

        var (exit, output, _) = await Cli.RunAsync("check", "-f", file.Path, "-n", "shop", "--from", "cart", "--to", "service:web", "--port", "80");

        Assert.Equal(1, exit);
        Assert.Equal(
            [
                "DENIED: shop/cart -> Service shop/web port 80/TCP (targetPort 80): the Service has no backend pod, so the connection cannot succeed",
                "  note: Service shop/web selects no pod: no pod in namespace shop has the labels app=web",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("service:production/wbe", "80", "error: There is no Service production/wbe; did you mean service:production/web?")]
    [InlineData("service:prodution/web", "80", "error: There is no Service prodution/web: namespace prodution has no Service; did you mean service:production/web?")]
    [InlineData("service:production/web", "8080", "error: Service production/web has no port 8080/TCP (its ports: http 80/TCP -> http).")]
    [InlineData("service:production/web", "htp", "error: Service production/web has no port htp; did you mean http? (its ports: http 80/TCP -> http).")]
    public async Task Check_ServiceMistakes_AreBadInput_WithWhatExists(string to, string port, string message)
    {
        var (exit, _, error) = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", to, "--port", port);

        Assert.Equal(2, exit);
        Assert.Equal(message, error.Trim());
    }

    // ---- 3. Namespaces without a Namespace object -----------------------------------------------------------

    [Fact]
    public async Task UnlistedNamespace_SelectedByLabels_IsANote_InValidateCheckAndMatrix()
    {
        using var file = new TempFile(UnlistedNamespace);

        var validate = await Cli.RunAsync("validate", "-f", file.Path);
        var validateJson = await Cli.RunAsync("validate", "-f", file.Path, "-o", "json");
        var check = await Cli.RunAsync("check", "-f", file.Path, "--from", "staging/frontend", "--to", "production/api", "--port", "8080");
        var checkJson = await Cli.RunAsync("check", "-f", file.Path, "--from", "staging/frontend", "--to", "production/api", "--port", "8080", "-o", "json");
        var matrix = await Cli.RunAsync("matrix", "-f", file.Path);
        var matrixJson = await Cli.RunAsync("matrix", "-f", file.Path, "-o", "json");

        Assert.Equal(0, validate.Exit);
        Assert.Equal($"note: {file.Path}:5:1: {UnlistedNamespaceHint}", validate.Error.Trim());
        Assert.Equal(UnlistedNamespaceHint, Cli.Json(validateJson.Out).GetProperty("notes")[0].GetProperty("message").GetString());
        Assert.Equal(1, check.Exit);
        Assert.Equal("  note: " + UnlistedNamespaceHint, check.Out.Split('\n')[1]);
        Assert.Equal([UnlistedNamespaceHint], Cli.Json(checkJson.Out).GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("note: " + UnlistedNamespaceHint, matrix.Error.Trim());
        Assert.Equal([UnlistedNamespaceHint], Cli.Json(matrixJson.Out).GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    // ---- 4. --namespace -------------------------------------------------------------------------------------

    [Fact]
    public async Task WithoutNamespace_ObjectsAsKubectlRunWritesThem_AreErrorsThatNameTheOption()
    {
        using var file = new TempFile(KubectlRun);

        var (exit, output, _) = await Cli.RunAsync("validate", "-f", file.Path);

        Assert.Equal(2, exit);
        Assert.Equal(
            $"{file.Path}:4:3: metadata.namespace: expected the namespace of the pod, found none (kubectl would take it from the current context; write it in the manifest, or give it with -n/--namespace NAMESPACE)",
            output.Split('\n')[0]);
    }

    [Fact]
    public async Task Namespace_IsTheNamespaceOfObjectsWithoutOne_InEveryCommand()
    {
        using var file = new TempFile(KubectlRun);

        var validate = await Cli.RunAsync("validate", "-f", file.Path, "-n", "demo");
        var allowed = await Cli.RunAsync("check", "-f", file.Path, "-n", "demo", "--from", "client", "--to", "web", "--port", "80");
        var denied = await Cli.RunAsync("check", "-f", file.Path, "--namespace", "demo", "--from", "demo/other", "--to", "demo/web", "--port", "80");
        var matrix = await Cli.RunAsync("matrix", "-f", file.Path, "-n", "demo", "--port", "80");
        var plan = await Cli.RunAsync("plan", "-f", file.Path, "-n", "demo", "--node", "node-1");

        Assert.Equal((0, "valid: 1 file(s); 1 policies, 0 namespaces, 3 pods, 0 nodes, 0 host endpoints"), (validate.Exit, validate.Out.Trim()));
        Assert.Equal((0, "ALLOWED: pod demo/client (10.1.0.3) -> pod demo/web (10.1.0.2) port 80/TCP"), (allowed.Exit, allowed.Out.Split('\n')[0]));
        Assert.Equal((1, "DENIED: pod demo/other (10.1.0.4) -> pod demo/web (10.1.0.2) port 80/TCP"), (denied.Exit, denied.Out.Split('\n')[0]));
        Assert.Equal(0, matrix.Exit);
        Assert.Equal(
            [
                "port 80/TCP: 8 of 9 allowed ('.' allowed, 'X' denied; rows = from, columns = to)",
                "80/TCP      demo/client demo/other demo/web",
                "demo/client      .          .         .    ",
                "demo/other       .          .         X    ",
                "demo/web         .          .         .    ",
            ],
            matrix.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // The pods are not scheduled: the plan loads them (no namespace error) and is empty for the node.
        Assert.Equal(0, plan.Exit);
        Assert.StartsWith("node node-1: 0 isolated endpoints, 0 rules", plan.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ShowsTheServiceCheckNamespaceProtocolAndExternal()
    {
        foreach (var command in new[] { "validate", "check", "matrix", "plan", "apply", "status", "agent" })
        {
            var (_, help, _) = await Cli.RunAsync(command, "--help");
            Assert.Contains("-n, --namespace", help, StringComparison.Ordinal);
        }

        var check = (await Cli.RunAsync("check", "--help")).Out;
        Assert.Contains("service:NAMESPACE/NAME", check, StringComparison.Ordinal);
        Assert.Contains("netpolhost check -f examples/sample -n production --from api --to service:web --port 80", check, StringComparison.Ordinal);
        Assert.Contains("--protocol", check, StringComparison.Ordinal);
        Assert.Contains("--protocol ICMP", check, StringComparison.Ordinal);
        var matrix = (await Cli.RunAsync("matrix", "--help")).Out;
        Assert.Contains("--external", matrix, StringComparison.Ordinal);
        Assert.Contains("The first one is also the namespace of objects in the manifests that name none", matrix, StringComparison.Ordinal);
    }

    // ---- 5. Named ports, ICMP, undeclared ports -------------------------------------------------------------

    [Fact]
    public async Task Check_NamedPort_ResolvesOnTheDestinationPod()
    {
        var named = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/web-server", "--port", "http");
        var typo = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/web-server", "--port", "htp");
        var udp = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/web-server", "--port", "http/UDP");
        var outside = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "8.8.8.8", "--port", "http");

        Assert.Equal((0, "ALLOWED: pod staging/frontend (10.244.1.20) -> pod production/web-server (10.244.1.10) port 8000/TCP"), (named.Exit, named.Out.Split('\n')[0]));
        Assert.Equal((2, "error: --port 'htp': pod production/web-server declares no port named 'htp'; did you mean http? (it declares http=8000/TCP)."), (typo.Exit, typo.Error.Trim()));
        Assert.Equal((2, "error: --port 'http/UDP': pod production/web-server declares no UDP port named 'http' (it declares http=8000/TCP)."), (udp.Exit, udp.Error.Trim()));
        Assert.Equal((2, "error: --port 'http' is a port name, and 8.8.8.8 is not a pod or host endpoint that declares ports; give the number."), (outside.Exit, outside.Error.Trim()));
    }

    [Fact]
    public async Task Check_Icmp_IsIsolated_AndAdmittedOnlyByARuleWithoutPorts()
    {
        var denied = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/web-server", "--protocol", "ICMP");
        var allowed = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "production/api", "--to", "production/web-server", "--protocol", "icmp", "-o", "json");
        var withPort = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "production/api", "--to", "production/db", "--protocol", "ICMP", "--port", "80");
        var noPort = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "production/api", "--to", "production/db");

        Assert.Equal(1, denied.Exit);
        Assert.Equal(
            [
                "DENIED: pod staging/frontend (10.244.1.20) -> pod production/web-server (10.244.1.10) ICMP",
                "  egress of the source: allowed (no policy with Egress selects it)",
                "  ingress of the destination: denied (selected by production/allow-port-8000, production/allow-same-namespace-traffic, production/no-inbound-traffic; none of their ingress rules allows this flow)",
                "  to allow it: add an ingress rule from the source without ports (only such rules admit ICMP) to one of the policies that select the destination (production/allow-port-8000, production/allow-same-namespace-traffic, production/no-inbound-traffic), or a new policy selecting the destination with such a rule",
            ],
            denied.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, allowed.Exit);
        var json = Cli.Json(allowed.Out);
        Assert.Equal("ICMP 0", $"{json.GetProperty("protocol").GetString()} {json.GetProperty("port").GetInt32()}");
        Assert.Equal("production/allow-same-namespace-traffic", json.GetProperty("ingress").GetProperty("matchedRules").EnumerateArray().Single().GetProperty("policy").GetString());
        Assert.Equal((2, "error: --port '80' with --protocol ICMP: ICMP has no ports; leave --port out."), (withPort.Exit, withPort.Error.Trim()));
        Assert.Equal((2, "error: --port is required for TCP (NUMBER or NAME, optionally /PROTOCOL); for a ping, give --protocol ICMP (or ICMPv6) instead."), (noPort.Exit, noPort.Error.Trim()));
    }

    [Fact]
    public async Task Check_APortTheDestinationDoesNotDeclare_KeepsItsVerdict_WithANote()
    {
        var (exit, output, _) = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "production/api", "--to", "production/web-server", "--port", "9999");
        var json = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "production/api", "--to", "production/web-server", "--port", "9999", "-o", "json");

        const string Note = "pod production/web-server declares no port 9999/TCP (it declares http=8000/TCP); the verdict is the policies', but nothing may be listening there";
        Assert.Equal(0, exit);
        Assert.Equal(
            [
                "ALLOWED: pod production/api (10.244.1.11) -> pod production/web-server (10.244.1.10) port 9999/TCP",
                "  note: " + Note,
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(2));
        Assert.Equal([Note], Cli.Json(json.Out).GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    // ---- 6. Typos, files that are not manifests, outside addresses ------------------------------------------

    [Theory]
    [InlineData("staging/fronted", "error: There is no pod or host endpoint staging/fronted; did you mean staging/frontend?")]
    [InlineData("stagign/frontend", "error: There is no pod or host endpoint stagign/frontend: namespace stagign has none; did you mean staging/frontend?")]
    [InlineData("node:node-3", "error: There is no node node-3; did you mean node-1 or node-2?")]
    public async Task Check_UnknownNames_GetDidYouMean(string from, string message)
    {
        var (exit, output, error) = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", from, "--to", "production/api", "--port", "8080");

        Assert.Equal(2, exit);
        Assert.Equal(message, error.Trim());
        Assert.DoesNotContain("snapshot", output + error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnknownNamespaceAndNode_GetDidYouMean_InMatrixAndPlan()
    {
        var matrix = await Cli.RunAsync("matrix", "-f", Cli.Sample, "--namespace", "prodution");
        var plan = await Cli.RunAsync("plan", "-f", Cli.Sample, "--node", "nod-1");

        Assert.Equal((2, "error: no pod or host endpoint in namespace(s) prodution (did you mean production?); namespaces with some: production, staging."), (matrix.Exit, matrix.Error.Trim()));
        Assert.Equal("warning: node 'nod-1' is unknown: no Node object, pod (spec.nodeName) or host endpoint names it (nodes in the manifests: node-1, node-2); did you mean node-1? The plan is empty.", plan.Error.Trim());
    }

    [Fact]
    public async Task AMarkdownFileGivenByName_IsSaidToBeNoManifest()
    {
        using var file = new TempFile("# Policies\n\nApply them with `kubectl apply -f .`:\n\n- deny: everything\n- allow web: port 80\n", ".md");

        var (exit, output, _) = await Cli.RunAsync("validate", "-f", file.Path);

        Assert.Equal(2, exit);
        Assert.Equal(
            [
                $"{file.Path}:0:0: expected Kubernetes manifests (YAML or JSON objects with apiVersion and kind), found Markdown without any; give the manifests themselves (.yaml, .yml or .json files, or directories of them)",
                "invalid: 1 error(s) in 1 file(s)",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Matrix_External_AddsOutsideAddressesAsRowsAndColumns()
    {
        var (exit, output, _) = await Cli.RunAsync("matrix", "-f", Cli.Sample, "-n", "production", "--external", "169.254.169.254", "--external", "8.8.8.8", "--port", "80");
        var json = await Cli.RunAsync("matrix", "-f", Cli.Sample, "-n", "production", "--external", "169.254.169.254", "--port", "80", "-o", "json");
        var bad = await Cli.RunAsync("matrix", "-f", Cli.Sample, "--external", "metadata");

        Assert.Equal(0, exit);
        Assert.Equal(
            [
                "port 80/TCP: 16 of 25 allowed ('.' allowed, 'X' denied; rows = from, columns = to)",
                "80/TCP                production/api production/db production/web-server 169.254.169.254 8.8.8.8",
                "production/api              .              .                 .                  X           .   ",
                "production/db               .              .                 .                  X           .   ",
                "production/web-server       .              .                 .                  X           .   ",
                "169.254.169.254             X              X                 X                  .           .   ",
                "8.8.8.8                     X              X                 X                  .           .   ",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var root = Cli.Json(json.Out);
        Assert.Equal(["production/api", "production/db", "production/web-server", "169.254.169.254"], root.GetProperty("pods").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["169.254.169.254"], root.GetProperty("external").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal((2, "error: --external 'metadata' is not an IPv4 or IPv6 address."), (bad.Exit, bad.Error.Trim()));
    }
}
