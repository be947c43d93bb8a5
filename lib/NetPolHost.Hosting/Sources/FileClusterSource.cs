using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetPolHost.Parsing;

namespace NetPolHost.Hosting.Sources;

/// <summary>Options of <see cref="FileClusterSource"/>.</summary>
public sealed class FileSourceOptions
{
    /// <summary>Files and directories to read (recursively: .yaml, .yml, .json); at least one.</summary>
    public IList<string> Paths { get; } = [];

    /// <summary>How often to re-read everything even without a change notification (catches missed events, e.g. on
    /// network file systems).</summary>
    /// <value>Default 10 seconds; between 100 ms and one day.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="FileSourceOptions"/> at start and lists every broken field.</summary>
internal sealed class FileSourceOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<FileSourceOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, FileSourceOptions options)
    {
        var failures = new List<string>();
        if (options.Paths.Count == 0)
        {
            failures.Add("Paths needs at least one file or directory.");
        }

        failures.AddRange(options.Paths.Where(p => !File.Exists(p) && !Directory.Exists(p)).Select(p => $"Paths: '{p}' is neither a file nor a directory."));
        if (options.PollInterval < TimeSpan.FromMilliseconds(100) || options.PollInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"PollInterval must be between 100 ms and one day, found {options.PollInterval}.");
        }

        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Manifest files and directories as a source, re-read when they change.</summary>
/// <remarks>
/// Changes are noticed through file system notifications and, as a safety net, by polling the files' sizes and times.
/// Every report is a complete, consistent view; only files whose size or write time changed are parsed again. A load
/// with errors is reported with its errors, and the node agent then keeps the last valid state in force.
/// </remarks>
public sealed partial class FileClusterSource : IClusterSource, IDisposable
{
    private readonly Microsoft.Extensions.Options.IOptions<FileSourceOptions> _optionsAccessor;
    private readonly ILogger _logger;
    private readonly ManifestLoader _loader = new();
    private readonly ManifestFileCache _cache = new();
    private readonly SemaphoreSlim _changed = new(0);
    private readonly List<FileSystemWatcher> _watchers = [];
    private DateTimeOffset? _firstChange;

    /// <summary>Creates the source.</summary>
    /// <param name="options">The paths.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    public FileClusterSource(FileSourceOptions options, ILogger<FileClusterSource>? logger = null)
        : this(Microsoft.Extensions.Options.Options.Create(options ?? throw new ArgumentNullException(nameof(options))), logger)
    {
    }

    /// <summary>Creates the source from options read when it runs (so start-up validation reports them first).</summary>
    /// <param name="options">The options.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    public FileClusterSource(Microsoft.Extensions.Options.IOptions<FileSourceOptions> options, ILogger<FileClusterSource>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _optionsAccessor = options;
        _logger = logger ?? NullLogger<FileClusterSource>.Instance;
    }

    private FileSourceOptions Settings => _optionsAccessor.Value;

    /// <inheritdoc/>
    public string Name => "files";

    /// <inheritdoc/>
    public async Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        Watch();
        var fingerprint = Fingerprint();
        await report(Load(DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            var notified = await _changed.WaitAsync(Settings.PollInterval, cancellationToken).ConfigureAwait(false);
            if (notified)
            {
                // Let a burst of writes (an editor's save, kubectl cp, a ConfigMap update) settle.
                await Task.Delay(TimeSpan.FromMilliseconds(30), cancellationToken).ConfigureAwait(false);
                while (_changed.CurrentCount > 0)
                {
                    await _changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            var current = Fingerprint();
            if (!notified && current == fingerprint)
            {
                continue;
            }

            fingerprint = current;
            var changedAt = _firstChange ?? DateTimeOffset.UtcNow;
            _firstChange = null;
            await report(Load(changedAt), cancellationToken).ConfigureAwait(false);
        }
    }

    private SourceUpdate Load(DateTimeOffset changedAt)
    {
        var result = _loader.LoadPaths(Settings.Paths, _cache);
        if (!result.IsValid)
        {
            Log.Invalid(_logger, result.Errors.Count, result.Errors[0].ToString());
        }

        return new SourceUpdate(Name, result.IsValid ? result.Snapshot : null, result.Errors, changedAt);
    }

    private void Watch()
    {
        foreach (var path in Settings.Paths)
        {
            var full = Path.GetFullPath(path);
            var directory = Directory.Exists(full) ? full : Path.GetDirectoryName(full);
            if (directory is null || !Directory.Exists(directory))
            {
                continue;
            }

            var watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = Directory.Exists(full),
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            if (!Directory.Exists(full))
            {
                watcher.Filter = Path.GetFileName(full);
            }

            watcher.Changed += OnChange;
            watcher.Created += OnChange;
            watcher.Deleted += OnChange;
            watcher.Renamed += OnChange;
            watcher.Error += (_, e) => Log.WatchError(_logger, e.GetException().Message);
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    private void OnChange(object sender, FileSystemEventArgs e)
    {
        _firstChange ??= DateTimeOffset.UtcNow;
        _changed.Release();
    }

    /// <summary>Names, sizes and write times of every file read, to notice changes by polling.</summary>
    private string Fingerprint()
    {
        var text = new System.Text.StringBuilder();
        foreach (var path in Settings.Paths)
        {
            IEnumerable<string> files;
            try
            {
                files = Directory.Exists(path)
                    ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                    : [path];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                text.Append(path).Append(":error;");
                continue;
            }

            foreach (var file in files)
            {
                var info = new FileInfo(file);
                text.Append(file).Append(':').Append(info.Exists ? info.Length : -1).Append(':').Append(info.Exists ? info.LastWriteTimeUtc.Ticks : 0).Append(';');
            }
        }

        return text.ToString();
    }

    /// <summary>Stops watching.</summary>
    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _changed.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "manifests are not valid ({Count} error(s); first: {First}); the last valid state stays in force")]
        public static partial void Invalid(ILogger logger, int count, string first);

        [LoggerMessage(2, LogLevel.Warning, "file watching failed ({Error}); changes are still noticed by polling")]
        public static partial void WatchError(ILogger logger, string error);
    }
}
