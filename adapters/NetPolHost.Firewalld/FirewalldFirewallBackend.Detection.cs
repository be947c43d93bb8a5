namespace NetPolHost.Firewalld;

public sealed partial class FirewalldFirewallBackend
{
    /// <summary>Whether firewalld runs on this host (a process named <c>firewalld</c> in <c>/proc</c>). Where it does,
    /// use this backend: an nftables table of one's own cannot open what firewalld's chains reject.</summary>
    /// <returns><see langword="true"/> when firewalld runs here.</returns>
    public static bool IsRunningOnThisHost() => FirewalldDetector.IsRunning();
}
