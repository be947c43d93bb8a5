using System.ComponentModel.DataAnnotations;

namespace NetPolHost.Firewalld;

/// <summary>Options of the firewalld backend (bind section <c>NetPolHost:Firewalld</c>).</summary>
public sealed class FirewalldOptions
{
    /// <summary>The D-Bus address of the system bus firewalld listens on, or <see langword="null"/> for the default.</summary>
    /// <value>Default <see langword="null"/>: the <c>DBUS_SYSTEM_BUS_ADDRESS</c> environment variable when set, else
    /// <c>unix:path=/var/run/dbus/system_bus_socket</c>.</value>
    public string? BusAddress { get; set; }

    /// <summary>The prefix of every firewalld object the backend owns (policies <c>PREFIX-fwd</c>, <c>PREFIX-in</c>,
    /// <c>PREFIX-out</c> and ipsets <c>PREFIX-…</c>).</summary>
    /// <value>Default <c>nph</c>. A lower-case letter, then lower-case letters or digits, at most 8 characters (firewalld
    /// limits policy names to 18 characters).</value>
    [Required]
    [RegularExpression("^[a-z][a-z0-9]{0,7}$", ErrorMessage = "Prefix must be a lower-case letter followed by at most 7 lower-case letters or digits.")]
    public string Prefix { get; set; } = "nph";

    /// <summary>The priority of the backend's firewalld policies; lower runs earlier. Policies of others with a lower
    /// priority run first and can accept what the plan denies.</summary>
    /// <value>Default <c>-30000</c>. Negative (the policies must run before the zones' own rules), at least -32768.</value>
    [Range(-32768, -1, ErrorMessage = "PolicyPriority must be between -32768 and -1 (policies must run before the zones).")]
    public int PolicyPriority { get; set; } = -30000;

    /// <summary>Also store ipset entries in firewalld's permanent configuration, so that a reload or a restart of firewalld
    /// restores the plan even when this process is not running to re-apply it.</summary>
    /// <value>Default <see langword="true"/>. With <see langword="false"/> entries live only at runtime: between a
    /// reload and the re-apply, isolated endpoints are not protected.</value>
    public bool PersistEntries { get; set; } = true;

    /// <summary>Re-apply the last plan when firewalld reports a reload (signal <c>Reloaded</c>) or restarts.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool ReapplyOnReload { get; set; } = true;

    /// <summary>How long one D-Bus call may take.</summary>
    /// <value>Default 30 seconds; between 1 second and 10 minutes.</value>
    [TimeSpanRange(1, 600, ErrorMessage = "CallTimeout must be between 1 second and 10 minutes.")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a firewalld reload (or start-up) may take before the backend gives up waiting for state
    /// <c>RUNNING</c>.</summary>
    /// <value>Default 2 minutes; between 1 second and 30 minutes.</value>
    [TimeSpanRange(1, 1800, ErrorMessage = "ReloadTimeout must be between 1 second and 30 minutes.")]
    public TimeSpan ReloadTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Checks that a <see cref="TimeSpan"/> lies between two numbers of seconds (trim-safe, unlike
/// <see cref="RangeAttribute"/> over <see cref="TimeSpan"/>).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class TimeSpanRangeAttribute(int minimumSeconds, int maximumSeconds) : ValidationAttribute
{
    /// <summary>The least number of seconds.</summary>
    public int MinimumSeconds { get; } = minimumSeconds;

    /// <summary>The greatest number of seconds.</summary>
    public int MaximumSeconds { get; } = maximumSeconds;

    /// <inheritdoc/>
    public override bool IsValid(object? value) =>
        value is TimeSpan span && span >= TimeSpan.FromSeconds(MinimumSeconds) && span <= TimeSpan.FromSeconds(MaximumSeconds);
}
