namespace NetPolHost.Wfp.Filters;

/// <summary>One condition: a field and an inclusive range of values (one value when <see cref="Low"/> equals
/// <see cref="High"/>). Consecutive conditions on the same field are ORed by WFP, different fields ANDed.</summary>
/// <param name="Field">The field.</param>
/// <param name="Low">The first value (an address as a number, a port or a protocol number).</param>
/// <param name="High">The last value.</param>
/// <param name="IsV6">For addresses: IPv6.</param>
internal readonly record struct WfpCondition(WfpField Field, UInt128 Low, UInt128 High, bool IsV6 = false);
