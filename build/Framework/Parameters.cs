using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rates.Build.Framework;

/// <summary>A <see cref="ParameterAttribute"/> member of the build class and how it is named everywhere.</summary>
internal sealed partial class ParameterDescriptor
{
    private static readonly Type[] s_supportedTypes =
        [typeof(string), typeof(bool), typeof(int), typeof(long), typeof(double), typeof(string[]), typeof(AbsolutePath)];

    private ParameterDescriptor(MemberInfo member, Type type, ParameterAttribute attribute, bool isSecret)
    {
        Member = member;
        ValueType = Nullable.GetUnderlyingType(type) ?? type;
        Attribute = attribute;
        IsSecret = isSecret;
        var words = WordBoundary().Split(member.Name);
        CliName = "--" + string.Join('-', words).ToLowerInvariant();
        EnvironmentName = string.Join('_', words).ToUpperInvariant();
    }

    public MemberInfo Member { get; }
    public string Name => Member.Name;
    public string Description => Attribute.Description;

    /// <summary>The type without <see cref="Nullable{T}"/>.</summary>
    public Type ValueType { get; }

    public ParameterAttribute Attribute { get; }
    public bool IsSecret { get; }

    /// <summary>The member's initializer value, read from a fresh build instance.</summary>
    public object? DefaultValue { get; private set; }

    /// <summary><c>PgBin</c> → <c>--pg-bin</c>.</summary>
    public string CliName { get; }

    /// <summary><c>PgBin</c> → <c>PG_BIN</c> (any case / separators match too, see <see cref="ParameterResolver"/>).</summary>
    public string EnvironmentName { get; }

    public bool IsNumeric => ValueType == typeof(int) || ValueType == typeof(long) || ValueType == typeof(double);

    public object? GetValue(object build) => Member switch
    {
        FieldInfo field => field.GetValue(build),
        PropertyInfo property => property.GetValue(build),
        _ => null,
    };

    public void SetValue(object build, object? value)
    {
        // Reflection may write readonly fields and private setters, so parameters can be declared like NUKE's.
        if (Member is FieldInfo field)
            field.SetValue(build, value);
        else
            ((PropertyInfo)Member).SetValue(build, value);
    }

    /// <summary>Reads the [Parameter] members of <paramref name="build"/>, which must still hold its initializer values.</summary>
    public static IReadOnlyList<ParameterDescriptor> Discover(object build)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        var type = build.GetType();
        var members = type.GetFields(flags).Cast<MemberInfo>().Concat(type.GetProperties(flags))
            .Where(m => m.IsDefined(typeof(ParameterAttribute)))
            .OrderBy(m => m.Name, StringComparer.Ordinal);
        var result = new List<ParameterDescriptor>();
        foreach (var member in members)
        {
            var (memberType, isStatic, writable) = member switch
            {
                FieldInfo f => (f.FieldType, f.IsStatic, true),
                PropertyInfo p => (p.PropertyType, p.GetMethod?.IsStatic ?? false, p.SetMethod is not null),
                _ => throw new InvalidOperationException(),
            };
            var where = $"Parameter '{member.Name}' of {type.Name}";
            if (isStatic)
                throw new BuildDefinitionException($"{where} must be an instance member.");
            if (!writable)
                throw new BuildDefinitionException($"{where} needs a setter (a private one is fine).");
            var valueType = Nullable.GetUnderlyingType(memberType) ?? memberType;
            if (!valueType.IsEnum && !s_supportedTypes.Contains(valueType))
                throw new BuildDefinitionException(
                    $"{where} has unsupported type {memberType.Name}; use string, bool, int, long, double, an enum, string[] or AbsolutePath.");
            var descriptor = new ParameterDescriptor(member, memberType, member.GetCustomAttribute<ParameterAttribute>()!,
                member.IsDefined(typeof(SecretAttribute)));
            descriptor.DefaultValue = descriptor.GetValue(build);
            if (descriptor.IsSecret && descriptor.DefaultValue is not null)
                throw new BuildDefinitionException($"{where} is a secret and must not have a default value.");
            result.Add(descriptor);
        }

