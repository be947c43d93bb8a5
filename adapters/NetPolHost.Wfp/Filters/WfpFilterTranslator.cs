using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;

namespace NetPolHost.Wfp.Filters;

/// <summary>Turns a <see cref="RulePlan"/> into WFP filters for the host's own endpoints.</summary>
/// <remarks>
/// For each isolated direction (without tiers) of each host endpoint and each address family it has: one block filter matching the
/// endpoint's local addresses (the lowest weights), and permit filters (the highest weights) for node-local peers and
/// for each (plan rule, protocol) with remote-address, protocol and port conditions. Within the backend's sublayer the
/// matching filter of highest weight decides, so a connection is permitted exactly when a plan rule allows it, for every
/// protocol. Across sublayers a block anywhere wins unless our permit is a hard permit (see
/// <see cref="WfpOptions.HardPermit"/>). Ingress filters sit at ALE auth recv-accept, egress filters at ALE auth connect.
/// Keys are name-based GUIDs over the provider key and the filter's whole content; weights derive from the key.
/// <para>ClusterNetworkPolicy tiers (a direction with Admin or Baseline entries): WFP has no ordered lists to jump
/// between, so the direction is flattened into one set of denied peers per class of traffic
/// (<see cref="DirectionDecisions.Flatten(RulePlan, DirectionPlan, bool, IReadOnlyList{AddressRange})"/>: Pass
/// included; the node's pods are node-local peers; the host's own addresses and loopback are never denied). A class is
/// a TCP or UDP port range (protocol and port conditions), SCTP with all ports (protocol 132), or every other protocol
/// (the protocol-number ranges 0-5, 7-16, 18-131 and 133-255). Isolated directions keep their block of everything and
/// get, above it, a permit per class of the peers it allows; directions no NetworkPolicy isolates get a block per class
/// of the peers it denies, and nothing else (what they allow stays with the host's other filters, as for endpoints no
/// policy applies to).</para>
/// </remarks>
internal static class WfpFilterTranslator
{
    /// <summary>The backend name used in errors.</summary>
    public const string BackendName = "wfp";

    private const ulong PermitBase = 0x8000_0000_0000_0000UL;
    private const ulong WeightMask = 0x3FFF_FFFF_FFFF_FFFFUL;

    private static readonly AddressRange s_loopbackV4 = new(0x7F000000u, 0x7FFFFFFFu, false);
    private static readonly AddressRange s_loopbackV6 = new(UInt128.One, UInt128.One, true);

