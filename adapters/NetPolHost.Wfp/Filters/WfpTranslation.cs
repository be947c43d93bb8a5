namespace NetPolHost.Wfp.Filters;

/// <summary>What the backend writes: provider, sublayer and filters, with what it leaves alone.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="Sublayer">The sublayer.</param>
/// <param name="Filters">The filters.</param>
/// <param name="Warnings">Warnings (pod endpoints, interface restrictions).</param>
internal sealed record WfpTranslation(WfpProvider Provider, WfpSublayer Sublayer, IReadOnlyList<WfpFilter> Filters, IReadOnlyList<string> Warnings);
