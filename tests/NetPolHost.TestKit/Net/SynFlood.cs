using System.Globalization;
using System.Net;

namespace NetPolHost.TestKit.Net;

/// <summary>Raw TCP SYNs, each with a new source port (so each is a new connection to conntrack), sent from inside a
/// lab namespace with Python's raw sockets: a flood no ordinary client produces, for tests of log rate limits.</summary>
public static class SynFlood
{
    /// <summary>Sends <paramref name="count"/> SYNs from <paramref name="source"/> to <paramref name="destination"/>:
    /// <paramref name="port"/>, from the network namespace <paramref name="networkNamespace"/>.</summary>
    /// <returns>How many were sent.</returns>
    public static int Send(string networkNamespace, IPAddress source, IPAddress destination, int port, int count)
    {
        var sent = Namespaces.Run("ip", ["netns", "exec", networkNamespace, "python3", "-c", Script(source, destination, port, count)]);
        return int.Parse(sent.Trim(), CultureInfo.InvariantCulture);
    }

    private static string Script(IPAddress source, IPAddress destination, int port, int count) => $$"""
        import socket, struct
        def csum(b):
            if len(b) % 2: b += b'\0'
            s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
            s = (s >> 16) + (s & 0xffff); s += s >> 16
            return ~s & 0xffff
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        src = socket.inet_aton('{{source}}')
        dst = socket.inet_aton('{{destination}}')
        n = 0
        for i in range({{count}}):
            hdr = struct.pack('!HHIIBBHHH', 20000 + (i % 40000), {{port}}, i, 0, 5 << 4, 0x02, 64240, 0, 0)
            pseudo = src + dst + struct.pack('!BBH', 0, 6, len(hdr))
            hdr = hdr[:16] + struct.pack('!H', csum(pseudo + hdr)) + hdr[18:]
            s.sendto(hdr, ('{{destination}}', 0))
            n += 1
        print(n)
        """;
}
