using System.ComponentModel.DataAnnotations;

namespace NetPolHost.Wfp;

/// <summary>Options of the WFP backend (bind section <c>NetPolHost:Wfp</c>).</summary>
public sealed class WfpOptions
{
    /// <summary>The key of the WFP provider the backend owns; every filter it adds belongs to it.</summary>
    /// <value>Default <c>6e6b6f8a-3c1d-4a51-9a7e-4e50484f5354</c>.</value>
    public Guid ProviderKey { get; set; } = new("6e6b6f8a-3c1d-4a51-9a7e-4e50484f5354");

    /// <summary>The key of the sublayer the backend owns; its filters arbitrate there.</summary>
    /// <value>Default <c>6e6b6f8a-3c1d-4a51-9a7e-4e50484f5355</c>.</value>
    public Guid SublayerKey { get; set; } = new("6e6b6f8a-3c1d-4a51-9a7e-4e50484f5355");

    /// <summary>The sublayer's weight: sublayers of higher weight are evaluated first.</summary>
    /// <value>Default 0x8000. Only matters with <see cref="HardPermit"/>: a hard permit overrides blocks only in sublayers
    /// of lower weight, so raise it (up to 0xFFFF) above the Windows Firewall sublayers.</value>
    [Range(1, 0xFFFF)]
    public int SublayerWeight { get; set; } = 0x8000;

    /// <summary>Keep provider, sublayer and filters across reboots and after the process exits.</summary>
    /// <value>Default <see langword="true"/>. With <see langword="false"/> the backend uses a dynamic session: everything
    /// it added disappears when the backend is disposed or the process exits.</value>
    public bool Persistent { get; set; } = true;

    /// <summary>Make permit filters hard permits (<c>FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT</c>), so that blocks in
    /// lower-weight sublayers (such as Windows Firewall's, when <see cref="SublayerWeight"/> is above them) cannot
    /// override what a policy allows.</summary>
    /// <value>Default <see langword="false"/>: a block anywhere (Windows Firewall's default inbound block included) wins
    /// over the policy's permits.</value>
    public bool HardPermit { get; set; }

    /// <summary>The most remote-address conditions one filter carries; longer peer lists are split into several filters.</summary>
    /// <value>Default 1000.</value>
    [Range(1, 100000)]
    public int MaxAddressesPerFilter { get; set; } = 1000;

    /// <summary>The display name of the provider, sublayer and the start of every filter's name.</summary>
    /// <value>Default <c>NetPolHost</c>; 1 to 100 characters without control characters.</value>
    [Required]
    [RegularExpression(@"^[^\p{C}]{1,100}$", ErrorMessage = "DisplayName must be 1 to 100 characters without control characters.")]
    public string DisplayName { get; set; } = "NetPolHost";
}
