using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using System.Runtime.Versioning;
using NetPolHost.WindowsFirewall.Interop;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.WindowsFirewall.Runtime;

/// <summary>The rule store on Windows: <c>HNetCfg.FwPolicy2</c> through the source-generated NetFwTypeLib interfaces.</summary>
/// <remarks>The instance joins the calling thread to the multithreaded apartment for its lifetime; create, use and
/// dispose it on one thread.</remarks>
[SupportedOSPlatform("windows")]
internal sealed unsafe class ComFirewallRuleStore : IFirewallRuleStore
{
    private static readonly StrategyBasedComWrappers s_wrappers = new();
    private readonly bool _uninitialize;
    private readonly INetFwPolicy2 _policy;
    private readonly INetFwRules _rules;

    public ComFirewallRuleStore()
    {
        // S_OK and S_FALSE need a matching CoUninitialize; RPC_E_CHANGED_MODE means the thread is an STA, which works too.
        _uninitialize = ComNative.CoInitializeEx(0, ComNative.CoInitMultithreaded) >= 0;
        try
        {
            _policy = Create<INetFwPolicy2>(NetFw.ClsidNetFwPolicy2);
            _rules = _policy.get_Rules();
        }
        catch
        {
            if (_uninitialize)
            {
                ComNative.CoUninitialize();
            }

            throw;
        }
    }

    public IReadOnlyList<FirewallRule> ListGroup(string group)
    {
        var result = new List<FirewallRule>();
        var unknown = _rules.get__NewEnum();
        try
        {
            var enumerator = (IEnumVariant)s_wrappers.GetOrCreateObjectForComInstance(unknown, CreateObjectFlags.UniqueInstance);
            try
            {
                var variant = stackalloc byte[24];
                while (true)
                {
                    new Span<byte>(variant, 24).Clear();
                    var hr = enumerator.Next(1, (nint)variant, out var fetched);
                    Marshal.ThrowExceptionForHR(hr);
                    if (fetched == 0)
                    {
                        break;
                    }

                    try
                    {
                        var type = *(ushort*)variant;
                        var pointer = *(nint*)(variant + 8);
                        if (type is ComNative.VtDispatch or ComNative.VtUnknown && pointer != 0 && Read(pointer, group) is { } rule)
                        {
                            result.Add(rule);
                        }
                    }
                    finally
                    {
                        _ = ComNative.VariantClear((nint)variant);
                    }
                }
            }
            finally
            {
                Release(enumerator);
            }
        }
        finally
        {
            Marshal.Release(unknown);
        }

        return result;
    }

    public void Add(FirewallRule rule)
    {
        var native = Create<INetFwRule>(NetFw.ClsidNetFwRule);
        try
        {
            native.put_Name(rule.Name);
            native.put_Description(rule.Description);
            native.put_Grouping(rule.Grouping);
            native.put_Direction((int)rule.Direction);

            // The protocol must be set before the ports.
            native.put_Protocol(rule.Protocol);
            if (rule.HasPorts && rule.LocalPorts != "*")
            {
                native.put_LocalPorts(rule.LocalPorts);
            }

            if (rule.HasPorts && rule.RemotePorts != "*")
            {
                native.put_RemotePorts(rule.RemotePorts);
            }

            native.put_LocalAddresses(rule.LocalAddresses);
            native.put_RemoteAddresses(rule.RemoteAddresses);
            native.put_Action((int)rule.Action);
            native.put_Profiles(rule.Profiles);
            native.put_Enabled(rule.Enabled);
            _rules.Add(native);
        }
        finally
        {
            Release(native);
        }
    }

    public void Update(FirewallRule rule, RuleFields fields)
    {
        var native = Owned(rule.Name, rule.Grouping);
        try
        {
            if (fields.HasFlag(RuleFields.RemoteAddresses))
            {
                native.put_RemoteAddresses(rule.RemoteAddresses);
            }

            if (fields.HasFlag(RuleFields.LocalAddresses))
            {
                native.put_LocalAddresses(rule.LocalAddresses);
            }

            if (fields.HasFlag(RuleFields.LocalPorts) && rule.HasPorts)
            {
                native.put_LocalPorts(rule.LocalPorts);
            }

            if (fields.HasFlag(RuleFields.RemotePorts) && rule.HasPorts)
            {
                native.put_RemotePorts(rule.RemotePorts);
            }

            if (fields.HasFlag(RuleFields.Description))
            {
                native.put_Description(rule.Description);
            }

            if (fields.HasFlag(RuleFields.Profiles))
            {
                native.put_Profiles(rule.Profiles);
            }

            if (fields.HasFlag(RuleFields.Enabled))
            {
                native.put_Enabled(rule.Enabled);
            }
        }
        finally
        {
            Release(native);
        }
    }

    public void Remove(string name, string group)
    {
        Release(Owned(name, group));
        _rules.Remove(name);
    }

    public FirewallHostState GetHostState()
    {
        var current = _policy.get_CurrentProfileTypes();
        var disabled = 0;
        foreach (var profile in new[] { NetFw.ProfileDomain, NetFw.ProfilePrivate, NetFw.ProfilePublic })
        {
            if (!_policy.get_FirewallEnabled(profile))
            {
                disabled |= profile;
            }
        }

        return new FirewallHostState(current, disabled, _policy.get_LocalPolicyModifyState());
    }

    public void Dispose()
    {
        Release(_rules);
        Release(_policy);
        if (_uninitialize)
        {
            ComNative.CoUninitialize();
        }
    }

    private static T Create<T>(Guid classId)
    {
        var interfaceId = typeof(T).GUID;
        Marshal.ThrowExceptionForHR(ComNative.CoCreateInstance(in classId, 0, ComNative.ClassContext, in interfaceId, out var pointer));
        try
        {
            return (T)s_wrappers.GetOrCreateObjectForComInstance(pointer, CreateObjectFlags.UniqueInstance);
        }
        finally
        {
            Marshal.Release(pointer);
        }
    }

    private static void Release(object? wrapper)
    {
        if (wrapper is ComObject com)
        {
            com.FinalRelease();
        }
    }

    /// <summary>The rule of that name, refusing one outside the owned group (names are not unique across groups).</summary>
    private INetFwRule Owned(string name, string group)
    {
        var native = _rules.Item(name);
        var actual = native.get_Grouping();
        if (!string.Equals(actual, group, StringComparison.Ordinal))
        {
            Release(native);
            throw new InvalidOperationException($"The rule named '{name}' belongs to group '{actual}', not to '{group}'; it is left alone.");
        }

        return native;
    }

    private static FirewallRule? Read(nint pointer, string group)
    {
        var native = (INetFwRule)s_wrappers.GetOrCreateObjectForComInstance(pointer, CreateObjectFlags.UniqueInstance);
        try
        {
            var grouping = native.get_Grouping();
            if (!string.Equals(grouping, group, StringComparison.Ordinal))
            {
                return null;
            }

            return new FirewallRule
            {
                Name = native.get_Name(),
                Description = native.get_Description() ?? string.Empty,
                Grouping = grouping,
                Direction = (FirewallDirection)native.get_Direction(),
                Action = (FirewallAction)native.get_Action(),
                Protocol = native.get_Protocol(),
                LocalPorts = native.get_LocalPorts() ?? "*",
                RemotePorts = native.get_RemotePorts() ?? "*",
                LocalAddresses = native.get_LocalAddresses() ?? "*",
                RemoteAddresses = native.get_RemoteAddresses() ?? "*",
                Enabled = native.get_Enabled(),
                Profiles = native.get_Profiles(),
            };
        }
        finally
        {
            Release(native);
        }
    }
}
