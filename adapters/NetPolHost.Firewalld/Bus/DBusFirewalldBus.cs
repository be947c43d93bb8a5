using Tmds.DBus.Protocol;
using static NetPolHost.Firewalld.Bus.FirewalldBusNames;

namespace NetPolHost.Firewalld.Bus;

/// <summary><see cref="IFirewalldBus"/> over one D-Bus connection (Tmds.DBus.Protocol).</summary>
internal sealed class DBusFirewalldBus : IFirewalldBus
{
    private readonly TimeSpan _callTimeout;
    private readonly TimeSpan _reloadTimeout;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private DBusConnection? _connection;

    public DBusFirewalldBus(string? address, TimeSpan callTimeout, TimeSpan reloadTimeout)
    {
        Address = ResolveAddress(address);
        _callTimeout = callTimeout;
        _reloadTimeout = reloadTimeout;
    }

    public string Address { get; }

    /// <summary>The address to use: the given one, else <c>DBUS_SYSTEM_BUS_ADDRESS</c>, else the standard socket.</summary>
    internal static string ResolveAddress(string? address)
    {
        if (!string.IsNullOrWhiteSpace(address))
        {
            return address;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS");
        return string.IsNullOrWhiteSpace(fromEnvironment) ? "unix:path=/var/run/dbus/system_bus_socket" : fromEnvironment;
    }

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return;
        }

        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is not null)
            {
                return;
            }

            var connection = new DBusConnection(new DBusConnectionOptions(Address) { AutoConnect = false });
            try
            {
                await connection.ConnectAsync().AsTask().WaitAsync(_callTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DBusConnectionException or TimeoutException or IOException or System.Net.Sockets.SocketException or ArgumentException)
            {
                connection.Dispose();
                throw new FirewalldBusUnreachableException(ex is TimeoutException ? "no answer within " + _callTimeout.TotalSeconds + " s" : ex.Message, ex);
            }

            _connection = connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public Task<string> GetStateAsync(CancellationToken cancellationToken) => GetStringPropertyAsync("state", cancellationToken);

    public Task<string> GetVersionAsync(CancellationToken cancellationToken) => GetStringPropertyAsync("version", cancellationToken);

    public Task ReloadAsync(CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, RootPath, Main, "reload"), _reloadTimeout, cancellationToken);

    public Task<IReadOnlyList<string>> GetPermanentIPSetNamesAsync(CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, ConfigPath, Config, "getIPSetNames"), ReadStrings, cancellationToken);

    public async Task<IpsetSettings> GetPermanentIPSetAsync(string name, CancellationToken cancellationToken)
    {
        var path = await FindAsync("getIPSetByName", name, cancellationToken).ConfigureAwait(false);
        return await CallAsync(c => Call(c, path, ConfigIpset, "getSettings"), ReadIpsetSettings, cancellationToken).ConfigureAwait(false);
    }

    public Task AddPermanentIPSetAsync(string name, IpsetSettings settings, CancellationToken cancellationToken) =>
        CallAsync(c => IpsetCall(c, ConfigPath, Config, "addIPSet", name, settings), _callTimeout, cancellationToken);

    public async Task UpdatePermanentIPSetAsync(string name, IpsetSettings settings, CancellationToken cancellationToken)
    {
        var path = await FindAsync("getIPSetByName", name, cancellationToken).ConfigureAwait(false);
        await CallAsync(c => IpsetCall(c, path, ConfigIpset, "update", null, settings), _callTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task RemovePermanentIPSetAsync(string name, CancellationToken cancellationToken)
    {
        var path = await FindAsync("getIPSetByName", name, cancellationToken).ConfigureAwait(false);
        await CallAsync(c => Call(c, path, ConfigIpset, "remove"), _callTimeout, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<string>> GetPermanentPolicyNamesAsync(CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, ConfigPath, Config, "getPolicyNames"), ReadStrings, cancellationToken);

    public async Task<PolicySettings> GetPermanentPolicyAsync(string name, CancellationToken cancellationToken)
    {
        var path = await FindAsync("getPolicyByName", name, cancellationToken).ConfigureAwait(false);
        return await CallAsync(c => Call(c, path, ConfigPolicy, "getSettings"), ReadPolicySettings, cancellationToken).ConfigureAwait(false);
    }

    public Task AddPermanentPolicyAsync(string name, PolicySettings settings, CancellationToken cancellationToken) =>
        CallAsync(c => PolicyCall(c, ConfigPath, Config, "addPolicy", name, settings), _callTimeout, cancellationToken);

    public async Task UpdatePermanentPolicyAsync(string name, PolicySettings settings, CancellationToken cancellationToken)
    {
        var path = await FindAsync("getPolicyByName", name, cancellationToken).ConfigureAwait(false);
        await CallAsync(c => PolicyCall(c, path, ConfigPolicy, "update", null, settings), _callTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task RemovePermanentPolicyAsync(string name, CancellationToken cancellationToken)
    {
        var path = await FindAsync("getPolicyByName", name, cancellationToken).ConfigureAwait(false);
        await CallAsync(c => Call(c, path, ConfigPolicy, "remove"), _callTimeout, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<string>> GetPermanentZoneNamesAsync(CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, ConfigPath, Config, "getZoneNames"), ReadStrings, cancellationToken);

    public async Task<ZoneReferences> GetPermanentZoneAsync(string name, CancellationToken cancellationToken)
    {
        var path = await FindAsync("getZoneByName", name, cancellationToken).ConfigureAwait(false);
        return await CallAsync(
            c => Call(c, path, ConfigZone, "getSettings2"),
            (m, _) =>
            {
                var settings = m.GetBodyReader().ReadDictionaryOfStringToVariantValue();
                return new ZoneReferences(Strings(settings, "sources"), Strings(settings, "rich_rules"));
            },
            cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<string>> GetRuntimeIPSetNamesAsync(CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, RootPath, Ipset, "getIPSets"), ReadStrings, cancellationToken);

    public Task<IReadOnlyList<string>> GetRuntimeEntriesAsync(string name, CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, RootPath, Ipset, "getEntries", "s", name), ReadStrings, cancellationToken);

    public Task SetRuntimeEntriesAsync(string name, IReadOnlyList<string> entries, CancellationToken cancellationToken) =>
        CallAsync(
            c =>
            {
                using var writer = c.GetMessageWriter();
                writer.WriteMethodCallHeader(Destination, RootPath, Ipset, "setEntries", "sas");
                writer.WriteString(name);
                writer.WriteArray(entries);
                return writer.CreateMessage();
            },
            _callTimeout,
            cancellationToken);

    public Task<IReadOnlyList<string>> GetRuntimePolicyNamesAsync(CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, RootPath, Policy, "getPolicies"), ReadStrings, cancellationToken);

    public Task<PolicySettings> GetRuntimePolicyAsync(string name, CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, RootPath, Policy, "getPolicySettings", "s", name), ReadPolicySettings, cancellationToken);

    public Task SetRuntimePolicyRichRulesAsync(string name, IReadOnlyList<string> richRules, CancellationToken cancellationToken) =>
        CallAsync(
            c =>
            {
                using var writer = c.GetMessageWriter();
                writer.WriteMethodCallHeader(Destination, RootPath, Policy, "setPolicySettings", "sa{sv}");
                writer.WriteString(name);
                var dictionary = writer.WriteDictionaryStart();
                writer.WriteDictionaryEntryStart();
                writer.WriteString("rich_rules");
                writer.WriteVariant(VariantValue.Array(richRules.ToArray()));
                writer.WriteDictionaryEnd(dictionary);
                return writer.CreateMessage();
            },
            _callTimeout,
            cancellationToken);

    public async Task<IDisposable> WatchAsync(Action onReloaded, Action<bool> onOwnerChanged, Action<Exception?> onClosed, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reloaded = await connection.AddMatchAsync(
                new MatchRule { Type = MessageType.Signal, Sender = Destination, Path = RootPath, Interface = Main, Member = "Reloaded" },
                (Message m, object? _) => m.MemberAsString,
                (Notification<string?> n) =>
                {
                    if (n.IsCompletion)
                    {
                        if (n.Type is NotificationType.ConnectionClosed or NotificationType.ConnectionFailed)
                        {
                            onClosed(n.CompletionReason);
                        }

                        return;
                    }

                    if (n.HasValue)
                    {
                        onReloaded();
                    }
                },
                emitOnCapturedContext: false,
                flags: ObserverFlags.EmitOnConnectionClosed | ObserverFlags.EmitOnConnectionFailed).AsTask().WaitAsync(_callTimeout, cancellationToken).ConfigureAwait(false);
            var owner = await connection.AddMatchAsync(
                new MatchRule
                {
                    Type = MessageType.Signal,
                    Sender = "org.freedesktop.DBus",
                    Path = "/org/freedesktop/DBus",
                    Interface = "org.freedesktop.DBus",
                    Member = "NameOwnerChanged",
                    Arg0 = Destination,
                },
                (Message m, object? _) =>
                {
                    var reader = m.GetBodyReader();
                    _ = reader.ReadString();
                    _ = reader.ReadString();
                    return reader.ReadString();
                },
                (Notification<string> n) =>
                {
                    if (n.HasValue)
                    {
                        onOwnerChanged(n.Value.Length > 0);
                    }
                },
                emitOnCapturedContext: false).AsTask().WaitAsync(_callTimeout, cancellationToken).ConfigureAwait(false);
            return new Subscriptions(reloaded, owner);
        }
        catch (DBusConnectionException ex)
        {
            throw new FirewalldBusUnreachableException(ex.Message, ex);
        }
        catch (DBusErrorReplyException ex)
        {
            throw new FirewalldBusException(ex.ErrorName, ex.ErrorMessage, ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        _connection?.Dispose();
        _connection = null;
        _connectGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<DBusConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return _connection ?? throw new FirewalldBusUnreachableException("the connection was closed");
    }

    private async Task<string> GetStringPropertyAsync(string property, CancellationToken cancellationToken) =>
        await CallAsync(
            c =>
            {
                using var writer = c.GetMessageWriter();
                writer.WriteMethodCallHeader(Destination, RootPath, "org.freedesktop.DBus.Properties", "Get", "ss");
                writer.WriteString(Main);
                writer.WriteString(property);
                return writer.CreateMessage();
            },
            (m, _) => m.GetBodyReader().ReadVariantValue().GetString(),
            cancellationToken).ConfigureAwait(false);

    private Task<string> FindAsync(string method, string name, CancellationToken cancellationToken) =>
        CallAsync(c => Call(c, ConfigPath, Config, method, "s", name), (m, _) => m.GetBodyReader().ReadObjectPathAsString(), cancellationToken);

    private async Task CallAsync(Func<DBusConnection, MessageBuffer> build, TimeSpan timeout, CancellationToken cancellationToken) =>
        await CallAsync<bool>(build, null, timeout, cancellationToken).ConfigureAwait(false);

    private Task<T> CallAsync<T>(Func<DBusConnection, MessageBuffer> build, MessageValueReader<T> reader, CancellationToken cancellationToken) =>
        CallAsync(build, reader, _callTimeout, cancellationToken);

    private async Task<T> CallAsync<T>(Func<DBusConnection, MessageBuffer> build, MessageValueReader<T>? reader, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var message = build(connection);
            if (reader is null)
            {
                await connection.CallMethodAsync(message).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                return default!;
            }

            return await connection.CallMethodAsync(message, reader).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException ex)
        {
            throw new FirewalldBusException(ex.ErrorName, ex.ErrorMessage, ex);
        }
        catch (TimeoutException ex)
        {
            throw new FirewalldBusException("org.freedesktop.DBus.Error.Timeout", $"no reply within {timeout.TotalSeconds:0.#} s", ex);
        }
        catch (DBusConnectionException ex)
        {
            _connection = null;
            connection.Dispose();
            throw new FirewalldBusUnreachableException(ex.Message, ex);
        }
    }

    private static MessageBuffer Call(DBusConnection connection, string path, string @interface, string member, string? signature = null, string? argument = null)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, path, @interface, member, signature);
        if (argument is not null)
        {
            writer.WriteString(argument);
        }

        return writer.CreateMessage();
    }

    /// <summary>A call taking an ipset settings struct <c>(ssssa{ss}as)</c>, optionally after a name.</summary>
    private static MessageBuffer IpsetCall(DBusConnection connection, string path, string @interface, string member, string? name, IpsetSettings settings)
    {
        using var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Destination, path, @interface, member, name is null ? "(ssssa{ss}as)" : "s(ssssa{ss}as)");
        if (name is not null)
        {
            writer.WriteString(name);
        }

        writer.WriteStructureStart();
        writer.WriteString(string.Empty);
        writer.WriteString(settings.Short);
        writer.WriteString(settings.Description);
        writer.WriteString(settings.Type);
        var options = writer.WriteDictionaryStart();
        writer.WriteDictionaryEntryStart();
        writer.WriteString("family");
        writer.WriteString(settings.Family);
        writer.WriteDictionaryEnd(options);
        writer.WriteArray(settings.Entries);
        return writer.CreateMessage();
    }

    /// <summary>A call taking policy settings <c>a{sv}</c>, optionally after a name. Every key the backend manages is
    /// written (lists that must be empty too), so an update also clears what others added.</summary>
    private static MessageBuffer PolicyCall(DBusConnection connection, string path, string @interface, string member, string? name, PolicySettings settings)
    {
        var writer = connection.GetMessageWriter();
        try
        {
            WritePolicy(ref writer, path, @interface, member, name, settings);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static void WritePolicy(ref MessageWriter writer, string path, string @interface, string member, string? name, PolicySettings settings)
    {
        writer.WriteMethodCallHeader(Destination, path, @interface, member, name is null ? "a{sv}" : "sa{sv}");
        if (name is not null)
        {
            writer.WriteString(name);
        }

        var dictionary = writer.WriteDictionaryStart();
        Entry(ref writer, "short", settings.Short);
        Entry(ref writer, "description", settings.Description);
        Entry(ref writer, "target", settings.Target);
        writer.WriteDictionaryEntryStart();
        writer.WriteString("priority");
        writer.WriteVariantInt32(settings.Priority);
        Entries(ref writer, "ingress_zones", settings.IngressZones);
        Entries(ref writer, "egress_zones", settings.EgressZones);
        Entries(ref writer, "rich_rules", settings.RichRules);
        Entries(ref writer, "services", []);
        Entries(ref writer, "protocols", []);
        Entries(ref writer, "icmp_blocks", []);
        writer.WriteDictionaryEntryStart();
        writer.WriteString("masquerade");
        writer.WriteVariantBool(false);
        EmptyStructs(ref writer, "ports", "a(ss)");
        EmptyStructs(ref writer, "source_ports", "a(ss)");
        EmptyStructs(ref writer, "forward_ports", "a(ssss)");
        writer.WriteDictionaryEnd(dictionary);

        static void Entry(ref MessageWriter writer, string key, string value)
        {
            writer.WriteDictionaryEntryStart();
            writer.WriteString(key);
            writer.WriteVariantString(value);
        }

        static void Entries(ref MessageWriter writer, string key, IReadOnlyList<string> values)
        {
            writer.WriteDictionaryEntryStart();
            writer.WriteString(key);
            writer.WriteVariant(VariantValue.Array(values.ToArray()));
        }

        static void EmptyStructs(ref MessageWriter writer, string key, string signature)
        {
            writer.WriteDictionaryEntryStart();
            writer.WriteString(key);
            writer.WriteSignature(signature);
            var array = writer.WriteArrayStart(DBusType.Struct);
            writer.WriteArrayEnd(array);
        }
    }

    private static IReadOnlyList<string> ReadStrings(Message message, object? state) => message.GetBodyReader().ReadArrayOfString();

    private static IpsetSettings ReadIpsetSettings(Message message, object? state)
    {
        var reader = message.GetBodyReader();
        reader.AlignStruct();
        _ = reader.ReadString();
        var shortText = reader.ReadString();
        var description = reader.ReadString();
        var type = reader.ReadString();
        var family = "inet";
        var others = new List<string>();
        var end = reader.ReadDictionaryStart();
        while (reader.HasNext(end))
        {
            var key = reader.ReadString();
            var value = reader.ReadString();
            if (key == "family")
            {
                family = value;
            }
            else
            {
                others.Add(key + "=" + value);
            }
        }

        var entries = reader.ReadArrayOfString();
        return new IpsetSettings(shortText, description, type, family, entries, others);
    }

    private static PolicySettings ReadPolicySettings(Message message, object? state)
    {
        var settings = message.GetBodyReader().ReadDictionaryOfStringToVariantValue();
        var others = new List<string>();
        foreach (var (key, value) in settings)
        {
            var empty = key switch
            {
                "short" or "description" or "target" or "priority" or "ingress_zones" or "egress_zones" or "rich_rules" or "version" => true,
                "masquerade" => value.Type == VariantValueType.Bool && !value.GetBool(),
                _ => value.Type == VariantValueType.Array && value.Count == 0,
            };
            if (!empty)
            {
                others.Add(key);
            }
        }

        others.Sort(StringComparer.Ordinal);
        return new PolicySettings(
            String(settings, "short"),
            String(settings, "description"),
            settings.TryGetValue("target", out var target) ? target.GetString() : "CONTINUE",
            settings.TryGetValue("priority", out var priority) ? priority.GetInt32() : -1,
            Strings(settings, "ingress_zones"),
            Strings(settings, "egress_zones"),
            Strings(settings, "rich_rules"),
            others);
    }

    private static string String(Dictionary<string, VariantValue> settings, string key) =>
        settings.TryGetValue(key, out var value) && value.Type == VariantValueType.String ? value.GetString() : string.Empty;

    private static string[] Strings(Dictionary<string, VariantValue> settings, string key) =>
        settings.TryGetValue(key, out var value) && value.Type == VariantValueType.Array && value.Count > 0 ? value.GetArray<string>() : [];

    private sealed class Subscriptions(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
