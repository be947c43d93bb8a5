using System.Globalization;
using System.Text;

namespace NetPolHost.WindowsFirewall.Rules;

/// <summary>Writes the rules of a plan as a PowerShell script a Windows administrator can review and run.</summary>
/// <remarks>
/// The script removes the owned group first (<c>Remove-NetFirewallRule -Group</c>), then creates each rule with
/// <c>New-NetFirewallRule</c>. Every value that comes from user data (names, descriptions, the group, addresses) is a
/// single-quoted PowerShell string with embedded quotes doubled, including the typographic quotes PowerShell also accepts
/// as single quotes; comments carry no control or line-separator characters.
/// </remarks>
internal static class PowerShellScriptRenderer
{
    /// <summary>Renders the script.</summary>
    /// <param name="translation">The rules and warnings.</param>
    /// <param name="group">The owned group.</param>
    /// <param name="nodeName">The node the plan is for.</param>
    /// <returns>The script (LF line ends).</returns>
    public static string Render(FirewallTranslation translation, string group, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(translation);
        var builder = new StringBuilder();
        var allows = translation.Rules.Count(r => r.Action == FirewallAction.Allow);
        builder.Append("# NetPolHost: Windows Firewall rules for node ").Append(Comment(nodeName)).Append(", group ").Append(Comment(group)).Append('\n');
        builder.Append(CultureInfo.InvariantCulture, $"# {translation.Rules.Count} rules ({allows} allow, {translation.Rules.Count - allows} block). Review, then run in an elevated PowerShell session.\n");
        builder.Append("# Block rules beat allow rules, so other allow rules on this host cannot widen what a policy isolates.\n");
        foreach (var warning in translation.Warnings)
        {
            builder.Append("# warning: ").Append(Comment(warning)).Append('\n');
        }

        builder.Append("#Requires -RunAsAdministrator\n");
        builder.Append("$ErrorActionPreference = 'Stop'\n");
        builder.Append("Remove-NetFirewallRule -Group ").Append(Quote(group)).Append(" -ErrorAction SilentlyContinue\n");
        foreach (var rule in translation.Rules)
        {
            builder.Append("New-NetFirewallRule");
            builder.Append(" -Name ").Append(Quote(rule.Name));
            builder.Append(" -DisplayName ").Append(Quote(rule.Name));
            builder.Append(" -Description ").Append(Quote(rule.Description));
            builder.Append(" -Group ").Append(Quote(rule.Grouping));
            builder.Append(" -Direction ").Append(rule.Direction == FirewallDirection.Inbound ? "Inbound" : "Outbound");
            builder.Append(" -Action ").Append(rule.Action == FirewallAction.Allow ? "Allow" : "Block");
            builder.Append(" -Protocol ").Append(rule.Protocol switch
            {
                NetFw.ProtocolTcp => "TCP",
                NetFw.ProtocolUdp => "UDP",
                NetFw.ProtocolAny => "Any",
                _ => rule.Protocol.ToString(CultureInfo.InvariantCulture),
            });
            if (rule.HasPorts && rule.LocalPorts != "*")
            {
                builder.Append(" -LocalPort ").Append(List(rule.LocalPorts));
            }

            if (rule.HasPorts && rule.RemotePorts != "*")
            {
                builder.Append(" -RemotePort ").Append(List(rule.RemotePorts));
            }

            builder.Append(" -LocalAddress ").Append(List(rule.LocalAddresses));
            builder.Append(" -RemoteAddress ").Append(List(rule.RemoteAddresses));
            builder.Append(" -Profile Any -Enabled ").Append(rule.Enabled ? "True" : "False");
            builder.Append(" | Out-Null\n");
        }

        return builder.ToString();
    }

    /// <summary>A single-quoted PowerShell string literal: every single quote (ASCII or typographic) is doubled.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The literal.</returns>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length + 2).Append('\'');
        foreach (var c in text)
        {
            builder.Append(c);
            if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B')
            {
                builder.Append(c);
            }
        }

        return builder.Append('\'').ToString();
    }

    private static string List(string commaSeparated) => string.Join(",", commaSeparated.Split(',').Select(Quote));

    private static string Comment(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var category = char.GetUnicodeCategory(c);
            builder.Append(char.IsControl(c) || category is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator ? ' ' : c);
        }

        return builder.ToString();
    }
}
