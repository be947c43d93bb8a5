using System.Net;
using NetPolHost.Firewalld.Mapping;
using NetPolHost.Model;

namespace NetPolHost.Firewalld.Tests.Fakes;

/// <summary>What firewalld does with a new connection given the backend's objects, as far as they decide it: the path
/// (input to one of the host's addresses, output from one, forward otherwise), loopback accepted, then the policy of that
/// path (<see cref="RichRuleEvaluator"/>). A policy that lets the packet continue leaves it to firewalld's zones, which
/// the plan does not speak for: that counts as allowed.</summary>
internal static class FirewalldModel
{
    public static bool Allows(FirewalldState state, IReadOnlySet<IPAddress> hostAddresses, IPAddress source, IPAddress destination, Protocol protocol, int port)
    {
        if (source.Equals(destination))
        {
            return true;
        }

        var toHost = hostAddresses.Contains(destination);
        var fromHost = hostAddresses.Contains(source);
        if (toHost && fromHost)
        {
            return true;
        }

        var policy = state.Policies.SingleOrDefault(p => (p.IngressZone, p.EgressZone) == (toHost ? ("ANY", "HOST") : fromHost ? ("HOST", "ANY") : ("ANY", "ANY")));
        if (policy is null)
        {
            return true;
        }

        var name = protocol switch
        {
            Protocol.Icmp => "icmp",
            Protocol.IcmpV6 => "ipv6-icmp",
            _ => RichRule.Name(protocol),
        };
        return RichRuleEvaluator.Evaluate(policy, state.IPSets, source, destination, name, port) ?? true;
    }
}
