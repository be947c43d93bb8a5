using System.ComponentModel.DataAnnotations;

namespace NetPolHost.Nftables;

/// <summary>How the nftables backend talks to the kernel.</summary>
public enum NftTransport
{
    /// <summary>libnftables in-process when it can be loaded, else the nft program.</summary>
    Auto,

    /// <summary>libnftables in-process only (<c>libnftables.so.1</c>, Debian package libnftables1).</summary>
    LibNftables,

    /// <summary>The nft program only (<c>nft -f -</c>, Debian package nftables).</summary>
    Process,
}

/// <summary>Options of the nftables backend (bind section <c>NetPolHost:Nftables</c>).</summary>
public sealed class NftablesOptions
{
    /// <summary>The name of the one <c>inet</c> table the backend owns.</summary>
    /// <value>Default <c>netpolhost</c>. A letter, then letters, digits or '_', at most 32 characters.</value>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9_]{0,31}$", ErrorMessage = "TableName must start with a letter and contain only letters, digits and '_' (at most 32 characters).")]
    public string TableName { get; set; } = "netpolhost";

    /// <summary>A network namespace to work in (a name under <c>/run/netns</c> or a path), or <see langword="null"/> for the current one.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? NetworkNamespace { get; set; }

    /// <summary>How to reach the kernel.</summary>
    /// <value>Default <see cref="NftTransport.Auto"/>.</value>
    public NftTransport Transport { get; set; } = NftTransport.Auto;

    /// <summary>After an apply that may shrink what an endpoint is allowed, delete the connection tracking entries of
    /// that endpoint's flows the new plan denies, so the deny also stops established connections (the rules accept
    /// established traffic first).</summary>
    /// <value>Default <see langword="true"/>. The cut-off runs in the background, in-process over ctnetlink (many entries
    /// deleted per netlink datagram): an apply returns once the rules are in the kernel, and changes that come during a
    /// long cut-off are handled together by the next pass. <see cref="NftablesFirewallBackend.WaitForConnectionCutOffAsync"/>
    /// waits for it and reports its warnings (e.g. a kernel without nf_conntrack_netlink), which are also logged. Flows are judged as the chains judge a new packet:
    /// after destination NAT (the reply tuple's source), input when the destination is an address of the network
    /// namespace, output when the source is; host endpoints bound to an interface are not judged.</value>
    public bool DeleteConntrackEntriesOfDeniedFlows { get; set; } = true;

    /// <summary>Audit mode: isolation is computed as usual, but the final drops (and ClusterNetworkPolicy denies) log
    /// <c>would-deny</c> and accept. Switching modes is one transaction.</summary>
    /// <value>Default <see langword="false"/> (enforce).</value>
    public bool Audit { get; set; }

    /// <summary>Log new connections through NFLOG: denied (and would-deny) ones on <see cref="DenyLogGroup"/>, allowed ones
    /// on <see cref="AllowLogGroup"/>, at most <see cref="LogRate"/> records per second (burst <see cref="LogBurst"/>) per
    /// verdict on the node. With no reader bound to a group, the kernel copies nothing.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool LogFlows { get; set; } = true;

    /// <summary>The NFLOG group of denied and would-deny connections.</summary>
    /// <value>Default 100 (0–65535).</value>
    [Range(0, 65535)]
    public int DenyLogGroup { get; set; } = 100;

    /// <summary>The NFLOG group of allowed connections.</summary>
    /// <value>Default 101 (0–65535).</value>
    [Range(0, 65535)]
    public int AllowLogGroup { get; set; } = 101;

    /// <summary>Log records per second per verdict on the node (one limit shared by every rule of that verdict).</summary>
    /// <value>Default 10 (1–100,000).</value>
    [Range(1, 100_000)]
    public int LogRate { get; set; } = 10;

    /// <summary>The burst of the log limit: records let through at once before the rate applies.</summary>
    /// <value>Default 50 (1–100,000).</value>
    [Range(1, 100_000)]
    public int LogBurst { get; set; } = 50;
}
