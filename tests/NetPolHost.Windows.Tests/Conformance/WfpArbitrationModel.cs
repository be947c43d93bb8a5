using System.Net;
using NetPolHost.Planning;
using NetPolHost.Wfp.Filters;

namespace NetPolHost.Windows.Tests.Conformance;

/// <summary>
/// A small model of WFP filter arbitration at one layer: sublayers are evaluated from the highest weight down; in each,
/// the matching filter of highest weight gives the sublayer's action. A block is final, unless a hard permit
/// (<c>FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT</c>) was returned by a sublayer evaluated before it; a soft permit can be
/// overridden by a block in any later sublayer. With no match anywhere the layer permits. Conditions on one field are
/// ORed, fields ANDed; protocols without ports present port 0.
/// </summary>
internal sealed class WfpArbitrationModel(IEnumerable<WfpArbitrationModel.Sublayer> sublayers)
{
    private readonly List<Sublayer> _sublayers = sublayers.OrderByDescending(s => s.Weight).ToList();

    public bool Permits(WfpLayer layer, IPAddress local, IPAddress remote, int protocol, int localPort, int remotePort)
    {
        var hasPorts = protocol is 6 or 17;
        var values = new Dictionary<WfpField, (UInt128 Value, bool V6)>
        {
            [WfpField.LocalAddress] = (AddressRange.FromAddress(local).First, AddressRange.FromAddress(local).IsIPv6),
            [WfpField.RemoteAddress] = (AddressRange.FromAddress(remote).First, AddressRange.FromAddress(remote).IsIPv6),
            [WfpField.Protocol] = ((UInt128)protocol, false),
            [WfpField.LocalPort] = ((UInt128)(hasPorts ? localPort : 0), false),
            [WfpField.RemotePort] = ((UInt128)(hasPorts ? remotePort : 0), false),
        };
        var hardPermit = false;
        foreach (var sublayer in _sublayers)
        {
            var match = sublayer.Filters.Where(f => f.Layer == layer && Matches(f, values)).OrderByDescending(f => f.Weight).FirstOrDefault();
            if (match is null)
            {
                continue;
            }

            if (match.Action == WfpAction.Block)
            {
                if (!hardPermit)
                {
                    return false;
                }

                continue;
            }

            hardPermit |= (match.Flags & WfpConstants.FilterFlagClearActionRight) != 0;
        }

        return true;
    }

    private static bool Matches(WfpFilter filter, Dictionary<WfpField, (UInt128 Value, bool V6)> values) =>
        filter.Conditions.GroupBy(c => c.Field).All(group =>
        {
            var (value, v6) = values[group.Key];
            return group.Any(c => c.IsV6 == v6 && value >= c.Low && value <= c.High);
        });

    /// <summary>A sublayer and its filters.</summary>
    public sealed record Sublayer(string Name, ushort Weight, IReadOnlyList<WfpFilter> Filters);
}
