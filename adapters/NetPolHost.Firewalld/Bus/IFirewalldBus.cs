namespace NetPolHost.Firewalld.Bus;

/// <summary>The settings of a firewalld ipset (<c>(ssssa{ss}as)</c> without the version).</summary>
/// <param name="Short">The short description.</param>
/// <param name="Description">The description.</param>
/// <param name="Type">The type, e.g. <c>hash:ip</c>.</param>
/// <param name="Family">The <c>family</c> option: <c>inet</c> or <c>inet6</c>.</param>
/// <param name="Entries">The entries.</param>
/// <param name="OtherOptions">Options other than <c>family</c> (timeout, maxelem…), as <c>key=value</c>.</param>
internal sealed record IpsetSettings(string Short, string Description, string Type, string Family, IReadOnlyList<string> Entries, IReadOnlyList<string> OtherOptions)
{
    public static IpsetSettings Create(string shortText, string description, string type, string family, IReadOnlyList<string> entries) =>
        new(shortText, description, type, family, entries, []);
}

/// <summary>The settings of a firewalld policy that the backend reads and writes (<c>a{sv}</c>).</summary>
/// <param name="Short">The short description.</param>
/// <param name="Description">The description.</param>
/// <param name="Target">The target (<c>CONTINUE</c>, <c>ACCEPT</c>, <c>DROP</c>, <c>REJECT</c>).</param>
/// <param name="Priority">The priority.</param>
/// <param name="IngressZones">The ingress zones.</param>
/// <param name="EgressZones">The egress zones.</param>
/// <param name="RichRules">The rich rules as firewalld prints them.</param>
/// <param name="OtherSettings">Keys of other non-empty settings (services, ports, masquerade…), which the backend never sets.</param>
internal sealed record PolicySettings(
    string Short,
    string Description,
    string Target,
    int Priority,
    IReadOnlyList<string> IngressZones,
    IReadOnlyList<string> EgressZones,
    IReadOnlyList<string> RichRules,
    IReadOnlyList<string> OtherSettings);

/// <summary>What a zone refers to: its sources (<c>ipset:NAME</c> among them) and rich rules.</summary>
/// <param name="Sources">The sources.</param>
/// <param name="RichRules">The rich rules.</param>
internal sealed record ZoneReferences(IReadOnlyList<string> Sources, IReadOnlyList<string> RichRules);

/// <summary>The firewalld D-Bus calls the backend needs (interfaces <c>org.fedoraproject.FirewallD1</c>,
/// <c>.ipset</c>, <c>.policy</c>, <c>.config</c>, <c>.config.ipset</c>, <c>.config.policy</c>, <c>.config.zone</c>).</summary>
/// <remarks>
/// Errors: a D-Bus error reply throws <see cref="FirewalldBusException"/> (firewalld's own errors have
/// <see cref="FirewalldBusException.Code"/> set, e.g. <c>INVALID_IPSET</c>); a bus that cannot be reached or a
/// connection that closes throws <see cref="FirewalldBusUnreachableException"/>. Permanent objects are resolved by name
/// on every call, because firewalld renumbers their object paths at every reload.
/// </remarks>
internal interface IFirewalldBus : IAsyncDisposable
{
    /// <summary>The bus address in use.</summary>
    string Address { get; }

    /// <summary>Connects (once; later calls return at once).</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Property <c>state</c>: <c>INIT</c>, <c>RUNNING</c> or <c>FAILED</c>.</summary>
    Task<string> GetStateAsync(CancellationToken cancellationToken);

    /// <summary>Property <c>version</c>.</summary>
    Task<string> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary><c>reload()</c>: returns when firewalld has reloaded.</summary>
    Task ReloadAsync(CancellationToken cancellationToken);

    /// <summary><c>config.getIPSetNames()</c>.</summary>
    Task<IReadOnlyList<string>> GetPermanentIPSetNamesAsync(CancellationToken cancellationToken);

    /// <summary><c>config.getIPSetByName(name)</c>, then <c>config.ipset.getSettings()</c>.</summary>
    Task<IpsetSettings> GetPermanentIPSetAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>config.addIPSet(name, settings)</c>.</summary>
    Task AddPermanentIPSetAsync(string name, IpsetSettings settings, CancellationToken cancellationToken);

    /// <summary><c>config.ipset.update(settings)</c> on the ipset of that name.</summary>
    Task UpdatePermanentIPSetAsync(string name, IpsetSettings settings, CancellationToken cancellationToken);

    /// <summary><c>config.ipset.remove()</c> on the ipset of that name.</summary>
    Task RemovePermanentIPSetAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>config.getPolicyNames()</c>.</summary>
    Task<IReadOnlyList<string>> GetPermanentPolicyNamesAsync(CancellationToken cancellationToken);

    /// <summary><c>config.getPolicyByName(name)</c>, then <c>config.policy.getSettings()</c>.</summary>
    Task<PolicySettings> GetPermanentPolicyAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>config.addPolicy(name, settings)</c>.</summary>
    Task AddPermanentPolicyAsync(string name, PolicySettings settings, CancellationToken cancellationToken);

    /// <summary><c>config.policy.update(settings)</c> on the policy of that name (every key the backend manages is written).</summary>
    Task UpdatePermanentPolicyAsync(string name, PolicySettings settings, CancellationToken cancellationToken);

