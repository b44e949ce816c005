using System.Diagnostics;
using System.Globalization;
using Rates.Build.Batches;
using Rates.Build.Benchmark;
using Rates.Build.Environments;
using Rates.Synthetic;

/// <summary>
/// Benchmark: figures for the two goals of batch ingestion, measured against a running environment and written to
/// docs/benchmarks.md. The helpers live in build/Benchmark/.
/// </summary>
partial class Build
{
    // All parameters start with "Benchmark" so they read as one group in --help and clash with no other target's.

    [Parameter("Benchmark: how often each ingestion path (API JSON, API CSV, psql COPY) is measured; the median and the best are reported.",
        Minimum = 1, Maximum = BenchmarkPlan.MaxRuns)]
    [UsedBy(nameof(Benchmark))]
    readonly int BenchmarkRuns = 5;

    [Parameter("Benchmark: items per batch (the service takes up to 1,000,000 by default).", Minimum = 1, Maximum = 1_000_000)]
    [UsedBy(nameof(Benchmark))]
    readonly int BenchmarkItems = BatchSpec.DefaultItems;

    [Parameter("Benchmark: concurrent GET /rates loops (on 127.0.0.1) of the latency measurement.", Minimum = 1, Maximum = 256)]
    [UsedBy(nameof(Benchmark))]
    readonly int BenchmarkReaders = 8;

    [Parameter("Benchmark: seconds each latency phase runs (first without ingestion, then with batches being ingested).", Minimum = 1, Maximum = 3600)]
    [UsedBy(nameof(Benchmark))]
    readonly int BenchmarkDuration = 20;

    [Parameter("Benchmark: where psql runs for the COPY figure: Host (psql on PATH), Container (in the db container; docker runtime) or " +
               "Auto (Host when psql is on PATH, else Container).")]
    [UsedBy(nameof(Benchmark))]
    readonly PsqlLocation BenchmarkPsql = PsqlLocation.Auto;

    [Parameter("Benchmark: the Markdown file the results go to; a run replaces the section of its runtime (local or docker).")]
    [UsedBy(nameof(Benchmark))]
    readonly AbsolutePath BenchmarkOutput = RootDirectory / "docs" / "benchmarks.md";

    /// <summary>Uploads kept going at once while the latency during ingestion is measured.</summary>
    const int BenchmarkUploaders = 2;

    /// <summary>Unrecorded requests before the first latency phase (connections, the service's JIT, PostgreSQL's caches).</summary>
    static readonly TimeSpan BenchmarkReaderWarmUp = TimeSpan.FromSeconds(3);

    /// <summary>Both latency phases send the same sequence of queries.</summary>
    const int BenchmarkQuerySeed = 20240101;

    Target Benchmark => _ => _
        .Description("Measures a running environment (--env): ingestion through the API (JSON, CSV) against psql's COPY into prices and a " +
                     "bare COPY (50,000 and 1,000,000 rows), GET /rates latency with and without batches being ingested, /rates against " +
                     "pgbench on the same statement with the cache off and on (closed and open loops), the cache's staleness and, with " +
                     "--prices, a grown table; writes docs/benchmarks.md and deletes every row it added.")
        .Executes(RunBenchmarkAsync);

    async Task RunBenchmarkAsync()
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var environment = await FindBenchmarkEnvironmentAsync();
        var serviceUrl = new Uri(ServiceProbe.BaseUrl(environment.ApiPort));
        var connectionString = DatabaseCounts.ConnectionString(environment.DbPort, environment.Password);
        Output.WriteLine($"Benchmarking environment '{environment.Name}' ({Lower(environment.Runtime)} runtime): service {serviceUrl}, " +
                         $"database 127.0.0.1:{environment.DbPort}");
        foreach (var note in environment.Notes)
            BuildOutput.Warning(Output, note);

        var server = await BenchmarkDatabase.DescribeAsync(connectionString, CancellationToken);
        Output.WriteLine(server.Version);
        var psql = ChoosePsql(environment);
        var psqlVersion = await PsqlCopy.VersionAsync(psql, CancellationToken);
        Output.WriteLine($"COPY runs through {psql.Description}: {psqlVersion}");

