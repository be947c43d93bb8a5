using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetPolHost.Parsing;
using NetPolHost.Sources;

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

    /// <summary>The namespace of namespaced objects in the files that name none (as kubectl's <c>-n</c>), or
    /// <see langword="null"/> to report them as errors.</summary>
    public string? DefaultNamespace { get; set; }
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
/// Changes are noticed through file system notifications and, as a safety net, by polling. Either way a new view is
/// reported only when the fingerprint of the files changed: their names, sizes, write times and the real paths behind
/// symbolic links. Kubernetes ConfigMap and Secret volumes (<c>dir/file.yaml</c> → <c>..data/file.yaml</c>, with
/// <c>..data</c> → <c>..2026_…</c> swapped atomically on update) are therefore seen to change even when the new files
/// have the same sizes and times, and their hidden <c>..</c> folders are never read a second time. A single file is
/// watched through its directory, so an atomic replace (write a temporary file, rename it over) is seen. Every report
/// is a complete, consistent view; only files whose size or write time changed are parsed again. A load with errors
/// is reported with its errors, and the node agent then keeps the last valid state in force.
/// </remarks>
public sealed partial class FileClusterSource : IClusterSource, IDisposable
{
    private readonly Microsoft.Extensions.Options.IOptions<FileSourceOptions> _optionsAccessor;
    private readonly ILogger _logger;
    private ManifestLoader? _loader;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly List<FileSystemWatcher> _watchers = [];
    private string? _cachedLinks;
    private long _firstChangeTicks;

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

