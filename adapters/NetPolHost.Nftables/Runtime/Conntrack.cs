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

    /// <summary>Deletes entries (by their original tuples); entries already gone are skipped.</summary>
    /// <returns>How many were deleted.</returns>
    int Delete(IReadOnlyList<ConntrackEntry> entries);

    /// <summary>The addresses configured in the network namespace: traffic from or to them takes the output or input hook.</summary>
    IReadOnlySet<IPAddress> LocalAddresses();
}
