using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using NetPolHost.Backends;

namespace NetPolHost.Hosting.Prometheus;

/// <summary>
/// The rule counters of a backend that keeps them (<see cref="IRuleCounterReader"/>) as two observable counters on the
/// meter <c>NetPolHost</c>: <c>netpolhost.rule.packets</c> and <c>netpolhost.rule.bytes</c>, tagged with policy, tier,
/// direction, action and rule index, summed over the endpoints the rule serves.
/// </summary>
/// <remarks>
/// The counters are read from the firewall by <see cref="RefreshAsync"/>, which the endpoint calls when it is scraped;
/// a read younger than the maximum age (at most 5 s) is reused, so scrapes in a burst read the kernel once. An isolation
/// drop belongs to no policy: its policy and rule tags are empty. A failed read is logged and leaves no series until the
/// next read succeeds.
/// </remarks>
internal sealed partial class RuleCounterMetrics : IDisposable
{
    private readonly IRuleCounterReader _reader;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxAge;
    private readonly ILogger _logger;
    private readonly Meter? _ownMeter;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<Series> _series = [];
    private DateTimeOffset? _readAt;
    private int _reads;

    public RuleCounterMetrics(IRuleCounterReader reader, TimeProvider time, TimeSpan maxAge, ILogger logger, IMeterFactory? meterFactory)
    {
        _reader = reader;
        _time = time;
        _maxAge = maxAge;
        _logger = logger;
        Meter meter;
        if (meterFactory is null)
        {
            meter = _ownMeter = new Meter(NetPolHost.Diagnostics.NetPolHostMeter.Name);
        }
        else
        {
            meter = meterFactory.Create(NetPolHost.Diagnostics.NetPolHostMeter.Name);
        }

        meter.CreateObservableCounter("netpolhost.rule.packets", () => Measure(static s => s.Packets), unit: "{packet}", description: "Packets counted by the rules the backend owns, by policy, tier, direction, action and rule.");
        meter.CreateObservableCounter("netpolhost.rule.bytes", () => Measure(static s => s.Bytes), unit: "By", description: "Bytes counted by the rules the backend owns, by policy, tier, direction, action and rule.");
    }

    /// <summary>Reads from the firewall so far (for tests).</summary>
    public int Reads => Volatile.Read(ref _reads);

    /// <summary>Reads the counters from the backend unless the last read is younger than the maximum age.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A task.</returns>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_readAt is { } readAt && now - readAt < _maxAge && now >= readAt)
            {
                return;
            }

            Interlocked.Increment(ref _reads);
            IReadOnlyList<RuleCounter> counters;
            try
            {
                counters = await _reader.ReadCountersAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.ReadFailed(_logger, ex, ex.Message);
                counters = [];
            }

            _readAt = now;
            Volatile.Write(ref _series, Aggregate(counters));
        }
        finally
        {
            _gate.Release();
        }
    }

    private static List<Series> Aggregate(IReadOnlyList<RuleCounter> counters)
    {
        var sums = new Dictionary<(string Policy, string Tier, string Direction, string Action, string Rule), (long Packets, long Bytes)>();
        foreach (var counter in counters)
        {
            var key = (counter.Policy ?? string.Empty, counter.Tier, counter.Direction, counter.Action, counter.Rule?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);
            sums.TryGetValue(key, out var sum);
            sums[key] = (sum.Packets + counter.Packets, sum.Bytes + counter.Bytes);
        }

        return [.. sums.Select(p => new Series(
            [
                new("policy", p.Key.Policy),
                new("tier", p.Key.Tier),
                new("direction", p.Key.Direction),
                new("action", p.Key.Action),
                new("rule", p.Key.Rule),
            ],
            p.Value.Packets,
            p.Value.Bytes))];
    }

    private IEnumerable<Measurement<long>> Measure(Func<Series, long> value) =>
        Volatile.Read(ref _series).Select(s => new Measurement<long>(value(s), s.Tags));

    public void Dispose()
    {
        _ownMeter?.Dispose();
        _gate.Dispose();
    }

    private sealed record Series(KeyValuePair<string, object?>[] Tags, long Packets, long Bytes);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "reading the rule counters failed: {Error}; no rule counters until the next scrape")]
        public static partial void ReadFailed(ILogger logger, Exception exception, string error);
    }
}
