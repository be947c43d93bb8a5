using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetPolHost.Sources;

namespace NetPolHost.Kubernetes.Tests.Fakes;

/// <summary>Runs a <see cref="KubernetesClusterSource"/> in the background and collects what it reports.</summary>
internal sealed class SourceRun : IAsyncDisposable
{
    private readonly Channel<SourceUpdate> _updates = Channel.CreateUnbounded<SourceUpdate>();
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly Task _run;

    private SourceRun(KubernetesSourceOptions options)
    {
        Logs = new ListLogger();
        Source = new KubernetesClusterSource(options, Logs);
        _run = Task.Run(() => Source.RunAsync((update, token) => _updates.Writer.WriteAsync(update, token), _stop.Token));
    }

    public KubernetesClusterSource Source { get; }

    public ListLogger Logs { get; }

    /// <summary>Test timings: small backoff and report interval.</summary>
    public static KubernetesSourceOptions Options(FakeApiServer server) => new()
    {
        ClientConfiguration = server.ClientConfiguration,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        ReportInterval = TimeSpan.FromMilliseconds(10),
    };

    public static SourceRun Start(FakeApiServer server, Action<KubernetesSourceOptions>? configure = null)
    {
        var options = Options(server);
        configure?.Invoke(options);
        return new SourceRun(options);
    }

    public static SourceRun Start(KubernetesSourceOptions options) => new(options);

    /// <summary>The next update.</summary>
    public async Task<SourceUpdate> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _updates.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (_run.IsFaulted)
        {
            throw new InvalidOperationException("the source failed", _run.Exception);
        }
    }

    /// <summary>Skips updates until one matches.</summary>
    public async Task<SourceUpdate> NextMatchingAsync(Func<SourceUpdate, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var update = await NextAsync(deadline - DateTime.UtcNow);
            if (predicate(update))
            {
                return update;
            }
        }
    }

    /// <summary>Whether an update arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> AnyWithinAsync(TimeSpan wait)
    {
        await Task.Delay(wait, TestContext.Current.CancellationToken);
        return _updates.Reader.TryPeek(out _);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(10)); // The source must stop when cancelled; a hang fails the test.
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}

/// <summary>Keeps log lines in memory.</summary>
internal sealed class ListLogger : ILogger<KubernetesClusterSource>
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_gate)
        {
            _lines.Add(logLevel + ": " + formatter(state, exception));
        }
    }
}
