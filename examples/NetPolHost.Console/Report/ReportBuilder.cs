using System.Globalization;
using System.Text.Json;
using NetPolHost.Cli.Commands;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.Cli.Report;

/// <summary>
/// Gathers what the HTML report shows, as one compact JSON document: the pods and host endpoints, the truth table per
/// port group (ports whose verdicts and reasons are the same for every pair), the reason of every cell as an index into a
/// short list of distinct explanations, the policies' manifest text with line numbers, and the lint findings.
/// </summary>
/// <remarks>
/// The verdict bits come from the truth table (<see cref="PolicyMatcher.BuildTruthTable"/>); the reasons come from
/// <see cref="PolicyMatcher.Decide"/> cell by cell, and the lines of an explanation are those of <c>check</c>. An
/// explanation does not name the pair (its first line is made by the page), so a cluster of 500 pods has a few dozen
/// distinct explanations. Endpoints whose rows (or columns) of explanations are equal share a class, and each port group
/// stores one explanation index per (row class, column class) only.
/// Cells where the table and <c>Decide</c> disagree are counted in <c>stats.disagreements</c> (0 unless the matcher has
/// a bug).
/// </remarks>
internal sealed class ReportBuilder
{
    /// <summary>Where the text of the port of a flow stands in an explanation line: the page puts each port there.</summary>
    public const string PortPlaceholder = "{port}";

    private readonly ClusterSnapshot _snapshot;
    private readonly PolicyMatcher _matcher;
    private readonly ReportInput _input;

    public ReportBuilder(ReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _input = input;
        _snapshot = input.Snapshot;
        _matcher = new PolicyMatcher(_snapshot);
    }

    /// <summary>Builds the data and writes it as JSON (ASCII, with <c>&lt;</c> escaped, safe inside a script element).</summary>
    public ReportData Build()
    {
        var table = _matcher.BuildTruthTable();
        var endpoints = table.Endpoints.Select(Describe).ToArray();
        var flowEnds = endpoints.Select(e => e.IsHost ? FlowEndpoint.ForHostEndpoint(e.Namespace, e.Name) : FlowEndpoint.ForPod(e.Namespace, e.Name)).ToArray();
        var n = endpoints.Length;
        var reasons = new ReasonTable();
        var disagreements = 0L;

        // Per probe: the explanation index of every cell, row-major.
        var cells = new int[table.Probes.Count][];
        for (var p = 0; p < table.Probes.Count; p++)
        {
            var probe = table.Probes[p];
            var ids = new int[(long)n * n];
            var rows = new RowReasons[n];
            Parallel.For(0, n, r =>
            {
                var local = new RowReasons();
                for (var c = 0; c < n; c++)
                {
                    FlowVerdict? verdict;
                    try
                    {
                        verdict = _matcher.Decide(new Flow(flowEnds[r], flowEnds[c], probe.Probe.Port, probe.Probe.Protocol));
                    }
                    catch (ArgumentException)
                    {
                        verdict = null; // no such flow: the two ends share no address family
                    }

                    local.Add(c, verdict, probe.Allowed[r, c]);
                }

                rows[r] = local;
            });
            for (var r = 0; r < n; r++)
            {
                var local = rows[r];
                var map = new int[local.Keys.Count];
                for (var k = 0; k < map.Length; k++)
                {
                    map[k] = reasons.Intern(local.Keys[k], local.Samples[k]);
                }

                for (var c = 0; c < n; c++)
                {
                    ids[((long)r * n) + c] = map[local.Cells[c]];
                }

                disagreements += local.Disagreements;
            }

            cells[p] = ids;
        }

        // Ports whose allowed bits and explanations are the same in every cell form one group.
        var groups = new List<(List<int> Probes, int[] Ids)>();
        for (var p = 0; p < table.Probes.Count; p++)
        {
            var same = groups.FindIndex(g => g.Ids.AsSpan().SequenceEqual(cells[p]) && SameBits(table.Probes[g.Probes[0]].Allowed, table.Probes[p].Allowed));
            if (same >= 0)
            {
                groups[same].Probes.Add(p);
            }
            else
            {
                groups.Add(([p], cells[p]));
            }
        }

        // Endpoints whose rows (as sources) hold the same explanations in every group share a row class; likewise
        // columns. Each group then stores only its (row class × column class) matrix of explanation indexes.
        var matrices = groups.Select(g => g.Ids).ToArray();
        // A pod's traffic to itself has an explanation of its own, so rows are compared without the two cells of the
        // diagonal they hold; every cell whose class gives another explanation is stored as an exception.
        // Candidates are found by a hash of the namespace and of the cells outside it (so two pods of one namespace
        // that differ only in the cells between them still meet).
        var space = endpoints.Select(e => e.Namespace).ToArray();
        var (rowClass, rowReps) = Classes(n, (a, b) => matrices.All(m => SameRow(m, n, a, b)), r => RowHash(matrices, space, r));
        var (columnClass, columnReps) = Classes(n, (a, b) => matrices.All(m => SameColumn(m, n, a, b)), c => ColumnHash(matrices, space, c));
        var width = reasons.Items.Count <= 256 ? 1 : reasons.Items.Count <= 65536 ? 2 : 4;
        var reportGroups = new List<ReportGroup>();
        foreach (var (probes, ids) in groups)
        {
            var bytes = new byte[rowReps.Count * columnReps.Count * width];
            var k = 0;
            foreach (var r in rowReps)
            {
                foreach (var c in columnReps)
                {
                    var id = ids[(r * n) + c];
                    for (var b = 0; b < width; b++)
                    {
                        bytes[k++] = (byte)(id >> (8 * b));
                    }
                }
            }

            var exceptions = new List<int>();
            for (var r = 0; r < n; r++)
            {
                var stored = rowReps[rowClass[r]] * n;
                for (var c = 0; c < n; c++)
                {
                    var id = ids[(r * n) + c];
                    if (ids[stored + columnReps[columnClass[c]]] != id)
                    {
                        exceptions.AddRange([r, c, id]);
                    }
                }
            }

            reportGroups.Add(new ReportGroup(probes, Bits(table.Probes[probes[0]].Allowed), Convert.ToBase64String(bytes), exceptions));
        }

        return new ReportData(table, endpoints, reportGroups, reasons, disagreements)
        {
            RowClass = rowClass,
            ColumnClass = columnClass,
            Columns = columnReps.Count,
            Width = width,
        };
    }

