using System.Text.Json;

namespace NetPolHost.Console.Tests;

/// <summary>The command-line contract other tools script against: exit codes, output formats, help.</summary>
public sealed class CommandTests
{
    private const string Broken = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: shop}
        spec:
          podSelector:
            matchLabels: app=web-server
          ingress:
          - ports:
            - port: 70000
        """;

    [Fact]
    public async Task Validate_Sample_IsValid()
    {
        var (exit, output, _) = await Cli.RunAsync("validate", "-f", Cli.Sample);
        Assert.Equal(0, exit);
        Assert.Equal("valid: 2 file(s); 4 policies, 2 namespaces, 5 pods, 2 nodes, 0 host endpoints, 1 services", output.Trim());
    }

    [Fact]
    public async Task Validate_Errors_ArePrintedAsFileLineColumnPathMessage_WithExitCode2()
    {
        using var file = new TempFile(Broken);
        var (exit, output, _) = await Cli.RunAsync("validate", "-f", file.Path);
        Assert.Equal(2, exit);
        Assert.Equal(
            [
                $"{file.Path}:6:18: spec.podSelector.matchLabels: expected a mapping of label keys to values, found the string \"app=web-server\"; write {{app: web-server}}, or one key: value per line, indented below",
                $"{file.Path}:9:13: spec.ingress[0].ports[0].port: expected a port number between 1 and 65535, found 70000",
                "invalid: 2 error(s) in 1 file(s)",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Validate_Json_HasTheDocumentedShape()
    {
        using var file = new TempFile(Broken);
        var (exit, output, _) = await Cli.RunAsync("validate", "-f", file.Path, "-o", "json");
        Assert.Equal(2, exit);
        var json = Cli.Json(output);
        Assert.False(json.GetProperty("valid").GetBoolean());
        var error = json.GetProperty("errors")[1];
        Assert.Equal(file.Path, error.GetProperty("file").GetString());
        Assert.Equal(9, error.GetProperty("line").GetInt32());
        Assert.Equal(13, error.GetProperty("column").GetInt32());
        Assert.Equal("spec.ingress[0].ports[0].port", error.GetProperty("path").GetString());
        Assert.Equal("expected a port number between 1 and 65535, found 70000", error.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Array, json.GetProperty("notes").ValueKind);
    }

    [Fact]
    public async Task Check_AllowedDeniedAndBadInput_HaveTheirExitCodes()
    {
        var allowed = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/web-server", "--port", "8000");
        Assert.Equal(0, allowed.Exit);
        Assert.StartsWith("ALLOWED: pod staging/frontend (10.244.1.20) -> pod production/web-server (10.244.1.10) port 8000/TCP", allowed.Out, StringComparison.Ordinal);

        var denied = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/api", "--port", "8080/tcp");
        Assert.Equal(1, denied.Exit);
        Assert.StartsWith("DENIED:", denied.Out, StringComparison.Ordinal);

        var unknown = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/nope", "--to", "production/api", "--port", "8080");
        Assert.Equal(2, unknown.Exit);
        Assert.Equal("error: There is no pod or host endpoint staging/nope; namespace staging has frontend, worker.", unknown.Error.Trim());

        var badPort = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/api", "--port", "80/ICMP");
        Assert.Equal(2, badPort.Exit);
        Assert.Equal("error: --port '80/ICMP': ICMP has no ports; give --protocol ICMP without --port.", badPort.Error.Trim());

        var badProtocol = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend", "--to", "production/api", "--port", "80/GRE");
        Assert.Equal(2, badProtocol.Exit);
        Assert.Equal("error: --port '80/GRE' is not NUMBER or NAME, optionally /PROTOCOL, with a port 1-65535 and protocol TCP, UDP or SCTP.", badProtocol.Error.Trim());

        var missing = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "staging/frontend");
        Assert.Equal(2, missing.Exit);
    }

    [Fact]
    public async Task Check_Json_HasTheDocumentedShape()
    {
        var (exit, output, _) = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "production/api", "--to", "169.254.169.254", "--port", "80", "-o", "json");
        Assert.Equal(1, exit);
        var json = Cli.Json(output);
        Assert.False(json.GetProperty("allowed").GetBoolean());
        var egress = json.GetProperty("egress");
        Assert.False(egress.GetProperty("allowed").GetBoolean());
        Assert.True(egress.GetProperty("isolated").GetBoolean());
        Assert.Equal(["production/disable-aws-metadata"], egress.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(0, egress.GetProperty("matchedRules").GetArrayLength());
        var ingress = json.GetProperty("ingress");
        Assert.True(ingress.GetProperty("allowed").GetBoolean());
        Assert.False(ingress.GetProperty("isolated").GetBoolean());

        var (_, allowed, _) = await Cli.RunAsync("check", "-f", Cli.Sample, "--from", "production/api", "--to", "production/db", "--port", "5432", "-o", "json");
        var rule = Cli.Json(allowed).GetProperty("ingress").GetProperty("matchedRules")[0];
        Assert.Equal("production/allow-same-namespace-traffic", rule.GetProperty("policy").GetString());
        Assert.Equal(0, rule.GetProperty("rule").GetInt32());
    }

    [Fact]
    public async Task Matrix_Json_HasTheDocumentedShape_AndDefaultsToServedPorts()
    {
        var (exit, output, _) = await Cli.RunAsync("matrix", "-f", Cli.Sample, "-o", "json");
        Assert.Equal(0, exit);
        var json = Cli.Json(output);
        Assert.Equal(["production/api", "production/db", "production/web-server", "staging/frontend", "staging/worker"], json.GetProperty("pods").EnumerateArray().Select(p => p.GetString()));
        var probes = json.GetProperty("probes").EnumerateArray().ToList();
        Assert.Equal(["80/TCP", "5432/TCP", "8000/TCP", "8080/TCP"], probes.Select(p => $"{p.GetProperty("port").GetInt32()}/{p.GetProperty("protocol").GetString()}"));
        foreach (var name in new[] { "allowed", "ingress", "egress" })
        {
            Assert.Equal(5, probes[0].GetProperty(name).GetArrayLength());
            Assert.All(probes[0].GetProperty(name).EnumerateArray(), row => Assert.Equal(5, row.GetArrayLength()));
        }

        // staging/frontend (row 3) cannot reach production/api (column 0) on 80; it can reach web-server (column 2) on 8000.
        Assert.False(probes[0].GetProperty("allowed")[3][0].GetBoolean());
        Assert.True(probes[2].GetProperty("allowed")[3][2].GetBoolean());
    }

    [Fact]
    public async Task Matrix_TableAndMarkdown_AreReadable()
    {
        var (exit, table, _) = await Cli.RunAsync("matrix", "-f", Cli.Sample, "--namespace", "production", "--port", "8000");
        Assert.Equal(0, exit);
        Assert.Equal(
            [
                "port 8000/TCP: 9 of 9 allowed ('.' allowed, 'X' denied; rows = from, columns = to)",
                "8000/TCP              production/api production/db production/web-server",
                "production/api              .              .                 .          ",
                "production/db               .              .                 .          ",
                "production/web-server       .              .                 .          ",
            ],
            table.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var (_, markdown, _) = await Cli.RunAsync("matrix", "-f", Cli.Sample, "--port", "8080", "-o", "markdown");
        Assert.Contains("| from \\ to | production/api | production/db | production/web-server | staging/frontend | staging/worker |", markdown, StringComparison.Ordinal);
        Assert.Contains("| staging/frontend | X | X | X | . | . |", markdown, StringComparison.Ordinal);
        var unknown = await Cli.RunAsync("matrix", "-f", Cli.Sample, "--namespace", "nope");
        Assert.Equal(2, unknown.Exit);
    }

    [Fact]
    public async Task Plan_PrintsTextJsonAndNative()
    {
        var text = await Cli.RunAsync("plan", "-f", Cli.Sample, "--node", "node-1");
        Assert.Equal(0, text.Exit);
        Assert.StartsWith("node node-1: 3 isolated endpoints, 3 rules", text.Out, StringComparison.Ordinal);
        var json = await Cli.RunAsync("plan", "-f", Cli.Sample, "--node", "node-1", "-o", "json");
        Assert.Equal(3, Cli.Json(json.Out).GetProperty("rules").GetArrayLength());
        var native = await Cli.RunAsync("plan", "-f", Cli.Sample, "--node", "node-1", "--backend", "nftables", "-o", "native");
        Assert.StartsWith("add table inet netpolhost\ndelete table inet netpolhost\ntable inet netpolhost {", native.Out, StringComparison.Ordinal);
        var noBackend = await Cli.RunAsync("plan", "-f", Cli.Sample, "--node", "node-1", "-o", "native");
        Assert.Equal(2, noBackend.Exit);
    }

    [Fact]
    public async Task WindowsBackends_OnLinux_FailWithAClearMessage()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "checks the message given on Linux");
        var (exit, _, error) = await Cli.RunAsync("remove", "--backend", "windows-firewall");
        Assert.Equal(1, exit);
        Assert.Equal("error: Backend 'windows-firewall' is not available: Windows Firewall exists only on Windows. To review the rules here, run 'netpolhost plan --backend windows-firewall -o native' and run the PowerShell script on the Windows host.", error.Trim());
    }

    public static TheoryData<string> Commands => new(["validate", "check", "matrix", "plan", "apply", "status", "remove", "agent"]);

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_EveryCommand_IsCompleteAndShowsAnExample(string command)
    {
        var (exit, output, _) = await Cli.RunAsync(command, "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Example", output, StringComparison.Ordinal);
        Assert.Contains("netpolhost " + command, output, StringComparison.Ordinal);
        foreach (var line in output.Split('\n').Where(l => l.TrimStart().StartsWith("--", StringComparison.Ordinal) || l.TrimStart().StartsWith("-f", StringComparison.Ordinal)))
        {
            Assert.True(line.Trim().Split("  ", 2, StringSplitOptions.RemoveEmptyEntries).Length == 2, $"option without a description in '{command} --help': {line}");
        }
    }
    [Fact]
    public async Task UnknownNode_IsBadInput_ForApplyAndStatus_AndAWarningForPlan()
    {
        var plan = await Cli.RunAsync("plan", "-f", Cli.Sample, "--node", "node-9");
        Assert.Equal(0, plan.Exit);
        Assert.StartsWith("warning: node 'node-9' is unknown", plan.Error, StringComparison.Ordinal);
        Assert.StartsWith("node node-9: 0 isolated endpoints, 0 rules", plan.Out, StringComparison.Ordinal);

        foreach (var command in new[] { "apply", "status" })
        {
            var args = new[] { command, "-f", Cli.Sample, "--node", "node-9", "--backend", "nftables" };
            var (exit, output, error) = await Cli.RunAsync(args);
            Assert.Equal(2, exit);
            Assert.Equal(string.Empty, output);
            Assert.Contains("node 'node-9' is unknown", error, StringComparison.Ordinal);
            Assert.Contains("node-1, node-2", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DirectoryWithoutManifests_IsAnError_NotAnEmptyCluster()
    {
        var dir = Directory.CreateTempSubdirectory("netpolhost-cli-empty-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "README.txt"), "not a manifest");
            var (exit, output, _) = await Cli.RunAsync("validate", "-f", dir.FullName);
            Assert.Equal(2, exit);
            Assert.Contains("no manifest files (.yaml, .yml, .json) found in " + dir.FullName, output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StandardInput_IsReadOnce_BoundedAndNamed()
    {
        static async Task<(int Exit, string Out, string Error)> WithInput(string input, long max, params string[] args)
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var io = new NetPolHost.Cli.CliIO(output, error)
            {
                OpenInput = () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(input)),
                LoaderOptions = new NetPolHost.Parsing.ManifestLoaderOptions { MaxFileBytes = max },
            };
            var exit = await NetPolHost.Cli.NetPolHostCli.RunAsync(args, io, TestContext.Current.CancellationToken);
            return (exit, output.ToString(), error.ToString());
        }

        var broken = await WithInput(Broken, 1 << 20, "validate", "-f", "-");
        Assert.Equal(2, broken.Exit);
        Assert.StartsWith("<stdin>:", broken.Out, StringComparison.Ordinal);

        var empty = await WithInput("\n  \n", 1 << 20, "validate", "-f", "-");
        Assert.Equal(2, empty.Exit);
        Assert.Contains("standard input: it is empty", empty.Out, StringComparison.Ordinal);

        var large = await WithInput(new string('#', 5000), 1000, "validate", "-f", "-");
        Assert.Equal(2, large.Exit);
        Assert.Contains("at most 1000 bytes on standard input", large.Out, StringComparison.Ordinal);

        var twice = await WithInput(Broken, 1 << 20, "validate", "-f", "-", "-f", "-");
        Assert.Equal(2, twice.Exit);
        Assert.Contains("only once", twice.Error, StringComparison.Ordinal);

        // Standard input together with files: one load, so the second copy of an object is found with both places.
        var policy = File.ReadAllText(Directory.GetFiles(Cli.Sample, "*.yaml").Order(StringComparer.Ordinal).First());
        var both = await WithInput(policy, 1 << 20, "validate", "-f", Cli.Sample, "-f", "-");
        Assert.Equal(2, both.Exit);
        Assert.Contains("<stdin>", both.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("netpolhost-stdin-", both.Out + both.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--resync", "0s", "out of range")]
    [InlineData("--resync", "2d", "not a duration")]
    [InlineData("--resync", "1000000000000h", "out of range")]
    [InlineData("--debounce", "-1s", "negative")]
    [InlineData("--debounce", "NaNs", "not a duration")]
    [InlineData("--safe-apply", "10.0.0.1", "not host:port")]
    public async Task Agent_BadOptions_AreOneLineAndExitCode2_BeforeAnythingStarts(string option, string value, string message)
    {
        var (exit, _, error) = await Cli.RunAsync("agent", "-f", Cli.Sample, "--node", "node-1", "--backend", "nftables", option, value);
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseErrors_PointToTheCommandsHelp()
    {
        var (exit, _, error) = await Cli.RunAsync("check", "--bogus");
        Assert.Equal(2, exit);
        Assert.EndsWith("Run 'netpolhost check --help' for usage.", error.Trim(), StringComparison.Ordinal);
    }
}
