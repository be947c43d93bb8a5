namespace NetPolHost.Model;

/// <summary>The directions a NetworkPolicy applies to (<c>spec.policyTypes</c>).</summary>
[Flags]
public enum PolicyTypes
{
    /// <summary>No direction.</summary>
    None = 0,

    /// <summary>Traffic into the selected pods.</summary>
    Ingress = 1,

    /// <summary>Traffic out of the selected pods.</summary>
    Egress = 2,

    /// <summary>Both directions.</summary>
    Both = Ingress | Egress,
}

/// <summary>One direction of traffic relative to a selected endpoint.</summary>
public enum Direction
{
    /// <summary>Traffic into the endpoint (checked against <c>ingress</c> rules).</summary>
    Ingress,

    /// <summary>Traffic out of the endpoint (checked against <c>egress</c> rules).</summary>
    Egress,
}