    /// <summary>Numbers the endpoints by equivalence class, in order of first appearance, with each class's first member.</summary>
    private static (int[] Class, List<int> Representatives) Classes(int n, Func<int, int, bool> same, Func<int, int> hash)
    {
        var result = new int[n];
        var representatives = new List<int>();
        var byHash = new Dictionary<int, List<int>>();
        for (var i = 0; i < n; i++)
        {
            var h = hash(i);
            if (!byHash.TryGetValue(h, out var candidates))
            {
                candidates = [];
                byHash[h] = candidates;
            }

            var found = candidates.FindIndex(k => same(representatives[k], i));
            if (found >= 0)
            {
                result[i] = candidates[found];
            }
            else
            {
                result[i] = representatives.Count;
                candidates.Add(representatives.Count);
                representatives.Add(i);
            }
        }

        return (result, representatives);
    }

    private static int RowHash(int[][] matrices, string[] space, int r)
    {
        var n = space.Length;
        var hash = new HashCode();
        hash.Add(space[r], StringComparer.Ordinal);
        foreach (var m in matrices)
        {
            for (var c = 0; c < n; c++)
            {
                if (!string.Equals(space[c], space[r], StringComparison.Ordinal))
                {
                    hash.Add(m[(r * n) + c]);
                }
            }
        }

        return hash.ToHashCode();
    }

    private static int ColumnHash(int[][] matrices, string[] space, int c)
    {
        var n = space.Length;
        var hash = new HashCode();
        hash.Add(space[c], StringComparer.Ordinal);
        foreach (var m in matrices)
        {
            for (var r = 0; r < n; r++)
            {
                if (!string.Equals(space[r], space[c], StringComparison.Ordinal))
                {
                    hash.Add(m[(r * n) + c]);
                }
            }
        }

        return hash.ToHashCode();
    }

