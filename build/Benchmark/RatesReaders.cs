using System.Diagnostics;
using System.Globalization;
using System.Net;
using Rates.Synthetic;

namespace Rates.Build.Benchmark;

/// <summary>
/// The GET /rates requests of the latency measurement: lanes of the seed data, and date ranges of 1 to 31 days within
/// the seed's days (2024-01-01 to 2024-02-29), so every answer has data. One request in <see cref="RegionShare"/> asks
/// for the regions of the lane's ports instead (orig_code/dest_code may name a region), which reads several lanes.
/// </summary>
internal sealed class RatesQueryPicker
{
    /// <summary>One in this many requests names the ports' regions rather than the ports.</summary>
    public const int RegionShare = 5;

    public const int MaxRangeDays = 31;

    private readonly IReadOnlyList<(string Orig, string Dest, string OrigRegion, string DestRegion)> _lanes;
    private readonly DateOnly _firstDay;
    private readonly int _days;

    public RatesQueryPicker(SeedSpec seed, PortCatalog catalog)
    {
        _firstDay = seed.StartDay;
        _days = seed.Days;
        _lanes = LaneGenerator.Generate(catalog, seed.Seed, seed.Lanes)
            .Select(l =>
            {
                catalog.TryGetPort(l.OrigCode, out var orig);
                catalog.TryGetPort(l.DestCode, out var dest);
                return (l.OrigCode, l.DestCode, orig.ParentSlug, dest.ParentSlug);
            })
            .ToList();
    }

    public int Lanes => _lanes.Count;

    /// <summary>A path and query, e.g. <c>/rates?date_from=2024-01-03&amp;date_to=2024-01-20&amp;orig_code=CNSGH&amp;dest_code=NLRTM</c>.</summary>
    public string Next(Random random)
    {
        var lane = _lanes[random.Next(_lanes.Count)];
        var from = random.Next(_days);
        var to = Math.Min(_days - 1, from + random.Next(MaxRangeDays));
        var regions = random.Next(RegionShare) == 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"/rates?date_from={_firstDay.AddDays(from):yyyy-MM-dd}&date_to={_firstDay.AddDays(to):yyyy-MM-dd}" +
            $"&orig_code={Uri.EscapeDataString(regions ? lane.OrigRegion : lane.Orig)}&dest_code={Uri.EscapeDataString(regions ? lane.DestRegion : lane.Dest)}");
    }
}

/// <summary>What the readers of one phase measured.</summary>
internal sealed record ReaderResults(IReadOnlyList<double> LatenciesMs, int Errors, IReadOnlyList<string> ErrorSamples, TimeSpan Elapsed);

/// <summary>
/// Closed-loop readers: each sends GET /rates, reads the whole answer, and sends the next at once. The latency of a
/// request is from sending it to the last byte of the answer. 5xx answers and timeouts are counted as errors (they are
/// findings); a 4xx means the benchmark asked something wrong and ends the run.
/// </summary>
internal static class RatesReaders
{
    /// <summary>A phase ends after this many requests even before its time is up (bounds memory and run time).</summary>
    public const int MaxRequestsPerPhase = 2_000_000;

    private const int MaxErrorSamples = 5;

    public static HttpClient CreateClient(int readers) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = readers,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <exception cref="BuildFailedException">A request was answered with a 4xx.</exception>
    public static async Task<ReaderResults> RunAsync(HttpClient client, Uri baseUrl, Func<Random, string> next, int readers, TimeSpan duration,
        int seed, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        var latencies = new List<double>[readers];
        var errors = 0;
        var requests = 0;
        var errorSamples = new List<string>();
        var clock = Stopwatch.StartNew();

        async Task ReadAsync(int reader)
        {
            var mine = latencies[reader] = new List<double>(capacity: 16_384);
            var random = new Random(seed + reader);
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref requests) <= MaxRequestsPerPhase)
            {
                var uri = new Uri(baseUrl, next(random));
                var started = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    // The phase's own token is not passed: a request running when time is up is finished and counted.
                    using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    if (response.IsSuccessStatusCode)
                    {
                        mine.Add(elapsed.TotalMilliseconds);
                        continue;
                    }

                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                    if ((int)response.StatusCode is >= 400 and < 500)
                        throw new BuildFailedException($"GET {uri.PathAndQuery} answered {status}: {Shorten(body)}");
                    error = $"{status} for {uri.PathAndQuery}: {Shorten(body)}";
                }
                catch (HttpRequestException ex)
                {
                    error = $"{ex.HttpRequestError} for {uri.PathAndQuery}: {ex.Message}";
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    error = $"no answer within {client.Timeout.TotalSeconds:0} s for {uri.PathAndQuery}";
                }

                Interlocked.Increment(ref errors);
                lock (errorSamples)
                {
                    if (errorSamples.Count < MaxErrorSamples)
                        errorSamples.Add(error);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, readers).Select(r => Task.Run(() => ReadAsync(r), CancellationToken.None)));
        return new ReaderResults(latencies.SelectMany(l => l).ToList(), errors, errorSamples, clock.Elapsed);
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 300 ? line : line[..300] + "...";
    }
}
