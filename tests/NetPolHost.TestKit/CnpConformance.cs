using System.Globalization;
using NetPolHost.Model;
using NetPolHost.Parsing;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace NetPolHost.TestKit;

/// <summary>One probe of an upstream ClusterNetworkPolicy conformance case: a connection and whether it must succeed.</summary>
/// <param name="From">The client pod, <c>namespace/name</c>.</param>
/// <param name="To">The server pod, <c>namespace/name</c>.</param>
/// <param name="Address">The address the client connects to.</param>
/// <param name="Port">The port.</param>
/// <param name="Protocol">The protocol.</param>
/// <param name="Expected">Whether the connection must succeed.</param>
public sealed record CnpProbe(string From, string To, string Address, int Port, Protocol Protocol, bool Expected)
{
    /// <inheritdoc/>
    public override string ToString() => $"{From} -> {To} ({Address}) {Port.ToString(CultureInfo.InvariantCulture)}/{Protocol.ToKubernetesName()} expected {(Expected ? "allowed" : "denied")}";
}

/// <summary>One step of a case: the cluster with the policies in force, and its probes.</summary>
/// <param name="Case">The case id and file name.</param>
/// <param name="Name">The step's name.</param>
/// <param name="Profile"><c>core</c> or <c>experimental</c>.</param>
/// <param name="Requires">What the case exercises (e.g. <c>sctp</c>, <c>peerNodes</c>).</param>
/// <param name="Snapshot">The base cluster with the step's changes and policies.</param>
/// <param name="Probes">The probes.</param>
public sealed record CnpStep(string Case, string Name, string Profile, IReadOnlyList<string> Requires, ClusterSnapshot Snapshot, IReadOnlyList<CnpProbe> Probes)
{
    /// <inheritdoc/>
    public override string ToString() => Case + " / " + Name;
}

/// <summary>The upstream network-policy-api conformance suite as transcribed in <c>tests/data/cnp-conformance</c>.</summary>
public static class CnpConformance
{
    private static readonly Lazy<IReadOnlyList<CnpStep>> s_steps = new(LoadAll);

    /// <summary>The folder of the data.</summary>
    public static string Folder => RepositoryPaths.Combine("tests", "data", "cnp-conformance");

    /// <summary>Every step of every case, in file order.</summary>
    public static IReadOnlyList<CnpStep> Steps => s_steps.Value;

    /// <summary>The base cluster.</summary>
    /// <returns>The snapshot.</returns>
    public static ClusterSnapshot Base()
    {
        var load = new ManifestLoader().LoadPaths([Path.Combine(Folder, "base.yaml")]);
        if (!load.IsValid)
        {
            throw new InvalidOperationException("base.yaml does not load: " + string.Join("; ", load.Errors));
        }

        return load.Snapshot;
    }

    private static IReadOnlyList<CnpStep> LoadAll()
    {
        var baseSnapshot = Base();
        var steps = new List<CnpStep>();
        var serializer = new SerializerBuilder().Build();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Folder, "cases"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                yaml.Load(reader);
            }

            var root = (YamlMappingNode)yaml.Documents[0].RootNode;
            var caseName = Path.GetFileNameWithoutExtension(file);
            var profile = Scalar(root, "profile");
            var requires = root.Children.TryGetValue(new YamlScalarNode("requires"), out var r) ? ((YamlSequenceNode)r).Children.Select(c => ((YamlScalarNode)c).Value!).ToList() : [];
            foreach (YamlMappingNode step in ((YamlSequenceNode)root["steps"]).Children.Cast<YamlMappingNode>())
            {
                var snapshot = baseSnapshot;
                if (step.Children.TryGetValue(new YamlScalarNode("baseChanges"), out var changes)
                    && changes is YamlMappingNode changeMap
                    && changeMap.Children.TryGetValue(new YamlScalarNode("namespaceLabels"), out var labels))
                {
                    var relabelled = new List<Namespace>();
                    foreach (var (ns, map) in ((YamlMappingNode)labels).Children)
                    {
                        var pairs = ((YamlMappingNode)map).Children.SelectMany(p => new[] { ((YamlScalarNode)p.Key).Value!, ((YamlScalarNode)p.Value).Value! }).ToArray();
                        relabelled.Add(new Namespace { Name = ((YamlScalarNode)ns).Value!, Labels = LabelMap.Of(pairs) });
                    }

                    snapshot = snapshot.With(namespaces: relabelled);
                }

                var policies = (YamlSequenceNode)step["policies"];
                if (policies.Children.Count > 0)
                {
                    var text = string.Join("---\n", policies.Children.Select(p => serializer.Serialize(new YamlStream(new YamlDocument(p)).Documents[0].RootNode)));
                    var load = ManifestLoader.LoadText(text, caseName);
                    if (!load.IsValid)
                    {
                        throw new InvalidOperationException($"{caseName}: the policies do not load: {string.Join("; ", load.Errors)}");
                    }

                    snapshot = snapshot.With(policies: load.Snapshot.Policies, clusterPolicies: load.Snapshot.ClusterPolicies);
                }

                var probes = ((YamlSequenceNode)step["probes"]).Children.Cast<YamlMappingNode>().Select(p => new CnpProbe(
                    Scalar(p, "from"),
                    Scalar(p, "to"),
                    Scalar(p, "address"),
                    int.Parse(Scalar(p, "port"), CultureInfo.InvariantCulture),
                    ProtocolNames.TryParseIgnoreCase(Scalar(p, "protocol"), out var protocol) ? protocol : throw new InvalidOperationException($"{caseName}: protocol {Scalar(p, "protocol")}"),
                    bool.Parse(Scalar(p, "expected")))).ToList();
                steps.Add(new CnpStep(caseName, Scalar(step, "name"), profile, requires, snapshot, probes));
            }
        }

        return steps;
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value ?? string.Empty;
}
