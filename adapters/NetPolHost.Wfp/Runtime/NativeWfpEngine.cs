using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using NetPolHost.Wfp.Filters;
using NetPolHost.Wfp.Interop;
using static NetPolHost.Wfp.Interop.FwpTypes;

namespace NetPolHost.Wfp.Runtime;

/// <summary>The filter engine of this host through <c>fwpuclnt.dll</c>.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeWfpEngine : IWfpEngine
{
    private nint _handle;

    /// <summary>Opens a session.</summary>
    /// <param name="dynamic">A dynamic session: everything added in it is deleted when it closes.</param>
    /// <param name="displayName">The session's display name.</param>
    public NativeWfpEngine(bool dynamic, string displayName)
    {
        using var arena = new NativeArena();
        var session = arena.Alloc<FWPM_SESSION0>();
        session->displayData.name = arena.String(displayName);
        session->flags = dynamic ? WfpConstants.SessionFlagDynamic : 0;
        Check(FwpNative.FwpmEngineOpen0(null, WfpConstants.RpcAuthnWinNt, 0, session, out _handle), "FwpmEngineOpen0");
    }

    public void BeginTransaction() => Check(FwpNative.FwpmTransactionBegin0(_handle, 0), "FwpmTransactionBegin0");

    public void CommitTransaction() => Check(FwpNative.FwpmTransactionCommit0(_handle), "FwpmTransactionCommit0");

    public void AbortTransaction() => Check(FwpNative.FwpmTransactionAbort0(_handle), "FwpmTransactionAbort0");

    public bool ProviderExists(Guid key)
    {
        FWPM_PROVIDER0* provider = null;
        var code = FwpNative.FwpmProviderGetByKey0(_handle, &key, &provider);
        if (code == WfpConstants.ErrorProviderNotFound)
        {
            return false;
        }

        Check(code, "FwpmProviderGetByKey0");
        FwpNative.FwpmFreeMemory0((void**)&provider);
        return true;
    }

    public void AddProvider(WfpProvider provider)
    {
        using var arena = new NativeArena();
        Check(FwpNative.FwpmProviderAdd0(_handle, FwpEncoding.Encode(arena, provider), 0), "FwpmProviderAdd0");
    }

    public void DeleteProvider(Guid key) => Check(FwpNative.FwpmProviderDeleteByKey0(_handle, &key), "FwpmProviderDeleteByKey0");

    public WfpSublayer? GetSublayer(Guid key)
    {
        FWPM_SUBLAYER0* sublayer = null;
        var code = FwpNative.FwpmSubLayerGetByKey0(_handle, &key, &sublayer);
        if (code == WfpConstants.ErrorSublayerNotFound)
        {
            return null;
        }

        Check(code, "FwpmSubLayerGetByKey0");
        try
        {
            return new WfpSublayer(
                sublayer->subLayerKey,
                Marshal.PtrToStringUni(sublayer->displayData.name) ?? string.Empty,
                Marshal.PtrToStringUni(sublayer->displayData.description) ?? string.Empty,
                sublayer->weight,
                (sublayer->flags & WfpConstants.SublayerFlagPersistent) != 0,
                sublayer->providerKey == 0 ? Guid.Empty : *(Guid*)sublayer->providerKey);
        }
        finally
        {
            FwpNative.FwpmFreeMemory0((void**)&sublayer);
        }
    }

    public void AddSublayer(WfpSublayer sublayer)
    {
        using var arena = new NativeArena();
        Check(FwpNative.FwpmSubLayerAdd0(_handle, FwpEncoding.Encode(arena, sublayer), 0), "FwpmSubLayerAdd0");
    }

    public void DeleteSublayer(Guid key) => Check(FwpNative.FwpmSubLayerDeleteByKey0(_handle, &key), "FwpmSubLayerDeleteByKey0");

    public IReadOnlyList<WfpFilterInfo> ListFilters(Guid providerKey)
    {
        var result = new List<WfpFilterInfo>();
        foreach (var layer in WfpConstants.Layers)
        {
            var template = new FWPM_FILTER_ENUM_TEMPLATE0
            {
                providerKey = (nint)(&providerKey),
                layerKey = WfpConstants.LayerKey(layer),
                actionMask = 0xFFFFFFFF,
            };
            Check(FwpNative.FwpmFilterCreateEnumHandle0(_handle, &template, out var enumHandle), "FwpmFilterCreateEnumHandle0");
            try
            {
                while (true)
                {
                    FWPM_FILTER0** entries = null;
                    Check(FwpNative.FwpmFilterEnum0(_handle, enumHandle, 256, &entries, out var count), "FwpmFilterEnum0");
                    try
                    {
                        for (var i = 0; i < count; i++)
                        {
                            var filter = entries[i];
                            result.Add(new WfpFilterInfo(filter->filterKey, Marshal.PtrToStringUni(filter->displayData.name) ?? string.Empty, layer));
                        }
                    }
                    finally
                    {
                        if (entries is not null)
                        {
                            FwpNative.FwpmFreeMemory0((void**)&entries);
                        }
                    }

                    if (count == 0)
                    {
                        break;
                    }
                }
            }
            finally
            {
                _ = FwpNative.FwpmFilterDestroyEnumHandle0(_handle, enumHandle);
            }
        }

        return result;
    }

    public void AddFilter(WfpFilter filter, Guid providerKey, Guid sublayerKey)
    {
        using var arena = new NativeArena();
        Check(FwpNative.FwpmFilterAdd0(_handle, FwpEncoding.Encode(arena, filter, providerKey, sublayerKey), 0, null), "FwpmFilterAdd0 " + filter.Key.ToString("D"));
    }

    public void DeleteFilter(Guid key)
    {
        var code = FwpNative.FwpmFilterDeleteByKey0(_handle, &key);
        if (code != WfpConstants.ErrorFilterNotFound)
        {
            Check(code, "FwpmFilterDeleteByKey0 " + key.ToString("D"));
        }
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            _ = FwpNative.FwpmEngineClose0(_handle);
            _handle = 0;
        }
    }

    private static void Check(uint code, string operation)
    {
        if (code != 0)
        {
            throw new WfpException(code, operation);
        }
    }
}
