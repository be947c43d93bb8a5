using System.Globalization;
using System.Net;
using NetPolHost.Planning;
using NetPolHost.WindowsFirewall.Rules;
using NetPolHost.WindowsFirewall.Runtime;

namespace NetPolHost.Windows.Tests.Fakes;

/// <summary>An in-memory Windows Firewall that stores rules the way Windows does: single IPv4 addresses come back as
/// <c>a/255.255.255.255</c>, IPv4 prefixes as dotted masks, single IPv6 addresses as <c>a-a</c>.</summary>
internal sealed class FakeFirewallRuleStore : IFirewallRuleStore
{
    public List<FirewallRule> Rules { get; } = [];

    public List<string> Log { get; } = [];

    public FirewallHostState HostState { get; set; } = new(NetFw.ProfilePrivate, 0, 0);

    /// <summary>Fails the operation whose log line starts with this text.</summary>
    public string? FailOn { get; set; }

    /// <summary>Called after every change, with the rules at that moment.</summary>
    public Action<IReadOnlyList<FirewallRule>>? AfterEachChange { get; set; }

    public int Disposed { get; private set; }

    public IReadOnlyList<FirewallRule> ListGroup(string group) => Rules.Where(r => r.Grouping == group).ToList();

    public void Add(FirewallRule rule)
    {
        Record("add " + rule.Name);
        Rules.Add(Rewrite(rule));
        AfterEachChange?.Invoke(Rules);
    }

    public void Update(FirewallRule rule, RuleFields fields)
    {
        Record("update " + rule.Name + " " + fields);
        var index = Rules.FindIndex(r => r.Name == rule.Name);
        var current = Rules[index];
        var rewritten = Rewrite(rule);
        Rules[index] = current with
        {
            Description = fields.HasFlag(RuleFields.Description) ? rule.Description : current.Description,
            LocalPorts = fields.HasFlag(RuleFields.LocalPorts) ? rule.LocalPorts : current.LocalPorts,
            RemotePorts = fields.HasFlag(RuleFields.RemotePorts) ? rule.RemotePorts : current.RemotePorts,
            LocalAddresses = fields.HasFlag(RuleFields.LocalAddresses) ? rewritten.LocalAddresses : current.LocalAddresses,
            RemoteAddresses = fields.HasFlag(RuleFields.RemoteAddresses) ? rewritten.RemoteAddresses : current.RemoteAddresses,
            Enabled = fields.HasFlag(RuleFields.Enabled) ? rule.Enabled : current.Enabled,
            Profiles = fields.HasFlag(RuleFields.Profiles) ? rule.Profiles : current.Profiles,
        };
        AfterEachChange?.Invoke(Rules);
    }

    public void Remove(string name, string group)
    {
        Record("remove " + name);
        var index = Rules.FindIndex(r => r.Name == name);
        if (index < 0)
        {
            return;
        }

        if (Rules[index].Grouping != group)
        {
            throw new InvalidOperationException($"The rule named '{name}' belongs to group '{Rules[index].Grouping}'.");
        }

        Rules.RemoveAt(index);
        AfterEachChange?.Invoke(Rules);
    }

    public FirewallHostState GetHostState() => HostState;

    public void Dispose() => Disposed++;

    /// <summary>The form Windows stores an address list in.</summary>
    public static string RewriteAddresses(string list)
    {
        if (list == "*")
        {
            return list;
        }

        return string.Join(",", list.Split(',').Select(token =>
        {
            if (token.Contains('-', StringComparison.Ordinal))
            {
                return token;
            }

            var slash = token.IndexOf('/', StringComparison.Ordinal);
            var address = IPAddress.Parse(slash < 0 ? token : token[..slash]);
            var prefix = slash < 0 ? -1 : int.Parse(token[(slash + 1)..], CultureInfo.InvariantCulture);
            if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return prefix < 0 ? token + "-" + token : token;
            }

            var bits = prefix < 0 ? 32 : prefix;
            var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
            return address + "/" + new AddressRange(mask, mask, false).FirstAddress;
        }));
    }

    private FirewallRule Rewrite(FirewallRule rule) => rule with
    {
        LocalAddresses = RewriteAddresses(rule.LocalAddresses),
        RemoteAddresses = RewriteAddresses(rule.RemoteAddresses),
        LocalPorts = rule.HasPorts ? rule.LocalPorts : "*",
        RemotePorts = rule.HasPorts ? rule.RemotePorts : "*",
    };

    private void Record(string line)
    {
        if (FailOn is not null && line.StartsWith(FailOn, StringComparison.Ordinal))
        {
            throw new UnauthorizedAccessException("Access is denied. (0x80070005 (E_ACCESSDENIED))");
        }

        Log.Add(line);
    }
}
