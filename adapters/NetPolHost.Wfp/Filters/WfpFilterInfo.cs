namespace NetPolHost.Wfp.Filters;

/// <summary>A filter as enumerated from the engine.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Layer">Its layer.</param>
internal sealed record WfpFilterInfo(Guid Key, string Name, WfpLayer Layer);
