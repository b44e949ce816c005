using System.Globalization;
using System.Text.Json;

namespace Rates.Build.Batches;

/// <summary>
/// Turns a service answer into lines for the build log: a JSON object (the 201/200 body or a problem+json) one member
/// per line with long arrays cut, anything else as text. Generic on purpose: it needs no knowledge of the problem
/// shape, so new extension members of the service show up without a change here.
/// </summary>
internal static class BatchResponseFormatter
{
    /// <summary>Array elements shown per array (the service lists up to 100 invalid items).</summary>
    public const int MaxArrayItems = 10;

    /// <summary>Lines of a non-JSON body shown.</summary>
    public const int MaxTextLines = 40;

    private static readonly JsonSerializerOptions s_compact = new() { WriteIndented = false };

    public static IReadOnlyList<string> Format(string body, bool truncated = false)
    {
        var lines = new List<string>();
        if (string.IsNullOrWhiteSpace(body))
        {
            lines.Add("(empty body)");
        }
        else if (TryParse(body, out var root))
        {
            using (root)
                FormatJson(root.RootElement, lines);
        }
        else
        {
            var text = body.ReplaceLineEndings("\n").TrimEnd().Split('\n');
            lines.AddRange(text.Take(MaxTextLines));
            if (text.Length > MaxTextLines)
                lines.Add($"... {text.Length - MaxTextLines} more lines");
        }

        if (truncated)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"(response cut after {BatchUpload.MaxResponseBodyChars:N0} characters)"));
        return lines;
    }

    /// <summary>The problem's <c>detail</c> (else <c>title</c>) of a problem+json body, for the one-line failure message.</summary>
    public static string? ProblemSummary(string body)
    {
        if (!TryParse(body, out var document))
            return null;
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return null;
            foreach (var name in new[] { "detail", "title" })
            {
                if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                    && !string.IsNullOrWhiteSpace(value.GetString()))
                    return value.GetString();
            }

            return null;
        }
    }

    private static void FormatJson(JsonElement root, List<string> lines)
    {
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in root.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.Array)
                        FormatArray($"{property.Name}:", property.Value, lines);
                    else
                        lines.Add($"{property.Name}: {Scalar(property.Value)}");
                }

                break;
            case JsonValueKind.Array:
                FormatArray("", root, lines);
                break;
            default:
                lines.Add(Scalar(root));
                break;
        }
    }

    private static void FormatArray(string label, JsonElement array, List<string> lines)
    {
        var count = array.GetArrayLength();
        var head = count == 0 ? "(none)" : count == 1 ? "1 item" : $"{count} items";
        lines.Add(label.Length == 0 ? head : $"{label} {head}");
        foreach (var item in array.EnumerateArray().Take(MaxArrayItems))
            lines.Add($"  - {Scalar(item)}");
        if (count > MaxArrayItems)
            lines.Add($"  ... {count - MaxArrayItems} more");
    }

    /// <summary>Strings without quotes, everything else as compact JSON.</summary>
    private static string Scalar(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : JsonSerializer.Serialize(value, s_compact);

    private static bool TryParse(string body, out JsonDocument document)
    {
        try
        {
            document = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            document = null!;
            return false;
        }
    }
}