    /// <summary>Translates a plan.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="options">The options.</param>
    /// <returns>Provider, sublayer, filters (sorted by layer, then key) and warnings.</returns>
    /// <exception cref="UnsupportedPolicyFeatureException">A host endpoint's policy uses SCTP ports.</exception>
    public static WfpTranslation Translate(RulePlan plan, WfpOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        // WFP port conditions apply to TCP and UDP only: the backend does not declare Sctp, and such plans are refused.
        BackendContract.EnsureCanExpress(plan, BackendName, WfpFirewallBackend.Supported);
        var hosts = plan.Endpoints.Where(e => e.Kind == PlanEndpointKind.HostEndpoint).ToList();

        var warnings = new List<string>();
        var filters = new Dictionary<Guid, WfpFilter>();
        var hostAddresses = plan.NodeAddresses.Concat(hosts.SelectMany(e => e.Addresses)).Select(AddressRange.FromAddress).ToList();
        var nodeLocal = hostAddresses.Concat(plan.LocalPodAddresses.Select(AddressRange.FromAddress)).ToList();
        foreach (var endpoint in plan.Endpoints)
        {
            if (endpoint.Kind == PlanEndpointKind.Pod)
            {
                warnings.Add($"pod {endpoint.Name}: pod traffic on a Windows node is policed in the virtual switch (HNS/VFP), not at the host's ALE layers; this backend does not enforce it");
                continue;
            }

            if (endpoint.InterfaceName is not null)
            {
                warnings.Add($"host endpoint {endpoint.Name}: interface '{Sanitize(endpoint.InterfaceName)}' is not used; the filters match the endpoint's addresses on every interface");
            }

            foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
            {
                if (!endpoint.For(direction).Applies)
                {
                    continue;
                }

                foreach (var v6 in new[] { false, true })
                {
                    var local = Merge(endpoint.Addresses.Select(AddressRange.FromAddress).Where(r => r.IsIPv6 == v6));
                    if (local.Count == 0)
                    {
                        continue;
                    }

                    var section = new Section(plan, endpoint, direction, v6, local, options, filters);
                    if (endpoint.For(direction).HasTiers)
                    {
                        section.RunTiers(
                            Merge(hostAddresses.Where(r => r.IsIPv6 == v6).Append(v6 ? s_loopbackV6 : s_loopbackV4)),
                            Merge(plan.LocalPodAddresses.Select(AddressRange.FromAddress).Where(r => r.IsIPv6 == v6)));
                    }
                    else
                    {
                        section.Run(Merge(nodeLocal.Where(r => r.IsIPv6 == v6).Append(v6 ? s_loopbackV6 : s_loopbackV4)));
                    }
                }
            }
        }

        var provider = new WfpProvider(options.ProviderKey, options.DisplayName, "NetworkPolicy for this host's endpoints (NetPolHost)", options.Persistent);
        var sublayer = new WfpSublayer(options.SublayerKey, options.DisplayName, "Filters of NetPolHost: permits above one block per isolated endpoint", (ushort)options.SublayerWeight, options.Persistent, options.ProviderKey);
        var sorted = filters.Values.OrderBy(f => f.Layer).ThenBy(f => f.Action).ThenBy(f => f.Name, StringComparer.Ordinal).ThenBy(f => f.Key).ToList();
        return new WfpTranslation(provider, sublayer, sorted, warnings);
    }

    /// <summary>Sorts and merges ranges.</summary>
    public static List<AddressRange> Merge(IEnumerable<AddressRange> ranges) =>
        AddressSet.Create([], ranges).Ranges.ToList();

    /// <summary>User-derived text made safe for display data: no control characters.</summary>
    public static string Sanitize(string text) => new([.. text.Select(c => char.IsControl(c) ? '_' : c)]);

