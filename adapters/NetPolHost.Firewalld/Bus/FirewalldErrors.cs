namespace NetPolHost.Firewalld.Bus;

/// <summary>Turns D-Bus and firewalld errors into NetPolHost exceptions whose messages say what failed and what to do.</summary>
internal static class FirewalldErrors
{
    public const string Backend = "firewalld";

    /// <summary>Wraps a failure of <paramref name="operation"/> (e.g. "adding ipset nph-pods-4").</summary>
    /// <returns><see cref="BackendUnavailableException"/> when firewalld cannot be used at all, else <see cref="BackendApplyException"/>.</returns>
    public static NetPolHostException Translate(Exception exception, string operation, string address)
    {
        switch (exception)
        {
            case NetPolHostException already:
                return already;
            case FirewalldBusUnreachableException:
                return new BackendUnavailableException(
                    Backend,
                    $"cannot connect to the D-Bus system bus at {address} ({exception.Message}). Check that the D-Bus daemon runs and that the address is right (FirewalldOptions.BusAddress or the DBUS_SYSTEM_BUS_ADDRESS environment variable).",
                    exception);
            case FirewalldBusException bus:
                var (unavailable, text) = Describe(bus, address);
                return unavailable
                    ? new BackendUnavailableException(Backend, text, exception)
                    : new BackendApplyException(Backend, $"{operation} failed: {text}", exception);
            default:
                return new BackendApplyException(Backend, $"{operation} failed: {exception.Message}", exception);
        }
    }

    /// <summary>Runs one call of firewalld, turning its bus errors into the NetPolHost exception of
    /// <see cref="Translate"/>.</summary>
    /// <param name="operation">What the call does, for the message (e.g. "adding ipset nph-pods-4").</param>
    /// <param name="call">The call.</param>
    /// <param name="bus">The bus it goes through.</param>
    /// <param name="unreachable">Called when the bus could not be reached (the connection must be made again).</param>
    /// <returns>What the call returned.</returns>
    public static async Task<T> CallAsync<T>(string operation, Func<Task<T>> call, IFirewalldBus bus, Action unreachable)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FirewalldBusException or FirewalldBusUnreachableException)
        {
            if (ex is FirewalldBusUnreachableException)
            {
                unreachable();
            }

            throw Translate(ex, operation, bus.Address);
        }
    }

    /// <summary>The explanation of one error reply, and whether it means firewalld cannot be used here at all.</summary>
    public static (bool Unavailable, string Text) Describe(FirewalldBusException error, string address)
    {
        switch (error.ErrorName)
        {
            case "org.freedesktop.DBus.Error.ServiceUnknown":
            case "org.freedesktop.DBus.Error.NameHasNoOwner":
                return (true, $"firewalld is not running: nobody owns org.fedoraproject.FirewallD1 on the bus at {address}. Start it (systemctl start firewalld) or use another backend.");
            case "org.freedesktop.DBus.Error.AccessDenied":
            case FirewalldBusNames.NotAuthorized:
                return (true, $"firewalld refused access ({error.ErrorName}: {error.ErrorMessage}). Changing firewalld needs root, or a polkit grant of org.fedoraproject.FirewallD1.config and org.fedoraproject.FirewallD1.all to this user; run as root.");
            case "org.freedesktop.DBus.Error.UnknownMethod":
            case "org.freedesktop.DBus.Error.UnknownInterface":
            case "org.freedesktop.DBus.Error.UnknownObject":
                return (true, $"this firewalld does not offer the calls NetPolHost needs ({error.ErrorMessage}). Policy objects need firewalld 0.9 or later.");
            case "org.freedesktop.DBus.Error.NoReply":
            case "org.freedesktop.DBus.Error.Timeout":
                return (false, $"firewalld did not answer ({error.ErrorMessage}). It may be busy or hung: check its log (journalctl -u firewalld) and retry, or raise FirewalldOptions.CallTimeout.");
        }

        if (error.ErrorName != FirewalldBusNames.FirewallException)
        {
            return (false, $"D-Bus error {error.ErrorName}: {error.ErrorMessage}");
        }

        var said = $"firewalld said {error.ErrorMessage}";
        return error.Code switch
        {
            "RUNNING_BUT_FAILED" => (true, said + ". firewalld runs but failed to load its configuration, so it refuses changes and may filter nothing. Find the broken file (firewall-cmd --check-config, journalctl -u firewalld), fix it and restart firewalld."),
            "NOT_RUNNING" => (true, said + ". firewalld is starting or stopping; retry when its state is RUNNING."),
            "ACCESS_DENIED" or "NOT_AUTHORIZED" => (true, said + ". firewalld's lockdown is on and does not allow this program; add it to the lockdown whitelist or turn lockdown off."),
            "ALREADY_ENABLED" or "NOT_ENABLED" or "ALREADY_SET" => (false, said + ". Someone changed firewalld while NetPolHost applied its plan; apply again."),
            "NAME_CONFLICT" => (false, said + ". An object of that name already exists in firewalld but NetPolHost did not create it; remove or rename it, or choose another FirewalldOptions.Prefix."),
            "INVALID_IPSET" or "INVALID_POLICY" or "INVALID_ZONE" => (false, said + ". The object is missing (someone removed it or reloaded firewalld during the apply); apply again."),
            "INVALID_TYPE" => (false, said + ". This firewalld does not support the ipset type NetPolHost uses (hash:ip, hash:net); use firewalld 0.9 or later with the nftables backend."),
            "COMMAND_FAILED" => (false, said + ". firewalld could not load its rules into the kernel; check its log (journalctl -u firewalld) and that nftables works on this host."),
            "IPSET_WITH_TIMEOUT" => (false, said + ". An ipset with a timeout cannot be used in rules; this is not an ipset NetPolHost created."),
            { } code when code.StartsWith("INVALID_", StringComparison.Ordinal) || code.StartsWith("MISSING_", StringComparison.Ordinal) =>
                (false, said + ". firewalld rejected what NetPolHost generated: this is a NetPolHost bug; please report it with the output of 'netpolhost plan --backend firewalld -o native'."),
            _ => (false, said),
        };
    }
}
