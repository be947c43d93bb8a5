using System.Net;
using System.Net.Sockets;
using NetPolHost.Hosting.Agent;

namespace NetPolHost.Hosting.Tests;

public sealed class TcpConnectivityCheckTests
{
    /// <summary>A loopback port with nothing listening: connections are refused at once.</summary>
    private static string ClosedTarget()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }

    [Fact]
    public async Task Check_CancelledByTheCaller_Throws_InsteadOfReportingUnreachable()
    {
        var check = new TcpConnectivityCheck();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMilliseconds(300));
        var task = check.CheckAsync([ClosedTarget()], TimeSpan.FromMinutes(1), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check.CheckAsync([ClosedTarget()], TimeSpan.FromMinutes(1), cancelled.Token));
    }

    [Fact]
    public async Task Check_Timeout_ReportsUnreachable_AndAListenerConfirms()
    {
        var check = new TcpConnectivityCheck();
        Assert.False(await check.CheckAsync([ClosedTarget()], TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Assert.True(await check.CheckAsync([ClosedTarget(), $"127.0.0.1:{port}"], TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        }
        finally
        {
            listener.Stop();
        }
    }
}
