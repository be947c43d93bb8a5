using System.Diagnostics;
using NetPolHost.Firewalld.Bus;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Firewalld.Tests.Integration;

/// <summary>
/// A real firewalld (Debian's packages, unpacked, never installed) on a private D-Bus, running inside the node network
/// namespace of a <see cref="NetworkLab"/> whose nine pods are the upstream e2e model (x/a … z/c, TCP and UDP 80, 81).
/// firewalld gets its own mount namespace with a tmpfs on /run, its configuration in a temporary folder, and its bus in
/// that folder: nothing of the host (network namespace, /etc, /run, system bus) is touched. Everything is stopped and
/// deleted in <see cref="DisposeAsync"/>, also after a failed start.
/// </summary>
public sealed class FirewalldFixture : IAsyncLifetime
{
    private const string SystemPython = "/usr/bin/python3";
    private readonly List<string> _log = [];
    private Process? _dbus;
    private Process? _firewalld;
    private string? _temp;

    public string? SkipReason { get; private set; }

    public NetworkLab Lab { get; private set; } = null!;

    /// <summary>The node namespace, where firewalld runs.</summary>
    public string Node { get; private set; } = string.Empty;

    /// <summary>The private bus (<c>unix:path=…</c>).</summary>
    public string BusAddress { get; private set; } = string.Empty;

    /// <summary>How long firewalld took from start to state RUNNING.</summary>
    public TimeSpan StartTime { get; private set; }

    public async ValueTask InitializeAsync()
    {
        SkipReason = Namespaces.UnavailableReason() ?? ToolsMissing();
        if (SkipReason is not null)
        {
            return;
        }

        var root = UnpackedFirewalld(out var reason);
        if (root is null)
        {
            SkipReason = reason;
            return;
        }

        try
        {
            _temp = Directory.CreateTempSubdirectory("nph-firewalld-").FullName;
            Lab = NetworkLab.Create();
            Node = Lab.AddNode("node");
            foreach (var (name, ip) in ConformanceData.PodIPs.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Lab.AddPod(Node, name, ip);
            }

            Lab.Serve([80, 81], [80, 81]);
            StartBus();
            await StartFirewalldAsync(root);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException("The firewalld test fixture could not start: " + ex.Message + Environment.NewLine + Log(), ex);
        }
    }

    /// <summary>The daemon's output so far (for failure messages).</summary>
    public string Log()
    {
        lock (_log)
        {
            return string.Join(Environment.NewLine, _log.TakeLast(60));
        }
    }

