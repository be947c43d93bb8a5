using System.Globalization;
using System.Text;
using System.Text.Json;
using NetPolHost.Wfp.Interop;

namespace NetPolHost.Wfp.Filters;

/// <summary>Writes a translation as JSON (for reviews and golden files) or as a text listing.</summary>
internal static class WfpRenderer
{
    /// <summary>Indented JSON: provider, sublayer, warnings and every filter with its conditions in SDK vocabulary.</summary>
    public static string Json(WfpTranslation translation, string nodeName)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("backend", WfpFilterTranslator.BackendName);
            json.WriteString("node", nodeName);
            json.WriteStartObject("provider");
            json.WriteString("key", translation.Provider.Key.ToString("D"));
            json.WriteString("name", translation.Provider.Name);
            json.WriteBoolean("persistent", translation.Provider.Persistent);
            json.WriteEndObject();
            json.WriteStartObject("sublayer");
            json.WriteString("key", translation.Sublayer.Key.ToString("D"));
            json.WriteString("name", translation.Sublayer.Name);
            json.WriteNumber("weight", translation.Sublayer.Weight);
            json.WriteBoolean("persistent", translation.Sublayer.Persistent);
            json.WriteEndObject();
            json.WriteStartArray("warnings");
            foreach (var warning in translation.Warnings)
            {
                json.WriteStringValue(warning);
            }

            json.WriteEndArray();
            json.WriteStartArray("filters");
            foreach (var filter in translation.Filters)
            {
                json.WriteStartObject();
                json.WriteString("key", filter.Key.ToString("D"));
                json.WriteString("name", filter.Name);
                json.WriteString("description", filter.Description);
                json.WriteString("layer", WfpConstants.LayerName(filter.Layer));
                json.WriteString("action", filter.Action == WfpAction.Permit ? "FWP_ACTION_PERMIT" : "FWP_ACTION_BLOCK");
                json.WriteString("weight", "0x" + filter.Weight.ToString("X16", CultureInfo.InvariantCulture));
                json.WriteStartArray("flags");
                if ((filter.Flags & WfpConstants.FilterFlagPersistent) != 0)
                {
                    json.WriteStringValue("FWPM_FILTER_FLAG_PERSISTENT");
                }

                if ((filter.Flags & WfpConstants.FilterFlagClearActionRight) != 0)
                {
                    json.WriteStringValue("FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT");
                }

                json.WriteEndArray();
                json.WriteStartArray("conditions");
                foreach (var condition in filter.Conditions)
                {
                    var (match, type) = FwpEncoding.Describe(condition);
                    json.WriteStartObject();
                    json.WriteString("field", WfpConstants.FieldName(condition.Field));
                    json.WriteString("match", match);
                    json.WriteString("type", type);
                    json.WriteString("value", WfpFilterTranslator.FormatValue(condition));
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A text listing, one line per filter.</summary>
    public static string Text(WfpTranslation translation, string nodeName)
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"# WFP filters for node {nodeName}: provider {translation.Provider.Key:D}, sublayer {translation.Sublayer.Key:D} (weight 0x{translation.Sublayer.Weight:X4}), {translation.Filters.Count} filters\n");
        foreach (var warning in translation.Warnings)
        {
            builder.Append("# warning: ").Append(warning).Append('\n');
        }

        foreach (var filter in translation.Filters)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{filter.Key:D} {WfpConstants.LayerName(filter.Layer)} {(filter.Action == WfpAction.Permit ? "permit" : "block")} weight 0x{filter.Weight:X16}");
            if ((filter.Flags & WfpConstants.FilterFlagClearActionRight) != 0)
            {
                builder.Append(" hard");
            }

            builder.Append(" if ");
            builder.AppendJoin(" and ", filter.Conditions.GroupBy(c => c.Field).Select(g => WfpConstants.FieldName(g.Key)["FWPM_CONDITION_".Length..] + " in {" + string.Join(",", g.Select(WfpFilterTranslator.FormatValue)) + "}"));
            builder.Append("  # ").Append(filter.Name).Append(": ").Append(filter.Description).Append('\n');
        }

        return builder.ToString();
    }
}
