using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NetPolHost.Backends;
using NetPolHost.Hosting.Diagnostics;
using NetPolHost.Hosting.Agent;
using NetPolHost.Sources;
using NetPolHost.TestKit;

namespace NetPolHost.Hosting.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void AddNetPolHost_Twice_IsSafe()
    {
        var services = new ServiceCollection();
        services.AddNetPolHost().AddNodeAgent();
        services.AddNetPolHost().AddNodeAgent();
        Assert.Single(services, d => d.ServiceType == typeof(NetPolHostMetrics));
        Assert.Single(services, d => d.ServiceType == typeof(NodeAgent));
        Assert.Single(services, d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService));
    }

    [Fact]
    public void SecondBackend_Throws_NamingBoth()
    {
        var builder = new ServiceCollection().AddNetPolHost().UseBackend("recording", _ => new RecordingFirewallBackend());
        var error = Assert.Throws<InvalidOperationException>(() => builder.UseBackend("other", _ => new RecordingFirewallBackend()));
        Assert.Equal("NetPolHost already uses the 'recording' backend; it cannot also use 'other'. One backend enforces policy on a host: remove one of the Use… calls.", error.Message);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void UseNftablesThenUseFirewalld_Throws_NamingBoth()
    {
        var builder = new ServiceCollection().AddNetPolHost();
        builder.UseNftables();
        var error = Assert.Throws<InvalidOperationException>(() => builder.UseFirewalld());
        Assert.StartsWith("NetPolHost already uses the 'nftables' backend; it cannot also use 'firewalld'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_AreValidatedAtStart_WithEveryBrokenFieldListed()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost()
            .UseBackend("recording", _ => new RecordingFirewallBackend())
            .AddNodeAgent(o =>
            {
                o.NodeName = "";
                o.NodeAddresses.Add("10.0.0.300");
                o.ResyncInterval = TimeSpan.Zero;
                o.SafeApply.Targets.Add("api-server");
            })
            .AddFileSource("/definitely/not/here");
        using var host = builder.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));
        var failures = (error is AggregateException aggregate ? aggregate.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures) : ((OptionsValidationException)error).Failures).ToList();
        Assert.Contains("NodeName is required: the name of the Kubernetes node (spec.nodeName of its pods) this agent enforces policy for.", failures);
        Assert.Contains("NodeAddresses: '10.0.0.300' is not an IPv4 or IPv6 address.", failures);
        Assert.Contains("ResyncInterval must be between 1 second and 24 hours, found 00:00:00.", failures);
        Assert.Contains("SafeApply.Targets: 'api-server' is not host:port with a port 1-65535.", failures);
        Assert.Contains("Paths: '/definitely/not/here' is neither a file nor a directory.", failures);
    }

    [Fact]
    public async Task Host_RunsTheAgentFromDependencyInjection_AndEmitsMetrics()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "policies.yaml"), """
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: x}
            spec: {nodeName: node-1}
            status: {podIP: 10.0.0.1}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny, namespace: x}
            spec: {podSelector: {}, policyTypes: [Ingress]}
            """);
        var measurements = new List<(string Name, object Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == NetPolHostMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (measurements) { measurements.Add((i.Name, v)); } });
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { lock (measurements) { measurements.Add((i.Name, v)); } });
        listener.Start();

        var backend = new RecordingFirewallBackend();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost().UseBackend("recording", _ => backend).AddNodeAgent(o => o.NodeName = "node-1").AddFileSource(dir.Path);
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var status = host.Services.GetRequiredService<IAgentStatusProvider>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!status.Current.Ready && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.True(status.Current.Ready);
        Assert.Same(backend, host.Services.GetRequiredService<IFirewallBackend>());
        Assert.Equal(["x/a"], backend.Current!.Endpoints.Select(e => e.Name));
        listener.RecordObservableInstruments();
        await host.StopAsync(TestContext.Current.CancellationToken);
        lock (measurements)
        {
            Assert.Contains(measurements, m => m.Name == "netpolhost.applies" && (long)m.Value == 1);
            Assert.Contains(measurements, m => m.Name == "netpolhost.apply.duration");
            Assert.Contains(measurements, m => m.Name == "netpolhost.owned.rules");
        }
    }

    [Fact]
    public void UseAutomaticBackend_OnLinuxWithoutFirewalld_ChoosesNftables()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the automatic choice is tested on Linux");
        Assert.SkipWhen(OperatingSystem.IsLinux() && NetPolHost.Firewalld.FirewalldFirewallBackend.IsRunningOnThisHost(), "firewalld runs on this host");
        var builder = new ServiceCollection().AddNetPolHost().UseAutomaticBackend();
        Assert.Equal("nftables", builder.BackendName());
    }
}

internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netpolhost-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

