using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NetPolHost.Sources;
using NetPolHost.Kubernetes.Tests.Fakes;
using NetPolHost.Model;
using NetPolHost.Planning;
using NetPolHost.TestKit;

namespace NetPolHost.Kubernetes.Tests;

public sealed class KubernetesNetPolHostBuilderExtensionsTests
{
    [Fact]
    public void AddKubernetesSource_Twice_RegistersOneSource()
    {
        var services = new ServiceCollection();
        services.AddNetPolHost().AddKubernetesSource().AddKubernetesSource(o =>
        {
            o.PageSize = 100;
            o.ClientConfiguration = new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:1" };
        });

        var source = Assert.Single(services, d => d.ServiceType == typeof(IClusterSource));
        using var provider = services.BuildServiceProvider();
        Assert.IsType<KubernetesClusterSource>(provider.GetServices<IClusterSource>().Single());
        Assert.Equal(100, provider.GetRequiredService<IOptions<KubernetesSourceOptions>>().Value.PageSize);
        Assert.NotNull(source);
    }

    [Fact]
    public async Task Options_AreValidatedAtStart_WithEveryBrokenFieldListed()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost()
            .UseBackend("recording", _ => new RecordingFirewallBackend())
            .AddNodeAgent(o => o.NodeName = "node-1")
            .AddKubernetesSource(o =>
            {
                o.KubeconfigPath = "/definitely/not/here";
                o.InitialBackoff = TimeSpan.FromMinutes(2);
                o.MaxBackoff = TimeSpan.FromMinutes(1);
                o.ReportInterval = TimeSpan.FromMilliseconds(-1);
                o.WatchTimeout = TimeSpan.Zero;
                o.RequestTimeout = TimeSpan.FromHours(2);
                o.PageSize = 0;
            });
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));

        var failures = (error is AggregateException aggregate ? aggregate.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures) : ((OptionsValidationException)error).Failures).ToList();
        Assert.Equal(
            [
                "KubeconfigPath: '/definitely/not/here' does not exist.",
                "InitialBackoff must be between 1 ms and MaxBackoff (00:01:00), found 00:02:00.",
                "ReportInterval must be between 0 and 1 minute, found -00:00:00.0010000.",
                "WatchTimeout must be between 1 second and 1 hour, found 00:00:00.",
                "RequestTimeout must be between 1 second and 1 hour, found 02:00:00.",
                "PageSize must be between 1 and 100000, found 0.",
            ],
            failures);
    }

    [Fact]
    public async Task NodeAgent_WithTheKubernetesSource_EnforcesThePoliciesOfTheCluster_AndTheirChanges()
    {
        await using var server = new FakeApiServer();
        Objects.Seed(server);
        var backend = new RecordingFirewallBackend();
        var applied = System.Threading.Channels.Channel.CreateUnbounded<RulePlan>();
        backend.Applied += (_, plan) => applied.Writer.TryWrite(plan);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddNetPolHost()
            .UseBackend("recording", _ => backend)
            .AddNodeAgent(o =>
            {
                o.NodeName = "node-2";
                o.Debounce = TimeSpan.FromMilliseconds(10);
            })
            .AddKubernetesSource(o =>
            {
                o.ClientConfiguration = server.ClientConfiguration;
                o.ReportInterval = TimeSpan.FromMilliseconds(10);
            });
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var db = IPAddress.Parse("10.244.2.20");
            var plan = await NextPlanAsync(applied.Reader);
            Assert.True(plan.Evaluate(IPAddress.Parse("10.244.1.10"), db, Protocol.Tcp, 5432).Allowed); // web-1, another node
            Assert.True(plan.Evaluate(IPAddress.Parse("10.244.2.30"), db, Protocol.Tcp, 5432).Allowed); // ops namespace
            Assert.False(plan.Evaluate(IPAddress.Parse("10.244.1.99"), db, Protocol.Tcp, 5432).Allowed);

            var policies = await server.NetworkPolicies.NextWatchAsync();
            await policies.SendAsync("MODIFIED", server.NetworkPolicies.Put(Objects.DbPolicy("6432")));
            plan = await NextPlanAsync(applied.Reader);
            Assert.False(plan.Evaluate(IPAddress.Parse("10.244.1.10"), db, Protocol.Tcp, 5432).Allowed);
            Assert.True(plan.Evaluate(IPAddress.Parse("10.244.1.10"), db, Protocol.Tcp, 6432).Allowed);
        }
        finally
        {
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    private static async Task<RulePlan> NextPlanAsync(System.Threading.Channels.ChannelReader<RulePlan> reader)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await reader.ReadAsync(cts.Token);
    }
}
