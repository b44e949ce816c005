using System.Diagnostics;
using Rates.Build.Batches;
using Rates.Build.Benchmark;
using Rates.Synthetic;

/// <summary>Benchmark: the ingestion paths side by side and GET /rates latency without and during ingestion.</summary>
partial class Build
{
    HttpClient CreateUploadClient()
    {
        var uploads = BenchmarkUploads.CreateClient(BenchmarkUploaders);
        if (WriterKey() is { } key)
            uploads.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return uploads;
    }

    /// <summary>One batch per path and a few seconds of GET /rates, not reported: connections, the service's JIT, PostgreSQL's caches.</summary>
    async Task WarmUpBenchmarkAsync(BenchmarkRun run, HttpClient uploads, HttpClient readers, RatesQueryPicker picker)
    {
        Output.WriteLine(Invariant($"Warm-up (not reported): one batch per path, then GET /rates for {BenchmarkReaderWarmUp.TotalSeconds:0} s"));
        var warmUp = run.Plan.WarmUp.ToList();
        var warmJson = await BenchmarkUploads.SendAsync(uploads, run.ServiceUrl, run.Plan.BatchId(warmUp[0].Label), warmUp[0], CancellationToken);
        var warmCsv = await BenchmarkUploads.SendAsync(uploads, run.ServiceUrl, run.Plan.BatchId(warmUp[1].Label), warmUp[1], CancellationToken);
        var warmCopy = await PsqlCopy.CopyAsync(run.Psql, warmUp[2].Path, BenchmarkItems, CancellationToken);
        await RatesReaders.RunAsync(readers, run.ServiceUrl, picker.Next, BenchmarkReaders, BenchmarkReaderWarmUp, BenchmarkQuerySeed + 1000, CancellationToken);
        Output.WriteLine(Invariant($"  API JSON {warmJson.TotalSeconds:0.000} s, API CSV {warmCsv.TotalSeconds:0.000} s, COPY {warmCopy.TotalSeconds:0.000} s"));
    }

    async Task<LatencySummary> MeasureQuietLatencyAsync(BenchmarkRun run, HttpClient readers, RatesQueryPicker picker)
    {
        var phase = TimeSpan.FromSeconds(BenchmarkDuration);
        Output.WriteLine(Invariant($"GET /rates latency without ingestion: {BenchmarkReaders} readers for {phase.TotalSeconds:0} s"));
        var quiet = await RatesReaders.RunAsync(readers, run.ServiceUrl, picker.Next, BenchmarkReaders, phase, BenchmarkQuerySeed, CancellationToken);
        var baseline = LatencySummary.From("Without ingestion", quiet.LatenciesMs, quiet.Errors, quiet.Elapsed, quiet.ErrorSamples);
        WriteLatency(baseline);
        return baseline;
    }

    /// <summary>The same readers while <see cref="BenchmarkUploaders"/> uploads run back to back.</summary>
    async Task<(LatencySummary Latency, LoadSummary Load)> MeasureBusyLatencyAsync(BenchmarkRun run, HttpClient uploads, HttpClient readers, RatesQueryPicker picker)
    {
        var phase = TimeSpan.FromSeconds(BenchmarkDuration);
        Output.WriteLine(Invariant($"GET /rates latency during ingestion: {BenchmarkReaders} readers and {BenchmarkUploaders} uploads back to back for {phase.TotalSeconds:0} s"));
        var loadTask = BenchmarkUploads.RunLoadAsync(uploads, run.ServiceUrl, run.Plan, run.Plan.Load.ToList(), BenchmarkUploaders, phase, Output.WriteLine, CancellationToken);
        var busyTask = RatesReaders.RunAsync(readers, run.ServiceUrl, picker.Next, BenchmarkReaders, phase, BenchmarkQuerySeed, CancellationToken);
        await Task.WhenAll(loadTask, busyTask);
        var (busy, load) = (await busyTask, await loadTask);
        var latency = LatencySummary.From("During ingestion", busy.LatenciesMs, busy.Errors, busy.Elapsed, busy.ErrorSamples);
        WriteLatency(latency);
        Output.WriteLine(Invariant(
            $"  {load.Batches} batches ({load.Rows:N0} rows) committed in {load.Elapsed.TotalSeconds:0.0} s, {load.RowsPerSecond:N0} rows/s; an upload was in flight {load.Coverage * 100:0}% of the phase"));
        return (latency, load);
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

}
