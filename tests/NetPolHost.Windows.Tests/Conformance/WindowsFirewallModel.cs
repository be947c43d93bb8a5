using System.Net;
using NetPolHost.Planning;
using NetPolHost.WindowsFirewall.Rules;

namespace NetPolHost.Windows.Tests.Conformance;

/// <summary>
/// A small model of how Windows Firewall decides a new connection: among the enabled rules of the direction that match,
/// block beats allow (allow-bypass, which needs IPsec, is not modelled and never written); with no match the profile's
/// default action applies. Empty or <c>*</c> address and port lists mean any; ports apply to TCP and UDP only. The rules
/// are read in the text form Windows stores (rewritten addresses included).
/// </summary>
internal sealed class WindowsFirewallModel
{
    private readonly List<Parsed> _rules;

    public WindowsFirewallModel(IEnumerable<FirewallRule> rules, bool defaultInboundAllow, bool defaultOutboundAllow)
    {
        _rules = rules.Select(Parse).ToList();
        DefaultInboundAllow = defaultInboundAllow;
        DefaultOutboundAllow = defaultOutboundAllow;
    }

    public bool DefaultInboundAllow { get; }

    public bool DefaultOutboundAllow { get; }

    public bool Allows(FirewallDirection direction, IPAddress local, IPAddress remote, int protocol, int localPort, int remotePort)
    {
        var localRange = AddressRange.FromAddress(local);
        var remoteRange = AddressRange.FromAddress(remote);
        var allowed = false;
        foreach (var rule in _rules)
        {
            if (!rule.Enabled || rule.Direction != direction || (rule.Protocol != NetFw.ProtocolAny && rule.Protocol != protocol))
            {
                continue;
            }

            if (!Contains(rule.Local, localRange) || !Contains(rule.Remote, remoteRange))
            {
                continue;
            }

            if (rule.Protocol is NetFw.ProtocolTcp or NetFw.ProtocolUdp && (!Contains(rule.LocalPorts, localPort) || !Contains(rule.RemotePorts, remotePort)))
            {
                continue;
            }

            if (rule.Action == FirewallAction.Block)
            {
                return false;
            }

            allowed = true;
        }

        return allowed || (direction == FirewallDirection.Inbound ? DefaultInboundAllow : DefaultOutboundAllow);
    }

    private static bool Contains(List<AddressRange> ranges, AddressRange address) =>
        ranges.Any(r => r.IsIPv6 == address.IsIPv6 && address.First >= r.First && address.First <= r.Last);

    private static bool Contains(List<(int First, int Last)> ranges, int port) => ranges.Any(r => port >= r.First && port <= r.Last);

    private static Parsed Parse(FirewallRule rule)
    {
        if (!AddressText.TryParse(rule.LocalAddresses, out var local) || !AddressText.TryParse(rule.RemoteAddresses, out var remote)
            || !PortText.TryParse(rule.LocalPorts, out var localPorts) || !PortText.TryParse(rule.RemotePorts, out var remotePorts))
        {
            throw new InvalidOperationException("The model cannot read rule " + rule.Name);
        }

        return new Parsed(rule.Direction, rule.Action, rule.Protocol, rule.Enabled, local, remote, localPorts, remotePorts);
    }

    private sealed record Parsed(
        FirewallDirection Direction,
        FirewallAction Action,
        int Protocol,
        bool Enabled,
        List<AddressRange> Local,
        List<AddressRange> Remote,
        List<(int First, int Last)> LocalPorts,
        List<(int First, int Last)> RemotePorts);
}
