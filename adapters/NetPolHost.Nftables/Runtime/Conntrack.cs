using System.Globalization;
using System.Net;
using NetPolHost.Model;

namespace NetPolHost.Nftables.Runtime;

/// <summary>One connection tracking entry (original direction).</summary>
internal sealed record ConntrackEntry(Protocol Protocol, IPAddress Source, IPAddress Destination, int SourcePort, int DestinationPort);

/// <summary>Lists and deletes connection tracking entries, so a new deny also stops established flows.</summary>
internal interface IConntrack
{
    IReadOnlyList<ConntrackEntry> List();

    void Delete(ConntrackEntry entry);
}

/// <summary>The conntrack program (Debian package conntrack), optionally inside a network namespace.</summary>
internal sealed class ConntrackCli(string path, string? networkNamespace) : IConntrack
{
    private static readonly string[] s_paths = ["/usr/sbin/conntrack", "/sbin/conntrack", "/usr/bin/conntrack"];

    public static string? Find() => s_paths.FirstOrDefault(File.Exists);

    public IReadOnlyList<ConntrackEntry> List()
    {
        var entries = new List<ConntrackEntry>();
        foreach (var family in new[] { "ipv4", "ipv6" })
        {
            var (ok, output) = Run(["-L", "-f", family]);
            if (!ok)
            {
                continue;
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
        Run(["-D", "-p", entry.Protocol.ToKubernetesName().ToLowerInvariant(), "-s", entry.Source.ToString(), "-d", entry.Destination.ToString(),
            "--sport", entry.SourcePort.ToString(CultureInfo.InvariantCulture), "--dport", entry.DestinationPort.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Parses the first tuple of a line of <c>conntrack -L</c>.</summary>
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

        string? src = null, dst = null, sport = null, dport = null;
        foreach (var part in parts)
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var key = part[..eq];
            var value = part[(eq + 1)..];
            switch (key)
            {
                case "src" when src is null:
                    src = value;
                    break;
                case "dst" when dst is null:
                    dst = value;
                    break;
                case "sport" when sport is null:
                    sport = value;
                    break;
                case "dport" when dport is null:
                    dport = value;
                    break;
            }
        }

        return src is not null && dst is not null && IPAddress.TryParse(src, out var s) && IPAddress.TryParse(dst, out var d)
            && int.TryParse(sport, CultureInfo.InvariantCulture, out var sp) && int.TryParse(dport, CultureInfo.InvariantCulture, out var dp)
            ? new ConntrackEntry(protocol, s, d, sp, dp)
            : null;
    }

    private (bool Ok, string Output) Run(string[] arguments)
    {
        var (code, output, _) = ToolProcess.Run(path, networkNamespace, arguments);
        return (code == 0, output);
    }
}