    /// <summary>Whether rows a and b are equal outside columns a and b.</summary>
    private static bool SameRow(int[] m, int n, int a, int b)
    {
        for (var c = 0; c < n; c++)
        {
            if (c != a && c != b && m[(a * n) + c] != m[(b * n) + c])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether columns a and b are equal outside rows a and b.</summary>
    private static bool SameColumn(int[] m, int n, int a, int b)
    {
        for (var r = 0; r < n; r++)
        {
            if (r != a && r != b && m[(r * n) + a] != m[(r * n) + b])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The report's JSON.</summary>
    public string Json(ReportData data, ReportLint lint)
    {
        var policies = PolicyTexts();
        var policyIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < policies.Count; i++)
        {
            policyIndex[policies[i].Key] = i;
        }

        var files = _input.Files;
        var fileIndex = files.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            Common.WriteStrings(w, "files", files);
            if (_input.Node is null)
            {
                w.WriteNull("node");
            }
            else
            {
                w.WriteString("node", _input.Node);
            }

            var namespaces = data.Endpoints.Select(e => e.Namespace).Distinct(StringComparer.Ordinal).ToList();
            var nsIndex = namespaces.Select((ns, i) => (ns, i)).ToDictionary(x => x.ns, x => x.i, StringComparer.Ordinal);
            w.WriteStartArray("namespaces");
            foreach (var ns in namespaces)
            {
                w.WriteStartObject();
                w.WriteString("name", ns);
                WriteLabels(w, "labels", _snapshot.Namespaces.FirstOrDefault(x => x.Name == ns)?.Labels);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("endpoints");
            foreach (var e in data.Endpoints)
            {
                w.WriteStartObject();
                w.WriteNumber("ns", nsIndex[e.Namespace]);
                w.WriteString("name", e.Name);
                w.WriteString("kind", e.Kind);
                if (e.Node is not null)
                {
                    w.WriteString("node", e.Node);
                }

                Common.WriteStrings(w, "ips", e.Addresses);
                WriteLabels(w, "labels", e.Labels);
                Common.WriteStrings(w, "ports", e.Ports);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            Common.WriteStrings(w, "ports", data.Table.Probes.Select(p => p.Probe.ToString()));
            w.WriteStartArray("groups");
            foreach (var g in data.Groups)
            {
                w.WriteStartObject();
                w.WriteStartArray("ports");
                foreach (var p in g.Probes)
                {
                    w.WriteNumberValue(p);
                }

                w.WriteEndArray();
                w.WriteString("allowed", g.Allowed);
                w.WriteString("why", g.Why);
                WriteNumbers(w, "exceptions", [.. g.Exceptions]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("why");
            w.WriteNumber("width", data.Width);
            w.WriteNumber("columns", data.Columns);
            WriteNumbers(w, "rowClass", data.RowClass);
            WriteNumbers(w, "columnClass", data.ColumnClass);
            w.WriteEndObject();
            w.WriteStartArray("reasons");
            foreach (var reason in data.Reasons.Items)
            {
                w.WriteStartObject();
                w.WriteBoolean("allowed", reason.Allowed);
                w.WriteBoolean("egress", reason.Egress);
                w.WriteBoolean("ingress", reason.Ingress);
                Common.WriteStrings(w, "lines", reason.Lines);
                w.WriteStartArray("policies");
                foreach (var key in reason.Policies)
                {
                    if (policyIndex.TryGetValue(key, out var index))
                    {
                        w.WriteNumberValue(index);
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("policies");
            foreach (var policy in policies)
            {
                w.WriteStartObject();
                w.WriteString("key", policy.Key);
                w.WriteNumber("file", fileIndex.GetValueOrDefault(policy.File, -1));
                w.WriteNumber("start", policy.Start);
                Common.WriteStrings(w, "lines", policy.Lines);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("lint");
            w.WriteBoolean("available", lint.Available);
            Common.WriteStrings(w, "notes", lint.Notes);
            w.WriteStartArray("findings");
            foreach (var f in lint.Findings)
            {
                w.WriteStartObject();
                w.WriteString("rule", f.RuleId);
                w.WriteString("severity", f.Severity);
                w.WriteString("message", f.Message);
                w.WriteNumber("file", fileIndex.GetValueOrDefault(f.File, -1));
                w.WriteNumber("line", f.Line);
                w.WriteNumber("column", f.Column);
                w.WriteString("path", f.Path);
                w.WriteString("policy", f.Policy);
                w.WriteNumber("policyIndex", policyIndex.TryGetValue(f.Policy, out var pi) ? pi : -1);
                Common.WriteStrings(w, "pods", f.AffectedPods);
                w.WriteNumber("podCount", f.AffectedPodCount);
                if (f.Suggestion is not null)
                {
                    w.WriteString("suggestion", f.Suggestion);
                }

                Common.WriteStrings(w, "related", f.Related);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("stats");
            w.WriteNumber("cells", (long)data.Endpoints.Count * data.Endpoints.Count * data.Table.Probes.Count);
            w.WriteNumber("disagreements", data.Disagreements);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNumbers(Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteNumberValue(value);
        }

        w.WriteEndArray();
    }

    private static void WriteLabels(Utf8JsonWriter w, string name, LabelMap? labels)
    {
        w.WriteStartObject(name);
        if (labels is not null)
        {
            foreach (var (key, value) in labels)
            {
                w.WriteString(key, value);
            }
        }

        w.WriteEndObject();
    }

    private ReportEndpoint Describe(string display)
    {
        var slash = display.IndexOf('/', StringComparison.Ordinal);
        var ns = display[..slash];
        var name = display[(slash + 1)..];
        if (_snapshot.Pods.FirstOrDefault(p => p.Namespace == ns && p.Name == name) is { } pod)
        {
            return new ReportEndpoint(ns, name, pod.HostNetwork ? "hostNetwork" : "pod", pod.NodeName, [.. pod.IPs.Select(a => a.ToString())], pod.Labels, [.. pod.Ports.Select(PortText)]);
        }

        var host = _snapshot.HostEndpoints.First(h => h.Namespace == ns && h.Name == name);
        return new ReportEndpoint(ns, name, "host", host.NodeName, [.. host.IPs.Select(a => a.ToString())], host.Labels, [.. host.Ports.Select(PortText)]);
    }

    private static string PortText(ContainerPort port) =>
        (port.Name is null ? string.Empty : port.Name + " ") + port.Port.ToString(CultureInfo.InvariantCulture) + "/" + port.Protocol.ToKubernetesName();

    /// <summary>Each policy's text as written: from its first line to the line before the next document (<c>---</c>) or
    /// the next policy of the same file, without trailing blank lines.</summary>
    private List<PolicyText> PolicyTexts()
    {
        var result = new List<PolicyText>();
        foreach (var byFile in _input.Locations.Values.GroupBy(l => l.File, StringComparer.Ordinal))
        {
            if (!_input.FileLines.TryGetValue(byFile.Key, out var lines))
            {
                continue;
            }

            var starts = byFile.OrderBy(l => l.Line).ToList();
            for (var i = 0; i < starts.Count; i++)
            {
                var start = Math.Clamp(starts[i].Line, 1, Math.Max(1, lines.Length));
                var limit = i + 1 < starts.Count ? starts[i + 1].Line - 1 : lines.Length;
                var end = start;
                while (end < limit && end < lines.Length && !lines[end].StartsWith("---", StringComparison.Ordinal))
                {
                    end++;
                }

                while (end > start && string.IsNullOrWhiteSpace(lines[end - 1]))
                {
                    end--;
                }

                result.Add(new PolicyText(starts[i].Object, byFile.Key, start, lines[(start - 1)..Math.Min(end, lines.Length)]));
            }
        }

        return [.. result.OrderBy(p => p.Key, StringComparer.Ordinal)];
    }

    private static bool SameBits(BitMatrix a, BitMatrix b)
    {
        for (var r = 0; r < a.Rows; r++)
        {
            for (var c = 0; c < a.Columns; c++)
            {
                if (a[r, c] != b[r, c])
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Row-major bits, least significant bit first in each byte, as base64.</summary>
    private static string Bits(BitMatrix matrix)
    {
        var n = (long)matrix.Rows * matrix.Columns;
        var bytes = new byte[(n + 7) / 8];
        for (var r = 0; r < matrix.Rows; r++)
        {
            for (var c = 0; c < matrix.Columns; c++)
            {
                if (matrix[r, c])
                {
                    var i = ((long)r * matrix.Columns) + c;
                    bytes[i >> 3] |= (byte)(1 << (int)(i & 7));
                }
            }
        }

        return Convert.ToBase64String(bytes);
    }

    /// <summary>The distinct explanations of one row, and which one each cell has.</summary>
    private sealed class RowReasons
    {
        private readonly Dictionary<(DirectionVerdict? Egress, DirectionVerdict? Ingress), int> _index = [];

        public List<(DirectionVerdict? Egress, DirectionVerdict? Ingress)> Keys { get; } = [];

        public List<FlowVerdict?> Samples { get; } = [];

        public List<int> Cells { get; } = [];

        public long Disagreements { get; private set; }

        public void Add(int column, FlowVerdict? verdict, bool tableAllowed)
        {
            var key = (verdict?.Egress, verdict?.Ingress);
            if (!_index.TryGetValue(key, out var id))
            {
                id = Keys.Count;
                _index[key] = id;
                Keys.Add(key);
                Samples.Add(verdict);
            }

            Cells.Add(id);
            if ((verdict?.Allowed ?? false) != tableAllowed)
            {
                Disagreements++;
            }
        }
    }
}

/// <summary>The distinct explanations, each with its lines (as <c>check</c> prints them, without the first line and the
/// notes, and with <see cref="ReportBuilder.PortPlaceholder"/> for the port) and the policies it names.</summary>
internal sealed class ReasonTable
{
    private readonly Dictionary<(DirectionVerdict? Egress, DirectionVerdict? Ingress), int> _index = [];

    public List<ReportReason> Items { get; } = [];

    public int Intern((DirectionVerdict? Egress, DirectionVerdict? Ingress) key, FlowVerdict? sample)
    {
        if (_index.TryGetValue(key, out var id))
        {
            return id;
        }

        id = Items.Count;
        _index[key] = id;
        Items.Add(sample is null ? NoFlow : Explain(sample));
        return id;
    }

    private static readonly ReportReason NoFlow = new(false, false, false, ["no such flow: the two ends have no address of the same family"], []);

    private static ReportReason Explain(FlowVerdict verdict)
    {
        var port = verdict.Flow.PortText;
        var lines = verdict.Explain()
            .Skip(1)
            .Where(l => !l.StartsWith("  note: ", StringComparison.Ordinal))
            .Select(l => l.Trim().Replace("port " + port, "port " + ReportBuilder.PortPlaceholder, StringComparison.Ordinal))
            .ToList();
        var policies = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var direction in new[] { verdict.Egress, verdict.Ingress })
        {
            foreach (var policy in direction.Policies)
            {
                policies.Add("NetworkPolicy " + policy);
            }

            foreach (var rule in direction.Passed.Append(direction.DecidedBy).OfType<DecidingRule>())
            {
                policies.Add(rule.Kind + " " + rule.Name);
            }
        }

        return new ReportReason(verdict.Allowed, verdict.Egress.Allowed, verdict.Ingress.Allowed, lines, [.. policies]);
    }
}

/// <summary>What the report reads besides the snapshot.</summary>
/// <param name="Snapshot">The objects.</param>
/// <param name="Files">The files read, as given.</param>
/// <param name="FileLines">The text of each file, by line.</param>
/// <param name="Locations">Where each policy is (<see cref="LoadResult.PolicyLocations"/>).</param>
/// <param name="Node">The node the report looks from, or null.</param>
internal sealed record ReportInput(
    ClusterSnapshot Snapshot,
    IReadOnlyList<string> Files,
    IReadOnlyDictionary<string, string[]> FileLines,
    IReadOnlyDictionary<string, FieldLocations> Locations,
    string? Node);

/// <summary>A pod or host endpoint as the report shows it.</summary>
internal sealed record ReportEndpoint(string Namespace, string Name, string Kind, string? Node, IReadOnlyList<string> Addresses, LabelMap Labels, IReadOnlyList<string> Ports)
{
    public bool IsHost => Kind == "host";
}

/// <summary>Probes (indexes into the table's probes) with the same verdicts and explanations.</summary>
/// <param name="Probes">The probes.</param>
/// <param name="Allowed">The verdicts: row-major bits, least significant first, base64.</param>
/// <param name="Why">The explanation index of each (row class, column class), little-endian in
/// <see cref="ReportData.Width"/> bytes, row-major, base64.</param>
/// <param name="Exceptions">Cells whose explanation is not that of their classes: (row, column, index) triples.</param>
internal sealed record ReportGroup(List<int> Probes, string Allowed, string Why, List<int> Exceptions);

/// <summary>One distinct explanation.</summary>
internal sealed record ReportReason(bool Allowed, bool Egress, bool Ingress, IReadOnlyList<string> Lines, IReadOnlyList<string> Policies);

/// <summary>A policy's manifest text.</summary>
internal sealed record PolicyText(string Key, string File, int Start, string[] Lines);

/// <summary>The built data.</summary>
internal sealed record ReportData(TruthTable Table, IReadOnlyList<ReportEndpoint> Endpoints, IReadOnlyList<ReportGroup> Groups, ReasonTable Reasons, long Disagreements)
{
    /// <summary>Each endpoint's row class (endpoints whose rows of explanations are equal in every group).</summary>
    public required int[] RowClass { get; init; }

    /// <summary>Each endpoint's column class.</summary>
    public required int[] ColumnClass { get; init; }

    /// <summary>The number of column classes (the row length of each group's matrix of explanations).</summary>
    public required int Columns { get; init; }

    /// <summary>The bytes of one explanation index: 1, 2 or 4.</summary>
    public required int Width { get; init; }
}

/// <summary>Lint findings as the report shows them (the linter's, or none when it is not available).</summary>
internal sealed record ReportLint(bool Available, IReadOnlyList<string> Notes, IReadOnlyList<ReportFinding> Findings);

/// <summary>One lint finding.</summary>
internal sealed record ReportFinding(string RuleId, string Severity, string Message, string File, int Line, int Column, string Path, string Policy, IReadOnlyList<string> AffectedPods, int AffectedPodCount, string? Suggestion, IReadOnlyList<string> Related);
