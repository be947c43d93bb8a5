using NetPolHost.Wfp.Filters;

namespace NetPolHost.Wfp.Runtime;

/// <summary>The filter engine session the backend works through (the OS seam). Failures throw <see cref="WfpException"/>.</summary>
internal interface IWfpEngine : IDisposable
{
    /// <summary>Begins the session's transaction.</summary>
    void BeginTransaction();

    /// <summary>Commits it.</summary>
    void CommitTransaction();

    /// <summary>Aborts it: nothing done since the begin remains.</summary>
    void AbortTransaction();

    /// <summary>Whether a provider with that key exists.</summary>
    bool ProviderExists(Guid key);

    /// <summary>Adds a provider.</summary>
    void AddProvider(WfpProvider provider);

    /// <summary>Deletes a provider.</summary>
    void DeleteProvider(Guid key);

    /// <summary>The sublayer with that key, or <see langword="null"/>.</summary>
    WfpSublayer? GetSublayer(Guid key);

    /// <summary>Adds a sublayer.</summary>
    void AddSublayer(WfpSublayer sublayer);

    /// <summary>Deletes a sublayer (its filters must be gone).</summary>
    void DeleteSublayer(Guid key);

    /// <summary>The filters of a provider at the backend's layers.</summary>
    IReadOnlyList<WfpFilterInfo> ListFilters(Guid providerKey);

    /// <summary>Adds a filter to the provider and sublayer.</summary>
    void AddFilter(WfpFilter filter, Guid providerKey, Guid sublayerKey);

    /// <summary>Deletes a filter by key.</summary>
    void DeleteFilter(Guid key);
}
