using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Prometheus;

namespace NetPolHost.Hosting.Prometheus;

/// <summary>
/// Publishes the instruments of the meter <c>NetPolHost</c> as Prometheus metrics in a prometheus-net registry, which
/// writes the exposition format.
/// </summary>
/// <remarks>
/// Names follow the OpenTelemetry to Prometheus conventions: dots become underscores, the unit is appended
/// (<c>s</c> as <c>_seconds</c>, <c>By</c> as <c>_bytes</c>) and counters end in <c>_total</c>, so
/// <c>netpolhost.applies</c> is <c>netpolhost_applies_total</c> and <c>netpolhost.apply.duration</c> is the histogram
/// <c>netpolhost_apply_duration_seconds</c>. Counters (also observable ones) are Prometheus counters, histograms are
/// histograms (with the instrument's advised buckets, or 1 ms to 32 s by doubling), gauges and up-down counters are
/// gauges. Tags become labels. prometheus-net's own meter adapter is not used: it names metrics after meter and
/// instrument (<c>netpolhost_netpolhost_applies</c>), publishes counters as gauges, and forgets a series that has not
/// changed for a while, which restarts a counter. Observable instruments are read by <see cref="Observe"/>, before each
/// scrape; a series an observable instrument no longer reports is removed.
/// </remarks>
internal sealed class MeterBridge : IDisposable
{
    private static readonly double[] s_defaultBuckets = Histogram.ExponentialBuckets(0.001, 2, 16);
    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;
    private readonly Func<Instrument, bool> _include;
    private readonly ConcurrentDictionary<Instrument, Export> _exports = new();
    private readonly Lock _observeGate = new();

    /// <param name="registry">Where the metrics go.</param>
    /// <param name="include">Which instruments to publish.</param>
    public MeterBridge(CollectorRegistry registry, Func<Instrument, bool> include)
    {
        _factory = Metrics.WithCustomRegistry(registry);
        _include = include;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_include(instrument) && Kind(instrument) is { } kind)
            {
                var export = _exports.GetOrAdd(instrument, i => new Export(this, i, kind));
                listener.EnableMeasurementEvents(instrument, export);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _exports.TryRemove(instrument, out Export? _);
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.Start();
    }

    private enum MetricKind
    {
        Counter,
        ObservableCounter,
        UpDownCounter,
        Gauge,
        ObservableGauge,
        Histogram,
    }

