using System.Text.Json;

namespace Rates.Build.Framework;

/// <summary>Where parameter values may come from; the real process passes its own, tests pass fakes.</summary>
internal sealed record ParameterSources
{
    /// <summary>Raw values given on the command line, keyed by parameter name.</summary>
    public IReadOnlyDictionary<string, string> CommandLine { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Content of .nuke/parameters.json, or null when there is none.</summary>
    public string? ParametersJson { get; init; }

    /// <summary>Relative paths on the command line / in the environment resolve against the caller's directory.</summary>
    public string InvocationDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary>Relative paths in parameters.json resolve against the repository root (the file lives there).</summary>
    public string ParametersFileDirectory { get; init; } = System.Environment.CurrentDirectory;
}

internal sealed record ResolvedParameter(ParameterDescriptor Parameter, object? Value, string Source)
{
    public string DisplayValue => Parameter.FormatValue(Value);
}

internal sealed record ParameterResolution(
    IReadOnlyList<ResolvedParameter> Parameters, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

/// <summary>
/// Resolves parameters: command line, then the environment (<see cref="ParameterDescriptor.EnvironmentNames"/>), then
/// parameters.json, then the default.
/// </summary>
internal static class ParameterResolver
{
    public const string ParametersFileName = ".nuke/parameters.json";

    public static ParameterResolution Resolve(IReadOnlyList<ParameterDescriptor> parameters, ParameterSources sources)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var file = ReadParametersFile(sources.ParametersJson, parameters, errors, warnings);
        var resolved = new List<ResolvedParameter>();
        foreach (var parameter in parameters)
        {
            var (raw, origin, source, baseDirectory) = Find(parameter, sources, file);
            if (raw is null)
            {
                resolved.Add(new ResolvedParameter(parameter, parameter.DefaultValue, "default"));
                continue;
            }

            try
            {
                resolved.Add(new ResolvedParameter(parameter, ParameterValueParser.Parse(parameter, raw, baseDirectory), source));
            }
            catch (FormatException ex)
            {
                var shown = parameter.IsSecret ? "****" : string.Join(',', raw);
                errors.Add($"Invalid value '{shown}' for parameter '{parameter.Name}' ({origin}): {ex.Message}");
            }
        }

        return new ParameterResolution(resolved, errors, warnings);
    }

    private static (IReadOnlyList<string>? Raw, string Origin, string Source, string BaseDirectory) Find(
        ParameterDescriptor parameter, ParameterSources sources, Dictionary<string, JsonElement> file)
    {
        if (sources.CommandLine.TryGetValue(parameter.Name, out var cli))
            return ([cli], parameter.CliName, "command line", sources.InvocationDirectory);

        // Only the two names a reader can find in --help: RATES_PG_BIN, then PgBin. Empty values count as unset.
        var envName = parameter.EnvironmentNames.FirstOrDefault(name =>
            sources.Environment.TryGetValue(name, out var value) && value.Length > 0);
        if (envName is not null)
            return ([sources.Environment[envName]], $"environment variable {envName}", $"env {envName}", sources.InvocationDirectory);

        if (!parameter.IsSecret && file.TryGetValue(parameter.Name, out var element))
        {
            var values = element.ValueKind switch
            {
                JsonValueKind.Array => element.EnumerateArray().Select(JsonScalar).ToList(),
                JsonValueKind.Null => null,
                _ => [JsonScalar(element)],
            };
            if (values is not null)
                return (values, $"{ParametersFileName} key {parameter.Name}", ParametersFileName, sources.ParametersFileDirectory);
        }

        return (null, "", "", "");
    }

    private static string JsonScalar(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();

    private static Dictionary<string, JsonElement> ReadParametersFile(
        string? json, IReadOnlyList<ParameterDescriptor> parameters, List<string> errors, List<string> warnings)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(json))
            return result;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{ParametersFileName} must contain a JSON object.");
                return result;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                var parameter = parameters.FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
                if (property.Name == "$schema")
                    continue;
                if (parameter is null)
                    warnings.Add($"{ParametersFileName}: '{property.Name}' is not a parameter of this build; ignored.");
                else if (parameter.IsSecret)
                    warnings.Add($"{ParametersFileName}: '{property.Name}' is a secret and is only read from the command line or environment; ignored.");
                else
                    result[parameter.Name] = property.Value.Clone();
            }
        }
        catch (JsonException ex)
        {
            errors.Add($"{ParametersFileName} is not valid JSON: {ex.Message}");
        }

        return result;
    }
}
