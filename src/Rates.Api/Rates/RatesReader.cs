using Microsoft.Extensions.Options;

namespace Rates.Api.Rates;

/// <summary>The days of a /rates answer: from the cache when it is on and has them, else from the database.</summary>
internal sealed class RatesReader(RatesRepository repository, RatesCache cache, IOptions<RatesOptions> options)
{
    private readonly bool _cacheEnabled = options.Value.CacheEnabled;

    public async Task<DailyPrices[]> GetDailyPricesAsync(RatesQuery query, CancellationToken cancellationToken)
    {
        if (!_cacheEnabled)
        {
            return await repository.GetDailyPricesAsync(query, cancellationToken);
        }

        if (cache.TryGet(query, out var cached))
        {
            return cached;
        }

        var ticket = cache.Take(query);
        var days = await repository.GetDailyPricesAsync(query, cancellationToken);
        cache.Store(query, ticket, days);
        return days;
    }
}
