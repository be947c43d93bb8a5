namespace NetPolHost.Diagnostics;

/// <summary>The meter NetPolHost's components record on, e.g. for OpenTelemetry's <c>AddMeter(NetPolHostMeter.Name)</c>
/// or <c>dotnet-counters monitor --counters NetPolHost</c>.</summary>
/// <remarks>The node agent's instruments: <c>netpolhost.applies</c> (tagged with backend and result),
/// <c>netpolhost.apply.duration</c> (seconds), <c>netpolhost.owned.rules</c>, <c>netpolhost.owned.elements</c>,
/// <c>netpolhost.drift.repairs</c> and <c>netpolhost.errors</c> (tagged with the stage that failed).</remarks>
public static class NetPolHostMeter
{
    /// <summary>The meter name: <c>NetPolHost</c>.</summary>
    public const string Name = "NetPolHost";
}
