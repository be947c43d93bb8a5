using NetPolHost.Model;

namespace NetPolHost.Matching;

/// <summary>The verdicts of one port between every pair of endpoints of a <see cref="TruthTable"/>.</summary>
/// <remarks>Rows are sources, columns destinations. A cell of <see cref="Allowed"/> holds when the source's egress and the
/// destination's ingress both allow the flow; <see cref="Ingress"/> and <see cref="Egress"/> hold each direction alone.</remarks>
public sealed class ProbeMatrix
{
    internal ProbeMatrix(PortProbe probe, BitMatrix allowed, BitMatrix ingress, BitMatrix egress)
    {
        Probe = probe;
        Allowed = allowed;
        Ingress = ingress;
        Egress = egress;
    }

    /// <summary>The port and protocol.</summary>
    public PortProbe Probe { get; }

    /// <summary>Combined verdicts.</summary>
    public BitMatrix Allowed { get; }

    /// <summary>Whether the destination's ingress allows the source.</summary>
    public BitMatrix Ingress { get; }

    /// <summary>Whether the source's egress allows the destination.</summary>
    public BitMatrix Egress { get; }
}

/// <summary>Truth tables over chosen pods and host endpoints and ports.</summary>
public sealed class TruthTable
{
    internal TruthTable(IReadOnlyList<string> endpoints, IReadOnlyList<ProbeMatrix> probes)
    {
        Endpoints = endpoints;
        Probes = probes;
    }

    /// <summary>The endpoints as <c>namespace/name</c>, in row (and column) order: sorted by namespace, then name.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>One matrix set per probed port.</summary>
    public IReadOnlyList<ProbeMatrix> Probes { get; }

    /// <summary>Renders one probe as text: <c>.</c> allowed, <c>X</c> denied; rows are sources.</summary>
    /// <param name="probe">The probe index.</param>
    /// <param name="matrix">Which matrix: "allowed", "ingress" or "egress".</param>
    /// <returns>The table.</returns>
    public string Render(int probe, string matrix = "allowed")
    {
        var m = matrix switch
        {
            "ingress" => Probes[probe].Ingress,
            "egress" => Probes[probe].Egress,
            _ => Probes[probe].Allowed,
        };
        var width = Endpoints.Count == 0 ? 4 : Math.Max(4, Endpoints.Max(e => e.Length));
        var builder = new System.Text.StringBuilder();
        builder.Append(Probes[probe].Probe.ToString().PadRight(width));
        for (var c = 0; c < Endpoints.Count; c++)
        {
            builder.Append(' ').Append(Endpoints[c]);
        }

        builder.AppendLine();
        for (var r = 0; r < Endpoints.Count; r++)
        {
            builder.Append(Endpoints[r].PadRight(width));
            for (var c = 0; c < Endpoints.Count; c++)
            {
                var cell = m[r, c] ? "." : "X";
                var column = Endpoints[c].Length;
                builder.Append(' ').Append(cell.PadLeft((column + 1) / 2).PadRight(column));
            }

            builder.AppendLine();
        }

        return builder.ToString();
    }
}
