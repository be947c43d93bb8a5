namespace NetPolHost.Console.Tests;

/// <summary><c>agent --listen</c>: a bad address is one line and exit code 2, before anything starts.</summary>
public sealed class AgentListenTests
{
    [Theory]
    [InlineData("9940", "error: --listen '9940' has no port: give ADDRESS:PORT, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("localhost:9940", "error: --listen 'localhost:9940' does not start with an IP address: give an IPv4 address or a bracketed IPv6 address (host names are not accepted), e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("0.0.0.0:99999", "error: --listen '0.0.0.0:99999' has port '99999': give a port from 1 to 65535, e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940.")]
    [InlineData("::1:9940", "error: --listen '::1:9940' is ambiguous: put an IPv6 address in brackets before the port, e.g. [::]:9940 or [fd00::1]:9940.")]
    [InlineData("0.0.0.0:0", "error: --listen '0.0.0.0:0' has port 0: give a port from 1 to 65535, e.g. 0.0.0.0:9940.")]
    public async Task Agent_BadListen_IsOneLineAndExitCode2(string value, string message)
    {
        var (exit, _, error) = await Cli.RunAsync("agent", "-f", Cli.Sample, "--node", "node-1", "--backend", "nftables", "--listen", value);
        Assert.Equal(2, exit);
        Assert.Equal(message, error.Trim());
    }
}
