using Microsoft.Extensions.Options;
using NetPolHost.Kubernetes.Internal;

namespace NetPolHost.Kubernetes;

/// <summary>Checks <see cref="KubernetesSourceOptions"/> at start and lists every broken field.</summary>
internal sealed class KubernetesSourceOptionsValidator : IValidateOptions<KubernetesSourceOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesSourceOptions options)
    {
        var failures = new List<string>();
        if (options.ClientConfiguration is null && KubernetesConnection.FindProblem(options) is { } problem)
        {
            failures.Add(problem);
        }

        if (options.InitialBackoff < TimeSpan.FromMilliseconds(1) || options.InitialBackoff > options.MaxBackoff)
        {
            failures.Add($"InitialBackoff must be between 1 ms and MaxBackoff ({options.MaxBackoff}), found {options.InitialBackoff}.");
        }

        if (options.MaxBackoff < TimeSpan.FromMilliseconds(1) || options.MaxBackoff > TimeSpan.FromHours(1))
        {
            failures.Add($"MaxBackoff must be between 1 ms and 1 hour, found {options.MaxBackoff}.");
        }

        if (options.ReportInterval < TimeSpan.Zero || options.ReportInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"ReportInterval must be between 0 and 1 minute, found {options.ReportInterval}.");
        }

        if (options.WatchTimeout < TimeSpan.FromSeconds(1) || options.WatchTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"WatchTimeout must be between 1 second and 1 hour, found {options.WatchTimeout}.");
        }

        if (options.RequestTimeout < TimeSpan.FromSeconds(1) || options.RequestTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"RequestTimeout must be between 1 second and 1 hour, found {options.RequestTimeout}.");
        }

        if (options.PageSize is < 1 or > 100_000)
        {
            failures.Add($"PageSize must be between 1 and 100000, found {options.PageSize}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
