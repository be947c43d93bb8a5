using System.Diagnostics.Metrics;

namespace NetPolHost.Hosting.Diagnostics;

/// <summary>
/// NetPolHost's metrics on the meter <c>NetPolHost</c> (read them with OpenTelemetry or
/// <c>dotnet-counters monitor --counters NetPolHost</c>).
/// </summary>
/// <remarks>
/// Instruments: <c>netpolhost.applies</c> (applies, tagged with backend and result), <c>netpolhost.apply.duration</c>
/// (seconds), <c>netpolhost.owned.rules</c> and <c>netpolhost.owned.elements</c> (what the backend holds after the last
/// apply), <c>netpolhost.drift.repairs</c> and <c>netpolhost.errors</c> (tagged with the stage that failed).
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

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
