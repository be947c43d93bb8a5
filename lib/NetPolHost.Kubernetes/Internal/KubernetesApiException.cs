using System.Globalization;
using System.Text.Json;

namespace NetPolHost.Kubernetes.Internal;

/// <summary>The API server answered with an error: an HTTP status, or an ERROR event in a watch. Carries the facts of
/// the <c>Status</c> object; the message is built from them.</summary>
internal sealed class KubernetesApiException : Exception
{
    public KubernetesApiException(string request, int code, string? reason, string? detail)
        : base(Describe(request, code, reason, detail))
    {
        Request = request;
        Code = code;
        Reason = reason;
        Detail = detail;
    }

    /// <summary>What was asked, e.g. <c>list pods</c> or <c>watch pods from resourceVersion 42</c>.</summary>
    public string Request { get; }

    /// <summary>The HTTP status code (also for ERROR events, whose Status object carries one).</summary>
    public int Code { get; }

    /// <summary><c>Status.reason</c>, e.g. <c>Expired</c> or <c>Forbidden</c>, when given.</summary>
    public string? Reason { get; }

    /// <summary><c>Status.message</c>, when given.</summary>
    public string? Detail { get; }

    /// <summary>Whether the resourceVersion asked for is too old (410 Gone / Expired): list again.</summary>
    public bool IsGone => Code == 410 || Reason is "Expired" or "Gone";

    /// <summary>Reads a <c>Status</c> object (from an error body or an ERROR event).</summary>
    public static KubernetesApiException FromStatus(string request, int httpCode, JsonElement status)
    {
        var code = httpCode;
        string? reason = null;
        string? message = null;
        if (status.ValueKind == JsonValueKind.Object)
        {
            if (status.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var parsed) && parsed > 0)
            {
                code = parsed;
            }

            reason = status.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            message = status.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        }

        return new KubernetesApiException(request, code, reason, message);
    }

    /// <summary>Reads an error body, which should be a <c>Status</c> object but may be anything.</summary>
    public static KubernetesApiException FromBody(string request, int httpCode, string? reasonPhrase, ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                var error = FromStatus(request, httpCode, document.RootElement);
                return error.Reason is null && error.Detail is null ? new KubernetesApiException(request, error.Code, reasonPhrase, null) : error;
            }
        }
        catch (JsonException)
        {
        }

        var text = System.Text.Encoding.UTF8.GetString(body).Trim();
        return new KubernetesApiException(request, httpCode, reasonPhrase, text.Length == 0 ? null : text.Length > 300 ? text[..300] + "…" : text);
    }

    private static string Describe(string request, int code, string? reason, string? detail)
    {
        var text = request + ": the API server answered " + code.ToString(CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(reason))
        {
            text += " " + reason;
        }

        return string.IsNullOrEmpty(detail) ? text : text + " (" + detail + ")";
    }
}