    /// <summary><c>config.policy.remove()</c> on the policy of that name.</summary>
    Task RemovePermanentPolicyAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>config.getZoneNames()</c>.</summary>
    Task<IReadOnlyList<string>> GetPermanentZoneNamesAsync(CancellationToken cancellationToken);

    /// <summary><c>config.getZoneByName(name)</c>, then <c>config.zone.getSettings2()</c>: sources and rich rules.</summary>
    Task<ZoneReferences> GetPermanentZoneAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>ipset.getIPSets()</c>: the ipsets active at runtime.</summary>
    Task<IReadOnlyList<string>> GetRuntimeIPSetNamesAsync(CancellationToken cancellationToken);

    /// <summary><c>ipset.getEntries(name)</c> at runtime.</summary>
    Task<IReadOnlyList<string>> GetRuntimeEntriesAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>ipset.setEntries(name, entries)</c> at runtime (one call whatever the number of entries).</summary>
    Task SetRuntimeEntriesAsync(string name, IReadOnlyList<string> entries, CancellationToken cancellationToken);

    /// <summary><c>policy.getPolicies()</c>: the policies active at runtime.</summary>
    Task<IReadOnlyList<string>> GetRuntimePolicyNamesAsync(CancellationToken cancellationToken);

    /// <summary><c>policy.getPolicySettings(name)</c> at runtime.</summary>
    Task<PolicySettings> GetRuntimePolicyAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>policy.setPolicySettings(name, {rich_rules})</c> at runtime (firewalld adds and removes the difference).</summary>
    Task SetRuntimePolicyRichRulesAsync(string name, IReadOnlyList<string> richRules, CancellationToken cancellationToken);

    /// <summary>Subscribes to signal <c>Reloaded</c> and to changes of the owner of <c>org.fedoraproject.FirewallD1</c>.</summary>
    /// <param name="onReloaded">Called after every reload.</param>
    /// <param name="onOwnerChanged">Called with <see langword="true"/> when firewalld (re)appears on the bus, <see langword="false"/> when it leaves.</param>
    /// <param name="onClosed">Called when the connection closes (signals stop).</param>
    /// <param name="cancellationToken">Cancels the subscription request.</param>
    /// <returns>Disposing it ends the subscriptions.</returns>
    Task<IDisposable> WatchAsync(Action onReloaded, Action<bool> onOwnerChanged, Action<Exception?> onClosed, CancellationToken cancellationToken);
}

/// <summary>A D-Bus error reply (from firewalld or from the bus).</summary>
internal sealed class FirewalldBusException : Exception
{
    public FirewalldBusException(string errorName, string errorMessage, Exception? innerException = null)
        : base(errorName + ": " + errorMessage, innerException)
    {
        ErrorName = errorName;
        ErrorMessage = errorMessage;
        Code = ParseCode(errorName, errorMessage);
    }

    public FirewalldBusException()
        : this("org.freedesktop.DBus.Error.Failed", string.Empty)
    {
    }

    public FirewalldBusException(string message)
        : this("org.freedesktop.DBus.Error.Failed", message)
    {
    }

    public FirewalldBusException(string message, Exception? innerException)
        : this("org.freedesktop.DBus.Error.Failed", message, innerException)
    {
    }

    /// <summary>The D-Bus error name, e.g. <c>org.fedoraproject.FirewallD1.Exception</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The error text.</summary>
    public string ErrorMessage { get; }

    /// <summary>firewalld's error code (<c>INVALID_IPSET</c>…) when the reply is firewalld's own exception and its text starts with one.</summary>
    public string? Code { get; }

    /// <summary>The text after the code.</summary>
    public string Detail => Code is null ? ErrorMessage : ErrorMessage[Code.Length..].TrimStart(':', ' ');

    internal static string? ParseCode(string errorName, string message)
    {
        if (errorName != FirewalldBusNames.FirewallException)
        {
            return null;
        }

        var end = message.IndexOf(':', StringComparison.Ordinal);
        var code = end > 0 ? message[..end] : message;
        return code.Length > 0 && code.All(c => c is (>= 'A' and <= 'Z') or '_' or (>= '0' and <= '9')) ? code : null;
    }
}

/// <summary>The bus cannot be reached, or the connection closed.</summary>
internal sealed class FirewalldBusUnreachableException : Exception
{
    public FirewalldBusUnreachableException()
    {
    }

    public FirewalldBusUnreachableException(string message)
        : base(message)
    {
    }

    public FirewalldBusUnreachableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Names on the bus.</summary>
internal static class FirewalldBusNames
{
    public const string Destination = "org.fedoraproject.FirewallD1";
    public const string RootPath = "/org/fedoraproject/FirewallD1";
    public const string ConfigPath = "/org/fedoraproject/FirewallD1/config";
    public const string Main = "org.fedoraproject.FirewallD1";
    public const string Ipset = "org.fedoraproject.FirewallD1.ipset";
    public const string Policy = "org.fedoraproject.FirewallD1.policy";
    public const string Config = "org.fedoraproject.FirewallD1.config";
    public const string ConfigIpset = "org.fedoraproject.FirewallD1.config.ipset";
    public const string ConfigPolicy = "org.fedoraproject.FirewallD1.config.policy";
    public const string ConfigZone = "org.fedoraproject.FirewallD1.config.zone";
    public const string FirewallException = "org.fedoraproject.FirewallD1.Exception";
    public const string NotAuthorized = "org.fedoraproject.FirewallD1.NotAuthorizedException";
}
