using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetPolHost.Wfp.Filters;
using NetPolHost.Wfp.Interop;
using static NetPolHost.Wfp.Interop.FwpTypes;

namespace NetPolHost.Windows.Tests.Wfp;

/// <summary>Sizes and offsets of every field of the WFP structures on 64-bit Windows (fwptypes.idl / fwpmtypes.idl,
/// matching MSVC x64).</summary>
public sealed unsafe class FwpLayoutTests
{
    public static TheoryData<string, string, int> Offsets => new()
    {
        { nameof(FWP_VALUE0), "type", 0 }, { nameof(FWP_VALUE0), "uint8", 8 }, { nameof(FWP_VALUE0), "uint16", 8 }, { nameof(FWP_VALUE0), "uint32", 8 }, { nameof(FWP_VALUE0), "pointer", 8 },
        { nameof(FWP_BYTE_BLOB), "size", 0 }, { nameof(FWP_BYTE_BLOB), "data", 8 },
        { nameof(FWP_V4_ADDR_AND_MASK), "addr", 0 }, { nameof(FWP_V4_ADDR_AND_MASK), "mask", 4 },
        { nameof(FWP_V6_ADDR_AND_MASK), "addr", 0 }, { nameof(FWP_V6_ADDR_AND_MASK), "prefixLength", 16 },
        { nameof(FWP_RANGE0), "valueLow", 0 }, { nameof(FWP_RANGE0), "valueHigh", 16 },
        { nameof(FWPM_DISPLAY_DATA0), "name", 0 }, { nameof(FWPM_DISPLAY_DATA0), "description", 8 },
        { nameof(FWPM_SESSION0), "sessionKey", 0 }, { nameof(FWPM_SESSION0), "displayData", 16 }, { nameof(FWPM_SESSION0), "flags", 32 }, { nameof(FWPM_SESSION0), "txnWaitTimeoutInMSec", 36 },
        { nameof(FWPM_SESSION0), "processId", 40 }, { nameof(FWPM_SESSION0), "sid", 48 }, { nameof(FWPM_SESSION0), "username", 56 }, { nameof(FWPM_SESSION0), "kernelMode", 64 },
        { nameof(FWPM_PROVIDER0), "providerKey", 0 }, { nameof(FWPM_PROVIDER0), "displayData", 16 }, { nameof(FWPM_PROVIDER0), "flags", 32 }, { nameof(FWPM_PROVIDER0), "providerData", 40 }, { nameof(FWPM_PROVIDER0), "serviceName", 56 },
        { nameof(FWPM_SUBLAYER0), "subLayerKey", 0 }, { nameof(FWPM_SUBLAYER0), "displayData", 16 }, { nameof(FWPM_SUBLAYER0), "flags", 32 }, { nameof(FWPM_SUBLAYER0), "providerKey", 40 }, { nameof(FWPM_SUBLAYER0), "providerData", 48 }, { nameof(FWPM_SUBLAYER0), "weight", 64 },
        { nameof(FWPM_ACTION0), "type", 0 }, { nameof(FWPM_ACTION0), "filterType", 4 },
        { nameof(FWPM_FILTER_CONDITION0), "fieldKey", 0 }, { nameof(FWPM_FILTER_CONDITION0), "matchType", 16 }, { nameof(FWPM_FILTER_CONDITION0), "conditionValue", 24 },
        { nameof(FWPM_FILTER0), "filterKey", 0 }, { nameof(FWPM_FILTER0), "displayData", 16 }, { nameof(FWPM_FILTER0), "flags", 32 }, { nameof(FWPM_FILTER0), "providerKey", 40 },
        { nameof(FWPM_FILTER0), "providerData", 48 }, { nameof(FWPM_FILTER0), "layerKey", 64 }, { nameof(FWPM_FILTER0), "subLayerKey", 80 }, { nameof(FWPM_FILTER0), "weight", 96 },
        { nameof(FWPM_FILTER0), "numFilterConditions", 112 }, { nameof(FWPM_FILTER0), "filterCondition", 120 }, { nameof(FWPM_FILTER0), "action", 128 }, { nameof(FWPM_FILTER0), "rawContext", 152 },
        { nameof(FWPM_FILTER0), "providerContextKey", 152 }, { nameof(FWPM_FILTER0), "reserved", 168 }, { nameof(FWPM_FILTER0), "filterId", 176 }, { nameof(FWPM_FILTER0), "effectiveWeight", 184 },
        { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "providerKey", 0 }, { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "layerKey", 8 }, { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "enumType", 24 }, { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "flags", 28 },
        { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "providerContextTemplate", 32 }, { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "numFilterConditions", 40 }, { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "filterCondition", 48 },
        { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "actionMask", 56 }, { nameof(FWPM_FILTER_ENUM_TEMPLATE0), "calloutKey", 64 },
    };

