using System.Buffers.Binary;
using NetPolHost.Wfp.Filters;
using static NetPolHost.Wfp.Interop.FwpTypes;

namespace NetPolHost.Wfp.Interop;

/// <summary>Builds the native WFP structures for providers, sublayers and filters (plain memory work, testable on any OS).</summary>
/// <remarks>
/// Addresses: one IPv4 address is <c>FWP_UINT32</c> in host order (10.1.2.3 is 0x0A010203), an IPv4 block is
/// <c>FWP_V4_ADDR_MASK</c> with a host-order mask, one IPv6 address is <c>FWP_BYTE_ARRAY16_TYPE</c> in network order, an
/// IPv6 block <c>FWP_V6_ADDR_MASK</c> with a prefix length; any other span is <c>FWP_MATCH_RANGE</c> over a
/// <c>FWP_RANGE_TYPE</c> of the single-address types. Ports are <c>FWP_UINT16</c> (ranges as <c>FWP_RANGE_TYPE</c>), the
/// protocol <c>FWP_UINT8</c> (ranges as <c>FWP_RANGE_TYPE</c> of <c>FWP_UINT8</c>), the weight <c>FWP_UINT64</c> (a pointer).
/// </remarks>
internal static unsafe class FwpEncoding
{
    /// <summary>The match and data type names a condition is encoded with.</summary>
    public static (string Match, string Type) Describe(WfpCondition condition)
    {
        var (match, type, _) = Kind(condition);
        return (match == WfpConstants.MatchRange ? "FWP_MATCH_RANGE" : "FWP_MATCH_EQUAL", type switch
        {
            WfpConstants.FwpUInt8 => "FWP_UINT8",
            WfpConstants.FwpUInt16 => "FWP_UINT16",
            WfpConstants.FwpUInt32 => "FWP_UINT32",
            WfpConstants.FwpByteArray16 => "FWP_BYTE_ARRAY16_TYPE",
            WfpConstants.FwpV4AddrMask => "FWP_V4_ADDR_MASK",
            WfpConstants.FwpV6AddrMask => "FWP_V6_ADDR_MASK",
            _ => "FWP_RANGE_TYPE",
        });
    }

    /// <summary>Writes one condition.</summary>
    public static void Encode(NativeArena arena, WfpCondition condition, FWPM_FILTER_CONDITION0* target)
    {
        target->fieldKey = WfpConstants.FieldKey(condition.Field);
        var (match, type, prefix) = Kind(condition);
        target->matchType = match;
        target->conditionValue.type = type;
        switch (type)
        {
            case WfpConstants.FwpUInt8:
                target->conditionValue.uint8 = (byte)condition.Low;
                break;
            case WfpConstants.FwpUInt16:
                target->conditionValue.uint16 = (ushort)condition.Low;
                break;
            case WfpConstants.FwpUInt32:
                target->conditionValue.uint32 = (uint)condition.Low;
                break;
            case WfpConstants.FwpByteArray16:
                target->conditionValue.pointer = (nint)Bytes16(arena, condition.Low);
                break;
            case WfpConstants.FwpV4AddrMask:
                var v4 = arena.Alloc<FWP_V4_ADDR_AND_MASK>();
                v4->addr = (uint)condition.Low;
                v4->mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
                target->conditionValue.pointer = (nint)v4;
                break;
            case WfpConstants.FwpV6AddrMask:
                var v6 = arena.Alloc<FWP_V6_ADDR_AND_MASK>();
                BinaryPrimitives.WriteUInt128BigEndian(new Span<byte>(v6->addr, 16), condition.Low);
                v6->prefixLength = (byte)prefix;
                target->conditionValue.pointer = (nint)v6;
                break;
            default:
                var range = arena.Alloc<FWP_RANGE0>();
                Single(arena, condition, condition.Low, &range->valueLow);
                Single(arena, condition, condition.High, &range->valueHigh);
                target->conditionValue.pointer = (nint)range;
                break;
        }
    }