    /// <summary>The file system watchers in use (for tests: none once a run has ended).</summary>
    internal int WatcherCount
    {
        get
        {
            lock (_watchers)
            {
                return _watchers.Count;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>A source restarted after a failure drops the watchers of its earlier run first.</remarks>
    public async Task RunAsync(Func<SourceUpdate, CancellationToken, ValueTask> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_watchers)
        {
            StopWatching();
            Watch();
        }

        try
        {
            var fingerprint = Scan();
            Interlocked.Exchange(ref _firstChangeTicks, 0);
            await report(Load(fingerprint, DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
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

                var firstChange = Interlocked.Exchange(ref _firstChangeTicks, 0);
                var current = Scan();
                if (current == fingerprint)
                {
                    continue; // e.g. a temporary file next to a watched file, or a poll that found nothing new
                }

                fingerprint = current;
                var changedAt = firstChange == 0 ? DateTimeOffset.UtcNow : new DateTimeOffset(firstChange, TimeSpan.Zero);
                await report(Load(fingerprint, changedAt), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_watchers)
            {
                StopWatching();
            }
        }
    }

    private SourceUpdate Load(Fingerprint fingerprint, DateTimeOffset changedAt)
    {
        if (!string.Equals(fingerprint.Links, _cachedLinks, StringComparison.Ordinal))
        {
            // A link now leads elsewhere (a ConfigMap's ..data swap): the cache knows files by the visible path and by
            // size and write time, which the new target can share with the old one, so read everything again.
            _loader = null;
            _cachedLinks = fingerprint.Links;
        }

        _loader ??= new ManifestLoader(new ManifestLoaderOptions { DefaultNamespace = Settings.DefaultNamespace, ReuseUnchangedFiles = true });
        var result = _loader.LoadPaths(Settings.Paths);
        if (!result.IsValid)
        {
            Log.Invalid(_logger, result.Errors.Count, result.Errors[0].ToString());
        }

        return new SourceUpdate(Name, result.IsValid ? result.Snapshot : null, result.Errors, changedAt);
    }

    /// <summary>Watches each directory, and the directory of each file (not the file alone: an atomic replace renames
    /// another file over it, and a ConfigMap update renames <c>..data</c> next to it).</summary>
    private void Watch()
    {
        foreach (var path in Settings.Paths)
        {
            var full = Path.GetFullPath(path);
            var isDirectory = Directory.Exists(full);
            var directory = isDirectory ? full : Path.GetDirectoryName(full);
            if (directory is null || !Directory.Exists(directory))
            {
                continue;
            }

            FileSystemWatcher? watcher = null;
            try
            {
                watcher = new FileSystemWatcher(directory)
                {
                    IncludeSubdirectories = isDirectory,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                watcher.Changed += OnChange;
                watcher.Created += OnChange;
                watcher.Deleted += OnChange;
                watcher.Renamed += OnChange;
                watcher.Error += OnError;
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
                watcher = null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
            {
                // E.g. the inotify instance limit: polling still notices changes.
                Log.WatchError(_logger, ex.Message);
            }
            finally
            {
                watcher?.Dispose();
            }
        }
    }

    private void StopWatching()
    {
        foreach (var watcher in _watchers)
        {
            watcher.EnableRaisingEvents = false;
            watcher.Dispose();
        }

        _watchers.Clear();
    }

    private void OnChange(object sender, FileSystemEventArgs e)
    {
        Interlocked.CompareExchange(ref _firstChangeTicks, DateTimeOffset.UtcNow.UtcTicks, 0);
        Signal();
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        Log.WatchError(_logger, e.GetException().Message);
        Signal(); // events may have been lost: look again
    }

    private void Signal()
    {
        try
        {
            _changed.Release();
        }
        catch (ObjectDisposedException)
        {
            // An event that raced with Dispose.
        }
    }

    /// <summary>What the loader would read, with the size, write time and real path (links resolved) of each file.</summary>
    /// <remarks>Walks the paths with <see cref="ManifestFiles.Find"/>, as the loader does.</remarks>
    private Fingerprint Scan()
    {
        var stamps = new System.Text.StringBuilder();
        var links = new System.Text.StringBuilder();
        var realPaths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Settings.Paths)
        {
            IReadOnlyList<string> files = Directory.Exists(path)
                ? ManifestFiles.Find(path, (dir, _) => stamps.Append(dir).Append(":unreadable;"))
                : [path];

            foreach (var file in files)
            {
                var info = new FileInfo(file);
                var real = RealPath(file, realPaths, 0);
                stamps.Append(file).Append('>').Append(real).Append(':');
                try
                {
                    stamps.Append(info.Exists ? info.Length : -1).Append(':').Append(info.Exists ? info.LastWriteTimeUtc.Ticks : 0);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    stamps.Append("error");
                }

                stamps.Append(';');
                if (!string.Equals(real, Path.GetFullPath(file), StringComparison.Ordinal))
                {
                    links.Append(file).Append('>').Append(real).Append(';');
                }
            }
        }

        return new Fingerprint(stamps.ToString(), links.ToString());
    }

    /// <summary>The full path with every symbolic link resolved, in the directories as well as at the end (what
    /// <c>realpath</c> gives): a file reached through <c>..data</c> gets the path in the folder <c>..data</c> leads to.</summary>
    private static string RealPath(string path, Dictionary<string, string> known, int depth)
    {
        var full = Path.GetFullPath(path);
        if (known.TryGetValue(full, out var real))
        {
            return real;
        }

        var parent = Path.GetDirectoryName(full);
        if (parent is null)
        {
            return full; // the root
        }

        var candidate = Path.Join(RealPath(parent, known, depth), Path.GetFileName(full));
        string? target = null;
        if (depth < 40)
        {
            try
            {
                target = (Directory.Exists(candidate) ? new DirectoryInfo(candidate) : (FileSystemInfo)new FileInfo(candidate)).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        real = target is null
            ? candidate
            : RealPath(Path.IsPathRooted(target) ? target : Path.Join(Path.GetDirectoryName(candidate), target), known, depth + 1);
        known[full] = real;
        return real;
    }

    /// <summary>Stops watching.</summary>
    public void Dispose()
    {
        lock (_watchers)
        {
            StopWatching();
        }

        _changed.Dispose();
    }

    /// <summary>The state of the files: <see cref="Stamps"/> for every change, <see cref="Links"/> for where links lead.</summary>
    private sealed record Fingerprint(string Stamps, string Links);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "manifests are not valid ({Count} error(s); first: {First}); the last valid state stays in force")]
        public static partial void Invalid(ILogger logger, int count, string first);

        [LoggerMessage(2, LogLevel.Warning, "file watching failed ({Error}); changes are still noticed by polling")]
        public static partial void WatchError(ILogger logger, string error);
    }
}
