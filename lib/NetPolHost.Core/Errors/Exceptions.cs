using System.Globalization;
using NetPolHost.Parsing;

namespace NetPolHost;

/// <summary>The base of every exception NetPolHost throws on purpose.</summary>
public class NetPolHostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NetPolHostException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public NetPolHostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public NetPolHostException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Manifests could not be read or are not valid; <see cref="Errors"/> lists every problem with its place.</summary>
public sealed class PolicyValidationException : NetPolHostException
{
    /// <summary>Creates the exception from the diagnostics of a load.</summary>
    /// <param name="errors">Every error, each with file, line, column and field path.</param>
    public PolicyValidationException(IReadOnlyList<ManifestDiagnostic> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Every error found.</summary>
    public IReadOnlyList<ManifestDiagnostic> Errors { get; }

    private static string BuildMessage(IReadOnlyList<ManifestDiagnostic> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var head = errors.Count == 1 ? "1 error" : errors.Count.ToString(CultureInfo.InvariantCulture) + " errors";
        return head + " in the manifests:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e));
    }
}

/// <summary>A backend cannot express a feature a policy uses on this host.</summary>
public sealed class UnsupportedPolicyFeatureException : NetPolHostException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="feature">The feature, e.g. "SCTP ports".</param>
    /// <param name="policy">The policy that uses it, as <c>namespace/name</c>.</param>
    public UnsupportedPolicyFeatureException(string backend, string feature, string policy)
        : base($"Backend '{backend}' cannot enforce {feature}, which policy '{policy}' uses.")
    {
        Backend = backend;
        Feature = feature;
        Policy = policy;
    }

    /// <summary>Creates the exception for a capability the backend does not declare.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="feature">The feature, e.g. "SCTP ports".</param>
    /// <param name="policy">The policy that uses it, as <c>namespace/name</c>.</param>
    /// <param name="missing">The capability the backend lacks.</param>
    public UnsupportedPolicyFeatureException(string backend, string feature, string policy, Backends.BackendCapabilities missing)
        : base($"Backend '{backend}' cannot enforce {feature}, which policy '{policy}' uses: it lacks the capability {missing}.")
    {
        Backend = backend;
        Feature = feature;
        Policy = policy;
        MissingCapability = missing;
    }

    /// <summary>The capability the backend lacks, when that is why it refused (<see cref="Backends.BackendCapabilities.None"/>
    /// for a feature outside the capability flags, such as an interface name the firewall cannot match).</summary>
    public Backends.BackendCapabilities MissingCapability { get; }

    /// <summary>The backend name.</summary>
    public string Backend { get; }

    /// <summary>The feature.</summary>
    public string Feature { get; }

    /// <summary>The policy, as <c>namespace/name</c>.</summary>
    public string Policy { get; }
}

/// <summary>A backend cannot be used on this host (tool or service missing, not privileged, wrong OS).</summary>
public sealed class BackendUnavailableException : NetPolHostException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="reason">What is missing and what to do about it.</param>
    /// <param name="innerException">The cause, if any.</param>
    public BackendUnavailableException(string backend, string reason, Exception? innerException = null)
        : base($"Backend '{backend}' is not available: {reason}", innerException)
    {
        Backend = backend;
        Reason = reason;
    }

    /// <summary>The backend name.</summary>
    public string Backend { get; }

    /// <summary>What is missing.</summary>
    public string Reason { get; }
}

/// <summary>A backend tried to apply a plan and the operating system refused; nothing was changed.</summary>
public sealed class BackendApplyException : NetPolHostException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backend">The backend name.</param>
    /// <param name="detail">What the operating system said (e.g. nft's error output or an HRESULT).</param>
    /// <param name="innerException">The cause, if any.</param>
    public BackendApplyException(string backend, string detail, Exception? innerException = null)
        : base($"Backend '{backend}' could not apply the plan: {detail}", innerException)
    {
        Backend = backend;
        Detail = detail;
    }

    /// <summary>The backend name.</summary>
    public string Backend { get; }

    /// <summary>What the operating system said.</summary>
    public string Detail { get; }
}
