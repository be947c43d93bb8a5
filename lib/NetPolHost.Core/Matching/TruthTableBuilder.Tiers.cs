using NetPolHost.Model;

namespace NetPolHost.Matching;

internal sealed partial class TruthTableBuilder
{
    /// <summary>The Admin and Baseline tiers of ClusterNetworkPolicies over the table's endpoints: per direction and
    /// probe, which cells a tier decides and which of those it accepts, composed with the NetworkPolicy rows.</summary>
    /// <remarks>
    /// Rows are subjects (the source for egress, the destination for ingress), columns are peers, as in the
    /// NetworkPolicy rows. Within a tier, policies and rules are visited in the order of evaluation; a rule decides the
    /// cells it matches that no earlier rule of the tier has decided or passed. Domain-name peers match only the
    /// addresses <see cref="MatcherOptions.DomainAddresses"/> gives them (cells <see cref="PolicyMatcher.Decide"/>
    /// reports as not decidable count as not matched, as there).
    /// </remarks>
    private sealed class ClusterTiers
    {
        private readonly TruthTableBuilder _table;
        private readonly ClusterIndex _index;
        private readonly MatcherOptions _options;
        private readonly Dictionary<(CompiledClusterRule, int), ulong[]> _peers = new();
        private readonly Dictionary<CompiledClusterPolicy, ulong[]> _subjects = new();

        public ClusterTiers(TruthTableBuilder table, ClusterIndex index, MatcherOptions options)
        {
            _table = table;
            _index = index;
            _options = options;
        }

        /// <summary>Replaces <paramref name="rows"/> (the NetworkPolicy rows of one direction, meaningful where
        /// <paramref name="isolated"/>) with the decision of all three stages.</summary>
        public void Compose(Direction direction, PortProbe probe, BitMatrix rows, ulong[] isolated)
        {
            var count = _table._count;
            var adminStop = new BitMatrix(count, count);
            var adminAccept = new BitMatrix(count, count);
            var adminPass = new BitMatrix(count, count);
            Evaluate(_index.AdminPolicies, direction, probe, adminStop, adminAccept, adminPass);
            var baseStop = new BitMatrix(count, count);
            var baseAccept = new BitMatrix(count, count);
            var basePass = new BitMatrix(count, count);
            Evaluate(_index.BaselinePolicies, direction, probe, baseStop, baseAccept, basePass);

            var words = _table._words;
            for (var i = 0; i < count; i++)
            {
                var row = rows.Row(i);
                var stop = adminStop.Row(i);
                var accept = adminAccept.Row(i);
                var pass = adminPass.Row(i);
                var isIsolated = Get(isolated, i);
                var bStop = baseStop.Row(i);
                var bAccept = baseAccept.Row(i);
                var bPass = basePass.Row(i);
                for (var w = 0; w < words; w++)
                {
                    var adminDecided = stop[w] & ~pass[w];
                    var baseDecided = bStop[w] & ~bPass[w];
                    var afterAdmin = isIsolated ? row[w] : (bAccept[w] | ~baseDecided) & _table._all[w];
                    row[w] = accept[w] | (~adminDecided & afterAdmin);
                }
            }
        }