        var notes = new List<string>(environment.Notes);
        var counts = await BenchmarkDatabase.CountAsync(connectionString, CancellationToken);
        if (counts.BenchmarkPrices > 0 || counts.BenchmarkBatches > 0)
        {
            // Only an interrupted run leaves rows there; they would distort nothing, but the clean-up figures would be off.
            var leftovers = await BenchmarkDatabase.CleanUpAsync(connectionString, CancellationToken);
            var message = Invariant($"Deleted {leftovers.Prices:N0} prices and {leftovers.Batches:N0} batches left by an earlier, interrupted benchmark run.");
            Output.WriteLine(message);
            notes.Add(message);
            counts = await BenchmarkDatabase.CountAsync(connectionString, CancellationToken);
        }

        var before = counts.Own;
        var directory = (environment.Store.Directory / "benchmark").CreateOrCleanDirectory();
        var plan = BenchmarkPlan.Create(started, BenchmarkRuns, BenchmarkItems, BenchmarkLargeItems, BenchmarkLargeRuns, directory);
        var phase = TimeSpan.FromSeconds(BenchmarkDuration);

        IngestionSeries json, csv, copy, bare;
        PerformanceResults performance;
        LatencySummary baseline, duringIngestion;
        LoadSummary load;
        CleanUp cleanUp;
        try
        {
            await GenerateBenchmarkBatchesAsync(plan, directory);
            await BenchmarkDatabase.CreateBareTableAsync(connectionString, CancellationToken);

            using var uploads = BenchmarkUploads.CreateClient(BenchmarkUploaders);
            if (WriterKey() is { } key)
                uploads.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            using var readers = RatesReaders.CreateClient(BenchmarkReaders);
            var picker = new RatesQueryPicker(SeedSpec.Default, PortCatalog.Default);

            Output.WriteLine(Invariant($"Warm-up (not reported): one batch per path, then GET /rates for {BenchmarkReaderWarmUp.TotalSeconds:0} s"));
            var warmUp = plan.WarmUp.ToList();
            var warmJson = await BenchmarkUploads.SendAsync(uploads, serviceUrl, plan.BatchId(warmUp[0].Label), warmUp[0], CancellationToken);
            var warmCsv = await BenchmarkUploads.SendAsync(uploads, serviceUrl, plan.BatchId(warmUp[1].Label), warmUp[1], CancellationToken);
            var warmCopy = await PsqlCopy.CopyAsync(psql, warmUp[2].Path, BenchmarkItems, CancellationToken);
            await RatesReaders.RunAsync(readers, serviceUrl, picker.Next, BenchmarkReaders, BenchmarkReaderWarmUp, BenchmarkQuerySeed + 1000, CancellationToken);
            Output.WriteLine(Invariant($"  API JSON {warmJson.TotalSeconds:0.000} s, API CSV {warmCsv.TotalSeconds:0.000} s, COPY {warmCopy.TotalSeconds:0.000} s"));

            (json, csv, copy, bare) = await MeasureIngestionAsync(plan, uploads, serviceUrl, psql, connectionString);

            Output.WriteLine(Invariant($"GET /rates latency without ingestion: {BenchmarkReaders} readers for {phase.TotalSeconds:0} s"));
            var quiet = await RatesReaders.RunAsync(readers, serviceUrl, picker.Next, BenchmarkReaders, phase, BenchmarkQuerySeed, CancellationToken);
            baseline = LatencySummary.From("Without ingestion", quiet.LatenciesMs, quiet.Errors, quiet.Elapsed, quiet.ErrorSamples);
            WriteLatency(baseline);

            Output.WriteLine(Invariant($"GET /rates latency during ingestion: {BenchmarkReaders} readers and {BenchmarkUploaders} uploads back to back for {phase.TotalSeconds:0} s"));
            var loadTask = BenchmarkUploads.RunLoadAsync(uploads, serviceUrl, plan, plan.Load.ToList(), BenchmarkUploaders, phase, Output.WriteLine, CancellationToken);
            var busyTask = RatesReaders.RunAsync(readers, serviceUrl, picker.Next, BenchmarkReaders, phase, BenchmarkQuerySeed, CancellationToken);
            await Task.WhenAll(loadTask, busyTask);
            var busy = await busyTask;
            load = await loadTask;
            duringIngestion = LatencySummary.From("During ingestion", busy.LatenciesMs, busy.Errors, busy.Elapsed, busy.ErrorSamples);
            WriteLatency(duringIngestion);
            Output.WriteLine(Invariant(
                $"  {load.Batches} batches ({load.Rows:N0} rows) committed in {load.Elapsed.TotalSeconds:0.0} s, {load.RowsPerSecond:N0} rows/s; an upload was in flight {load.Coverage * 100:0}% of the phase"));
            performance = await MeasurePerformanceAsync(environment, serviceUrl, connectionString, psql, plan, uploads, bare, directory);
        }
        catch (Exception failure)
        {
            await CleanUpBenchmarkAfterFailureAsync(connectionString, directory, failure);
            throw;
        }

