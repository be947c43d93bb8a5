using NetPolHost.Wfp.Filters;
using NetPolHost.Wfp.Runtime;

namespace NetPolHost.Windows.Tests.Fakes;

/// <summary>An in-memory filter engine with transactions: changes since the begin are kept in a copy until commit.</summary>
internal sealed class FakeWfpEngine : IWfpEngine
{
    private State _committed = new();
    private State? _transaction;

    public List<string> Log { get; } = [];

    /// <summary>Fails the operation whose log line starts with this text (inside the transaction).</summary>
    public string? FailOn { get; set; }

    public int Commits { get; private set; }

    public int Aborts { get; private set; }

    public IReadOnlyDictionary<Guid, (WfpFilter Filter, Guid Provider, Guid Sublayer)> Filters => _committed.Filters;

    public IReadOnlyDictionary<Guid, WfpSublayer> Sublayers => _committed.Sublayers;

    public IReadOnlySet<Guid> Providers => _committed.Providers;

    private State Current => _transaction ?? throw new InvalidOperationException("FWP_E_NO_TXN_IN_PROGRESS");

    public void BeginTransaction()
    {
        if (_transaction is not null)
        {
            throw new WfpException(0x8032000E, "FwpmTransactionBegin0");
        }

        _transaction = _committed.Copy();
        Log.Add("begin");
    }

    public void CommitTransaction()
    {
        _committed = Current;
        _transaction = null;
        Commits++;
        Log.Add("commit");
    }

    public void AbortTransaction()
    {
        _transaction = null;
        Aborts++;
        Log.Add("abort");
    }

    public bool ProviderExists(Guid key) => Current.Providers.Contains(key);

    public void AddProvider(WfpProvider provider)
    {
        Record("add provider " + provider.Key);
        if (!Current.Providers.Add(provider.Key))
        {
            throw new WfpException(WfpConstants.ErrorAlreadyExists, "FwpmProviderAdd0");
        }
    }

    public void DeleteProvider(Guid key)
    {
        Record("delete provider " + key);
        if (Current.Sublayers.Values.Any(s => s.ProviderKey == key) || Current.Filters.Values.Any(f => f.Provider == key))
        {
            throw new WfpException(WfpConstants.ErrorInUse, "FwpmProviderDeleteByKey0");
        }

        Current.Providers.Remove(key);
    }

    public WfpSublayer? GetSublayer(Guid key) => Current.Sublayers.GetValueOrDefault(key);

    public void AddSublayer(WfpSublayer sublayer)
    {
        Record("add sublayer " + sublayer.Key);
        if (!Current.Providers.Contains(sublayer.ProviderKey))
        {
            throw new WfpException(WfpConstants.ErrorProviderNotFound, "FwpmSubLayerAdd0");
        }

        if (!Current.Sublayers.TryAdd(sublayer.Key, sublayer))
        {
            throw new WfpException(WfpConstants.ErrorAlreadyExists, "FwpmSubLayerAdd0");
        }
    }

    public void DeleteSublayer(Guid key)
    {
        Record("delete sublayer " + key);
        if (Current.Filters.Values.Any(f => f.Sublayer == key))
        {
            throw new WfpException(WfpConstants.ErrorInUse, "FwpmSubLayerDeleteByKey0");
        }

        Current.Sublayers.Remove(key);
    }

    public IReadOnlyList<WfpFilterInfo> ListFilters(Guid providerKey) =>
        Current.Filters.Values.Where(f => f.Provider == providerKey).Select(f => new WfpFilterInfo(f.Filter.Key, f.Filter.Name, f.Filter.Layer)).ToList();

    public void AddFilter(WfpFilter filter, Guid providerKey, Guid sublayerKey)
    {
        Record("add filter " + filter.Key);
        if (!Current.Sublayers.ContainsKey(sublayerKey))
        {
            throw new WfpException(WfpConstants.ErrorSublayerNotFound, "FwpmFilterAdd0");
        }

        if (!Current.Filters.TryAdd(filter.Key, (filter, providerKey, sublayerKey)))
        {
            throw new WfpException(WfpConstants.ErrorAlreadyExists, "FwpmFilterAdd0");
        }
    }

    public void DeleteFilter(Guid key)
    {
        Record("delete filter " + key);
        Current.Filters.Remove(key);
    }

    public void Dispose() => _transaction = null;

    /// <summary>Adds objects outside the backend (another provider's filters), committed.</summary>
    public void Seed(Action<FakeWfpEngine> action)
    {
        BeginTransaction();
        action(this);
        CommitTransaction();
        Log.Clear();
        Commits = 0;
    }

    private void Record(string line)
    {
        if (FailOn is not null && line.StartsWith(FailOn, StringComparison.Ordinal))
        {
            throw new WfpException(0x80320027, "FwpmFilterAdd0");
        }

        Log.Add(line);
    }

    private sealed class State
    {
        public HashSet<Guid> Providers { get; init; } = [];

        public Dictionary<Guid, WfpSublayer> Sublayers { get; init; } = [];

        public Dictionary<Guid, (WfpFilter Filter, Guid Provider, Guid Sublayer)> Filters { get; init; } = [];

        public State Copy() => new() { Providers = [.. Providers], Sublayers = new(Sublayers), Filters = new(Filters) };
    }
}
