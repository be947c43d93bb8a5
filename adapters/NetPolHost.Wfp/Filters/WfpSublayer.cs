namespace NetPolHost.Wfp.Filters;

/// <summary>The sublayer the backend owns.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Name">Display name.</param>
/// <param name="Description">Display description.</param>
/// <param name="Weight">Its weight.</param>
/// <param name="Persistent">Whether it outlives the session.</param>
/// <param name="ProviderKey">The owning provider.</param>
internal sealed record WfpSublayer(Guid Key, string Name, string Description, ushort Weight, bool Persistent, Guid ProviderKey);
