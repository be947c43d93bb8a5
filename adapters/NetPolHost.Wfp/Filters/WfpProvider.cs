namespace NetPolHost.Wfp.Filters;

/// <summary>The provider the backend owns.</summary>
/// <param name="Key">Its key.</param>
/// <param name="Name">Display name.</param>
/// <param name="Description">Display description.</param>
/// <param name="Persistent">Whether it outlives the session.</param>
internal sealed record WfpProvider(Guid Key, string Name, string Description, bool Persistent);
