using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetPolHost.Backends;
using NetPolHost.Hosting.Agent;
using NetPolHost.Hosting.Diagnostics;
using NetPolHost.Planning;
using NetPolHost.Sources;
using NetPolHost.TestKit;

namespace NetPolHost.Hosting.Tests;

/// <summary>The agent's flow log: records of a backend that implements <see cref="IFlowLogReader"/> go to the file as
/// JSON lines, to the logger and to the <c>netpolhost.flows</c> counter; a failing reader is read again.</summary>
public sealed class FlowLogTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly TimerTrackingClock _clock = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("netpolhost-flowlog-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A backend whose flow log the test writes; the first <c>failures</c> reads throw.</summary>
    private sealed class FlowBackend(int failures = 0) : IFirewallBackend, IFlowLogReader
    {
        private readonly RecordingFirewallBackend _inner = new();
        private readonly Channel<FlowRecord> _records = Channel.CreateUnbounded<FlowRecord>();
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public bool? IncludeAllowed { get; private set; }

        public string Name => _inner.Name;

        public BackendCapabilities Capabilities => _inner.Capabilities;

        public void Log(FlowRecord record) => _records.Writer.TryWrite(record);

        public Task<ApplyResult> ApplyAsync(RulePlan plan, ApplyOptions? options = null, CancellationToken cancellationToken = default) => _inner.ApplyAsync(plan, options, cancellationToken);

        public Task RemoveAllAsync(CancellationToken cancellationToken = default) => _inner.RemoveAllAsync(cancellationToken);

        public Task<BackendStatus> GetStatusAsync(RulePlan? desired = null, CancellationToken cancellationToken = default) => _inner.GetStatusAsync(desired, cancellationToken);

        public string RenderNative(RulePlan plan) => _inner.RenderNative(plan);

        public IAsyncEnumerable<FlowRecord> ReadFlowsAsync(bool includeAllowed, CancellationToken cancellationToken = default)
        {
            IncludeAllowed = includeAllowed;
            return Interlocked.Increment(ref _reads) <= failures
                ? throw new IOException("netlink socket refused")
                : _records.Reader.ReadAllAsync(cancellationToken);
        }
    }

    /// <summary>A source that gives nothing (the flow log does not wait for a plan).</summary>
    private sealed class SilentSource : IClusterSource
    {
        public string Name => "files";

        public Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken) =>
            Task.Delay(Timeout.Infinite, cancellationToken);
    }

    /// <summary>Keeps each log entry's level, message and named properties.</summary>
    private sealed class ListLogger : ILogger<NodeAgent>
    {
        private readonly List<(LogLevel Level, string Message, Dictionary<string, object?> Properties)> _entries = [];

        public IReadOnlyList<(LogLevel Level, string Message, Dictionary<string, object?> Properties)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
            lock (_entries)
            {
                _entries.Add((logLevel, formatter(state, exception), properties));
            }
        }
    }

    /// <summary>Collects the measurements of <c>netpolhost.flows</c> with their tags.</summary>
    private sealed class FlowCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly List<Dictionary<string, object?>> _measurements = [];

        public FlowCounter()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == NetPolHostMetrics.MeterName && instrument.Name is "netpolhost.flows" or "netpolhost.errors")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var entry = new Dictionary<string, object?> { ["instrument"] = instrument.Name, ["value"] = value };
                foreach (var tag in tags)
                {
                    entry[tag.Key] = tag.Value;
                }

                lock (_measurements)
                {
                    _measurements.Add(entry);
                }
            });
            _listener.Start();
        }

        public IReadOnlyList<Dictionary<string, object?>> Of(string instrument)
        {
            lock (_measurements)
            {
                return [.. _measurements.Where(m => (string)m["instrument"]! == instrument)];
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    private static FlowRecord Denied() => new()
    {
        Time = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero),
        Verdict = "deny",
        Direction = "ingress",
        Protocol = "tcp",
        Source = IPAddress.Parse("10.0.0.2"),
        SourcePort = 40000,
        Destination = IPAddress.Parse("10.0.0.1"),
        DestinationPort = 80,
        SourceEndpoint = "y/b",
        DestinationEndpoint = "x/a",
        Tier = "NetworkPolicy",
        IsolatingPolicies = ["x/deny"],
    };

    private static FlowRecord Allowed() => new()
    {
        Time = new DateTimeOffset(2026, 12, 3, 12, 0, 1, TimeSpan.Zero),
        Verdict = "allow",
        Direction = "egress",
        Protocol = "udp",
        Source = IPAddress.Parse("10.0.0.1"),
        SourcePort = 5353,
        Destination = IPAddress.Parse("fd00::53"),
        DestinationPort = 53,
        SourceEndpoint = "x/a",
        Tier = "NetworkPolicy",
        Policy = "x/dns",
        Rule = 0,
    };

    private NodeAgent Agent(FlowBackend backend, ListLogger logger, Action<FlowLogOptions> configure)
    {
        var options = new NodeAgentOptions { NodeName = "node-1" };
        options.FlowLog.Enabled = true;
        configure(options.FlowLog);
        return new NodeAgent(backend, [new SilentSource()], Options.Create(options), new NetPolHostMetrics(), logger, new AlwaysConnected(), _clock);
    }

    private sealed class AlwaysConnected : IConnectivityCheck
    {
        public Task<bool> CheckAsync(IReadOnlyList<string> targets, TimeSpan timeout, CancellationToken cancellationToken) => Task.FromResult(true);
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private static string[] Lines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task Records_GoToTheFileAsJsonLines_ToTheLogger_AndToTheMeter()
    {
        using var counter = new FlowCounter();
        var backend = new FlowBackend();
        var logger = new ListLogger();
        var path = Path.Combine(_directory, "flows.jsonl");
        File.WriteAllText(path, "{\"earlier\":true}\n"); // appended to, never truncated
        using var agent = Agent(backend, logger, o =>
        {
            o.Path = path;
            o.IncludeAllowed = true;
        });
        await agent.StartAsync(TestContext.Current.CancellationToken);
        backend.Log(Denied());
        backend.Log(Allowed());
        await Until(() => Lines(path).Length == 3, "both records in the file");
        await agent.StopAsync(TestContext.Current.CancellationToken);

        Assert.True(backend.IncludeAllowed);
        var lines = Lines(path);
        Assert.Equal("{\"earlier\":true}", lines[0]);
        Assert.Equal(Denied().ToJson(), lines[1]);
        Assert.Equal(Allowed().ToJson(), lines[2]);
        using (var denied = JsonDocument.Parse(lines[1]))
        {
            var root = denied.RootElement;
            Assert.Equal("deny", root.GetProperty("verdict").GetString());
            Assert.Equal("ingress", root.GetProperty("direction").GetString());
            Assert.Equal("y/b", root.GetProperty("source").GetProperty("endpoint").GetString());
            Assert.Equal("x/a", root.GetProperty("destination").GetProperty("endpoint").GetString());
            Assert.Equal(80, root.GetProperty("destination").GetProperty("port").GetInt32());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("policy").ValueKind);
            Assert.Equal("x/deny", Assert.Single(root.GetProperty("isolatingPolicies").EnumerateArray()).GetString());
        }

        var flows = logger.Entries.Where(e => e.Properties.ContainsKey("Verdict")).ToList();
        Assert.Equal(2, flows.Count);
        Assert.All(flows, f => Assert.Equal(LogLevel.Information, f.Level));
        Assert.Equal("deny", flows[0].Properties["Verdict"]);
        Assert.Equal("ingress", flows[0].Properties["Direction"]);
        Assert.Equal("tcp", flows[0].Properties["Protocol"]);
        Assert.Equal("y/b(10.0.0.2:40000)", flows[0].Properties["Source"]);
        Assert.Equal("x/a(10.0.0.1:80)", flows[0].Properties["Destination"]);
        Assert.Equal("(isolation)", flows[0].Properties["Policy"]);
        Assert.Equal("allow", flows[1].Properties["Verdict"]);
        Assert.Equal("[fd00::53]:53", flows[1].Properties["Destination"]);
        Assert.Equal("x/dns", flows[1].Properties["Policy"]);

        var counted = counter.Of("netpolhost.flows");
        Assert.Equal(2, counted.Count);
        Assert.Equal(("deny", "ingress", "x", ""), ((string)counted[0]["verdict"]!, (string)counted[0]["direction"]!, (string)counted[0]["namespace"]!, (string)counted[0]["policy"]!));
        Assert.Equal(("allow", "egress", "x", "x/dns"), ((string)counted[1]["verdict"]!, (string)counted[1]["direction"]!, (string)counted[1]["namespace"]!, (string)counted[1]["policy"]!));
        Assert.All(counted, m => Assert.Equal(1L, m["value"]));
    }

    [Fact]
    public async Task FailingReader_IsLogged_AndReadAgainAfterTheBackoff_TheAgentKeepsRunning()
    {
        using var counter = new FlowCounter();
        var backend = new FlowBackend(failures: 1);
        var logger = new ListLogger();
        using var agent = Agent(backend, logger, _ => { });
        await agent.StartAsync(TestContext.Current.CancellationToken);

        var retry = await _clock.UntilPendingAsync(TimeSpan.FromSeconds(1), "the flow log's retry after the failure");
        Assert.Equal(1, backend.Reads);
        Assert.False(backend.IncludeAllowed);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("netlink socket refused", StringComparison.Ordinal));
        Assert.Contains(counter.Of("netpolhost.errors"), m => (string?)m["stage"] == "flows");

        _clock.Advance(retry.Due - _clock.GetUtcNow());
        await Until(() => backend.Reads == 2, "the flow log read again");
        backend.Log(Denied());
        await Until(() => counter.Of("netpolhost.flows").Count == 1, "the record counted");
        Assert.NotNull(agent.ExecuteTask);
        Assert.False(agent.ExecuteTask.IsCompleted);
        await agent.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(agent.ExecuteTask.IsCompletedSuccessfully);
    }
}
