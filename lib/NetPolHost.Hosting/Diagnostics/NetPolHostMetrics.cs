using System.Diagnostics.Metrics;

namespace NetPolHost.Hosting.Diagnostics;

/// <summary>
/// NetPolHost's metrics on the meter <c>NetPolHost</c> (read them with OpenTelemetry or
/// <c>dotnet-counters monitor --counters NetPolHost</c>).
/// </summary>
/// <remarks>
/// Instruments: <c>netpolhost.applies</c> (applies, tagged with backend and result), <c>netpolhost.apply.duration</c>
/// (seconds), <c>netpolhost.owned.rules</c> and <c>netpolhost.owned.elements</c> (what the backend holds after the last
/// apply), <c>netpolhost.drift.repairs</c>, <c>netpolhost.errors</c> (tagged with the stage that failed) and
/// <c>netpolhost.flows</c> (flow records the agent read, tagged with verdict, direction, namespace and policy).
/// </remarks>
internal sealed class NetPolHostMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = NetPolHost.Diagnostics.NetPolHostMeter.Name;

    private readonly Meter _meter;
    private readonly Counter<long> _applies;
    private readonly Histogram<double> _applyDuration;
    private readonly Counter<long> _driftRepairs;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _flows;
    private long _ownedRules;
    private long _ownedElements;

    /// <summary>Creates the instruments, through <paramref name="meterFactory"/> when given.</summary>
    /// <param name="meterFactory">The host's meter factory, or <see langword="null"/>.</param>
    public NetPolHostMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _applies = _meter.CreateCounter<long>("netpolhost.applies", description: "Plans applied to the host firewall.");
        _applyDuration = _meter.CreateHistogram<double>("netpolhost.apply.duration", unit: "s", description: "Time to apply a plan.");
        _driftRepairs = _meter.CreateCounter<long>("netpolhost.drift.repairs", description: "Times the host firewall differed from the plan and was repaired.");
        _errors = _meter.CreateCounter<long>("netpolhost.errors", description: "Failures, by stage.");
        _flows = _meter.CreateCounter<long>("netpolhost.flows", description: "Connections the firewall logged (flow records), by verdict, direction, namespace and policy.");
        _meter.CreateObservableGauge("netpolhost.owned.rules", () => Interlocked.Read(ref _ownedRules), description: "Rules (or filters) the backend owns.");
        _meter.CreateObservableGauge("netpolhost.owned.elements", () => Interlocked.Read(ref _ownedElements), description: "Set elements (addresses, ports) the backend owns.");
    }

    /// <summary>Records an apply.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="changed">Whether anything changed.</param>
    /// <param name="duration">How long it took.</param>
    public void Applied(string backend, bool changed, TimeSpan duration)
    {
        _applies.Add(1, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("result", changed ? "changed" : "unchanged"));
        _applyDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("backend", backend));
    }

    /// <summary>Records what the backend owns after an apply.</summary>
    /// <param name="rules">Rules or filters.</param>
    /// <param name="elements">Set elements.</param>
    public void Owned(long rules, long elements)
    {
        Interlocked.Exchange(ref _ownedRules, rules);
        Interlocked.Exchange(ref _ownedElements, elements);
    }

    /// <summary>Records a drift repair.</summary>
    /// <param name="backend">The backend name.</param>
    public void DriftRepaired(string backend) => _driftRepairs.Add(1, new KeyValuePair<string, object?>("backend", backend));

    /// <summary>Records a failure.</summary>
    /// <param name="stage">Where: load, compile, apply, source…</param>
    public void Error(string stage) => _errors.Add(1, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>Records a flow record: tagged with its verdict, direction, the namespace of the endpoint whose side
    /// decided it (the destination's for ingress, the source's for egress; else the policy's), and the policy (empty for
    /// an isolation drop).</summary>
    /// <param name="record">The record.</param>
    public void Flow(NetPolHost.Backends.FlowRecord record) =>
        _flows.Add(
            1,
            new KeyValuePair<string, object?>("verdict", record.Verdict),
            new KeyValuePair<string, object?>("direction", record.Direction),
            new KeyValuePair<string, object?>("namespace", FlowNamespace(record)),
            new KeyValuePair<string, object?>("policy", record.Policy ?? string.Empty));

    /// <summary>The namespace a flow record is counted under: of the endpoint checked (<c>namespace/name</c>), else of
    /// the policy (<c>namespace/name</c>), else empty.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The namespace, or an empty string.</returns>
    internal static string FlowNamespace(NetPolHost.Backends.FlowRecord record)
    {
        var endpoint = record.Direction == "egress" ? record.SourceEndpoint : record.DestinationEndpoint;
        return NamespaceOf(endpoint) ?? NamespaceOf(record.Policy) ?? string.Empty;

        static string? NamespaceOf(string? name) =>
            name is not null && !name.StartsWith("node:", StringComparison.Ordinal) && name.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash
                ? name[..slash]
                : null;
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