        var reserved = result.FirstOrDefault(p => p.CliName is "--help" or "--plan" or "--skip");
        if (reserved is not null)
            throw new BuildDefinitionException($"Parameter '{reserved.Name}' clashes with the built-in option {reserved.CliName}.");
        return result;
    }

    /// <summary>Human-readable type for --help, e.g. <c>Debug | Release</c> or <c>int: whole numbers from 1 to 65535</c>.</summary>
    public string TypeDisplay
    {
        get
        {
            if (ValueType.IsEnum)
                return string.Join(" | ", Enum.GetNames(ValueType));
            if (ValueType == typeof(string[]))
                return "list (comma-separated)";
            if (ValueType == typeof(AbsolutePath))
                return "path";
            var name = ValueType == typeof(int) ? "int" : ValueType == typeof(long) ? "long" : ValueType == typeof(double) ? "number"
                : ValueType == typeof(bool) ? "bool" : "string";
            return IsNumeric && HasExplicitRange ? $"{name}: {AcceptedNumbers}" : name;
        }
    }

    public string FormatValue(object? value) => value switch
    {
        null => "(none)",
        _ when IsSecret => "****",
        string[] items => string.Join(',', items),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    internal bool HasExplicitRange => !double.IsNegativeInfinity(Attribute.Minimum) || !double.IsPositiveInfinity(Attribute.Maximum);

    internal double Minimum => Math.Max(Attribute.Minimum,
        ValueType == typeof(int) ? int.MinValue : ValueType == typeof(long) ? long.MinValue : double.MinValue);

    internal double Maximum => Math.Min(Attribute.Maximum,
        ValueType == typeof(int) ? int.MaxValue : ValueType == typeof(long) ? long.MaxValue : double.MaxValue);

    /// <summary>"whole numbers from 1 to 65535", used by --help and by error messages.</summary>
    internal string AcceptedNumbers
    {
        get
        {
            var kind = ValueType == typeof(double) ? "numbers" : "whole numbers";
            var min = !double.IsNegativeInfinity(Attribute.Minimum) ? Format(Attribute.Minimum)
                : ValueType == typeof(int) ? Format(int.MinValue) : ValueType == typeof(long) ? long.MinValue.ToString(CultureInfo.InvariantCulture) : null;
            var max = !double.IsPositiveInfinity(Attribute.Maximum) ? Format(Attribute.Maximum)
                : ValueType == typeof(int) ? Format(int.MaxValue) : ValueType == typeof(long) ? long.MaxValue.ToString(CultureInfo.InvariantCulture) : null;
            return min is null && max is null ? kind : $"{kind} from {min ?? "-infinity"} to {max ?? "infinity"}";
        }
    }

    internal static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    // Splits "PgBinDir" / "ApiURL2" into words at case changes.
    [GeneratedRegex("(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")]
    private static partial Regex WordBoundary();
}

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

/// <summary>Resolves parameters: command line, then environment (exact, then fuzzy), then parameters.json, then default.</summary>
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

        // Exact name first, then any spelling that differs only in case and '_'/'-' (CONFIGURATION, pg_bin...);
        // ordinal order makes the pick deterministic when several spellings are set. Empty values count as unset.
        var envName = sources.Environment.TryGetValue(parameter.Name, out var exact) && exact.Length > 0
            ? parameter.Name
            : sources.Environment.Keys.Order(StringComparer.Ordinal)
                .FirstOrDefault(k => Normalize(k) == Normalize(parameter.Name) && sources.Environment[k].Length > 0);
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

    internal static string Normalize(string name) => name.Replace("_", "").Replace("-", "").ToLowerInvariant();
}

/// <summary>Turns raw text into a typed value; a <see cref="FormatException"/> message says what is accepted.</summary>
internal static class ParameterValueParser
{
    private static readonly string[] s_true = ["true", "yes", "on", "1"];
    private static readonly string[] s_false = ["false", "no", "off", "0"];

    public static object? Parse(ParameterDescriptor parameter, IReadOnlyList<string> raw, string baseDirectory)
    {
        var type = parameter.ValueType;
        if (type == typeof(string[]))
            return raw.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        if (raw.Count != 1)
            throw new FormatException("expected a single value, not a list");

        var text = raw[0].Trim();
        if (type == typeof(string))
            return raw[0];
        if (type == typeof(AbsolutePath))
            return text.Length == 0 ? throw new FormatException("expected a path") : AbsolutePath.Create(text, baseDirectory);
        if (type == typeof(bool))
        {
            if (s_true.Contains(text, StringComparer.OrdinalIgnoreCase))
                return true;
            return s_false.Contains(text, StringComparer.OrdinalIgnoreCase)
                ? false
                : throw new FormatException("accepted values are true, false");
        }

        if (type.IsEnum)
        {
            // Enum.TryParse would also accept numbers and undefined values; only the declared names are meaningful.
            var name = Enum.GetNames(type).FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            return name is not null
                ? Enum.Parse(type, name)
                : throw new FormatException($"accepted values are {string.Join(", ", Enum.GetNames(type))}");
        }

        var accepted = $"accepted values are {parameter.AcceptedNumbers}";
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            || number < parameter.Minimum || number > parameter.Maximum)
            throw new FormatException(accepted);
        if (type == typeof(double))
            return number;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
            throw new FormatException(accepted);
        return type == typeof(int) ? (object)(int)whole : whole;
    }
}