    /// <summary>Reads every observable instrument now (call before collecting).</summary>
    public void Observe()
    {
        lock (_observeGate)
        {
            var observables = _exports.Values.Where(e => e.IsObservable).ToList();
            foreach (var export in observables)
            {
                export.BeginRound();
            }

            _listener.RecordObservableInstruments();
            foreach (var export in observables)
            {
                export.EndRound();
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private static MetricKind? Kind(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(Counter<>) ? MetricKind.Counter
            : definition == typeof(ObservableCounter<>) ? MetricKind.ObservableCounter
            : definition == typeof(UpDownCounter<>) || definition == typeof(ObservableUpDownCounter<>) ? (instrument.IsObservable ? MetricKind.ObservableGauge : MetricKind.UpDownCounter)
            : definition == typeof(Gauge<>) ? MetricKind.Gauge
            : definition == typeof(ObservableGauge<>) ? MetricKind.ObservableGauge
            : definition == typeof(Histogram<>) ? MetricKind.Histogram
            : null;
    }

    /// <summary>The Prometheus name of an instrument: see the class remarks.</summary>
    internal static string PrometheusName(string name, string? unit, bool counter)
    {
        var builder = new StringBuilder(name.Length + 16);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        var result = builder.ToString();
        var suffix = unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => null,
        };
        if (suffix is not null && !result.EndsWith(suffix, StringComparison.Ordinal))
        {
            result += suffix;
        }

        if (counter && !result.EndsWith("_total", StringComparison.Ordinal))
        {
            result += "_total";
        }

        return result;
    }

    private static string LabelName(string tag)
    {
        var builder = new StringBuilder(tag.Length);
        foreach (var c in tag)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return builder.Length > 0 && char.IsAsciiDigit(builder[0]) ? "_" + builder : builder.ToString();
    }

    /// <summary>One instrument and the prometheus-net metrics it feeds (one per set of tag names).</summary>
    private sealed class Export
    {
        private readonly MeterBridge _owner;
        private readonly Instrument _instrument;
        private readonly MetricKind _kind;
        private readonly string _name;
        private readonly string _help;
        private readonly ConcurrentDictionary<string, Collector> _metrics = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (Collector Metric, string[] Values)> _observed = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public Export(MeterBridge owner, Instrument instrument, MetricKind kind)
        {
            _owner = owner;
            _instrument = instrument;
            _kind = kind;
            _name = PrometheusName(instrument.Name, instrument.Unit, kind is MetricKind.Counter or MetricKind.ObservableCounter);
            _help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
        }

        public bool IsObservable => _kind is MetricKind.ObservableCounter or MetricKind.ObservableGauge;

        public void BeginRound() => _seen.Clear();

        public void EndRound()
        {
            foreach (var (key, (metric, values)) in _observed.Where(p => !_seen.Contains(p.Key)).ToList())
            {
                Remove(metric, values);
                _observed.Remove(key);
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var sorted = tags.ToArray();
            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var names = new string[sorted.Length];
            var values = new string[sorted.Length];
            for (var i = 0; i < sorted.Length; i++)
            {
                names[i] = LabelName(sorted[i].Key);
                values[i] = Convert.ToString(sorted[i].Value, CultureInfo.InvariantCulture) ?? string.Empty;
            }

            var signature = string.Join('\n', names);
            var metric = _metrics.GetOrAdd(signature, _ => Create(names));
            switch (metric)
            {
                case Counter counter when _kind == MetricKind.ObservableCounter:
                    var series = signature + "\n\n" + string.Join('\n', values);
                    _seen.Add(series);
                    _observed[series] = (counter, values);
                    var child = counter.WithLabels(values);
                    if (value < child.Value)
                    {
                        // Fewer than last time (the rule was replaced): a counter restarts from the new value.
                        counter.RemoveLabelled(values);
                        child = counter.WithLabels(values);
                    }

                    child.IncTo(value);
                    break;
                case Counter counter:
                    if (value > 0)
                    {
                        counter.WithLabels(values).Inc(value);
                    }

                    break;
                case Gauge gauge when _kind == MetricKind.UpDownCounter:
                    gauge.WithLabels(values).Inc(value);
                    break;
                case Gauge gauge:
                    if (_kind == MetricKind.ObservableGauge)
                    {
                        var key = signature + "\n\n" + string.Join('\n', values);
                        _seen.Add(key);
                        _observed[key] = (gauge, values);
                    }

                    gauge.WithLabels(values).Set(value);
                    break;
                case Histogram histogram:
                    histogram.WithLabels(values).Observe(value);
                    break;
            }
        }

        private Collector Create(string[] labelNames) => _kind switch
        {
            MetricKind.Counter or MetricKind.ObservableCounter => _owner._factory.CreateCounter(_name, _help, labelNames),
            MetricKind.Histogram => _owner._factory.CreateHistogram(_name, _help, labelNames, new HistogramConfiguration { Buckets = Buckets() }),
            _ => _owner._factory.CreateGauge(_name, _help, labelNames),
        };

        private double[] Buckets() => _instrument switch
        {
            Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised],
            Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised.Select(b => (double)b)],
            _ => s_defaultBuckets,
        };

        private static void Remove(Collector metric, string[] values)
        {
            switch (metric)
            {
                case Counter counter:
                    counter.RemoveLabelled(values);
                    break;
                case Gauge gauge:
                    gauge.RemoveLabelled(values);
                    break;
            }
        }
    }
}
