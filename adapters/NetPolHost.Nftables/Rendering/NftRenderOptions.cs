namespace NetPolHost.Nftables.Rendering;

/// <summary>What the renderer adds around the policy rules: flow logging and audit mode.</summary>
/// <param name="Audit">Isolation drops and ClusterNetworkPolicy denies log <c>would-deny</c> and accept instead.</param>
/// <param name="LogFlows">New connections are logged through NFLOG (denied ones on <paramref name="DenyGroup"/>, allowed
/// ones on <paramref name="AllowGroup"/>), under one shared limit per verdict.</param>
/// <param name="DenyGroup">The NFLOG group of denied (and would-deny) connections.</param>
/// <param name="AllowGroup">The NFLOG group of allowed connections.</param>
/// <param name="LogRate">Records per second per verdict.</param>
/// <param name="LogBurst">The burst of the limit.</param>
internal sealed record NftRenderOptions(bool Audit, bool LogFlows, int DenyGroup, int AllowGroup, int LogRate, int LogBurst)
{
    /// <summary>The defaults of <see cref="NftablesOptions"/>: logging on, enforcing.</summary>
    public static NftRenderOptions Default { get; } = From(new NftablesOptions());

    /// <summary>The render options of backend options.</summary>
    public static NftRenderOptions From(NftablesOptions options) =>
        new(options.Audit, options.LogFlows, options.DenyLogGroup, options.AllowLogGroup, options.LogRate, options.LogBurst);
}
