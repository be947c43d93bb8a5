using NetPolHost.Backends;
using NetPolHost.Matching;
using NetPolHost.Model;
using NetPolHost.Planning;
using Xunit;
using static NetPolHost.TestKit.HandPlans;

namespace NetPolHost.TestKit;

/// <summary>
/// The <see cref="IFirewallBackend"/> contract, as tests: every backend's test project derives a class from this one
/// and runs it through its OS seam (a fake firewalld bus, a fake Windows Firewall rule store, a fake WFP engine, or a
/// real kernel in a network namespace of the test's own). A new instance is made for every test, with a host of its own.
/// </summary>
public abstract class BackendContractSuite
{
    /// <summary>The test's cancellation token.</summary>
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Why this backend cannot be tested here (not root, a tool missing), or <see langword="null"/>.</summary>
    protected virtual string? UnavailableReason => null;

    /// <summary>A new backend object over this test's host (a second call is like a second process on the same host).</summary>
    protected abstract IFirewallBackend CreateBackend();

    /// <summary>Puts objects on the host that another program owns, of the kinds the backend works with.</summary>
    protected abstract void AddForeignObjects();

    /// <summary>A text that changes when any object the backend does not own changes.</summary>
    protected abstract string DescribeForeignObjects();

    /// <summary>Makes the host refuse the next change the backend asks for; <see langword="false"/> when the seam cannot.</summary>
    protected virtual bool FailNextChange() => false;

    /// <summary>Stops refusing changes.</summary>
    protected virtual void StopFailing()
    {
    }

    /// <summary>A plan of one isolated host endpoint: TCP 80 from two addresses, everything from a /16.</summary>
    public static RulePlan PlanA { get; } = HostPlan(
        ["192.168.1.10"],
        [
            Rule("r1", Direction.Ingress, Peers("10.0.0.1", "10.0.0.2"), Ports((Protocol.Tcp, 80, 80))),
            Rule("r2", Direction.Ingress, Peers("10.50.0.0/16"), PortSet.All),
        ]);

    /// <summary><see cref="PlanA"/> changed: other peers (IPv6 too), a port range, and an isolated egress.</summary>
    public static RulePlan PlanB { get; } = HostPlan(
        ["192.168.1.10"],
        [
            Rule("r1", Direction.Ingress, Peers("10.0.0.1", "10.0.0.3", "fd00::7"), Ports((Protocol.Tcp, 80, 80), (Protocol.Udp, 5000, 5010))),
        ],
        [
            Rule("r9", Direction.Egress, Peers("10.60.0.0/24"), Ports((Protocol.Tcp, 443, 443))),
        ]);

    /// <summary>A plan that needs SCTP ports.</summary>
    public static RulePlan SctpPlan { get; } = HostPlan(
        ["192.168.1.10"],
        [Rule("r1", Direction.Ingress, Peers("10.0.0.1"), Ports((Protocol.Sctp, 9000, 9000)), "shop/sctp")]);

    /// <summary>A plan whose Admin-tier entry allows egress to domain names (no backend can enforce them yet).</summary>
    public static RulePlan DomainNamesPlan { get; } = WithDomainNames();