    /// <summary>A bus client of the fixture's firewalld (for checking its objects the way the backend cannot).</summary>
    internal DBusFirewalldBus NewBus() => new(BusAddress, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));

    /// <summary>The kernel ruleset of the node namespace (firewalld's table).</summary>
    public string NftRuleset() => Namespaces.Run("ip", "netns", "exec", Node, "nft", "list", "ruleset");

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_firewalld, TimeSpan.FromSeconds(10));
        await StopAsync(_dbus, TimeSpan.FromSeconds(5));
        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }

        if (_temp is not null)
        {
            try
            {
                Directory.Delete(_temp, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string? ToolsMissing()
    {
        if (Namespaces.Which("dbus-daemon") is null)
        {
            return "dbus-daemon is missing (Debian package dbus-daemon); run ./test.sh as root to install it";
        }

        if (Namespaces.Which("unshare") is null || Namespaces.Which("dpkg") is null)
        {
            return "unshare or dpkg is missing";
        }

        if (!File.Exists(SystemPython) || Namespaces.TryRun(SystemPython, "-c", "import dbus, gi").Code != 0)
        {
            return SystemPython + " with python3-dbus and python3-gi is missing; run ./test.sh as root to install them";
        }

        return null;
    }

    /// <summary>The unpacked firewalld tree (cached under tests/.cache/firewalld-root), from the .deb files that test.sh
    /// downloads into tests/.cache/firewalld-debs (downloaded here when missing and apt-get can).</summary>
    private static string? UnpackedFirewalld(out string? reason)
    {
        // Several fixtures of one test run start at once: one unpacks, the others wait for it and reuse the tree.
        lock (Unpacking)
        {
            return UnpackFirewalldOnce(out reason);
        }
    }

    private static readonly Lock Unpacking = new();

    private static string? UnpackFirewalldOnce(out string? reason)
    {
        reason = null;
        var repo = NetPolHost.TestKit.RepositoryPaths.Root;
        var debs = Path.Combine(repo, "tests", ".cache", "firewalld-debs");
        var root = Path.Combine(repo, "tests", ".cache", "firewalld-root");
        var marker = Path.Combine(root, ".unpacked");
        if (File.Exists(marker))
        {
            return root;
        }

        Directory.CreateDirectory(debs);
        if (!Directory.EnumerateFiles(debs, "firewalld_*.deb").Any())
        {
            var apt = Namespaces.Which("apt-get");
            var downloaded = apt is not null && Download(debs);
            if (!downloaded)
            {
                reason = $"the firewalld packages are not in {debs} and apt-get could not download them; run ./test.sh as root";
                return null;
            }
        }

        var packages = new[] { "firewalld_", "python3-firewall_", "python3-nftables_" }
            .Select(p => Directory.EnumerateFiles(debs, p + "*.deb").FirstOrDefault())
            .ToList();
        if (packages.Any(p => p is null))
        {
            reason = $"{debs} lacks one of firewalld, python3-firewall, python3-nftables; run ./test.sh as root";
            return null;
        }

        var staging = root + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        foreach (var deb in packages)
        {
            Namespaces.Run("dpkg", "-x", deb!, staging);
        }

        File.WriteAllText(Path.Combine(staging, ".unpacked"), string.Join(Environment.NewLine, packages.Select(Path.GetFileName)));
        try
        {
            Directory.Move(staging, root);
        }
        catch (IOException)
        {
            // Another test run unpacked it meanwhile.
            Directory.Delete(staging, recursive: true);
        }

        return root;
    }

    private static bool Download(string folder)
    {
        string[] download = ["-c", "cd \"$1\" && (apt-get download firewalld python3-firewall python3-nftables || (apt-get update -qq && apt-get download firewalld python3-firewall python3-nftables))", "sh", folder];
        return Namespaces.TryRun("sh", download).Code == 0 && Directory.EnumerateFiles(folder, "firewalld_*.deb").Any();
    }

    private void StartBus()
    {
        var socket = Path.Combine(_temp!, "system_bus_socket");
        BusAddress = "unix:path=" + socket;
        var config = Path.Combine(_temp!, "bus.conf");
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <listen>{BusAddress}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <deny own="*"/>
                <deny send_type="method_call"/>
                <allow send_type="signal"/>
                <allow send_requested_reply="true" send_type="method_return"/>
                <allow send_requested_reply="true" send_type="error"/>
                <allow receive_type="method_call"/>
                <allow receive_type="method_return"/>
                <allow receive_type="error"/>
                <allow receive_type="signal"/>
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
              </policy>
              <policy user="root">
                <allow own="org.fedoraproject.FirewallD1"/>
                <allow own="org.fedoraproject.FirewallD1.config"/>
                <allow send_destination="org.fedoraproject.FirewallD1"/>
                <allow send_destination="org.fedoraproject.FirewallD1.config"/>
              </policy>
              <limit name="reply_timeout">120000</limit>
            </busconfig>
            """);
        _dbus = Start(Namespaces.Which("dbus-daemon")!, ["--config-file=" + config, "--nofork", "--nopidfile", "--nosyslog"], null, "dbus");
        var wait = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (_dbus.HasExited || wait.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException("dbus-daemon did not create its socket");
            }

            Thread.Sleep(20);
        }
    }

    private async Task StartFirewalldAsync(string root)
    {
        var etc = Path.Combine(_temp!, "etc");
        Namespaces.Run("cp", "-a", Path.Combine(root, "etc", "firewalld"), etc);
        var conf = Path.Combine(etc, "firewalld.conf");
        File.WriteAllText(conf, File.ReadAllText(conf).Replace("LogDenied=all", "LogDenied=off", StringComparison.Ordinal));
        var site = Path.Combine(root, "usr", "lib", "python3", "dist-packages");
        string[] arguments =
        [
            "netns", "exec", Node,
            "unshare", "-m", "--propagation", "private",
            "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
            "DBUS_SYSTEM_BUS_ADDRESS=" + BusAddress, "PYTHONPATH=" + site, "PYTHONDONTWRITEBYTECODE=1",
            "sh", "-c", "mount -t tmpfs -o mode=755 nph-fwd-run /run && exec \"$@\"", "sh",
            SystemPython, Path.Combine(root, "usr", "sbin", "firewalld"), "--nofork", "--nopid",
            "--system-config", etc, "--default-config", Path.Combine(root, "usr", "lib", "firewalld"), "--log-target", "console",
        ];
        var started = Stopwatch.StartNew();
        _firewalld = Start(Namespaces.Which("ip")!, arguments, null, "firewalld");
        await using var bus = NewBus();
        while (true)
        {
            if (_firewalld.HasExited)
            {
                throw new InvalidOperationException("firewalld exited with code " + _firewalld.ExitCode);
            }

            try
            {
                await bus.ConnectAsync(CancellationToken.None);
                if (await bus.GetStateAsync(CancellationToken.None) == "RUNNING")
                {
                    StartTime = started.Elapsed;
                    return;
                }
            }
            catch (FirewalldBusException)
            {
                // Not on the bus yet.
            }

            if (started.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException("firewalld did not reach state RUNNING within 60 s");
            }

            await Task.Delay(50);
        }
    }

    private Process Start(string program, string[] arguments, string? workingDirectory, string tag)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? _temp!,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(tag, e.Data);
        process.ErrorDataReceived += (_, e) => Append(tag, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Append(string tag, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Add(tag + ": " + line);
        }
    }

    /// <summary>Stops a process started here: SIGTERM (firewalld then removes its tables), then SIGKILL.</summary>
    private static async Task StopAsync(Process? process, TimeSpan grace)
    {
        if (process is null)
        {
            return;
        }

        using (process)
        {
            if (!process.HasExited)
            {
                Namespaces.TryRun("kill", "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var wait = new CancellationTokenSource(grace);
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
        }
    }
}
