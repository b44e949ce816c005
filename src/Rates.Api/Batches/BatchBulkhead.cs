using Microsoft.Extensions.Options;
using Rates.Api.Database;

namespace Rates.Api.Batches;

/// <summary>
/// Bounds the uploads processed at once to Batches:MaxConcurrent. A slot is taken without waiting: when none is
/// free the upload is answered 503 at once, so a crowd of uploads (slow, stalled or hostile) costs a few
/// bytes each, never a connection, a thread or memory of its own.
/// </summary>
internal sealed class BatchBulkhead(IOptions<BatchesOptions> options) : IDisposable
{
    /// <summary>Clients may try again after this many seconds.</summary>
    internal const int RetryAfterSeconds = 5;

    private readonly int _size = options.Value.MaxConcurrent;
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrent, options.Value.MaxConcurrent);

    /// <summary>Slots taken now.</summary>
    public int InUse => _size - _slots.CurrentCount;

    /// <summary>A slot, released when disposed; null when every slot is taken.</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}

/// <summary>
/// The uploads' own pool of database connections (Batches:MaxConcurrent of them), apart from the service's
/// pool for reads: however many uploads run, <c>GET /rates</c> and readiness always find a connection.
/// </summary>
internal static class BatchDataSource
{
    public const string Key = "batches";

    public static void Add(IServiceCollection services)
    {
        services.AddKeyedSingleton(Key, (provider, _) =>
            RatesDataSources.Create(provider, Key, provider.GetRequiredService<IOptions<BatchesOptions>>().Value.MaxConcurrent));
        services.AddSingleton(provider => new ConnectionDemand(
            "Batches:MaxConcurrent", provider.GetRequiredService<IOptions<BatchesOptions>>().Value.MaxConcurrent));
    }
}
