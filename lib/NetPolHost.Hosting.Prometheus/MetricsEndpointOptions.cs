using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace NetPolHost.Hosting.Prometheus;

/// <summary>Options of the metrics and health endpoint (bind section <c>NetPolHost:Metrics</c>).</summary>
public sealed class MetricsEndpointOptions
{
    /// <summary>The longest time rule counters may be cached between scrapes.</summary>
    public static readonly TimeSpan MaxRuleCounterAge = TimeSpan.FromSeconds(5);

    /// <summary>Where to listen, as <c>ADDRESS:PORT</c> (required): <c>0.0.0.0:9940</c> for every IPv4 address,
    /// <c>[::]:9940</c> for every address, <c>127.0.0.1:9940</c> for this host only. Port 0 takes a free port at start.</summary>
    public string Listen { get; set; } = string.Empty;

    /// <summary>How long rule counters read from the backend are reused by the next scrapes before they are read again.</summary>
    /// <value>Default 5 seconds; between 0 (read on every scrape) and 5 seconds.</value>
    public TimeSpan RuleCounterMaxAge { get; set; } = MaxRuleCounterAge;

    /// <summary>Parses <c>ADDRESS:PORT</c>: an IPv4 address or a bracketed IPv6 address, a colon and a port from 0 to
    /// 65535 (0: a free port). Host names are not accepted: the listener binds addresses.</summary>
    /// <param name="text">The text, e.g. <c>0.0.0.0:9940</c> or <c>[::]:9940</c>.</param>
    /// <param name="endpoint">The address and port.</param>
    /// <param name="error">Why <paramref name="text"/> is not valid, as a sentence that starts with the text quoted.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool TryParseListen(string? text, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        const string Example = "e.g. 0.0.0.0:9940, [::]:9940 or 127.0.0.1:9940";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"'' is not ADDRESS:PORT: give an IP address and a port, {Example}.";
            return false;
        }

        string address;
        string port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}' is not [IPv6]:PORT: give a bracketed IPv6 address, a colon and a port, {Example}.";
                return false;
            }

            address = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"'{text}' has no port: give ADDRESS:PORT, {Example}.";
                return false;
            }

            if (text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' is ambiguous: put an IPv6 address in brackets before the port, e.g. [::]:9940 or [fd00::1]:9940.";
                return false;
            }

            address = text[..colon];
            port = text[(colon + 1)..];
        }

        if (!IPAddress.TryParse(address, out var ip) || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) != text.StartsWith('['))
        {
            error = $"'{text}' does not start with an IP address: give an IPv4 address or a bracketed IPv6 address (host names are not accepted), {Example}.";
            return false;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535)
        {
            error = $"'{text}' has port '{port}': give a port from 1 to 65535, {Example}.";
            return false;
        }

        endpoint = new IPEndPoint(ip, number);
        error = null;
        return true;
    }
}

/// <summary>Checks <see cref="MetricsEndpointOptions"/> at start and lists every broken field.</summary>
internal sealed class MetricsEndpointOptionsValidator : IValidateOptions<MetricsEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsEndpointOptions options)
    {
        var failures = new List<string>();
        if (!MetricsEndpointOptions.TryParseListen(options.Listen, out _, out var error))
        {
            failures.Add("Listen: " + error);
        }

        if (options.RuleCounterMaxAge < TimeSpan.Zero || options.RuleCounterMaxAge > MetricsEndpointOptions.MaxRuleCounterAge)
        {
            failures.Add($"RuleCounterMaxAge must be between 0 and 5 seconds, found {options.RuleCounterMaxAge}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
