using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rates.Database;

namespace Rates.Kubernetes.Tests.Infrastructure;

/// <summary>
/// What the service itself accepts, read from its code rather than restated here: the routes its features map
/// and the settings its options types bind and validate at start-up.
/// </summary>
public static class ServiceContract
{
    private static readonly Assembly s_api = typeof(Rates.Api.Hosting.ServiceOptions).Assembly;

    /// <summary>
    /// The route patterns of the service: every feature's <c>Map*(IEndpointRouteBuilder)</c> run on an
    /// application that is built (with every feature's <c>Add*(IServiceCollection)</c>) but never started.
    /// </summary>
    public static IReadOnlySet<string> Routes { get; } = ReadRoutes();

    /// <summary>Configuration sections of the service (<c>SectionName</c> of its options types) and their types.</summary>
    public static IReadOnlyDictionary<string, Type> Sections { get; } =
        s_api.GetExportedTypes().Append(typeof(DatabaseOptions))
            .Select(t => (Type: t, Section: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
            .Where(x => x.Section is not null && x.Type.Name.EndsWith("Options", StringComparison.Ordinal))
            .ToDictionary(x => x.Section!, x => x.Type, StringComparer.Ordinal);

    /// <summary>The sections the migrator reads (Rates.Migrator binds only the database settings).</summary>
    public static IReadOnlyDictionary<string, Type> MigratorSections { get; } =
        new Dictionary<string, Type> { [DatabaseOptions.SectionName] = typeof(DatabaseOptions) };

    /// <summary>
    /// Null when <paramref name="variable"/> (<c>Section__Key</c>, nested keys and list indexes allowed) names a
    /// settable property of one of <paramref name="sections"/>, else why not. Names must match exactly, case
    /// included, so the manifests read like the README's settings table.
    /// </summary>
    public static string? WhyUnknown(string variable, IReadOnlyDictionary<string, Type> sections)
    {
        if (variable == $"ConnectionStrings__{DatabaseOptions.ConnectionStringName}")
            return null;
        var parts = variable.Split("__");
        if (parts.Length < 2)
            return $"'{variable}' is not a Section__Key setting";
        if (!sections.TryGetValue(parts[0], out var type))
            return $"'{parts[0]}' is not a configuration section of the service (known: {string.Join(", ", sections.Keys.Order())})";
        for (var i = 1; i < parts.Length; i++)
        {
            if (IsList(type, out var item))
            {
                if (!int.TryParse(parts[i], out _))
                    return $"'{string.Join("__", parts[..(i + 1)])}' must be a list index";
                type = item;
                continue;
            }

            if (IsDictionary(type, out var value))
            {
                type = value;
                continue;
            }

            var property = type.GetProperty(parts[i], BindingFlags.Public | BindingFlags.Instance);
            if (property is null || property.SetMethod is not { IsPublic: true })
            {
                var known = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.Name);
                return $"'{parts[i]}' is not a setting of {string.Join(":", parts[..i])} (known: {string.Join(", ", known)})";
            }

            type = property.PropertyType;
        }

        return IsScalar(type) ? null : $"'{variable}' names a group of settings, not a value";
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan);
    }

    private static bool IsList(Type type, out Type item)
    {
        item = type.IsArray ? type.GetElementType()!
            : type.IsGenericType && type.GetGenericArguments() is [var single] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? single
            : null!;
        return item is not null;
    }

    private static bool IsDictionary(Type type, out Type value)
    {
        value = type.IsGenericType && type.GetGenericArguments() is [_, var second] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? second : null!;
        return value is not null;
    }

    private static HashSet<string> ReadRoutes()
    {
        var builder = WebApplication.CreateBuilder();
        var extensions = s_api.GetExportedTypes()
            .Where(t => t.IsAbstract && t.IsSealed)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.GetParameters().Length == 1)
            .ToList();
        foreach (var add in extensions.Where(m => m.Name.StartsWith("Add", StringComparison.Ordinal) && m.GetParameters()[0].ParameterType == typeof(IServiceCollection)))
            add.Invoke(null, [builder.Services]);
        var app = builder.Build();
        foreach (var map in extensions.Where(m => m.Name.StartsWith("Map", StringComparison.Ordinal) && m.GetParameters()[0].ParameterType == typeof(IEndpointRouteBuilder)))
            map.Invoke(null, [app]);
        return ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(d => d.Endpoints)
            .OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .ToHashSet(StringComparer.Ordinal);
    }
}