    private static RulePlan WithDomainNames()
    {
        var names = Rule("cnp-abcdef0123-e0", Direction.Egress, AddressSet.Empty, Ports((Protocol.Tcp, 443, 443)), "/allow-registry") with { DomainNames = ["registry.example.com"] };
        var plan = HostPlan(["192.168.1.10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1"), Ports((Protocol.Tcp, 80, 80)))]);
        var endpoint = plan.Endpoints[0];
        return plan with
        {
            Endpoints = [endpoint with { Egress = endpoint.Egress with { Admin = [names.Id] } }],
            Rules = plan.Rules.Concat([names]).OrderBy(r => r.Id, StringComparer.Ordinal).ToValueList(),
        };
    }

    /// <summary>A plan with a ClusterNetworkPolicy tier: the host endpoint's ingress first meets an Admin-tier Deny from
    /// a /24 and a Pass from one address, then a NetworkPolicy rule.</summary>
    public static RulePlan TieredPlan { get; } = WithTiers();

    private static RulePlan WithTiers()
    {
        var deny = Rule("cnp-0123456789-i0", Direction.Ingress, Peers("10.70.0.0/24"), PortSet.All, "/guardrails") with { Action = ClusterPolicyAction.Deny };
        var pass = Rule("cnp-0123456789-i1", Direction.Ingress, Peers("10.70.0.9"), Ports((Protocol.Tcp, 22, 22)), "/guardrails") with { Action = ClusterPolicyAction.Pass, HostsKey = "guardrailspass" };
        var plan = HostPlan(["192.168.1.10"], [Rule("r1", Direction.Ingress, Peers("10.0.0.1"), Ports((Protocol.Tcp, 80, 80)))]);
        var endpoint = plan.Endpoints[0];
        return plan with
        {
            Endpoints = [endpoint with { Ingress = endpoint.Ingress with { Admin = [pass.Id, deny.Id] } }],
            Rules = plan.Rules.Concat([deny, pass]).OrderBy(r => r.Id, StringComparer.Ordinal).ToValueList(),
        };
    }

    private IFirewallBackend Backend()
    {
        Assert.SkipWhen(UnavailableReason is not null, UnavailableReason ?? string.Empty);
        return CreateBackend();
    }

    private static async Task AssertInSync(IFirewallBackend backend, RulePlan plan)
    {
        var status = await backend.GetStatusAsync(plan, Token);
        Assert.True(status.Present, "the backend owns nothing after an apply");
        Assert.True(status.Drift.Count == 0, "drift against the plan in force: " + string.Join("; ", status.Drift));
    }

    [Fact]
    public void Capabilities_DeclareAScopeAndBothFamilies()
    {
        var backend = Backend();
        Assert.False(string.IsNullOrWhiteSpace(backend.Name));
        Assert.True((backend.Capabilities & (BackendCapabilities.PodTraffic | BackendCapabilities.HostTraffic)) != 0, "a backend enforces pod traffic, host traffic or both");
        Assert.True(backend.Capabilities.HasFlag(BackendCapabilities.IPv4) && backend.Capabilities.HasFlag(BackendCapabilities.IPv6));
    }

    [Fact]
    public async Task Apply_SamePlanAgain_ChangesNothing_AlsoFromANewProcess()
    {
        var backend = Backend();
        Assert.True((await backend.ApplyAsync(PlanA, cancellationToken: Token)).Changed);
        var again = await backend.ApplyAsync(PlanA, cancellationToken: Token);
        Assert.False(again.Changed);
        Assert.Equal(0, again.ObjectsAdded + again.ObjectsRemoved + again.ElementsAdded + again.ElementsRemoved);
        Assert.False((await CreateBackend().ApplyAsync(PlanA, cancellationToken: Token)).Changed);
        await AssertInSync(backend, PlanA);
    }

    [Fact]
    public async Task DryRun_SaysWhatWouldChange_AndCommitsNothing()
    {
        var backend = Backend();
        var dry = await backend.ApplyAsync(PlanA, new ApplyOptions { DryRun = true }, Token);
        Assert.True(dry.DryRun);
        Assert.True(dry.Changed, "a dry run on an empty host says that an apply would change something");
        Assert.True(dry.ObjectsAdded > 0 && dry.Changes.Count > 0, "a dry run says what it would add");
        Assert.False((await backend.GetStatusAsync(null, Token)).Present, "a dry run committed objects");

        await backend.ApplyAsync(PlanA, cancellationToken: Token);
        var unchanged = await backend.ApplyAsync(PlanA, new ApplyOptions { DryRun = true }, Token);
        Assert.True(unchanged.DryRun);
        Assert.False(unchanged.Changed);
        var toB = await backend.ApplyAsync(PlanB, new ApplyOptions { DryRun = true }, Token);
        Assert.True(toB.Changed);
        await AssertInSync(backend, PlanA);
        await AssertInSync(CreateBackend(), PlanA);
    }

    [Fact]
    public async Task Status_ReportsOwnedObjectsAndDrift()
    {
        var backend = Backend();
        var empty = await backend.GetStatusAsync(PlanA, Token);
        Assert.False(empty.Present);
        Assert.Empty(empty.OwnedObjects);

        await backend.ApplyAsync(PlanA, cancellationToken: Token);
        var status = await backend.GetStatusAsync(PlanA, Token);
        Assert.True(status.Present);
        Assert.NotEmpty(status.OwnedObjects);
        Assert.Empty(status.Drift);
        Assert.NotEmpty((await backend.GetStatusAsync(PlanB, Token)).Drift);
        Assert.Empty((await backend.GetStatusAsync(null, Token)).Drift);
    }

    [Fact]
    public async Task Apply_ConvergesFromEachPlanToTheNext()
    {
        var backend = Backend();
        foreach (var plan in new[] { PlanA, PlanB, PlanA, PlanB })
        {
            await backend.ApplyAsync(plan, cancellationToken: Token);
            await AssertInSync(backend, plan);
        }
    }

    [Fact]
    public async Task Remove_DeletesExactlyWhatItOwns_AndCanBeRepeated()
    {
        var backend = Backend();
        AddForeignObjects();
        var foreign = DescribeForeignObjects();
        await backend.ApplyAsync(PlanB, cancellationToken: Token);

        await backend.RemoveAllAsync(Token);

        Assert.False((await backend.GetStatusAsync(null, Token)).Present);
        Assert.Equal(foreign, DescribeForeignObjects());
        await backend.RemoveAllAsync(Token);
        await CreateBackend().RemoveAllAsync(Token);
        Assert.Equal(foreign, DescribeForeignObjects());
        Assert.True((await backend.ApplyAsync(PlanA, cancellationToken: Token)).Changed, "after a remove, an apply starts again");
        await AssertInSync(backend, PlanA);
    }

    [Fact]
    public async Task APlanNeedingAMissingCapability_IsRefusedBeforeAnythingChanges()
    {
        var backend = Backend();
        await backend.ApplyAsync(PlanA, cancellationToken: Token);

        // SCTP ports where the backend lacks them; else a tier entry with domain names, which no backend declares yet
        // (a backend without tiers is refused for the tier first).
        var (plan, capability, policy) = !backend.Capabilities.HasFlag(BackendCapabilities.Sctp)
            ? (SctpPlan, BackendCapabilities.Sctp, "shop/sctp")
            : (DomainNamesPlan, backend.Capabilities.HasFlag(BackendCapabilities.ClusterPolicyTiers) ? BackendCapabilities.DomainNames : BackendCapabilities.ClusterPolicyTiers, "allow-registry");
        Assert.SkipWhen(backend.Capabilities.HasFlag(capability), backend.Name + " declares every capability the test plans need");
        var early = Assert.Throws<UnsupportedPolicyFeatureException>(() => backend.EnsureCanExpress(plan));
        var refused = await Assert.ThrowsAsync<UnsupportedPolicyFeatureException>(() => backend.ApplyAsync(plan, cancellationToken: Token));

        Assert.Equal(capability, early.MissingCapability);
        Assert.Equal(early.Message, refused.Message);
        Assert.EndsWith(policy, refused.Policy, StringComparison.Ordinal);
        Assert.Contains("capability " + capability, refused.Message, StringComparison.Ordinal);
        await AssertInSync(backend, PlanA);
    }

    [Fact]
    public async Task APlanWithClusterPolicyTiers_IsEnforcedWhereDeclared_AndRefusedBeforeAnythingChangesElsewhere()
    {
        var backend = Backend();
        await backend.ApplyAsync(PlanA, cancellationToken: Token);
        if (backend.Capabilities.HasFlag(BackendCapabilities.ClusterPolicyTiers))
        {
            backend.EnsureCanExpress(TieredPlan);
            await backend.ApplyAsync(TieredPlan, cancellationToken: Token);
            await AssertInSync(backend, TieredPlan);
            await AssertInSync(CreateBackend(), TieredPlan);
            await backend.ApplyAsync(PlanA, cancellationToken: Token);
            await AssertInSync(backend, PlanA);
            return;
        }

        var early = Assert.Throws<UnsupportedPolicyFeatureException>(() => backend.EnsureCanExpress(TieredPlan));
        var refused = await Assert.ThrowsAsync<UnsupportedPolicyFeatureException>(() => backend.ApplyAsync(TieredPlan, cancellationToken: Token));
        Assert.Equal(BackendCapabilities.ClusterPolicyTiers, early.MissingCapability);
        Assert.Equal(early.Message, refused.Message);
        Assert.Equal("ClusterNetworkPolicy guardrails", refused.Policy);
        await AssertInSync(backend, PlanA);
    }

    /// <summary><see cref="PlanA"/> plus a local pod whose ingress only a ClusterNetworkPolicy tier governs (an Admin
    /// Pass, then a Deny): for a backend that does not enforce pod traffic, the pod is out of scope.</summary>
    public static RulePlan PodTiersPlan { get; } = WithPodTiers();

    private static RulePlan WithPodTiers()
    {
        var pass = Rule("cnp-0123456789-i1", Direction.Ingress, Peers("10.70.0.9"), Ports((Protocol.Tcp, 22, 22)), "/guardrails") with { Action = ClusterPolicyAction.Pass, HostsKey = "guardrailspass" };
        var deny = Rule("cnp-0123456789-i0", Direction.Ingress, Peers("10.70.0.0/24"), PortSet.All, "/guardrails") with { Action = ClusterPolicyAction.Deny };
        var pod = new PlanEndpoint
        {
            Name = "prod/web",
            Kind = PlanEndpointKind.Pod,
            Addresses = [System.Net.IPAddress.Parse("10.244.1.5")],
            Ingress = DirectionPlan.Open with { Admin = [pass.Id, deny.Id] },
            Egress = DirectionPlan.Open,
        };
        return PlanA with
        {
            LocalPodAddresses = [.. pod.Addresses],
            Endpoints = [.. PlanA.Endpoints, pod],
            Rules = PlanA.Rules.Concat([deny, pass]).OrderBy(r => r.Id, StringComparer.Ordinal).ToValueList(),
        };
    }

    /// <summary>Tier entries of endpoints outside the backend's scope (pods, for the Windows backends) need no capability:
    /// the plan is accepted, the pod left alone with a warning that names it, the endpoints in scope enforced.</summary>
    [Fact]
    public async Task TiersOfEndpointsOutOfScope_AreLeftAloneWithAWarning()
    {
        var backend = Backend();
        Assert.SkipWhen(backend.Capabilities.HasFlag(BackendCapabilities.PodTraffic), backend.Name + " enforces pod traffic: the pod's tiers are in its scope");
        backend.EnsureCanExpress(PodTiersPlan);
        var result = await backend.ApplyAsync(PodTiersPlan, cancellationToken: Token);
        Assert.Contains(result.Warnings, w => w.Contains("prod/web", StringComparison.Ordinal));
        await AssertInSync(backend, PodTiersPlan);
        await AssertInSync(CreateBackend(), PodTiersPlan);
    }

    [Fact]
    public async Task AFailedApply_KeepsThePreviousPlanWhenAtomic_AndTheNextApplyCompletesIt()
    {
        var backend = Backend();
        await backend.ApplyAsync(PlanA, cancellationToken: Token);
        Assert.SkipUnless(FailNextChange(), "this backend's test seam cannot make the host refuse a change");

        await Assert.ThrowsAsync<BackendApplyException>(() => backend.ApplyAsync(PlanB, cancellationToken: Token));
        StopFailing();

        if (backend.Capabilities.HasFlag(BackendCapabilities.AtomicApply))
        {
            await AssertInSync(backend, PlanA);
        }

        await backend.ApplyAsync(PlanB, cancellationToken: Token);
        await AssertInSync(backend, PlanB);
        await AssertInSync(CreateBackend(), PlanB);
    }

    [Fact]
    public void RenderNative_ShowsAFullApply()
    {
        var backend = Backend();
        Assert.False(string.IsNullOrWhiteSpace(backend.RenderNative(PlanA)));
        Assert.NotEqual(backend.RenderNative(PlanA), backend.RenderNative(PlanB));
    }
}
