namespace NetPolHost.Wfp.Filters;

/// <summary>A filter's action.</summary>
internal enum WfpAction
{
    /// <summary><c>FWP_ACTION_BLOCK</c>.</summary>
    Block,

    /// <summary><c>FWP_ACTION_PERMIT</c>.</summary>
    Permit,
}
