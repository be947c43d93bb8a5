using System.Globalization;
using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Nftables.Runtime;

/// <summary>One connection tracking entry: the original tuple and where the reply comes from.</summary>
/// <param name="Protocol">The protocol.</param>
/// <param name="Source">The original source (the client, before any source NAT).</param>
/// <param name="Destination">The original destination (before any destination NAT, e.g. a service address).</param>
/// <param name="SourcePort">The original source port.</param>
/// <param name="DestinationPort">The original destination port.</param>
/// <param name="ReplySource">The source of replies: the real server after destination NAT.</param>
/// <param name="ReplySourcePort">The port replies come from: the real server port after destination NAT.</param>
internal sealed record ConntrackEntry(
    Protocol Protocol, IPAddress Source, IPAddress Destination, int SourcePort, int DestinationPort, IPAddress ReplySource, int ReplySourcePort)
{
    /// <summary>The destination filter hooks see (after destination NAT, which runs before them).</summary>
    public IPAddress FilteredDestination => ReplySource;

    /// <summary>The destination port filter hooks see.</summary>
    public int FilteredDestinationPort => ReplySourcePort;
}

/// <summary>Lists and deletes connection tracking entries, so a new deny also stops established flows.</summary>
internal interface IConntrack
{
    /// <summary>The TCP, UDP and SCTP entries of both families.</summary>
    IReadOnlyList<ConntrackEntry> List();

    /// <summary>Deletes one entry (by its original tuple).</summary>
    void Delete(ConntrackEntry entry);

    /// <summary>The addresses configured in the network namespace: traffic from or to them takes the output or input hook.</summary>
    IReadOnlySet<IPAddress> LocalAddresses();
}

/// <summary>The conntrack program (Debian package conntrack), optionally inside a network namespace; local addresses
/// come from <c>ip -o addr</c>.</summary>
internal sealed class ConntrackCli(string path, string? networkNamespace) : IConntrack
{
    private static readonly string[] s_paths = ["/usr/sbin/conntrack", "/sbin/conntrack", "/usr/bin/conntrack"];
    private static readonly string[] s_ipPaths = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];

    public static string? Find() => s_paths.FirstOrDefault(File.Exists);

    public IReadOnlyList<ConntrackEntry> List()
    {
        var entries = new List<ConntrackEntry>();
        foreach (var family in new[] { "ipv4", "ipv6" })
        {
            var (code, output, error) = ToolProcess.Run(path, networkNamespace, ["-L", "-f", family]);
            if (code != 0)
            {
                throw new InvalidOperationException($"conntrack -L -f {family} failed: {error.Trim()}");
            }

            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (Parse(line) is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }

        return entries;
    }

    public void Delete(ConntrackEntry entry) =>

        // Exit code 1 means the entry is already gone (it ended meanwhile): nothing to do either way.
        ToolProcess.Run(path, networkNamespace,
            ["-D", "-p", entry.Protocol.ToKubernetesName().ToLowerInvariant(), "-s", entry.Source.ToString(), "-d", entry.Destination.ToString(),
            "--sport", entry.SourcePort.ToString(CultureInfo.InvariantCulture), "--dport", entry.DestinationPort.ToString(CultureInfo.InvariantCulture)]);

    public IReadOnlySet<IPAddress> LocalAddresses()
    {
        var ip = s_ipPaths.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("the ip program (Debian package iproute2) is missing");
        var (code, output, error) = ToolProcess.Run(ip, networkNamespace, ["-o", "addr", "show"]);
        if (code != 0)
        {
            throw new InvalidOperationException("ip -o addr show failed: " + error.Trim());
        }

        return ParseAddresses(output);
    }

    /// <summary>Reads the addresses of <c>ip -o addr show</c> output.</summary>
    internal static HashSet<IPAddress> ParseAddresses(string output)
    {
        var addresses = new HashSet<IPAddress>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i + 1 < parts.Length; i++)
            {
                if (parts[i] is "inet" or "inet6")
                {
                    var text = parts[i + 1];
                    var slash = text.IndexOf('/', StringComparison.Ordinal);
                    if (IPAddress.TryParse(slash < 0 ? text : text[..slash], out var address))
                    {
                        addresses.Add(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0
                            ? new IPAddress(address.GetAddressBytes())
                            : address);
                    }

                    break;
                }
            }
        }

        return addresses;
    }

    /// <summary>Parses a line of <c>conntrack -L</c>: the original tuple, then the reply tuple.</summary>
    internal static ConntrackEntry? Parse(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3)
        {
            return null;
        }

        Protocol protocol;
        switch (parts[0])
        {
            case "tcp":
                protocol = Protocol.Tcp;
                break;
            case "udp":
                protocol = Protocol.Udp;
                break;
            case "sctp":
                protocol = Protocol.Sctp;
                break;
            default:
                return null;
        }

        // Each tuple is src= dst= sport= dport=; the second occurrence of a key belongs to the reply tuple.
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = part[..eq];
            if (key is "src" or "dst" or "sport" or "dport")
            {
                if (!values.TryGetValue(key, out var list))
                {
                    values[key] = list = [];
                }

                list.Add(part[(eq + 1)..]);
            }
        }

        if (!values.TryGetValue("src", out var src) || src.Count < 2 || !values.TryGetValue("dst", out var dst) || dst.Count < 2
            || !values.TryGetValue("sport", out var sport) || sport.Count < 2 || !values.TryGetValue("dport", out var dport) || dport.Count < 1)
        {
            return null;
        }

        return IPAddress.TryParse(src[0], out var s) && IPAddress.TryParse(dst[0], out var d) && IPAddress.TryParse(src[1], out var rs)
            && int.TryParse(sport[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sp)
            && int.TryParse(dport[0], NumberStyles.None, CultureInfo.InvariantCulture, out var dp)
            && int.TryParse(sport[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rsp)
            ? new ConntrackEntry(protocol, s, d, sp, dp, rs, rsp)
            : null;
    }
}
