using System.Runtime.InteropServices;

namespace NetPolHost.Wfp.Interop;

/// <summary>
/// The WFP structures the backend passes to and reads from <c>fwpuclnt.dll</c>, with explicit layouts for 64-bit
/// Windows (x64 and arm64: LLP64, natural alignment). Field order and types follow <c>fwptypes.idl</c> and
/// <c>fwpmtypes.idl</c>; tests assert every size and offset. Names are the SDK's.
/// </summary>
internal static unsafe class FwpTypes
{
    /// <summary><c>FWP_VALUE0</c> (and <c>FWP_CONDITION_VALUE0</c>, which has the same layout): a type tag and an
    /// 8-byte union; 64-bit integers, 16-byte arrays, masks and ranges are pointers.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct FWP_VALUE0
    {
        [FieldOffset(0)] public uint type;
        [FieldOffset(8)] public byte uint8;
        [FieldOffset(8)] public ushort uint16;
        [FieldOffset(8)] public uint uint32;
        [FieldOffset(8)] public nint pointer;
    }

    /// <summary><c>FWP_BYTE_BLOB</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct FWP_BYTE_BLOB
    {
        [FieldOffset(0)] public uint size;
        [FieldOffset(8)] public nint data;
    }

    /// <summary><c>FWP_V4_ADDR_AND_MASK</c>: address and mask in host order.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 8)]
    public struct FWP_V4_ADDR_AND_MASK
    {
        [FieldOffset(0)] public uint addr;
        [FieldOffset(4)] public uint mask;
    }

    /// <summary><c>FWP_V6_ADDR_AND_MASK</c>: address bytes in network order and a prefix length.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 17)]
    public struct FWP_V6_ADDR_AND_MASK
    {
        [FieldOffset(0)] public fixed byte addr[16];
        [FieldOffset(16)] public byte prefixLength;
    }

    /// <summary><c>FWP_RANGE0</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 32)]
    public struct FWP_RANGE0
    {
        [FieldOffset(0)] public FWP_VALUE0 valueLow;
        [FieldOffset(16)] public FWP_VALUE0 valueHigh;
    }

    /// <summary><c>FWPM_DISPLAY_DATA0</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct FWPM_DISPLAY_DATA0
    {
        [FieldOffset(0)] public nint name;
        [FieldOffset(8)] public nint description;
    }

    /// <summary><c>FWPM_SESSION0</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct FWPM_SESSION0
    {
        [FieldOffset(0)] public Guid sessionKey;
        [FieldOffset(16)] public FWPM_DISPLAY_DATA0 displayData;
        [FieldOffset(32)] public uint flags;
        [FieldOffset(36)] public uint txnWaitTimeoutInMSec;
        [FieldOffset(40)] public uint processId;
        [FieldOffset(48)] public nint sid;
        [FieldOffset(56)] public nint username;
        [FieldOffset(64)] public int kernelMode;
    }

    /// <summary><c>FWPM_PROVIDER0</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct FWPM_PROVIDER0
    {
        [FieldOffset(0)] public Guid providerKey;
        [FieldOffset(16)] public FWPM_DISPLAY_DATA0 displayData;
        [FieldOffset(32)] public uint flags;
        [FieldOffset(40)] public FWP_BYTE_BLOB providerData;
        [FieldOffset(56)] public nint serviceName;
    }

    /// <summary><c>FWPM_SUBLAYER0</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct FWPM_SUBLAYER0
    {
        [FieldOffset(0)] public Guid subLayerKey;
        [FieldOffset(16)] public FWPM_DISPLAY_DATA0 displayData;
        [FieldOffset(32)] public uint flags;
        [FieldOffset(40)] public nint providerKey;
        [FieldOffset(48)] public FWP_BYTE_BLOB providerData;
        [FieldOffset(64)] public ushort weight;
    }

    /// <summary><c>FWPM_ACTION0</c>: the action type and a union of filter type / callout key.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 20)]
    public struct FWPM_ACTION0
    {
        [FieldOffset(0)] public uint type;
        [FieldOffset(4)] public Guid filterType;
    }

    /// <summary><c>FWPM_FILTER_CONDITION0</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct FWPM_FILTER_CONDITION0
    {
        [FieldOffset(0)] public Guid fieldKey;
        [FieldOffset(16)] public uint matchType;
        [FieldOffset(24)] public FWP_VALUE0 conditionValue;
    }

    /// <summary><c>FWPM_FILTER0</c>: 200 bytes, the rawContext / providerContextKey union at 152.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 200)]
    public struct FWPM_FILTER0
    {
        [FieldOffset(0)] public Guid filterKey;
        [FieldOffset(16)] public FWPM_DISPLAY_DATA0 displayData;
        [FieldOffset(32)] public uint flags;
        [FieldOffset(40)] public nint providerKey;
        [FieldOffset(48)] public FWP_BYTE_BLOB providerData;
        [FieldOffset(64)] public Guid layerKey;
        [FieldOffset(80)] public Guid subLayerKey;
        [FieldOffset(96)] public FWP_VALUE0 weight;
        [FieldOffset(112)] public uint numFilterConditions;
        [FieldOffset(120)] public nint filterCondition;
        [FieldOffset(128)] public FWPM_ACTION0 action;
        [FieldOffset(152)] public ulong rawContext;
        [FieldOffset(152)] public Guid providerContextKey;
        [FieldOffset(168)] public nint reserved;
        [FieldOffset(176)] public ulong filterId;
        [FieldOffset(184)] public FWP_VALUE0 effectiveWeight;
    }

    /// <summary><c>FWPM_FILTER_ENUM_TEMPLATE0</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct FWPM_FILTER_ENUM_TEMPLATE0
    {
        [FieldOffset(0)] public nint providerKey;
        [FieldOffset(8)] public Guid layerKey;
        [FieldOffset(24)] public uint enumType;
        [FieldOffset(28)] public uint flags;
        [FieldOffset(32)] public nint providerContextTemplate;
        [FieldOffset(40)] public uint numFilterConditions;
        [FieldOffset(48)] public nint filterCondition;
        [FieldOffset(56)] public uint actionMask;
        [FieldOffset(64)] public nint calloutKey;
    }
}