        Output.WriteLine("Deleting the rows the benchmark added (prices in its days, batches with its id prefix) and vacuuming");
        cleanUp = await BenchmarkDatabase.CleanUpAsync(connectionString, CancellationToken);
        directory.DeleteDirectory();
        var after = (await BenchmarkDatabase.CountAsync(connectionString, CancellationToken)).Own;
        Output.WriteLine(Invariant($"  deleted {cleanUp.Prices:N0} prices and {cleanUp.Batches:N0} batches; the environment holds {after.Prices:N0} prices and {after.Batches:N0} batches (before: {before.Prices:N0} and {before.Batches:N0})"));

        var report = new BenchmarkReport
        {
            StartedUtc = started,
            Elapsed = clock.Elapsed,
            Command = BenchmarkCommandLine(Environment.GetCommandLineArgs().Skip(1), [DbPassword, RegistryPassword]),
            Environment = environment.Name,
            Runtime = Lower(environment.Runtime),
            RuntimeDetail = environment.Detail,
            Machine = MachineInfo.Read(),
            ServiceDotNet = environment.ServiceDotNet,
            Database = server,
            Psql = $"{psqlVersion}; {psql.Description}",
            Runs = BenchmarkRuns,
            Items = BenchmarkItems,
            Readers = BenchmarkReaders,
            PhaseDuration = phase,
            ApiJson = json,
            ApiCsv = csv,
            Copy = copy,
            Baseline = baseline,
            DuringIngestion = duringIngestion,
            Load = load,
            Before = before,
            After = after,
            CleanUp = cleanUp,
            Notes = notes,
            Performance = performance,
        };
        var existing = BenchmarkOutput.FileExists ? await File.ReadAllTextAsync(BenchmarkOutput, CancellationToken) : null;
        BenchmarkOutput.Parent.CreateDirectory();
        await File.WriteAllTextAsync(BenchmarkOutput, BenchmarkReport.RenderDocument(existing, report.Runtime, report.RenderSection()), CancellationToken);

