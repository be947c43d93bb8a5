using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using NetPolHost.WindowsFirewall.Interop;

namespace NetPolHost.Windows.Tests.WindowsFirewall;

/// <summary>
/// Proves on Linux that every method of the source-generated NetFwTypeLib interfaces calls the vtable slot of the SDK
/// header with the right marshalling. Each case builds a native object whose vtable has IUnknown in slots 0–2, one
/// recording function of the method's native signature in the expected slot and, in every other slot, a function that
/// fails with E_UNEXPECTED without counting a call. A method that lands anywhere else throws or returns E_UNEXPECTED.
/// </summary>
public sealed unsafe class ComVtableTests
{
    private const int Unexpected = unchecked((int)0x8000FFFF);
    private const string OutText = "10.0.0.1/255.255.255.255,fe80::1-fe80::1 \u2018\u00e9\u2019";
    private static readonly Guid s_iidUnknown = new("00000000-0000-0000-C000-000000000046");

    [ThreadStatic] private static int t_calls;
    [ThreadStatic] private static int t_failWith;
    [ThreadStatic] private static List<object?>? t_arguments;
    [ThreadStatic] private static List<Guid>? t_queried;
    [ThreadStatic] private static nint t_outPointer;
    [ThreadStatic] private static HashSet<Guid>? t_known;

    private static readonly nint s_bstrInBoolOut = (nint)(delegate* unmanaged<nint, nint, short*, int>)&BstrInBoolOut;
    private static readonly nint s_bstrInPointerOut = (nint)(delegate* unmanaged<nint, nint, nint*, int>)&BstrInPointerOut;
    private static readonly nint s_enableRuleGroup = (nint)(delegate* unmanaged<nint, int, nint, short, int>)&EnableRuleGroup;
    private static readonly nint s_getBstr = (nint)(delegate* unmanaged<nint, nint*, int>)&GetBstr;
    private static readonly nint s_getIDsOfNames = (nint)(delegate* unmanaged<nint, nint, nint, uint, uint, nint, int>)&GetIDsOfNames;
    private static readonly nint s_getInt32 = (nint)(delegate* unmanaged<nint, int*, int>)&GetInt32;
    private static readonly nint s_getPointer = (nint)(delegate* unmanaged<nint, nint*, int>)&GetPointer;
    private static readonly nint s_getTypeInfo = (nint)(delegate* unmanaged<nint, uint, uint, nint*, int>)&GetTypeInfo;
    private static readonly nint s_getUInt32 = (nint)(delegate* unmanaged<nint, uint*, int>)&GetUInt32;
    private static readonly nint s_getVariantBool = (nint)(delegate* unmanaged<nint, short*, int>)&GetVariantBool;
    private static readonly nint s_invoke = (nint)(delegate* unmanaged<nint, int, nint, uint, ushort, nint, nint, nint, nint, int>)&Invoke;
    private static readonly nint s_isRuleGroupEnabled = (nint)(delegate* unmanaged<nint, int, nint, short*, int>)&IsRuleGroupEnabled;
    private static readonly nint s_next = (nint)(delegate* unmanaged<nint, uint, nint, uint*, int>)&Next;
    private static readonly nint s_noArguments = (nint)(delegate* unmanaged<nint, int>)&NoArguments;
    private static readonly nint s_profileAndPointer = (nint)(delegate* unmanaged<nint, int, nint, int>)&ProfileAndPointer;
    private static readonly nint s_profileGetInt32 = (nint)(delegate* unmanaged<nint, int, int*, int>)&ProfileGetInt32;
    private static readonly nint s_profileGetVariantBool = (nint)(delegate* unmanaged<nint, int, short*, int>)&ProfileGetVariantBool;
    private static readonly nint s_profilePutInt32 = (nint)(delegate* unmanaged<nint, int, int, int>)&ProfilePutInt32;
    private static readonly nint s_profilePutVariantBool = (nint)(delegate* unmanaged<nint, int, short, int>)&ProfilePutVariantBool;
    private static readonly nint s_putBstr = (nint)(delegate* unmanaged<nint, nint, int>)&PutBstr;
    private static readonly nint s_putInt32 = (nint)(delegate* unmanaged<nint, int, int>)&PutInt32;
    private static readonly nint s_putPointer = (nint)(delegate* unmanaged<nint, nint, int>)&PutPointer;
    private static readonly nint s_putUInt32 = (nint)(delegate* unmanaged<nint, uint, int>)&PutUInt32;
    private static readonly nint s_putVariantBool = (nint)(delegate* unmanaged<nint, short, int>)&PutVariantBool;

