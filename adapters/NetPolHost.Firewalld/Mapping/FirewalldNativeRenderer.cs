using System.Globalization;
using System.Text;

namespace NetPolHost.Firewalld.Mapping;

/// <summary>Writes the firewall-cmd commands equivalent to a full apply, for review. User text appears only in comments,
/// sanitised; every name, rule and entry is generated.</summary>
internal static class FirewalldNativeRenderer
{
    public static string Render(FirewalldState state, string nodeName, string prefix, bool persistEntries)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# NetPolHost plan for firewalld: node {FirewalldNames.Comment(nodeName)}, prefix {prefix}; ipsets: {state.IPSets.Count}, policies: {state.Policies.Count}.").AppendLine();
        text.AppendLine("# The firewall-cmd commands of a full apply. NetPolHost itself talks D-Bus: config.addIPSet and config.addPolicy,");
        text.AppendLine("# reload() when objects are new, then ipset.setEntries at runtime (one call per ipset), and re-applies after every reload.");
        text.AppendLine("# Only objects named " + prefix + "-* whose short description is " + FirewalldNames.Marker + " belong to NetPolHost.");
        foreach (var warning in state.Warnings)
        {
            text.Append("# warning: ").AppendLine(warning);
        }

        foreach (var set in state.IPSets)
        {
            text.AppendLine();
            text.Append("# ipset ").Append(set.Name).Append(": ").AppendLine(set.Comment);
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --new-ipset={set.Name} --type={set.Type} --option=family={set.Family}").AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --ipset={set.Name} --set-short={FirewalldNames.Marker}").AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --ipset={set.Name} --set-description='{set.Description}'").AppendLine();
            if (persistEntries)
            {
                Entries(text, "--permanent ", set);
            }
        }

        foreach (var policy in state.Policies)
        {
            text.AppendLine();
            text.Append("# policy ").Append(policy.Name).Append(": ").AppendLine(policy.Description);
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --new-policy={policy.Name}").AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --policy={policy.Name} --set-short={FirewalldNames.Marker}").AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --policy={policy.Name} --set-description='{policy.Description}'").AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --policy={policy.Name} --add-ingress-zone={policy.IngressZone} --add-egress-zone={policy.EgressZone}").AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --policy={policy.Name} --set-priority={policy.Priority} --set-target={PolicySpec.Target}").AppendLine();
            foreach (var rule in policy.RichRules)
            {
                text.Append(CultureInfo.InvariantCulture, $"firewall-cmd --permanent --policy={policy.Name} --add-rich-rule='{rule}'").AppendLine();
            }
        }

        text.AppendLine();
        text.AppendLine("firewall-cmd --reload");
        if (!persistEntries)
        {
            text.AppendLine("# runtime entries (lost at every reload; NetPolHost sets them again when firewalld reports one)");
            foreach (var set in state.IPSets)
            {
                Entries(text, string.Empty, set);
            }
        }

        return text.ToString();
    }

    private static void Entries(StringBuilder text, string permanent, IpsetSpec set)
    {
        if (set.Entries.Count == 0)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"firewall-cmd {permanent}--ipset={set.Name} --add-entries-from-file=/dev/stdin <<'EOF'").AppendLine();
        foreach (var entry in set.Entries)
        {
            text.AppendLine(entry);
        }

        text.AppendLine("EOF");
    }
}
