using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Rates.Build.Framework;

/// <summary>A <see cref="ParameterAttribute"/> member of the build class and how it is named everywhere.</summary>
internal sealed partial class ParameterDescriptor
{
    private static readonly Type[] s_supportedTypes =
        [typeof(string), typeof(bool), typeof(int), typeof(long), typeof(double), typeof(string[]), typeof(AbsolutePath)];

    private ParameterDescriptor(MemberInfo member, Type type, ParameterAttribute attribute, bool isSecret, string? prefix,
        IReadOnlyList<string> usedBy)
    {
        Member = member;
        ValueType = Nullable.GetUnderlyingType(type) ?? type;
        Attribute = attribute;
        IsSecret = isSecret;
        UsedBy = usedBy;
        var words = WordBoundary().Split(member.Name);
        CliName = "--" + string.Join('-', words).ToLowerInvariant();
        EnvironmentName = prefix is null ? member.Name : $"{prefix}_{string.Join('_', words).ToUpperInvariant()}";
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

    /// <summary>
    /// <c>PgBin</c> → <c>RATES_PG_BIN</c> under the build's <see cref="ParameterPrefixAttribute"/>, else <c>PgBin</c>.
    /// </summary>
    public string EnvironmentName { get; }

    /// <summary>The environment variables read, in order: <see cref="EnvironmentName"/>, then the member's exact name.</summary>
    public IReadOnlyList<string> EnvironmentNames => EnvironmentName == Name ? [Name] : [EnvironmentName, Name];

    /// <summary>The targets that read this parameter (<see cref="UsedByAttribute"/>), as declared.</summary>
    public IReadOnlyList<string> UsedBy { get; }

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
        var prefix = type.GetCustomAttribute<ParameterPrefixAttribute>()?.Prefix;
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
            var usedBy = member.GetCustomAttribute<UsedByAttribute>()?.Targets ?? [];
            if (usedBy.Count == 0)
                throw new BuildDefinitionException($"{where} names no target: add [UsedBy(nameof(Target), ...)] with the targets that read it.");
            var descriptor = new ParameterDescriptor(member, memberType, member.GetCustomAttribute<ParameterAttribute>()!,
                member.IsDefined(typeof(SecretAttribute)), prefix, usedBy);
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

    /// <summary>Fails when a <see cref="UsedByAttribute"/> names something that is not a target of <paramref name="graph"/>.</summary>
    public static void CheckUsedBy(IReadOnlyList<ParameterDescriptor> parameters, BuildGraph graph)
    {
        foreach (var parameter in parameters)
        {
            var unknown = parameter.UsedBy.FirstOrDefault(name => graph.Targets.All(t => t.Name != name));
            if (unknown is not null)
                throw new BuildDefinitionException($"Parameter '{parameter.Name}' is [UsedBy] '{unknown}', which is not a target.");
        }
    }

    /// <summary>True when one of <paramref name="targets"/> reads this parameter.</summary>
    public bool IsUsedByAny(IEnumerable<ExecutableTarget> targets) => targets.Any(t => UsedBy.Contains(t.Name));

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
