using NetPolHost.Hosting.Sources;
using NetPolHost.Sources;

namespace NetPolHost.Hosting.Tests;

public sealed class FileClusterSourceTests
{
    [Fact]
    public async Task Source_ReportsAtStartAndOnEveryChange_InvalidFilesWithTheirErrors()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "policy.yaml");
        await File.WriteAllTextAsync(file, Policy("80"), TestContext.Current.CancellationToken);
        using var source = new FileClusterSource(new FileSourceOptions { PollInterval = TimeSpan.FromSeconds(30) }.With(dir.Path));
        var updates = System.Threading.Channels.Channel.CreateUnbounded<SourceUpdate>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = source.RunAsync((u, token) => updates.Writer.WriteAsync(u, token), stop.Token);

        var first = await updates.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.True(first.IsValid);
        Assert.Single(first.Snapshot!.Policies);

        await File.WriteAllTextAsync(file, Policy("70000"), TestContext.Current.CancellationToken);
        var second = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5));
        Assert.False(second.IsValid);
        Assert.Equal($"{file}:9:20: spec.ingress[0].ports[0].port: expected a port number between 1 and 65535, found 70000", second.Errors[0].ToString());

        File.Delete(file);
        var third = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5));
        Assert.True(third.IsValid);
        Assert.Empty(third.Snapshot!.Policies);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task ConfigMapVolume_DataSwap_IsSeenWithTheNewContent_AndEachFileIsReadOnce()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "ConfigMap volumes (symbolic links, atomic rename) are tested on Linux");
        using var dir = new TempDir();
        var volume = new ConfigMapVolume(dir.Path);
        volume.Publish("..2026_01_01_00_00_00.000000001", ("policy.yaml", Policy("80")), ("other.yaml", Policy("90", "other")));
        var policy = Path.Combine(dir.Path, "policy.yaml");
        var writeTime = File.GetLastWriteTimeUtc(policy);

        // Poll rarely: the watcher must see the swap.
        using var source = new FileClusterSource(new FileSourceOptions { PollInterval = TimeSpan.FromHours(1) }.With(dir.Path));
        var updates = System.Threading.Channels.Channel.CreateUnbounded<SourceUpdate>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = source.RunAsync((u, token) => updates.Writer.WriteAsync(u, token), stop.Token);

        var first = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5));
        Assert.True(first.IsValid, string.Join("\n", first.Errors)); // read twice, the policies would be duplicates
        Assert.Equal(["x/other", "x/web"], first.Snapshot!.Policies.Select(p => $"{p.Namespace}/{p.Name}").Order(StringComparer.Ordinal));
        Assert.Equal(80, Port(first, "web"));

        // The new file has the same size and write time as the old one: only where the link leads tells them apart.
        volume.Publish("..2026_01_01_00_01_00.000000002", [("policy.yaml", Policy("81")), ("other.yaml", Policy("90", "other"))], writeTime);
        Assert.Equal(writeTime, File.GetLastWriteTimeUtc(policy));
        var second = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(10));
        Assert.True(second.IsValid, string.Join("\n", second.Errors));
        Assert.Equal(2, second.Snapshot!.Policies.Count);
        Assert.Equal(81, Port(second, "web"));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task ConfigMapVolume_SwapSeenByPolling_WhenNoWatcherNotices()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "ConfigMap volumes (symbolic links, atomic rename) are tested on Linux");
        using var dir = new TempDir();
        var mount = Path.Combine(dir.Path, "mount");
        Directory.CreateDirectory(mount);
        var volume = new ConfigMapVolume(mount);
        volume.Publish("..2026_01_01_00_00_00.000000001", ("policy.yaml", Policy("80")));
        var writeTime = File.GetLastWriteTimeUtc(Path.Combine(mount, "policy.yaml"));

        // The source reads the mount through a link of its own in another directory, whose watcher sees nothing of the swap.
        var elsewhere = Path.Combine(dir.Path, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var link = Path.Combine(elsewhere, "policy.yaml");
        File.CreateSymbolicLink(link, Path.Combine(mount, "policy.yaml"));
        using var source = new FileClusterSource(new FileSourceOptions { PollInterval = TimeSpan.FromMilliseconds(100) }.With(link));
        var updates = System.Threading.Channels.Channel.CreateUnbounded<SourceUpdate>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = source.RunAsync((u, token) => updates.Writer.WriteAsync(u, token), stop.Token);
        Assert.Equal(80, Port(await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5)), "web"));

        volume.Publish("..2026_01_01_00_01_00.000000002", [("policy.yaml", Policy("81"))], writeTime);
        Assert.Equal(81, Port(await ReadWithin(updates.Reader, TimeSpan.FromSeconds(10)), "web"));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task SingleFile_AtomicReplaceAndConfigMapSwap_AreSeenByTheWatcher()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "ConfigMap volumes (symbolic links, atomic rename) are tested on Linux");
        using var dir = new TempDir();
        var plain = Path.Combine(dir.Path, "plain");
        var mount = Path.Combine(dir.Path, "mount");
        Directory.CreateDirectory(plain);
        Directory.CreateDirectory(mount);
        var file = Path.Combine(plain, "policy.yaml");
        await File.WriteAllTextAsync(file, Policy("80"), TestContext.Current.CancellationToken);
        var volume = new ConfigMapVolume(mount);
        volume.Publish("..2026_01_01_00_00_00.000000001", ("mounted.yaml", Policy("90", "mounted")));

        // Poll rarely: only watching the files' directories can see these changes in time.
        using var source = new FileClusterSource(new FileSourceOptions { PollInterval = TimeSpan.FromHours(1) }.With(file, Path.Combine(mount, "mounted.yaml")));
        var updates = System.Threading.Channels.Channel.CreateUnbounded<SourceUpdate>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = source.RunAsync((u, token) => updates.Writer.WriteAsync(u, token), stop.Token);
        var first = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5));
        Assert.Equal((80, 90), (Port(first, "web"), Port(first, "mounted")));
        Assert.Equal(2, source.WatcherCount);

        // An editor's or a deployment tool's atomic replace: write a temporary file, rename it over the watched one.
        var temp = Path.Combine(plain, ".policy.yaml.tmp");
        await File.WriteAllTextAsync(temp, Policy("81"), TestContext.Current.CancellationToken);
        File.Move(temp, file, overwrite: true);
        var second = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(10));
        Assert.Equal((81, 90), (Port(second, "web"), Port(second, "mounted")));

        // The ConfigMap swap renames ..data next to the watched file; the file's own link does not change.
        volume.Publish("..2026_01_01_00_01_00.000000002", ("mounted.yaml", Policy("91", "mounted")));
        var third = await ReadWithin(updates.Reader, TimeSpan.FromSeconds(10));
        Assert.Equal((81, 91), (Port(third, "web"), Port(third, "mounted")));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task Restart_DisposesTheWatchersOfTheEarlierRun()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "policy.yaml"), Policy("80"), TestContext.Current.CancellationToken);
        using var source = new FileClusterSource(new FileSourceOptions { PollInterval = TimeSpan.FromHours(1) }.With(dir.Path));
        for (var run = 0; run < 3; run++)
        {
            var updates = System.Threading.Channels.Channel.CreateUnbounded<SourceUpdate>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var task = source.RunAsync((u, token) => updates.Writer.WriteAsync(u, token), stop.Token);
            Assert.True((await ReadWithin(updates.Reader, TimeSpan.FromSeconds(5))).IsValid);
            Assert.Equal(1, source.WatcherCount);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
            Assert.Equal(0, source.WatcherCount);
        }

        // A run that fails (here: the callback throws) drops its watchers too.
        var failing = source.RunAsync((_, _) => throw new InvalidOperationException("the agent's channel is gone"), TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal(0, source.WatcherCount);
    }

    private static int Port(SourceUpdate update, string policy)
    {
        Assert.True(update.IsValid, string.Join("\n", update.Errors));
        var found = Assert.Single(update.Snapshot!.Policies, p => p.Name == policy);
        return Assert.Single(Assert.Single(found.Ingress).Ports).Port!.Value.Number;
    }

    private static async Task<SourceUpdate> ReadWithin(System.Threading.Channels.ChannelReader<SourceUpdate> reader, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        return await reader.ReadAsync(cts.Token);
    }

    private static string Policy(string port, string name = "web") => $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: {name}
          namespace: x
        spec:
          podSelector: {"{}"}
          ingress:
          - ports: [{"{"}port: {port}{"}"}]
        """;
}

/// <summary>A directory laid out as the kubelet lays out a ConfigMap volume: <c>..2026_…/</c> holds the files,
/// <c>..data</c> links to it, and each visible file links to <c>..data/name</c>. An update writes a new <c>..2026_…/</c>,
/// links <c>..data_tmp</c> to it, renames that over <c>..data</c> (atomic) and removes the old folder.</summary>
internal sealed class ConfigMapVolume(string path)
{
    public void Publish(string stamp, params (string Name, string Text)[] files) => Publish(stamp, files, null);

    public void Publish(string stamp, (string Name, string Text)[] files, DateTime? writeTime)
    {
        var data = System.IO.Path.Combine(path, "..data");
        var old = Directory.Exists(data) ? new DirectoryInfo(data).LinkTarget : null;
        var folder = System.IO.Path.Combine(path, stamp);
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in files)
        {
            var file = System.IO.Path.Combine(folder, name);
            File.WriteAllText(file, text);
            if (writeTime is { } time)
            {
                File.SetLastWriteTimeUtc(file, time);
            }
        }

        var temp = System.IO.Path.Combine(path, "..data_tmp");
        File.CreateSymbolicLink(temp, stamp);
        Rename(temp, data);
        foreach (var (name, _) in files)
        {
            var visible = System.IO.Path.Combine(path, name);
            if (!File.Exists(visible))
            {
                File.CreateSymbolicLink(visible, System.IO.Path.Combine("..data", name));
            }
        }

        if (old is not null)
        {
            Directory.Delete(System.IO.Path.Combine(path, old), recursive: true);
        }
    }

    /// <summary>rename(2): replaces the link <paramref name="to"/> in one step, as the kubelet does.</summary>
    private static void Rename(string from, string to)
    {
        if (NativeMethods.rename(from, to) != 0)
        {
            throw new IOException($"rename {from} {to} failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
#pragma warning disable SA1300, IDE1006, CA2101 // the C name; file names are UTF-8 on Linux (LPUTF8Str)
        public static extern int rename([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string from, [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string to);
#pragma warning restore SA1300, IDE1006, CA2101
    }
}

internal static class FileSourceOptionsExtensions
{
    public static FileSourceOptions With(this FileSourceOptions options, params string[] paths)
    {
        foreach (var path in paths)
        {
            options.Paths.Add(path);
        }

        return options;
    }
}
