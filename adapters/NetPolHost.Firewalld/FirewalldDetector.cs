namespace NetPolHost.Firewalld;

/// <summary>Finds out whether firewalld runs on this host, from the command lines of the processes in <c>/proc</c>.</summary>
internal static class FirewalldDetector
{
    /// <summary>Whether a process whose program (first or second command line word, for <c>python3 firewalld</c>) is
    /// named <c>firewalld</c> runs under <paramref name="procRoot"/>.</summary>
    /// <param name="procRoot">The proc file system (tests give a folder of their own).</param>
    public static bool IsRunning(string procRoot = "/proc")
    {
        if (!Directory.Exists(procRoot))
        {
            return false;
        }

        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Split('\0').Take(2).Any(part => Path.GetFileName(part) == "firewalld"))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or its command line is not ours to read.
            }
        }

        return false;
    }
}