    [Fact]
    public void Sizes_MatchX64()
    {
        Assert.Equal(16, Unsafe.SizeOf<FWP_VALUE0>());
        Assert.Equal(16, Unsafe.SizeOf<FWP_BYTE_BLOB>());
        Assert.Equal(8, Unsafe.SizeOf<FWP_V4_ADDR_AND_MASK>());
        Assert.Equal(17, Unsafe.SizeOf<FWP_V6_ADDR_AND_MASK>());
        Assert.Equal(32, Unsafe.SizeOf<FWP_RANGE0>());
        Assert.Equal(16, Unsafe.SizeOf<FWPM_DISPLAY_DATA0>());
        Assert.Equal(72, Unsafe.SizeOf<FWPM_SESSION0>());
        Assert.Equal(64, Unsafe.SizeOf<FWPM_PROVIDER0>());
        Assert.Equal(72, Unsafe.SizeOf<FWPM_SUBLAYER0>());
        Assert.Equal(20, Unsafe.SizeOf<FWPM_ACTION0>());
        Assert.Equal(40, Unsafe.SizeOf<FWPM_FILTER_CONDITION0>());
        Assert.Equal(200, Unsafe.SizeOf<FWPM_FILTER0>());
        Assert.Equal(72, Unsafe.SizeOf<FWPM_FILTER_ENUM_TEMPLATE0>());
        Assert.Equal(Unsafe.SizeOf<FWPM_FILTER0>(), Marshal.SizeOf<FWPM_FILTER0>());
    }

    [Theory]
    [MemberData(nameof(Offsets))]
    public void Field_IsAtItsX64Offset(string type, string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf(typeof(FwpTypes).GetNestedType(type)!, field));

    [Fact]
    public void Offsets_CoverEveryField()
    {
        var covered = Offsets.Select(row => row.Data.Item1 + "." + row.Data.Item2).ToHashSet();
        var declared = typeof(FwpTypes).GetNestedTypes().SelectMany(t => t.GetFields().Select(f => t.Name + "." + f.Name));
        Assert.All(declared, name => Assert.Contains(name, covered));
    }

    [Fact]
    public void Encode_IPv4Address_IsHostOrderUInt32()
    {
        using var arena = new NativeArena();
        var condition = arena.Alloc<FWPM_FILTER_CONDITION0>();
        FwpEncoding.Encode(arena, new WfpCondition(WfpField.RemoteAddress, 0x0A010203, 0x0A010203), condition);
        Assert.Equal(WfpConstants.ConditionRemoteAddress, condition->fieldKey);
        Assert.Equal(WfpConstants.MatchEqual, condition->matchType);
        Assert.Equal(WfpConstants.FwpUInt32, condition->conditionValue.type);
        Assert.Equal(0x0A010203u, condition->conditionValue.uint32);
    }

    [Fact]
    public void Encode_IPv4Block_IsAddressAndMask()
    {
        using var arena = new NativeArena();
        var condition = arena.Alloc<FWPM_FILTER_CONDITION0>();
        FwpEncoding.Encode(arena, new WfpCondition(WfpField.LocalAddress, 0x0A000000, 0x0A0000FF), condition);
        Assert.Equal(WfpConstants.FwpV4AddrMask, condition->conditionValue.type);
        var mask = (FWP_V4_ADDR_AND_MASK*)condition->conditionValue.pointer;
        Assert.Equal(0x0A000000u, mask->addr);
        Assert.Equal(0xFFFFFF00u, mask->mask);
    }