    /// <summary>Builds a filter; every pointer in it lives in <paramref name="arena"/>.</summary>
    public static FWPM_FILTER0* Encode(NativeArena arena, WfpFilter filter, Guid providerKey, Guid sublayerKey)
    {
        var native = arena.Alloc<FWPM_FILTER0>();
        native->filterKey = filter.Key;
        native->displayData.name = arena.String(filter.Name);
        native->displayData.description = arena.String(filter.Description);
        native->flags = filter.Flags;
        native->providerKey = (nint)arena.Guid(providerKey);
        native->layerKey = WfpConstants.LayerKey(filter.Layer);
        native->subLayerKey = sublayerKey;
        native->weight.type = WfpConstants.FwpUInt64;
        var weight = arena.Alloc<ulong>();
        *weight = filter.Weight;
        native->weight.pointer = (nint)weight;
        native->numFilterConditions = (uint)filter.Conditions.Count;
        var conditions = arena.Array<FWPM_FILTER_CONDITION0>(filter.Conditions.Count);
        for (var i = 0; i < filter.Conditions.Count; i++)
        {
            Encode(arena, filter.Conditions[i], conditions + i);
        }

        native->filterCondition = (nint)conditions;
        native->action.type = filter.Action == WfpAction.Permit ? WfpConstants.ActionPermit : WfpConstants.ActionBlock;
        return native;
    }

    /// <summary>Builds a provider.</summary>
    public static FWPM_PROVIDER0* Encode(NativeArena arena, WfpProvider provider)
    {
        var native = arena.Alloc<FWPM_PROVIDER0>();
        native->providerKey = provider.Key;
        native->displayData.name = arena.String(provider.Name);
        native->displayData.description = arena.String(provider.Description);
        native->flags = provider.Persistent ? WfpConstants.ProviderFlagPersistent : 0;
        return native;
    }

    /// <summary>Builds a sublayer.</summary>
    public static FWPM_SUBLAYER0* Encode(NativeArena arena, WfpSublayer sublayer)
    {
        var native = arena.Alloc<FWPM_SUBLAYER0>();
        native->subLayerKey = sublayer.Key;
        native->displayData.name = arena.String(sublayer.Name);
        native->displayData.description = arena.String(sublayer.Description);
        native->flags = sublayer.Persistent ? WfpConstants.SublayerFlagPersistent : 0;
        native->providerKey = (nint)arena.Guid(sublayer.ProviderKey);
        native->weight = sublayer.Weight;
        return native;
    }

    private static (uint Match, uint Type, int Prefix) Kind(WfpCondition condition)
    {
        switch (condition.Field)
        {
            case WfpField.Protocol:
                return condition.Low == condition.High ? (WfpConstants.MatchEqual, WfpConstants.FwpUInt8, 0) : (WfpConstants.MatchRange, WfpConstants.FwpRange, 0);
            case WfpField.LocalPort or WfpField.RemotePort:
                return condition.Low == condition.High ? (WfpConstants.MatchEqual, WfpConstants.FwpUInt16, 0) : (WfpConstants.MatchRange, WfpConstants.FwpRange, 0);
            default:
                if (condition.Low == condition.High)
                {
                    return (WfpConstants.MatchEqual, condition.IsV6 ? WfpConstants.FwpByteArray16 : WfpConstants.FwpUInt32, 0);
                }

                var prefix = Prefix(condition.Low, condition.High, condition.IsV6 ? 128 : 32);
                return prefix >= 0
                    ? (WfpConstants.MatchEqual, condition.IsV6 ? WfpConstants.FwpV6AddrMask : WfpConstants.FwpV4AddrMask, prefix)
                    : (WfpConstants.MatchRange, WfpConstants.FwpRange, 0);
        }
    }

    private static int Prefix(UInt128 low, UInt128 high, int bits)
    {
        var span = high - low;
        if (span == UInt128.MaxValue)
        {
            return 0;
        }

        var size = span + 1;
        return UInt128.IsPow2(size) && (low & span) == 0 ? bits - (int)UInt128.Log2(size) : -1;
    }

    private static void Single(NativeArena arena, WfpCondition condition, UInt128 value, FWP_VALUE0* target)
    {
        if (condition.Field is WfpField.Protocol)
        {
            target->type = WfpConstants.FwpUInt8;
            target->uint8 = (byte)value;
        }
        else if (condition.Field is WfpField.LocalPort or WfpField.RemotePort)
        {
            target->type = WfpConstants.FwpUInt16;
            target->uint16 = (ushort)value;
        }
        else if (condition.IsV6)
        {
            target->type = WfpConstants.FwpByteArray16;
            target->pointer = (nint)Bytes16(arena, value);
        }
        else
        {
            target->type = WfpConstants.FwpUInt32;
            target->uint32 = (uint)value;
        }
    }

    private static byte* Bytes16(NativeArena arena, UInt128 value)
    {
        var bytes = arena.Bytes(16);
        BinaryPrimitives.WriteUInt128BigEndian(new Span<byte>(bytes, 16), value);
        return bytes;
    }
}