        WriteKeyValueTable([
            ("API vs COPY (goal ≥ 0.5 ×)", $"{report.IngestionMeasured}: {BenchmarkReport.Verdict(report.IngestionGoalMet)}"),
            ("/rates p99 during ingestion (goal < 50 ms)", $"{report.LatencyMeasured}: {BenchmarkReport.Verdict(report.LatencyGoalMet)}"),
            .. performance.GoalRows(json, csv, copy).Select(g => (g.Goal.Replace("`", ""), $"{g.Measured.Replace("`", "")}: {g.Verdict}")),
            ("Report", DisplayPath(BenchmarkOutput))]);
    }

    /// <summary>Runs × (API JSON, API CSV, COPY), interleaved so that a slow phase of the machine hits all three alike.</summary>
    async Task<(IngestionSeries Json, IngestionSeries Csv, IngestionSeries Copy, IngestionSeries Bare)> MeasureIngestionAsync(
        BenchmarkPlan plan, HttpClient uploads, Uri serviceUrl, PsqlCommand psql, string connectionString)
    {
        Output.WriteLine(Invariant($"Ingestion: {BenchmarkRuns} run{(BenchmarkRuns == 1 ? "" : "s")} of API JSON, API CSV and psql COPY, {BenchmarkItems:N0} rows each"));
        var json = new List<TimeSpan>();
        var csv = new List<TimeSpan>();
        var copy = new List<TimeSpan>();
        var bare = new List<TimeSpan>();
        for (var run = 1; run <= BenchmarkRuns; run++)
        {
            foreach (var (path, name, times) in new[] { ("api-json", "API JSON", json), ("api-csv", "API CSV ", csv), ("copy", "COPY    ", copy), ("bare", "bare    ", bare) })
            {
                var batch = plan.Measured(path, run);
                var elapsed = await IngestAsync(path, batch, plan.BatchId(batch.Label), uploads, serviceUrl, connectionString, psql);
                times.Add(elapsed);
                Output.WriteLine(Invariant(
                    $"  [run {run}/{BenchmarkRuns}] {name} {BenchmarkItems:N0} rows in {elapsed.TotalSeconds:0.000} s = {BenchmarkItems / elapsed.TotalSeconds,9:N0} rows/s"));
            }
        }

        return (new IngestionSeries("API, JSON body", BenchmarkItems, json),
            new IngestionSeries("API, CSV body", BenchmarkItems, csv),
            new IngestionSeries("psql COPY (CSV)", BenchmarkItems, copy),
            new IngestionSeries("bare COPY (CSV)", BenchmarkItems, bare));
    }

    async Task GenerateBenchmarkBatchesAsync(BenchmarkPlan plan, AbsolutePath directory)
    {
        Output.WriteLine(Invariant(
            $"Generating {plan.Batches.Count} batches of {BenchmarkItems:N0} items in {DisplayPath(directory)} (days from {BenchmarkPlan.FirstReservedDay:yyyy-MM-dd}, {BenchmarkPlan.DaysPerBatch} per batch)"));
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        var lastReport = TimeSpan.Zero;
        for (var i = 0; i < plan.Batches.Count; i++)
        {
            var batch = plan.Batches[i];
            try
            {
                bytes += (await BatchFile.WriteAsync(batch.Path, batch.Spec, progress: null, CancellationToken)).Bytes;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new BuildFailedException($"Could not write {batch.Path}: {ex.Message}", ex);
            }

            if (clock.Elapsed - lastReport >= GenerationProgress.LogInterval && i + 1 < plan.Batches.Count)
            {
                lastReport = clock.Elapsed;
                Output.WriteLine(Invariant($"  {i + 1} of {plan.Batches.Count} generated"));
            }
        }

        Output.WriteLine(Invariant($"  {plan.Batches.Count} files, {bytes / (1024.0 * 1024):0.0} MiB, in {clock.Elapsed.TotalSeconds:0.0} s"));
    }

    /// <summary>Leaves the environment as it was even when the run failed or was cancelled; the first error is what the user sees.</summary>
    async Task CleanUpBenchmarkAfterFailureAsync(string connectionString, AbsolutePath directory, Exception failure)
    {
        Output.WriteLine("The benchmark stopped; deleting the rows it added so far.");
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            var cleanUp = await BenchmarkDatabase.CleanUpAsync(connectionString, limit.Token);
            Output.WriteLine(Invariant($"  deleted {cleanUp.Prices:N0} prices and {cleanUp.Batches:N0} batches"));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BuildOutput.Warning(Output, $"Could not delete the benchmark's rows ({ex.Message}); the next Benchmark run deletes them first. " +
                                        $"The run failed because: {failure.Message.Split('\n')[0]}");
        }

        directory.DeleteDirectory();
    }

    void WriteLatency(LatencySummary summary) =>
        Output.WriteLine(Invariant(
            $"  {summary.Requests:N0} requests ({summary.RequestsPerSecond:N0}/s), {summary.Errors} errors: p50 {BenchmarkReport.Ms(summary.P50)}, p95 {BenchmarkReport.Ms(summary.P95)}, p99 {BenchmarkReport.Ms(summary.P99)}, max {BenchmarkReport.Ms(summary.Max)}"));

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