    [Fact]
    public void Encode_IPv6BlockAndAddress_AreNetworkOrderBytes()
    {
        using var arena = new NativeArena();
        var conditions = arena.Array<FWPM_FILTER_CONDITION0>(2);
        var low = new UInt128(0xfd00_0000_0000_0001UL, 0);
        FwpEncoding.Encode(arena, new WfpCondition(WfpField.RemoteAddress, low, low | ulong.MaxValue, true), conditions);
        FwpEncoding.Encode(arena, new WfpCondition(WfpField.RemoteAddress, low + 5, low + 5, true), conditions + 1);
        Assert.Equal(WfpConstants.FwpV6AddrMask, conditions[0].conditionValue.type);
        var block = (FWP_V6_ADDR_AND_MASK*)conditions[0].conditionValue.pointer;
        Assert.Equal(64, block->prefixLength);
        Assert.Equal(new byte[] { 0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, new ReadOnlySpan<byte>(block->addr, 16).ToArray());
        Assert.Equal(WfpConstants.FwpByteArray16, conditions[1].conditionValue.type);
        Assert.Equal(5, ((byte*)conditions[1].conditionValue.pointer)[15]);
    }

    [Fact]
    public void Encode_Ranges_UseMatchRange()
    {
        using var arena = new NativeArena();
        var conditions = arena.Array<FWPM_FILTER_CONDITION0>(3);
        FwpEncoding.Encode(arena, new WfpCondition(WfpField.RemoteAddress, 0x0A000001, 0x0A000005), conditions);
        FwpEncoding.Encode(arena, new WfpCondition(WfpField.LocalPort, 8000, 8080), conditions + 1);
        FwpEncoding.Encode(arena, new WfpCondition(WfpField.Protocol, 17, 17), conditions + 2);
        Assert.Equal(WfpConstants.MatchRange, conditions[0].matchType);
        Assert.Equal(WfpConstants.FwpRange, conditions[0].conditionValue.type);
        var range = (FWP_RANGE0*)conditions[0].conditionValue.pointer;
        Assert.Equal((WfpConstants.FwpUInt32, 0x0A000001u), (range->valueLow.type, range->valueLow.uint32));
        Assert.Equal((WfpConstants.FwpUInt32, 0x0A000005u), (range->valueHigh.type, range->valueHigh.uint32));
        var ports = (FWP_RANGE0*)conditions[1].conditionValue.pointer;
        Assert.Equal((WfpConstants.FwpUInt16, (ushort)8000), (ports->valueLow.type, ports->valueLow.uint16));
        Assert.Equal((WfpConstants.FwpUInt16, (ushort)8080), (ports->valueHigh.type, ports->valueHigh.uint16));
        Assert.Equal((WfpConstants.FwpUInt8, (byte)17), (conditions[2].conditionValue.type, conditions[2].conditionValue.uint8));
    }

    [Fact]
    public void Encode_Filter_FillsEveryField()
    {
        using var arena = new NativeArena();
        var key = Guid.NewGuid();
        var filter = new WfpFilter
        {
            Key = key,
            Name = "n",
            Description = "d",
            Layer = WfpLayer.ConnectV6,
            Action = WfpAction.Permit,
            Weight = 0x8000_0000_0000_0042,
            Flags = WfpConstants.FilterFlagPersistent | WfpConstants.FilterFlagClearActionRight,
            Conditions = [new(WfpField.Protocol, 6, 6)],
        };
        var provider = Guid.NewGuid();
        var sublayer = Guid.NewGuid();
        var native = FwpEncoding.Encode(arena, filter, provider, sublayer);
        Assert.Equal(key, native->filterKey);
        Assert.Equal("n", Marshal.PtrToStringUni(native->displayData.name));
        Assert.Equal("d", Marshal.PtrToStringUni(native->displayData.description));
        Assert.Equal(9u, native->flags);
        Assert.Equal(provider, *(Guid*)native->providerKey);
        Assert.Equal(WfpConstants.LayerConnectV6, native->layerKey);
        Assert.Equal(sublayer, native->subLayerKey);
        Assert.Equal(WfpConstants.FwpUInt64, native->weight.type);
        Assert.Equal(0x8000_0000_0000_0042UL, *(ulong*)native->weight.pointer);
        Assert.Equal(1u, native->numFilterConditions);
        Assert.Equal(WfpConstants.ConditionProtocol, ((FWPM_FILTER_CONDITION0*)native->filterCondition)->fieldKey);
        Assert.Equal(WfpConstants.ActionPermit, native->action.type);
        Assert.Equal(0UL, native->rawContext);
    }
}
