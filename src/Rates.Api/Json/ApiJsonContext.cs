using System.Text.Json;
using System.Text.Json.Serialization;
using Rates.Api.Health;
using Rates.Api.Rates;
using Rates.Api.Root;

namespace Rates.Api;

/// <summary>
/// Source-generated serialization for the service's answers. Web defaults: camelCase names, nulls written
/// (the contract shows "price": null). Doubles are written in their shortest round-trip form, as Python's
/// json did for the original (1154.3333333333333).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(RatesResponse))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

public static class ApiJsonExtensions
{
    public static IServiceCollection AddApiJson(this IServiceCollection services) =>
        // First in the chain; types outside it (problem details extensions, ...) fall back to the default resolver.
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
}
