using NetPolHost.Wfp.Filters;

namespace NetPolHost.Wfp.Runtime;

/// <summary>A filter engine call failed.</summary>
internal sealed class WfpException : Exception
{
    public WfpException()
    {
    }

    public WfpException(string message)
        : base(message)
    {
    }

    public WfpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WfpException(uint code, string operation)
        : base($"{operation} failed with {WfpConstants.ErrorName(code)} (0x{code:X8})")
    {
        Code = code;
        Operation = operation;
        HResult = unchecked((int)code);
    }

    /// <summary>The code the function returned.</summary>
    public uint Code { get; }

    /// <summary>What was being done.</summary>
    public string Operation { get; } = string.Empty;
}
