using System.Net;
using System.Reflection;
using System.Text.Json;
using NetPolHost.Model;
using NetPolHost.Parsing;

namespace NetPolHost.TestKit;

/// <summary>One probe matrix of an upstream e2e case.</summary>
/// <param name="Port">The port.</param>
/// <param name="Protocol">The protocol.</param>
/// <param name="Order">Pod names in row/column order.</param>
/// <param name="Allowed">Expected verdicts, [from][to].</param>
public sealed record ConformanceProbe(int Port, Protocol Protocol, IReadOnlyList<string> Order, bool[][] Allowed);

/// <summary>One upstream Kubernetes e2e NetworkPolicy case as data.</summary>
public sealed record ConformanceCase(
    string Id,
    string Name,
    ClusterSnapshot Snapshot,
    IReadOnlyList<ConformanceProbe> Probes,
    IReadOnlyList<string> Tags,
    string PolicyJson)
{
    /// <inheritdoc/>
    public override string ToString() => Id + " " + Name;
}

/// <summary>The upstream e2e cases (copied from shared/conformance), built into snapshots.</summary>
public static class ConformanceData
{
    private static readonly Lazy<IReadOnlyList<ConformanceCase>> s_cases = new(Load);

    /// <summary>The synthetic pod IPs of the model.</summary>
    public static IReadOnlyDictionary<string, IPAddress> PodIPs
    {
        get
        {
            _ = s_cases.Value;
            return s_podIPs;
        }
    }

    private static IReadOnlyDictionary<string, IPAddress> s_podIPs = new Dictionary<string, IPAddress>();

    /// <summary>All cases.</summary>
    public static IReadOnlyList<ConformanceCase> Cases => s_cases.Value;

    /// <summary>Case ids, for xunit theories.</summary>
    public static IEnumerable<string> CaseIds() => Cases.Select(c => c.Id);

    /// <summary>A case by id.</summary>
    /// <param name="id">The id.</param>
    /// <returns>The case.</returns>
    public static ConformanceCase Get(string id) => Cases.Single(c => c.Id == id);

    /// <summary>The raw JSON text of the data file.</summary>
    public static string RawJson()
    {
        using var stream = typeof(ConformanceData).Assembly.GetManifestResourceStream("k8s-e2e-cases.json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static List<ConformanceCase> Load()
    {
        using var document = JsonDocument.Parse(RawJson());
        var root = document.RootElement;
        var ips = new Dictionary<string, IPAddress>(StringComparer.Ordinal);
        foreach (var p in root.GetProperty("model").GetProperty("syntheticPodIPs").EnumerateObject())
        {
            ips[p.Name] = IPAddress.Parse(p.Value.GetString()!);
        }

        s_podIPs = ips;
        var cases = new List<ConformanceCase>();
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var model = c.GetProperty("model");
            var ports = model.GetProperty("servedPorts").EnumerateArray().Select(p => p.GetInt32()).ToList();
            var protocols = model.GetProperty("servedProtocols").EnumerateArray().Select(p => Enum.Parse<Protocol>(p.GetString()!, ignoreCase: true)).ToList();
            var namespaces = model.GetProperty("namespaceLabels").EnumerateObject()
                .Select(ns => new Model.Namespace { Name = ns.Name, Labels = Labels(ns.Value) })
                .ToList();
            var containerPorts = ports.SelectMany(port => protocols.Select(proto =>
                new ContainerPort($"serve-{port}-{proto.ToKubernetesName().ToLowerInvariant()}", port, proto))).ToValueList();
            var pods = model.GetProperty("podLabels").EnumerateObject().Select(p =>
            {
                var parts = p.Name.Split('/');
                return new Pod
                {
                    Namespace = parts[0],
                    Name = parts[1],
                    Labels = Labels(p.Value),
                    NodeName = "node-1",
                    IPs = [ips[p.Name]],
                    Ports = containerPorts,
                };
            }).ToList();

            var policyJson = c.GetProperty("policies").GetRawText();
            var loaded = policyJson == "[]" ? null : ManifestLoader.LoadText($"{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{policyJson}}}", c.GetProperty("id").GetString() + ".json");
            if (loaded is not null && !loaded.IsValid)
            {
                throw new InvalidOperationException("Conformance policies do not load: " + string.Join("; ", loaded.Errors));
            }

            var snapshot = ClusterSnapshot.Create(namespaces, pods, policies: loaded?.Snapshot.Policies ?? default);
            var probes = c.GetProperty("probes").EnumerateArray().Select(p =>
            {
                var expected = p.GetProperty("expected");
                return new ConformanceProbe(
                    p.GetProperty("port").GetInt32(),
                    Enum.Parse<Protocol>(p.GetProperty("protocol").GetString()!, ignoreCase: true),
                    [.. expected.GetProperty("order").EnumerateArray().Select(o => o.GetString()!)],
                    [.. expected.GetProperty("allowed").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetBoolean()).ToArray())]);
            }).ToList();
            var tags = c.TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            cases.Add(new ConformanceCase(c.GetProperty("id").GetString()!, c.GetProperty("name").GetString()!, snapshot, probes, tags, policyJson));
        }

        return cases;
    }

    private static LabelMap Labels(JsonElement element) =>
        LabelMap.From(element.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString()!)));
}
