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
        /// <remarks>Row by row, with a few row-sized buffers: a row no tier policy selects keeps its NetworkPolicy
        /// decision (or everything when not isolated); the Baseline tier is evaluated only for rows no NetworkPolicy
        /// isolates.</remarks>
        public void Compose(Direction direction, PortProbe probe, BitMatrix rows, ulong[] isolated)
        {
            var words = _table._words;
            var all = _table._all;
            var admin = Prepare(_index.AdminPolicies, direction, probe);
            var baseline = Prepare(_index.BaselinePolicies, direction, probe);
            var stop = new ulong[words];
            var accept = new ulong[words];
            var pass = new ulong[words];
            var bStop = new ulong[words];
            var bAccept = new ulong[words];
            var bPass = new ulong[words];
            for (var i = 0; i < _table._count; i++)
            {
                var row = rows.Row(i);
                var isIsolated = Get(isolated, i);
                var anyAdmin = EvaluateRow(admin, direction, probe, i, stop, accept, pass);
                var anyBaseline = !isIsolated && EvaluateRow(baseline, direction, probe, i, bStop, bAccept, bPass);
                if (!isIsolated && !anyBaseline)
                {
                    all.CopyTo(row);
                }

                for (var w = 0; w < words; w++)
                {
                    var afterAdmin = isIsolated || !anyBaseline ? row[w] : (bAccept[w] | ~(bStop[w] & ~bPass[w])) & all[w];
                    row[w] = anyAdmin ? accept[w] | (~(stop[w] & ~pass[w]) & afterAdmin) : afterAdmin;
                }
            }
        }

        /// <summary>A tier's policies with their selections and, per rule, the columns its protocols admit for the
        /// probe (egress) or whether they admit it at all (ingress without named ports).</summary>
        private List<(ulong[] Selected, List<(CompiledClusterRule Rule, ulong[]? Columns)> Rules)> Prepare(CompiledClusterPolicy[] tier, Direction direction, PortProbe probe)
        {
            var prepared = new List<(ulong[], List<(CompiledClusterRule, ulong[]?)>)>();
            foreach (var policy in tier)
            {
                var selected = Subjects(policy);
                if (IsEmpty(selected))
                {
                    continue;
                }

                var rules = new List<(CompiledClusterRule, ulong[]?)>();
                foreach (var rule in policy.Rules(direction))
                {
                    if (direction == Direction.Egress)
                    {
                        if (DestinationsFor(rule, probe) is { } columns)
                        {
                            rules.Add((rule, columns));
                        }
                    }
                    else if (rule.HasNamedPorts || rule.PortMatches(probe.Port, probe.Protocol, null))
                    {
                        rules.Add((rule, null));
                    }
                }

                if (rules.Count > 0)
                {
                    prepared.Add((selected, rules));
                }
            }

            return prepared;
        }

        /// <summary>Evaluates a tier for one subject row into the buffers; false when no policy of the tier selects it
        /// (the buffers are then not touched).</summary>
        private bool EvaluateRow(List<(ulong[] Selected, List<(CompiledClusterRule Rule, ulong[]? Columns)> Rules)> tier, Direction direction, PortProbe probe, int i, ulong[] stop, ulong[] accept, ulong[] pass)
        {
            var words = _table._words;
            var any = false;
            foreach (var (selected, rules) in tier)
            {
                if (!Get(selected, i))
                {
                    continue;
                }

                if (!any)
                {
                    Array.Clear(stop);
                    Array.Clear(accept);
                    Array.Clear(pass);
                    any = true;
                }

                foreach (var (rule, columns) in rules)
                {
                    // Ingress named ports resolve on the subject (the destination).
                    if (direction == Direction.Ingress && rule.HasNamedPorts && !rule.PortMatches(probe.Port, probe.Protocol, _table._endpoints[i]))
                    {
                        continue;
                    }

                    var peers = PeersFor(rule, _table._classes[i]);
                    for (var w = 0; w < words; w++)
                    {
                        var newly = peers[w] & ~stop[w];
                        if (columns is not null)
                        {
                            newly &= columns[w];
                        }

                        if (newly == 0)
                        {
                            continue;
                        }

                        stop[w] |= newly;
                        if (rule.Action == ClusterPolicyAction.Accept)
                        {
                            accept[w] |= newly;
                        }
                        else if (rule.Action == ClusterPolicyAction.Pass)
                        {
                            pass[w] |= newly;
                        }
                    }
                }
            }

            return any;
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