        private void Evaluate(CompiledClusterPolicy[] tier, Direction direction, PortProbe probe, BitMatrix stop, BitMatrix accept, BitMatrix pass)
        {
            var words = _table._words;
            foreach (var policy in tier)
            {
                var selected = Subjects(policy);
                if (IsEmpty(selected))
                {
                    continue;
                }

                foreach (var rule in policy.Rules(direction))
                {
                    // Egress: the port resolves on the peer (column); ingress: on the subject (row).
                    ulong[]? columns = null;
                    var anySubjectPort = true;
                    if (direction == Direction.Egress)
                    {
                        columns = DestinationsFor(rule, probe);
                        if (columns is null)
                        {
                            continue;
                        }
                    }
                    else if (!rule.HasNamedPorts)
                    {
                        anySubjectPort = rule.PortMatches(probe.Port, probe.Protocol, null);
                        if (!anySubjectPort)
                        {
                            continue;
                        }
                    }

                    foreach (var i in Members(selected))
                    {
                        if (direction == Direction.Ingress && rule.HasNamedPorts && !rule.PortMatches(probe.Port, probe.Protocol, _table._endpoints[i]))
                        {
                            continue;
                        }

                        var peers = PeersFor(rule, _table._classes[i]);
                        var rowStop = stop.Row(i);
                        var rowAccept = accept.Row(i);
                        var rowPass = pass.Row(i);
                        for (var w = 0; w < words; w++)
                        {
                            var newly = peers[w] & ~rowStop[w];
                            if (columns is not null)
                            {
                                newly &= columns[w];
                            }

                            if (newly == 0)
                            {
                                continue;
                            }

                            rowStop[w] |= newly;
                            if (rule.Action == ClusterPolicyAction.Accept)
                            {
                                rowAccept[w] |= newly;
                            }
                            else if (rule.Action == ClusterPolicyAction.Pass)
                            {
                                rowPass[w] |= newly;
                            }
                        }
                    }
                }
            }
        }

        /// <summary>The endpoints the policy's subject selects (workloads only).</summary>
        private ulong[] Subjects(CompiledClusterPolicy policy)
        {
            if (!_subjects.TryGetValue(policy, out var bits))
            {
                var subject = policy.Policy.Subject;
                bits = subject.Pods is { } pods
                    ? _table._selectors.Select(pods.PodSelector, pods.NamespaceSelector, string.Empty)
                    : subject.Namespaces is { } namespaces ? _table._selectors.Select(null, namespaces, string.Empty) : _table.NewBits();
                _subjects[policy] = bits;
            }

            return bits;
        }

        /// <summary>The columns an egress rule's protocols admit for the probe (named ports resolve on each column), or
        /// null for none.</summary>
        private ulong[]? DestinationsFor(CompiledClusterRule rule, PortProbe probe)
        {
            if (!rule.HasNamedPorts)
            {
                return rule.PortMatches(probe.Port, probe.Protocol, null) ? _table._all : null;
            }

            var result = _table.NewBits();
            for (var j = 0; j < _table._count; j++)
            {
                if (rule.PortMatches(probe.Port, probe.Protocol, _table._endpoints[j]))
                {
                    Set(result, j);
                }
            }

            return IsEmpty(result) ? null : result;
        }

        /// <summary>The columns a rule's peers admit, seen from a subject of address class <paramref name="subjectClass"/>.</summary>
        private ulong[] PeersFor(CompiledClusterRule rule, int subjectClass)
        {
            if (_peers.TryGetValue((rule, subjectClass), out var cached))
            {
                return cached;
            }

            var result = _table.NewBits();
            var selectors = _table._selectors;
            foreach (var peer in rule.Rule.Peers)
            {
                if (peer.IsUnknown)
                {
                    if (rule.Action != ClusterPolicyAction.Accept)
                    {
                        Or(result, _table._all);
                    }
                }
                else if (peer.Namespaces is not null)
                {
                    Or(result, selectors.Select(null, peer.Namespaces, string.Empty));
                }
                else if (peer.Pods is not null)
                {
                    Or(result, selectors.Select(peer.Pods.PodSelector, peer.Pods.NamespaceSelector, string.Empty));
                }
                else
                {
                    // Address peers: a column matches by its address of the family the flow uses.
                    for (var j = 0; j < _table._count; j++)
                    {
                        var isV6 = PolicyMatcher.PairFamilyIsV6(subjectClass, _table._classes[j]);
                        if (_table._endpoints[j].TryGetAddress(isV6, out var address)
                            && rule.MatchesPeer(peer, _table._endpoints[j], address, hasAddress: true, isV6, _index, _options) == PeerMatch.Yes)
                        {
                            Set(result, j);
                        }
                    }
                }
            }

            _peers[(rule, subjectClass)] = result;
            return result;
        }
    }
}