    /// <summary>A name-based GUID (RFC 4122 layout, version 5 bits) over a namespace GUID and a text.</summary>
    public static Guid NameBasedGuid(Guid space, string text, out ulong extra)
    {
        var input = new byte[16 + Encoding.UTF8.GetByteCount(text)];
        space.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(text, input.AsSpan(16));
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        extra = BinaryPrimitives.ReadUInt64BigEndian(hash[16..]);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>Formats a condition's value: an address, CIDR or range, a port or range, or a protocol number.</summary>
    public static string FormatValue(WfpCondition condition)
    {
        if (condition.Field is WfpField.LocalAddress or WfpField.RemoteAddress)
        {
            var range = new AddressRange(condition.Low, condition.High, condition.IsV6);
            return range.ToString();
        }

        return condition.Low == condition.High
            ? condition.Low.ToString(CultureInfo.InvariantCulture)
            : condition.Low.ToString(CultureInfo.InvariantCulture) + "-" + condition.High.ToString(CultureInfo.InvariantCulture);
    }

    private sealed class Section(RulePlan plan, PlanEndpoint endpoint, Direction direction, bool v6, List<AddressRange> local, WfpOptions options, Dictionary<Guid, WfpFilter> output)
    {
        private readonly bool _inbound = direction == Direction.Ingress;
        private readonly WfpLayer _layer = direction == Direction.Ingress
            ? (v6 ? WfpLayer.RecvAcceptV6 : WfpLayer.RecvAcceptV4)
            : (v6 ? WfpLayer.ConnectV6 : WfpLayer.ConnectV4);

        public void Run(List<AddressRange> nodeLocal)
        {
            var localConditions = local.Select(r => new WfpCondition(WfpField.LocalAddress, r.First, r.Last, v6)).ToList();
            Add(WfpAction.Block, "block everything else", localConditions);
            Permit(localConditions, nodeLocal, [], $"permit node-local peers (node {plan.NodeName}, its host endpoints and pods, loopback)");
            foreach (var id in endpoint.For(direction).Rules)
            {
                var rule = plan.GetRule(id);
                var peers = Merge(rule.Peers.ToRanges(v6));
                if (peers.Count == 0)
                {
                    continue;
                }

                var what = (_inbound ? "from" : "to") + " peers of " + Sanitize(rule.Source.ToString());
                if (rule.Ports.IsAll)
                {
                    Permit(localConditions, peers, [], "permit any protocol " + what);
                    continue;
                }

                foreach (var group in rule.Ports.Ranges.GroupBy(r => r.Protocol).OrderBy(g => g.Key))
                {
                    if (!group.Key.HasPorts())
                    {
                        throw new InvalidOperationException("Port ranges are TCP, UDP or SCTP; " + group.Key.ToKubernetesName() + " has no ports (only a rule without ports admits it).");
                    }

                    var protocol = (int)group.Key;
                    var extra = new List<WfpCondition> { new(WfpField.Protocol, (UInt128)protocol, (UInt128)protocol) };
                    var ranges = group.ToList();
                    if (!ranges.Any(r => r.IsAllPorts))
                    {
                        var field = _inbound ? WfpField.LocalPort : WfpField.RemotePort;
                        extra.AddRange(ranges.Select(r => new WfpCondition(field, (UInt128)r.First, (UInt128)r.Last)));
                    }

                    var ports = ranges.Any(r => r.IsAllPorts) ? "*" : string.Join(",", ranges.Select(r => r.First == r.Last ? r.First.ToString(CultureInfo.InvariantCulture) : $"{r.First.ToString(CultureInfo.InvariantCulture)}-{r.Last.ToString(CultureInfo.InvariantCulture)}"));
                    Permit(localConditions, peers, extra, $"permit {group.Key.ToKubernetesName()} {ports} {what}");
                }
            }
        }

        /// <summary>A direction with ClusterNetworkPolicy tiers, flattened into one decision per class of traffic
        /// (<see cref="DirectionDecisions.Flatten(RulePlan, DirectionPlan, bool, IReadOnlyList{AddressRange})"/>: Pass
        /// included, the node's pods node-local). Isolated: the block of everything else and, above it, permits of what
        /// each class allows. Not isolated: blocks of what each class denies, nothing else (the rest is not ours to
        /// decide, as for endpoints no policy applies to). The host's own addresses and loopback are never blocked.</summary>
        public void RunTiers(List<AddressRange> hostAddresses, List<AddressRange> localPods)
        {
            var localConditions = local.Select(r => new WfpCondition(WfpField.LocalAddress, r.First, r.Last, v6)).ToList();
            var directionPlan = endpoint.For(direction);
            var toward = _inbound ? "from" : "to";
            if (directionPlan.Isolated)
            {
                Add(WfpAction.Block, "block everything else", localConditions);
            }

            foreach (var decision in plan.Flatten(directionPlan, v6, localPods))
            {
                var (extra, what) = ClassConditions(decision.Ports);
                if (directionPlan.Isolated)
                {
                    var allowed = AddressRange.Merge(decision.Allowed(v6).Concat(hostAddresses));
                    if (allowed.Count > 0)
                    {
                        Emit(WfpAction.Permit, localConditions, allowed, extra, $"permit {what} {toward} the peers the tiers and NetworkPolicies allow");
                    }
                }
                else
                {
                    var denied = AddressRange.Subtract(decision.Denied, hostAddresses);
                    if (denied.Count > 0)
                    {
                        Emit(WfpAction.Block, localConditions, denied, extra, $"block {what} {toward} the peers the tiers deny");
                    }
                }
            }
        }

        /// <summary>The protocol and port conditions of a class of traffic, and its name: a protocol and a port range
        /// (none for every port), or every protocol but TCP, UDP and SCTP (ranges of protocol numbers).</summary>
        private (List<WfpCondition> Conditions, string What) ClassConditions(PortRange? ports)
        {
            if (ports is not { } range)
            {
                return (
                    [
                        new(WfpField.Protocol, 0, 5), new(WfpField.Protocol, 7, 16), new(WfpField.Protocol, 18, 131), new(WfpField.Protocol, 133, 255),
                    ],
                    "protocols without ports");
            }

            var protocol = (UInt128)(int)range.Protocol;
            if (range.IsAllPorts)
            {
                return ([new(WfpField.Protocol, protocol, protocol)], range.Protocol.ToKubernetesName());
            }

            var field = _inbound ? WfpField.LocalPort : WfpField.RemotePort;
            return ([new(WfpField.Protocol, protocol, protocol), new(field, (UInt128)range.First, (UInt128)range.Last)], range.Protocol.ToKubernetesName() + " " + range.ToString().Split('/')[0]);
        }

        private void Permit(List<WfpCondition> localConditions, List<AddressRange> remote, List<WfpCondition> extra, string what) =>
            Emit(WfpAction.Permit, localConditions, remote, extra, what);

        /// <summary>Filters of one action over remote addresses, sharded by <see cref="WfpOptions.MaxAddressesPerFilter"/>.</summary>
        private void Emit(WfpAction action, List<WfpCondition> localConditions, List<AddressRange> remote, List<WfpCondition> extra, string what)
        {
            if (remote.Count == 1 && remote[0].First == UInt128.Zero && remote[0].Last == (v6 ? UInt128.MaxValue : uint.MaxValue))
            {
                // Every address of the family: no remote-address condition at all.
                Add(action, what, [.. localConditions, .. extra]);
                return;
            }

            var shards = (remote.Count + options.MaxAddressesPerFilter - 1) / options.MaxAddressesPerFilter;
            for (var s = 0; s < shards; s++)
            {
                var conditions = new List<WfpCondition>(localConditions);
                conditions.AddRange(remote.GetRange(s * options.MaxAddressesPerFilter, Math.Min(options.MaxAddressesPerFilter, remote.Count - (s * options.MaxAddressesPerFilter)))
                    .Select(r => new WfpCondition(WfpField.RemoteAddress, r.First, r.Last, v6)));
                conditions.AddRange(extra);
                Add(action, shards > 1 ? $"{what} (part {(s + 1).ToString(CultureInfo.InvariantCulture)} of {shards.ToString(CultureInfo.InvariantCulture)})" : what, conditions);
            }
        }

        private void Add(WfpAction action, string what, List<WfpCondition> conditions)
        {
            var flags = options.Persistent ? WfpConstants.FilterFlagPersistent : 0u;
            if (action == WfpAction.Permit && options.HardPermit)
            {
                flags |= WfpConstants.FilterFlagClearActionRight;
            }

            var name = $"{options.DisplayName}: {Sanitize(endpoint.Name)} {(_inbound ? "ingress" : "egress")} {(v6 ? "IPv6" : "IPv4")}";
            var description = what;
            var content = new StringBuilder()
                .Append(WfpConstants.LayerName(_layer)).Append('\n')
                .Append(action).Append('\n')
                .Append(flags.ToString(CultureInfo.InvariantCulture)).Append('\n')
                .Append(name).Append('\n')
                .Append(description).Append('\n')
                .AppendJoin('\n', conditions.Select(c => WfpConstants.FieldName(c.Field) + "=" + FormatValue(c)))
                .ToString();
            var key = NameBasedGuid(options.ProviderKey, content, out var hash);
            var weight = (action == WfpAction.Permit ? PermitBase : 0UL) | (hash & WeightMask);
            output.TryAdd(key, new WfpFilter
            {
                Key = key,
                Name = name,
                Description = description,
                Layer = _layer,
                Action = action,
                Weight = weight,
                Flags = flags,
                Conditions = conditions,
            });
        }
    }
}
