using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Rates.Api.Rates;

/// <summary>The answer of <c>GET /rates</c>: {"rates": [{"count": 3, "day": "2021-01-31", "price": 1154.3333333333333}, ...]}.</summary>
public sealed record RatesResponse(IReadOnlyList<DayRate> Rates);

/// <summary>One day; the property order is the JSON key order of the original (count, day, price).</summary>
public sealed record DayRate(long? Count, DateOnly Day, [property: JsonConverter(typeof(PythonFloatJsonConverter))] double? Price);

public static class RatesEndpoints
{
    /// <summary>Below this many prices on a day, the original shows no average (too few to be meaningful).</summary>
    internal const int MinimumPricesForAverage = 3;

    public static IServiceCollection AddRates(this IServiceCollection services)
    {
        services.AddOptions<RatesOptions>()
            .BindConfiguration(RatesOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<RatesRepository>();
        services.AddSingleton(provider => new RatesCache(provider.GetRequiredService<IOptions<RatesOptions>>().Value.CacheMaxEntries));
        services.AddSingleton<RatesReader>();
        services.AddHostedService<BackgroundService>(provider => provider.GetRequiredService<IOptions<RatesOptions>>().Value.CacheEnabled
            ? ActivatorUtilities.CreateInstance<RatesChangeListener>(provider)
            : new NoListener());
        return services;
    }

    public static IEndpointRouteBuilder MapRates(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/rates", GetRatesAsync)
            .WithName("GetRates")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    /// <remarks>
    /// The request's abort token reaches the query, so a client that hangs up cancels its database work.
    /// </remarks>
    private static async Task<Results<Ok<RatesResponse>, ProblemHttpResult>> GetRatesAsync(
        HttpRequest request,
        RatesReader reader,
        IOptions<RatesOptions> options,
        CancellationToken cancellationToken)
    {
        var (query, error) = RatesQueryParser.Parse(request.Query, options.Value.MaxRangeDays);
        if (error is not null)
        {
            var extensions = new Dictionary<string, object?> { ["parameters"] = error.Parameters };
            if (error.MaxRangeDays is { } maxRangeDays)
            {
                extensions["maxRangeDays"] = maxRangeDays;
            }

            return TypedResults.Problem(detail: error.Detail, statusCode: StatusCodes.Status400BadRequest, extensions: extensions);
        }

        if (query!.DateFrom > query.DateTo)
        {
            return TypedResults.Ok(new RatesResponse([]));
        }

        var days = await reader.GetDailyPricesAsync(query, cancellationToken);
        var rates = new DayRate[days.Length];
        for (var i = 0; i < days.Length; i++)
        {
            var day = days[i];
            rates[i] = new DayRate(day.Count, day.Day, day.Count >= MinimumPricesForAverage ? day.Average : null);
        }

        return TypedResults.Ok(new RatesResponse(rates));
    }

    /// <summary>Stands in for the change listener when the cache is off.</summary>
    private sealed class NoListener : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
