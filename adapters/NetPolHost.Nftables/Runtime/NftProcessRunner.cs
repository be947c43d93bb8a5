namespace NetPolHost.Nftables.Runtime;

/// <summary>Runs nft commands through the <c>nft</c> program (<c>nft -f -</c>), the fallback when libnftables is missing.</summary>
internal sealed class NftProcessRunner(string nftPath, string? networkNamespace) : INftRunner
{
    public string Kind => "nft";

    public NftResult Run(string commands, bool dryRun = false) => Execute(dryRun ? ["-c", "-f", "-"] : ["-f", "-"], commands);

    public NftResult ListJson(string command) => Execute(["-j", .. command.Split(' ', StringSplitOptions.RemoveEmptyEntries)], null);

    private NftResult Execute(string[] arguments, string? input)
    {
        try
        {
            var (code, output, error) = ToolProcess.Run(nftPath, networkNamespace, arguments, input);
            return new NftResult(code == 0, output, error);
        }
        catch (TimeoutException ex)
        {
            return new NftResult(false, string.Empty, ex.Message);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Finds nft on PATH or in the usual places.</summary>
    public static string? Find()
    {
        foreach (var candidate in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/sbin"))
        {
            var path = Path.Combine(candidate, "nft");
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
