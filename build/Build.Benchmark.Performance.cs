using System.Diagnostics;
using Rates.Build.Batches;
using Rates.Build.Benchmark;
using Rates.Synthetic;

/// <summary>
/// Benchmark: the anchors measured in the same run (pgbench on the /rates statement, bare COPY), the cache, open loops,
/// staleness and the grown table (--prices). The measurements live in build/Benchmark/.
/// </summary>
partial class Build
{
    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: connections of the /rates comparison (pgbench -c and the HTTP load on the service).", Minimum = 1, Maximum = 256)]
    readonly int BenchmarkConnections = 16;

    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: seconds of each /rates load phase (pgbench, closed loops, each open-loop rate).", Minimum = 1, Maximum = 600)]
    readonly int BenchmarkLoadSeconds = 10;

    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: items of the large batches (bare COPY, COPY into prices and the API, and the large batch of each --prices point).",
        Minimum = 1, Maximum = 1_000_000)]
    readonly int BenchmarkLargeItems = 1_000_000;

    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: how often each path of the large batches is measured.", Minimum = 1, Maximum = BenchmarkPlan.MaxLargeRuns)]
    readonly int BenchmarkLargeRuns = 1;

    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: commits outside the service of the cache's staleness measurement.", Minimum = 1, Maximum = 10_000)]
    readonly int BenchmarkStalenessRounds = 100;

    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: port on 127.0.0.1 of the second service instance, started with the /rates cache on. Default: the environment's API port + 1.",
        Minimum = 1, Maximum = 65535)]
    readonly int? BenchmarkCachedPort;

    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: first grow prices to this many rows (generated batches through the API, timed), measuring /rates, batches and sizes " +
               "at 1,000,000, 10,000,000, ... and at this count. The rows are deleted at the end like every benchmark row.", Minimum = 1, Maximum = TableGrowth.MaxPrices)]
    readonly long? Prices;

    [UsedBy(nameof(Benchmark))]
    [Parameter("Benchmark: fixed arrival rate (requests/s) of /rates at each --prices point.", Minimum = 1, Maximum = 100_000)]
    readonly int BenchmarkScaleRate = 100;

    /// <summary>Open-loop rates, as shares of the rate the closed loop sustained.</summary>
    static readonly double[] s_openLoopShares = [0.25, 0.5, 0.75, 1.0];

    /// <summary>The canonical request: the README's lane of the seed data over 31 days.</summary>
    static readonly CanonicalQuery s_canonicalQuery = new("CNSGH", "NLRTM", SeedSpec.Default.StartDay, SeedSpec.Default.StartDay.AddDays(30));

    async Task<PerformanceResults> MeasurePerformanceAsync(BenchmarkEnvironment environment, Uri serviceUrl, string connectionString, PsqlCommand psql,
        BenchmarkPlan plan, HttpClient uploads, IngestionSeries bare, AbsolutePath directory)
    {
        var loadBefore = MachineInfo.LoadAverage();
        var (largeBare, largeCopy, largeApi) = await MeasureLargeBatchesAsync(plan, uploads, serviceUrl, connectionString, psql);
        var phase = TimeSpan.FromSeconds(BenchmarkLoadSeconds);
        using var client = RatesReaders.CreateClient(RatesLoad.MaxInFlight);
        Output.WriteLine(Invariant($"/rates against pgbench: {s_canonicalQuery}, {BenchmarkConnections} connections, {phase.TotalSeconds:0} s each"));
        var pgbench = await Pgbench.RunAsync(environment.DbPort, environment.Password, s_canonicalQuery, BenchmarkConnections, phase, directory, CancellationToken);
        Output.WriteLine(pgbench.TransactionsPerSecond is { } tps ? Invariant($"  pgbench: {tps:N0} tps ({pgbench.Tool})") : $"  pgbench not measured: {pgbench.NotMeasured}");
        var (uncached, uncachedOpen) = await MeasureInstanceAsync("cache off", client, serviceUrl, phase);
        var original = await CompareWithOriginalAsync(environment, client, serviceUrl, phase);
        var staleUncached = await CacheStaleness.MeasureAsync("cache off (the time of a request itself)", client, serviceUrl, connectionString,
            s_canonicalQuery.OrigCode, s_canonicalQuery.DestCode, Math.Max(1, BenchmarkStalenessRounds / 2), CancellationToken);

        await using var cachedInstance = await CachedInstance.StartAsync(environment.Store, environment.Runtime, environment.DbPort,
            BenchmarkCachedPort ?? environment.ApiPort + 1, CancellationToken);
        Output.WriteLine($"Second instance with the cache on: {cachedInstance.Url}");
        var (cached, cachedOpen) = await MeasureInstanceAsync("cache on", client, cachedInstance.Url, phase);
        var stale = await CacheStaleness.MeasureAsync("cache on", client, cachedInstance.Url, connectionString,
            s_canonicalQuery.OrigCode, s_canonicalQuery.DestCode, BenchmarkStalenessRounds, CancellationToken);
        await cachedInstance.StopAsync();
        Output.WriteLine(Invariant($"  staleness after a commit: p50 {BenchmarkReport.Ms(stale.P50Ms)}, p99 {BenchmarkReport.Ms(stale.P99Ms)}, max {BenchmarkReport.Ms(stale.MaxMs)}; not seen {stale.NotSeen}"));

        var scale = Prices is { } prices ? await GrowAsync(prices, uploads, client, serviceUrl, connectionString, psql, plan, directory) : [];
        return new PerformanceResults
        {
            Query = s_canonicalQuery, Connections = BenchmarkConnections, LoadPhase = phase, LoadAverageBefore = loadBefore, LoadAverageAfter = MachineInfo.LoadAverage(),
            Pgbench = pgbench, Uncached = uncached, Cached = cached, UncachedOpen = uncachedOpen, CachedOpen = cachedOpen,
            Bare = bare, LargeBare = largeBare, LargeCopy = largeCopy, LargeApi = largeApi,
            Staleness = stale, StalenessUncached = staleUncached, Scale = scale, ScaleRate = BenchmarkScaleRate, Original = original,
        };
    }

    /// <summary>A closed loop on the canonical request, then open loops at shares of the rate it sustained.</summary>
    async Task<(ClosedLoopResult Closed, IReadOnlyList<OpenLoopResult> Open)> MeasureInstanceAsync(string name, HttpClient client, Uri url, TimeSpan phase)
    {
        await RatesReaders.RunAsync(client, url, _ => s_canonicalQuery.PathAndQuery, BenchmarkConnections, BenchmarkReaderWarmUp, 0, CancellationToken);
        var closed = await RatesLoad.RunClosedAsync(client, url, s_canonicalQuery.PathAndQuery, BenchmarkConnections, phase, CancellationToken);
        Output.WriteLine(Invariant($"  {name}, closed loop: {closed.RequestsPerSecond:N0} /s, p50 {BenchmarkReport.Ms(closed.P50Ms)}, p99 {BenchmarkReport.Ms(closed.P99Ms)}, {closed.Errors} errors ({closed.Tool})"));
        var open = new List<OpenLoopResult>();
        foreach (var share in s_openLoopShares)
        {
            var rate = Math.Max(1, Math.Round(closed.RequestsPerSecond * share));
            var result = await RatesLoad.RunOpenAsync(client, url, _ => s_canonicalQuery.PathAndQuery, rate, phase, 0, CancellationToken);
            Output.WriteLine(Invariant($"  {name}, open loop at {rate:N0} /s: sustained {result.SustainedPerSecond:N0} /s, p50 {BenchmarkReport.Ms(result.P50Ms)}, p99 {BenchmarkReport.Ms(result.P99Ms)}, errors {result.Errors}, shed {result.Shed}"));
            open.Add(result);
        }

        return (closed, open);
    }

    /// <summary>Runs × (bare COPY, COPY into prices, API CSV) of the large batches, interleaved.</summary>
    async Task<(IngestionSeries Bare, IngestionSeries Copy, IngestionSeries Api)> MeasureLargeBatchesAsync(BenchmarkPlan plan, HttpClient uploads, Uri serviceUrl,
        string connectionString, PsqlCommand psql)
    {
        var times = new Dictionary<string, List<TimeSpan>> { ["bare"] = [], ["copy"] = [], ["api-csv"] = [] };
        for (var run = 1; run <= BenchmarkLargeRuns; run++)
        {
            foreach (var (path, times1) in times)
            {
                var batch = plan.Large(path, run);
                var elapsed = await IngestAsync(path, batch, plan.BatchId(batch.Label), uploads, serviceUrl, connectionString, psql);
                times1.Add(elapsed);
                Output.WriteLine(Invariant($"  [large {run}/{BenchmarkLargeRuns}] {path,-7} {BenchmarkLargeItems:N0} rows in {elapsed.TotalSeconds:0.000} s"));
            }
        }

        return (new IngestionSeries("bare COPY (CSV)", BenchmarkLargeItems, times["bare"]), new IngestionSeries("psql COPY into prices (CSV)", BenchmarkLargeItems, times["copy"]),
            new IngestionSeries("API, CSV body", BenchmarkLargeItems, times["api-csv"]));
    }

    /// <summary>One batch through one path: bare (COPY into the emptied bare table), copy (COPY into prices) or the API.</summary>
    async Task<TimeSpan> IngestAsync(string path, BenchmarkBatch batch, string batchId, HttpClient uploads, Uri serviceUrl, string connectionString, PsqlCommand psql)
    {
        switch (path)
        {
            case "bare":
                await BenchmarkDatabase.TruncateBareTableAsync(connectionString, CancellationToken);
                return await PsqlCopy.CopyAsync(psql, batch.Path, batch.Spec.Items, CancellationToken, BenchmarkDatabase.BareTable);
            case "copy":
                return await PsqlCopy.CopyAsync(psql, batch.Path, batch.Spec.Items, CancellationToken);
            default:
                return await BenchmarkUploads.SendAsync(uploads, serviceUrl, batchId, batch, CancellationToken);
        }
    }

    /// <summary>Grows prices to <paramref name="target"/> rows through the API and measures at each checkpoint.</summary>
    async Task<IReadOnlyList<ScalePoint>> GrowAsync(long target, HttpClient uploads, HttpClient readers, Uri serviceUrl, string connectionString, PsqlCommand psql,
        BenchmarkPlan plan, AbsolutePath directory)
    {
        var growth = new TableGrowth();
        var points = new List<ScalePoint>();
        var rows = (await BenchmarkDatabase.SizeAsync(connectionString, CancellationToken)).Rows;
        foreach (var checkpoint in TableGrowth.Checkpoints(rows, target))
        {
            var (grown, time) = (0L, TimeSpan.Zero);
            Output.WriteLine(Invariant($"Growing prices from {rows:N0} to {checkpoint:N0} rows through the API"));
            while (rows + grown < checkpoint)
            {
                var items = (int)Math.Min(TableGrowth.MaxBatchItems, checkpoint - rows - grown);
                var elapsed = await SendGrowthBatchAsync("api", growth.Next(items), growth.Batches, uploads, serviceUrl, connectionString, psql, plan, directory);
                (time, grown) = (time + elapsed, grown + items);
                Output.WriteLine(Invariant($"  {items:N0} rows in {elapsed.TotalSeconds:0.0} s; {rows + grown:N0} prices"));
            }

            // As autovacuum would in time: the visibility map lets /rates read the lane index alone, without the heap.
            await BenchmarkDatabase.VacuumPricesAsync(connectionString, CancellationToken);
            Output.WriteLine(Invariant($"  {grown:N0} rows in {time.TotalSeconds:0.0} s; vacuumed; measuring at {rows + grown:N0} rows"));
            var phase = TimeSpan.FromSeconds(BenchmarkLoadSeconds);
            var latency = await RatesLoad.RunOpenAsync(readers, serviceUrl, growth.Query, BenchmarkScaleRate, phase, BenchmarkQuerySeed, CancellationToken);
            var bare = await SendGrowthBatchAsync("bare", growth.Next(BenchmarkItems), growth.Batches, uploads, serviceUrl, connectionString, psql, plan, directory);
            var api = await SendGrowthBatchAsync("api", growth.Next(BenchmarkItems), growth.Batches, uploads, serviceUrl, connectionString, psql, plan, directory);
            var large = await SendGrowthBatchAsync("api", growth.Next(BenchmarkLargeItems), growth.Batches, uploads, serviceUrl, connectionString, psql, plan, directory);
            var size = await BenchmarkDatabase.SizeAsync(connectionString, CancellationToken);
            Output.WriteLine(Invariant($"  /rates p50 {BenchmarkReport.Ms(latency.P50Ms)}, p99 {BenchmarkReport.Ms(latency.P99Ms)}; {BenchmarkItems:N0} rows: API {api.TotalSeconds:0.000} s, bare {bare.TotalSeconds:0.000} s; {BenchmarkLargeItems:N0} rows: API {large.TotalSeconds:0.000} s"));
            points.Add(new ScalePoint(size, grown, time, latency, bare, api, BenchmarkItems, large, BenchmarkLargeItems));
            rows = size.Rows;
        }

        return points;
    }

    /// <summary>Writes one generated batch, ingests it through <paramref name="path"/> (api or bare) and deletes the file; returns the ingestion time.</summary>
    async Task<TimeSpan> SendGrowthBatchAsync(string path, BatchSpec spec, int number, HttpClient uploads, Uri serviceUrl, string connectionString, PsqlCommand psql,
        BenchmarkPlan plan, AbsolutePath directory)
    {
        var label = $"grow-{number}";
        var batch = new BenchmarkBatch(label, BenchmarkBatchKind.Large, 0, spec, directory / $"{label}.csv");
        await BatchFile.WriteAsync(batch.Path, spec, progress: null, CancellationToken);
        var elapsed = await IngestAsync(path, batch, plan.BatchId(label), uploads, serviceUrl, connectionString, psql);
        File.Delete(batch.Path);
        return elapsed;
    }
}
