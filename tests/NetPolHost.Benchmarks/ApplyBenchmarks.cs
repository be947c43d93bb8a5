using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Nftables;
using NetPolHost.Parsing;
using NetPolHost.Planning;
using NetPolHost.TestKit;
using NetPolHost.TestKit.Net;

namespace NetPolHost.Benchmarks;

/// <summary>Issue 15: the kernel apply of one pod added or removed on the 10,000-pod cluster (node-000, 110 pods), and
/// where its time goes: render + diff in C#, and what libnftables 1.0.6 would spend on the same script (its cache fetch
/// before every transaction, parse and evaluation, the commit), measured in the same run.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class ApplyBenchmarks
{
    private const int Runs = 41; // odd: Runs + 1 applies alternate add and remove and end where they started

    public static async Task RunAsync()
    {
        if (Namespaces.UnavailableReason() is { } reason)
        {
            Console.WriteLine("apply benchmarks skipped: " + reason);
            return;
        }

        var snapshot = ManifestLoader.LoadText(LargeCluster.Yaml(), "large.yaml").GetSnapshotOrThrow();
        var options = new RulePlanOptions { NodeName = "node-000" };
        var plan = RulePlanCompiler.Compile(snapshot, options);
        var extra = new Pod
        {
            Namespace = "ns-001",
            Name = "new-pod",
            Labels = LabelMap.Of("app", "app-0", "tier", "api", "version", "v1"),
            NodeName = "node-050",
            IPs = [IPAddress.Parse("10.99.0.1")],
            Ports = [new ContainerPort("http", 8080)],
        };
        var withPod = RulePlanCompiler.Compile(new PolicyMatcher(snapshot.With(pods: [extra])), options);
        await using var lab = NetworkLab.Create();
        var node = lab.AddNode("apply");
        using var backend = new NftablesFirewallBackend(new NftablesOptions { NetworkNamespace = node, DeleteConntrackEntriesOfDeniedFlows = false });
        await backend.ApplyAsync(plan);
        var add = backend.RenderChanges(withPod);
        await backend.ApplyAsync(withPod);
        var remove = backend.RenderChanges(plan);
        await backend.ApplyAsync(plan);
        Console.WriteLine($"one pod added/removed on node-000 ({plan.Endpoints.Count} endpoints): the change is {add.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length} element commands, e.g. '{add.Split('\n')[0]}'");

        // The backend: render + diff, then the element-level change (a netlink batch of its own for element-only changes).
        var applies = new List<double>();
        var renders = new List<double>();
        for (var i = 0; i < Runs + 1; i++)
        {
            // The renderer keeps what it rendered last, so render + diff is timed on its second call (as warm as the one
            // inside the apply); collections between the timings keep a pause caused by one out of the other.
            var target = i % 2 == 0 ? withPod : plan;
            _ = backend.RenderChanges(target);
            GC.Collect();
            var watch = Stopwatch.StartNew();
            _ = backend.RenderChanges(target);
            var render = watch.Elapsed.TotalMilliseconds;
            GC.Collect();
            var result = await backend.ApplyAsync(target);
            if (!result.Changed || result.ElementsAdded + result.ElementsRemoved == 0)
            {
                throw new InvalidOperationException("the one-pod apply changed nothing");
            }

            if (i > 0)
            {
                applies.Add(result.Duration.TotalMilliseconds);
                renders.Add(render);
            }
        }

        var kernel = applies.Zip(renders, (a, r) => Math.Max(0, a - r)).ToList();
        Measure.Report("one pod: apply (render + diff + kernel)", applies);
        Measure.Report("  render + diff (C#, no kernel call)", renders);
        Measure.Report("  kernel apply (apply - render + diff)", kernel, limit: 2);

        // The same scripts through libnftables, on a context of our own in the namespace: a commit (what the backend did
        // before), a dry run right after a commit (nft fetches its cache again: the generation changed), and a dry run
        // after a dry run (the generation is unchanged, so the cache is reused: parse, evaluation, the kernel's check).
        var (commit, warm) = Namespaces.InNamespace(node, () =>
        {
            var ctx = NftCtxNew(0);
            _ = NftCtxBufferOutput(ctx);
            _ = NftCtxBufferError(ctx);
            try
            {
                var commit = new List<double>();
                var warm = new List<double>();
                // Commits only, alternating (what the backend did before).
                for (var i = 0; i < Runs + 1; i++)
                {
                    var watch = Stopwatch.StartNew();
                    Check(NftRunCmdFromBuffer(ctx, i % 2 == 0 ? add : remove), ctx);
                    if (i > 0)
                    {
                        commit.Add(watch.Elapsed.TotalMilliseconds);
                    }
                }

                // The same commits, each right after an untimed dry run of the same script: the kernel's generation has
                // not changed since that dry run, so nft reuses the cache it fetched: parse, evaluation and commit only.
                for (var i = 0; i < Runs + 1; i++)
                {
                    var script = i % 2 == 0 ? add : remove;
                    NftCtxSetDryRun(ctx, true);
                    Check(NftRunCmdFromBuffer(ctx, script), ctx);
                    NftCtxSetDryRun(ctx, false);
                    var watch = Stopwatch.StartNew();
                    Check(NftRunCmdFromBuffer(ctx, script), ctx);
                    if (i > 0)
                    {
                        warm.Add(watch.Elapsed.TotalMilliseconds);
                    }
                }

                return (commit, warm);
            }
            finally
            {
                NftCtxFree(ctx);
            }
        });
        Measure.Report("  for comparison, the script through libnftables 1.0.6", commit);
        Measure.Report("    of which parse + evaluate + commit (nft's cache still valid)", warm);
        Console.WriteLine($"    so nft's cache fetch before each transaction (tables, chains, sets, every interval set's elements, objects) is about {Measure.Format(Measure.Median(commit) - Measure.Median(warm))} ms of it");
        Measure.Ratio("  kernel apply: netlink batch / libnftables", Measure.Median(kernel) / Measure.Median(commit), 1);
        await backend.RemoveAllAsync();
    }

    private static void Check(int rc, IntPtr ctx)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException("nft refused the script: " + Marshal.PtrToStringUTF8(NftCtxGetErrorBuffer(ctx)));
        }
    }

    [LibraryImport("libnftables.so.1", EntryPoint = "nft_ctx_new")]
    private static partial IntPtr NftCtxNew(uint flags);

    [LibraryImport("libnftables.so.1", EntryPoint = "nft_ctx_free")]
    private static partial void NftCtxFree(IntPtr ctx);

    [LibraryImport("libnftables.so.1", EntryPoint = "nft_ctx_buffer_output")]
    private static partial int NftCtxBufferOutput(IntPtr ctx);

    [LibraryImport("libnftables.so.1", EntryPoint = "nft_ctx_buffer_error")]
    private static partial int NftCtxBufferError(IntPtr ctx);

    [LibraryImport("libnftables.so.1", EntryPoint = "nft_ctx_get_error_buffer")]
    private static partial IntPtr NftCtxGetErrorBuffer(IntPtr ctx);

    [LibraryImport("libnftables.so.1", EntryPoint = "nft_ctx_set_dry_run")]
    private static partial void NftCtxSetDryRun(IntPtr ctx, [MarshalAs(UnmanagedType.U1)] bool dry);

    [LibraryImport("libnftables.so.1", EntryPoint = "nft_run_cmd_from_buffer", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NftRunCmdFromBuffer(IntPtr ctx, string buffer);
}