    private static List<object?> Arguments => t_arguments ??= [];

    private static List<Guid> Queried => t_queried ??= [];

    public static TheoryData<string> RuleCases => new(Cases().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(RuleCases))]
    public void Method_LandsInItsSlot_WithItsMarshalling(string name)
    {
        var testCase = Cases().Single(c => c.Name == name);
        var (target, native) = Create(testCase.Interface, testCase.Slot, testCase.Function);
        testCase.Check(target, native);
        Assert.Equal(1, t_calls);
        Assert.Contains(testCase.Interface.GUID, Queried);
    }

    [Fact]
    public void Cases_CoverEveryDeclaredMethod()
    {
        var declared = new[] { typeof(IDispatchPlaceholder), typeof(INetFwRule), typeof(INetFwRules), typeof(INetFwPolicy2), typeof(IEnumVariant) }
            .SelectMany(t => OwnMethods(t).Select(m => t.Name + "." + m))
            .Order(StringComparer.Ordinal)
            .ToList();
        var covered = Cases().Select(c => c.Declaring.Name + "." + c.Method).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(declared, covered);
    }

    [Fact]
    public void Slots_AreContiguousFromSevenInDeclarationOrder()
    {
        // The generator assigns slots in declaration order: the case table must agree with that order for each interface.
        foreach (var type in new[] { typeof(INetFwRule), typeof(INetFwRules), typeof(INetFwPolicy2) })
        {
            var methods = OwnMethods(type).ToList();
            var slots = methods.Select(m => Cases().First(c => c.Declaring == type && c.Method == m).Slot).ToList();
            Assert.Equal(Enumerable.Range(7, methods.Count), slots);
        }
    }

    [Theory]
    [InlineData(unchecked((int)0x80070005))] // E_ACCESSDENIED
    [InlineData(unchecked((int)0x80070057))] // E_INVALIDARG
    [InlineData(unchecked((int)0xD000000D))] // HRESULT_FROM_NT(STATUS_INVALID_PARAMETER), e.g. ::1 in RemoteAddresses
    [InlineData(unchecked((int)0x80004005))] // E_FAIL
    public void FailedHResult_BecomesExceptionWithThatHResult(int hresult)
    {
        var (target, _) = Create(typeof(INetFwRule), 24, (nint)(delegate* unmanaged<nint, nint, int>)&Fail);
        t_failWith = hresult;
        var ex = Assert.ThrowsAny<Exception>(() => ((INetFwRule)target).put_RemoteAddresses("::1"));
        Assert.Equal(hresult, ex.HResult);
    }

    [Fact]
    public void Item_MissingRule_ThrowsWithFileNotFoundHResult()
    {
        var (target, _) = Create(typeof(INetFwRules), 10, (nint)(delegate* unmanaged<nint, nint, nint, int>)&FailBstrOut);
        t_failWith = unchecked((int)0x80070002);
        var ex = Assert.ThrowsAny<Exception>(() => ((INetFwRules)target).Item("missing"));
        Assert.Equal(unchecked((int)0x80070002), ex.HResult);
    }

    /// <summary>The methods an interface declares itself (the generator redeclares inherited ones with <c>new</c>).</summary>
    private static IEnumerable<string> OwnMethods(Type type) =>
        type.GetMethods().Select(m => m.Name).Where(m => type == typeof(IDispatchPlaceholder) || typeof(IDispatchPlaceholder).GetMethod(m) is null);

    private sealed record Case(string Name, Type Interface, Type Declaring, string Method, int Slot, nint Function, Action<object, nint> Check);

    private static IEnumerable<Case> Cases()
    {
        // IDispatch placeholders, called through INetFwRule (slots 3-6).
        yield return new("IDispatch.GetTypeInfoCount", typeof(INetFwRule), typeof(IDispatchPlaceholder), "GetTypeInfoCount", 3, s_getUInt32, (o, _) =>
        {
            ((INetFwRule)o).GetTypeInfoCount(out var count);
            Assert.Equal(0xA5A5u, count);
        });
        yield return new("IDispatch.GetTypeInfo", typeof(INetFwRule), typeof(IDispatchPlaceholder), "GetTypeInfo", 4, s_getTypeInfo, (o, _) =>
        {
            ((INetFwRule)o).GetTypeInfo(7, 1033, out var info);
            Assert.Equal((nint)0x1234, info);
            Assert.Equal(Args(7u, 1033u), Arguments);
        });
        yield return new("IDispatch.GetIDsOfNames", typeof(INetFwRule), typeof(IDispatchPlaceholder), "GetIDsOfNames", 5, s_getIDsOfNames, (o, _) =>
        {
            ((INetFwRule)o).GetIDsOfNames(11, 22, 3, 1033, 44);
            Assert.Equal(Args((nint)11, (nint)22, 3u, 1033u, (nint)44), Arguments);
        });
        yield return new("IDispatch.Invoke", typeof(INetFwRule), typeof(IDispatchPlaceholder), "Invoke", 6, s_invoke, (o, _) =>
        {
            ((INetFwRule)o).Invoke(-5, 1, 1033, 2, 3, 4, 5, 6);
            Assert.Equal(Args(-5, (nint)1, 1033u, (ushort)2, (nint)3, (nint)4, (nint)5, (nint)6), Arguments);
        });

        // INetFwRule, slots 7-42.
        static INetFwRule R(object o) => (INetFwRule)o;
        var rule = typeof(INetFwRule);
        foreach (var c in StringProperty(rule, "Name", 7, o => R(o).get_Name(), (o, v) => R(o).put_Name(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "Description", 9, o => R(o).get_Description(), (o, v) => R(o).put_Description(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "ApplicationName", 11, o => R(o).get_ApplicationName(), (o, v) => R(o).put_ApplicationName(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "ServiceName", 13, o => R(o).get_ServiceName(), (o, v) => R(o).put_ServiceName(v)))
        {
            yield return c;
        }

        foreach (var c in IntProperty(rule, "Protocol", 15, 132, o => R(o).get_Protocol(), (o, v) => R(o).put_Protocol(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "LocalPorts", 17, o => R(o).get_LocalPorts(), (o, v) => R(o).put_LocalPorts(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "RemotePorts", 19, o => R(o).get_RemotePorts(), (o, v) => R(o).put_RemotePorts(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "LocalAddresses", 21, o => R(o).get_LocalAddresses(), (o, v) => R(o).put_LocalAddresses(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "RemoteAddresses", 23, o => R(o).get_RemoteAddresses(), (o, v) => R(o).put_RemoteAddresses(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "IcmpTypesAndCodes", 25, o => R(o).get_IcmpTypesAndCodes(), (o, v) => R(o).put_IcmpTypesAndCodes(v)))
        {
            yield return c;
        }

        foreach (var c in IntProperty(rule, "Direction", 27, 2, o => R(o).get_Direction(), (o, v) => R(o).put_Direction(v)))
        {
            yield return c;
        }

        yield return new("INetFwRule.ReservedGetInterfaces", rule, rule, "ReservedGetInterfaces", 29, s_noArguments, (o, _) => Assert.Equal(0, R(o).ReservedGetInterfaces()));
        yield return new("INetFwRule.ReservedPutInterfaces", rule, rule, "ReservedPutInterfaces", 30, s_noArguments, (o, _) => Assert.Equal(0, R(o).ReservedPutInterfaces()));
        foreach (var c in StringProperty(rule, "InterfaceTypes", 31, o => R(o).get_InterfaceTypes(), (o, v) => R(o).put_InterfaceTypes(v)))
        {
            yield return c;
        }

        foreach (var c in BoolProperty(rule, "Enabled", 33, o => R(o).get_Enabled(), (o, v) => R(o).put_Enabled(v)))
        {
            yield return c;
        }

        foreach (var c in StringProperty(rule, "Grouping", 35, o => R(o).get_Grouping(), (o, v) => R(o).put_Grouping(v)))
        {
            yield return c;
        }

        foreach (var c in IntProperty(rule, "Profiles", 37, 0x7fffffff, o => R(o).get_Profiles(), (o, v) => R(o).put_Profiles(v)))
        {
            yield return c;
        }

        foreach (var c in BoolProperty(rule, "EdgeTraversal", 39, o => R(o).get_EdgeTraversal(), (o, v) => R(o).put_EdgeTraversal(v)))
        {
            yield return c;
        }

        foreach (var c in IntProperty(rule, "Action", 41, 1, o => R(o).get_Action(), (o, v) => R(o).put_Action(v)))
        {
            yield return c;
        }

        // INetFwRules, slots 7-11.
        yield return new("INetFwRules.get_Count", typeof(INetFwRules), typeof(INetFwRules), "get_Count", 7, s_getInt32, (o, _) => Assert.Equal(-42, ((INetFwRules)o).get_Count()));
        yield return new("INetFwRules.Add", typeof(INetFwRules), typeof(INetFwRules), "Add", 8, s_putPointer, (o, _) =>
        {
            var (rule, rulePointer) = Create(typeof(INetFwRule), 7, 0);
            ((INetFwRules)o).Add((INetFwRule)rule);
            Assert.Equal(rulePointer, (nint)Arguments.Single()!);
        });
        yield return new("INetFwRules.Remove", typeof(INetFwRules), typeof(INetFwRules), "Remove", 9, s_putBstr, (o, _) =>
        {
            ((INetFwRules)o).Remove("NetPolHost-0011");
            Assert.Equal("NetPolHost-0011", Arguments.Single());
        });
        yield return new("INetFwRules.Item", typeof(INetFwRules), typeof(INetFwRules), "Item", 10, s_bstrInPointerOut, (o, _) =>
        {
            t_outPointer = Create(typeof(INetFwRule), 7, 0).Native;
            var rule = ((INetFwRules)o).Item("NetPolHost-0022");
            Assert.Equal("NetPolHost-0022", Arguments.Single());
            Assert.True(rule is INetFwRule);
        });
        yield return new("INetFwRules.get__NewEnum", typeof(INetFwRules), typeof(INetFwRules), "get__NewEnum", 11, s_getPointer, (o, _) =>
        {
            t_outPointer = 0x5151;
            Assert.Equal((nint)0x5151, ((INetFwRules)o).get__NewEnum());
        });

        // INetFwPolicy2, slots 7-28.
        const string P = "INetFwPolicy2.";
        var policy = typeof(INetFwPolicy2);
        yield return new(P + "get_CurrentProfileTypes", policy, policy, "get_CurrentProfileTypes", 7, s_getInt32, (o, _) => Assert.Equal(-42, ((INetFwPolicy2)o).get_CurrentProfileTypes()));
        static INetFwPolicy2 Y(object o) => (INetFwPolicy2)o;
        foreach (var c in ProfileBoolProperty("FirewallEnabled", 8, (o, p) => Y(o).get_FirewallEnabled(p), (o, p, v) => Y(o).put_FirewallEnabled(p, v)))
        {
            yield return c;
        }

        foreach (var c in ProfileBoolProperty("BlockAllInboundTraffic", 12, (o, p) => Y(o).get_BlockAllInboundTraffic(p), (o, p, v) => Y(o).put_BlockAllInboundTraffic(p, v)))
        {
            yield return c;
        }

        foreach (var c in ProfileBoolProperty("NotificationsDisabled", 14, (o, p) => Y(o).get_NotificationsDisabled(p), (o, p, v) => Y(o).put_NotificationsDisabled(p, v)))
        {
            yield return c;
        }

        foreach (var c in ProfileBoolProperty("UnicastResponsesToMulticastBroadcastDisabled", 16, (o, p) => Y(o).get_UnicastResponsesToMulticastBroadcastDisabled(p), (o, p, v) => Y(o).put_UnicastResponsesToMulticastBroadcastDisabled(p, v)))
        {
            yield return c;
        }

        yield return new(P + "get_ExcludedInterfaces", policy, policy, "get_ExcludedInterfaces", 10, s_profileAndPointer, (o, _) =>
        {
            ((INetFwPolicy2)o).get_ExcludedInterfaces(4, 0x7777);
            Assert.Equal(Args(4, (nint)0x7777), Arguments);
        });
        yield return new(P + "ReservedPutExcludedInterfaces", policy, policy, "ReservedPutExcludedInterfaces", 11, s_noArguments, (o, _) => Assert.Equal(0, ((INetFwPolicy2)o).ReservedPutExcludedInterfaces()));
        yield return new(P + "get_Rules", policy, policy, "get_Rules", 18, s_getPointer, (o, _) =>
        {
            var (_, rulesPointer) = Create(typeof(INetFwRules), 7, 0);
            t_outPointer = rulesPointer;
            Queried.Clear();
            Assert.True(((INetFwPolicy2)o).get_Rules() is INetFwRules);
            Assert.Contains(typeof(INetFwRules).GUID, Queried);
            Queried.Add(typeof(INetFwPolicy2).GUID);
        });
        yield return new(P + "get_ServiceRestriction", policy, policy, "get_ServiceRestriction", 19, s_getPointer, (o, _) =>
        {
            t_outPointer = 0x6161;
            Assert.Equal((nint)0x6161, ((INetFwPolicy2)o).get_ServiceRestriction());
        });
        yield return new(P + "EnableRuleGroup", policy, policy, "EnableRuleGroup", 20, s_enableRuleGroup, (o, _) =>
        {
            ((INetFwPolicy2)o).EnableRuleGroup(7, "NetPolHost", true);
            Assert.Equal(Args(7, "NetPolHost", (short)-1), Arguments);
        });
        yield return new(P + "IsRuleGroupEnabled", policy, policy, "IsRuleGroupEnabled", 21, s_isRuleGroupEnabled, (o, _) =>
        {
            Assert.True(((INetFwPolicy2)o).IsRuleGroupEnabled(2, "g"));
            Assert.Equal(Args(2, "g"), Arguments);
        });
        yield return new(P + "RestoreLocalFirewallDefaults", policy, policy, "RestoreLocalFirewallDefaults", 22, s_noArguments, (o, _) => ((INetFwPolicy2)o).RestoreLocalFirewallDefaults());
        foreach (var c in ProfileIntProperty("DefaultInboundAction", 23, (o, p) => Y(o).get_DefaultInboundAction(p), (o, p, v) => Y(o).put_DefaultInboundAction(p, v)))
        {
            yield return c;
        }

        foreach (var c in ProfileIntProperty("DefaultOutboundAction", 25, (o, p) => Y(o).get_DefaultOutboundAction(p), (o, p, v) => Y(o).put_DefaultOutboundAction(p, v)))
        {
            yield return c;
        }

        yield return new(P + "get_IsRuleGroupCurrentlyEnabled", policy, policy, "get_IsRuleGroupCurrentlyEnabled", 27, s_bstrInBoolOut, (o, _) =>
        {
            Assert.True(((INetFwPolicy2)o).get_IsRuleGroupCurrentlyEnabled("NetPolHost"));
            Assert.Equal(Args("NetPolHost"), Arguments);
        });
        yield return new(P + "get_LocalPolicyModifyState", policy, policy, "get_LocalPolicyModifyState", 28, s_getInt32, (o, _) => Assert.Equal(-42, ((INetFwPolicy2)o).get_LocalPolicyModifyState()));

        // IEnumVARIANT, slots 3-6.
        var enumerator = typeof(IEnumVariant);
        yield return new("IEnumVariant.Next", enumerator, enumerator, "Next", 3, s_next, (o, _) => CheckNext((IEnumVariant)o));
        yield return new("IEnumVariant.Skip", enumerator, enumerator, "Skip", 4, s_putUInt32, (o, _) =>
        {
            Assert.Equal(0, ((IEnumVariant)o).Skip(5));
            Assert.Equal(Args(5u), Arguments);
        });
        yield return new("IEnumVariant.Reset", enumerator, enumerator, "Reset", 5, s_noArguments, (o, _) => ((IEnumVariant)o).Reset());
        yield return new("IEnumVariant.Clone", enumerator, enumerator, "Clone", 6, s_getPointer, (o, _) =>
        {
            t_outPointer = 0x7171;
            Assert.Equal((nint)0x7171, ((IEnumVariant)o).Clone());
        });
    }

    private static List<object?> Args(params object?[] values) => [.. values];

    private static IEnumerable<Case> StringProperty(Type type, string property, int slot, Func<object, string> get, Action<object, string> put)
    {
        yield return new($"{type.Name}.get_{property}", type, type, "get_" + property, slot, s_getBstr, (o, _) =>
            Assert.Equal(OutText, get(o)));
        yield return new($"{type.Name}.put_{property}", type, type, "put_" + property, slot + 1, s_putBstr, (o, _) =>
        {
            put(o, "a'b,\u00fc \u2018" + property);
            Assert.Equal(Args("a'b,\u00fc \u2018" + property), Arguments);
        });
    }

    private static IEnumerable<Case> IntProperty(Type type, string property, int slot, int value, Func<object, int> get, Action<object, int> put)
    {
        yield return new($"{type.Name}.get_{property}", type, type, "get_" + property, slot, s_getInt32, (o, _) =>
            Assert.Equal(-42, get(o)));
        yield return new($"{type.Name}.put_{property}", type, type, "put_" + property, slot + 1, s_putInt32, (o, _) =>
        {
            put(o, value);
            Assert.Equal(Args(value), Arguments);
        });
    }

    private static IEnumerable<Case> BoolProperty(Type type, string property, int slot, Func<object, bool> get, Action<object, bool> put)
    {
        yield return new($"{type.Name}.get_{property}", type, type, "get_" + property, slot, s_getVariantBool, (o, _) =>
            Assert.True(get(o)));
        yield return new($"{type.Name}.put_{property}", type, type, "put_" + property, slot + 1, s_putVariantBool, (o, _) =>
        {
            put(o, true);
            put(o, false);
            t_calls--; // two calls on purpose
            Assert.Equal(Args((short)-1, (short)0), Arguments);
        });
    }

    private static IEnumerable<Case> ProfileBoolProperty(string property, int slot, Func<object, int, bool> get, Action<object, int, bool> put)
    {
        var type = typeof(INetFwPolicy2);
        yield return new($"{type.Name}.get_{property}", type, type, "get_" + property, slot, s_profileGetVariantBool, (o, _) =>
        {
            Assert.True(get(o, 4));
            Assert.Equal(Args(4), Arguments);
        });
        yield return new($"{type.Name}.put_{property}", type, type, "put_" + property, slot + 1, s_profilePutVariantBool, (o, _) =>
        {
            put(o, 2, true);
            Assert.Equal(Args(2, (short)-1), Arguments);
        });
    }

    private static IEnumerable<Case> ProfileIntProperty(string property, int slot, Func<object, int, int> get, Action<object, int, int> put)
    {
        var type = typeof(INetFwPolicy2);
        yield return new($"{type.Name}.get_{property}", type, type, "get_" + property, slot, s_profileGetInt32, (o, _) =>
        {
            Assert.Equal(-42, get(o, 2));
            Assert.Equal(Args(2), Arguments);
        });
        yield return new($"{type.Name}.put_{property}", type, type, "put_" + property, slot + 1, s_profilePutInt32, (o, _) =>
        {
            put(o, 4, 1);
            Assert.Equal(Args(4, 1), Arguments);
        });
    }

    /// <summary>A native object with IUnknown, <paramref name="function"/> in <paramref name="slot"/> and failing
    /// functions elsewhere, wrapped by the source-generated ComWrappers.</summary>
    private static (object Managed, nint Native) Create(Type type, int slot, nint function)
    {
        t_calls = 0;
        Arguments.Clear();
        Queried.Clear();
        t_known = [s_iidUnknown, typeof(IDispatchPlaceholder).GUID, type.GUID];
        const int size = 64;
        var vtable = (nint*)NativeMemory.AllocZeroed(size * (nuint)sizeof(nint));
        for (var i = 0; i < size; i++)
        {
            vtable[i] = (nint)(delegate* unmanaged<nint, int>)&WrongSlot;
        }

        vtable[0] = (nint)(delegate* unmanaged<nint, Guid*, nint*, int>)&QueryInterface;
        vtable[1] = (nint)(delegate* unmanaged<nint, uint>)&AddRef;
        vtable[2] = (nint)(delegate* unmanaged<nint, uint>)&Release;
        if (function != 0)
        {
            vtable[slot] = function;
        }

        var instance = (nint*)NativeMemory.AllocZeroed(2 * (nuint)sizeof(nint));
        instance[0] = (nint)vtable;
        instance[1] = 1;
        var managed = new StrategyBasedComWrappers().GetOrCreateObjectForComInstance((nint)instance, CreateObjectFlags.UniqueInstance);
        return (managed, (nint)instance);
    }

    [UnmanagedCallersOnly]
    private static int QueryInterface(nint self, Guid* iid, nint* result)
    {
        Queried.Add(*iid);
        if (t_known is not null && !t_known.Contains(*iid) && !IsOneOfOurs(*iid))
        {
            *result = 0;
            return unchecked((int)0x80004002); // E_NOINTERFACE
        }

        ((nint*)self)[1]++;
        *result = self;
        return 0;
    }

    private static bool IsOneOfOurs(Guid iid) =>
        iid == typeof(INetFwRule).GUID || iid == typeof(INetFwRules).GUID || iid == typeof(INetFwPolicy2).GUID || iid == typeof(IEnumVariant).GUID;

    [UnmanagedCallersOnly]
    private static uint AddRef(nint self) => (uint)++((nint*)self)[1];

    [UnmanagedCallersOnly]
    private static uint Release(nint self) => (uint)--((nint*)self)[1];

    [UnmanagedCallersOnly]
    private static int WrongSlot(nint self) => Unexpected;

    [UnmanagedCallersOnly]
    private static int Fail(nint self, nint argument)
    {
        t_calls++;
        return t_failWith;
    }

    [UnmanagedCallersOnly]
    private static int FailBstrOut(nint self, nint name, nint result)
    {
        t_calls++;
        return t_failWith;
    }

    [UnmanagedCallersOnly]
    private static int NoArguments(nint self)
    {
        t_calls++;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int GetBstr(nint self, nint* result)
    {
        t_calls++;
        *result = Marshal.StringToBSTR(OutText);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int PutBstr(nint self, nint value)
    {
        t_calls++;
        Arguments.Add(ReadBstr(value));
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int GetInt32(nint self, int* result)
    {
        t_calls++;
        *result = -42;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int GetUInt32(nint self, uint* result)
    {
        t_calls++;
        *result = 0xA5A5;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int PutInt32(nint self, int value)
    {
        t_calls++;
        Arguments.Add(value);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int PutUInt32(nint self, uint value)
    {
        t_calls++;
        Arguments.Add(value);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int GetVariantBool(nint self, short* result)
    {
        t_calls++;
        *result = -1;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int PutVariantBool(nint self, short value)
    {
        t_calls++;
        Arguments.Add(value);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int ProfileGetVariantBool(nint self, int profile, short* result)
    {
        t_calls++;
        Arguments.Add(profile);
        *result = -1;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int ProfilePutVariantBool(nint self, int profile, short value)
    {
        t_calls++;
        Arguments.Add(profile);
        Arguments.Add(value);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int ProfileGetInt32(nint self, int profile, int* result)
    {
        t_calls++;
        Arguments.Add(profile);
        *result = -42;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int ProfilePutInt32(nint self, int profile, int value)
    {
        t_calls++;
        Arguments.Add(profile);
        Arguments.Add(value);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int ProfileAndPointer(nint self, int profile, nint pointer)
    {
        t_calls++;
        Arguments.Add(profile);
        Arguments.Add(pointer);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int GetPointer(nint self, nint* result)
    {
        t_calls++;
        *result = t_outPointer;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int PutPointer(nint self, nint value)
    {
        t_calls++;
        Arguments.Add(value);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int BstrInPointerOut(nint self, nint name, nint* result)
    {
        t_calls++;
        Arguments.Add(ReadBstr(name));
        *result = t_outPointer;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int BstrInBoolOut(nint self, nint name, short* result)
    {
        t_calls++;
        Arguments.Add(ReadBstr(name));
        *result = -1;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int EnableRuleGroup(nint self, int profiles, nint group, short enable)
    {
        t_calls++;
        Arguments.Add(profiles);
        Arguments.Add(ReadBstr(group));
        Arguments.Add(enable);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int IsRuleGroupEnabled(nint self, int profiles, nint group, short* result)
    {
        t_calls++;
        Arguments.Add(profiles);
        Arguments.Add(ReadBstr(group));
        *result = -1;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int GetTypeInfo(nint self, uint index, uint localeId, nint* result)
    {
        t_calls++;
        Arguments.Add(index);
        Arguments.Add(localeId);
        *result = 0x1234;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int GetIDsOfNames(nint self, nint iid, nint names, uint count, uint localeId, nint ids)
    {
        t_calls++;
        Arguments.AddRange([iid, names, count, localeId, ids]);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int Invoke(nint self, int id, nint iid, uint localeId, ushort flags, nint parameters, nint result, nint exception, nint argumentError)
    {
        t_calls++;
        Arguments.AddRange([id, iid, localeId, flags, parameters, result, exception, argumentError]);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int Next(nint self, uint count, nint variants, uint* fetched)
    {
        t_calls++;
        *(ushort*)variants = 9; // VT_DISPATCH
        *(nint*)(variants + 8) = 0x4242;
        *fetched = count;
        return 0;
    }

    private static void CheckNext(IEnumVariant enumerator)
    {
        var variant = stackalloc byte[24];
        Assert.Equal(0, enumerator.Next(1, (nint)variant, out var fetched));
        Assert.Equal(1u, fetched);
        Assert.Equal((ushort)9, *(ushort*)variant);
        Assert.Equal((nint)0x4242, *(nint*)(variant + 8));
    }

    /// <summary>Reads a BSTR and checks it is one: a 4-byte byte-length prefix before the characters.</summary>
    private static string ReadBstr(nint value)
    {
        var text = Marshal.PtrToStringBSTR(value);
        return *(int*)(value - 4) == text.Length * 2 ? text : "<not a BSTR: " + text + ">";
    }
}
