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
        .Executes(async () =>
        {
            var run = await PrepareBenchmarkAsync();
            var results = await MeasureOrCleanUpAsync(run);
            var (cleanUp, after) = await CleanUpBenchmarkAsync(run);
            var report = await WriteBenchmarkReportAsync(run, results, cleanUp, after);
            WriteBenchmarkSummary(report);
        });

    /// <summary>What a run knows before it measures: the environment, its database server, psql and the batches to send.</summary>
    sealed record BenchmarkRun(DateTimeOffset Started, Stopwatch Clock, BenchmarkEnvironment Environment, Uri ServiceUrl, string ConnectionString,
        DatabaseServer Server, PsqlCommand Psql, string PsqlVersion, IReadOnlyList<string> Notes, (long Prices, long Batches) Before,
        BenchmarkPlan Plan, AbsolutePath Directory);

    /// <summary>What a run measured.</summary>
    sealed record BenchmarkResults(IngestionSeries Json, IngestionSeries Csv, IngestionSeries Copy, LatencySummary Baseline,
        LatencySummary DuringIngestion, LoadSummary Load, PerformanceResults Performance);

    async Task<BenchmarkRun> PrepareBenchmarkAsync()
    {
        var (started, clock) = (DateTimeOffset.UtcNow, Stopwatch.StartNew());
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
        var before = await DeleteBenchmarkLeftoversAsync(connectionString, notes);
        var directory = (environment.Store.Directory / "benchmark").CreateOrCleanDirectory();
        var plan = BenchmarkPlan.Create(started, BenchmarkRuns, BenchmarkItems, BenchmarkLargeItems, BenchmarkLargeRuns, directory);
        return new BenchmarkRun(started, clock, environment, serviceUrl, connectionString, server, psql, psqlVersion, notes, before, plan, directory);
    }

    /// <summary>Deletes the rows an interrupted run left (they would distort the clean-up figures); the environment's own counts.</summary>
    async Task<(long Prices, long Batches)> DeleteBenchmarkLeftoversAsync(string connectionString, List<string> notes)
    {
        var counts = await BenchmarkDatabase.CountAsync(connectionString, CancellationToken);
        if (counts.BenchmarkPrices == 0 && counts.BenchmarkBatches == 0)
            return counts.Own;
        var leftovers = await BenchmarkDatabase.CleanUpAsync(connectionString, CancellationToken);
        var message = Invariant($"Deleted {leftovers.Prices:N0} prices and {leftovers.Batches:N0} batches left by an earlier, interrupted benchmark run.");
        Output.WriteLine(message);
        notes.Add(message);
        return (await BenchmarkDatabase.CountAsync(connectionString, CancellationToken)).Own;
    }

    /// <summary>Measures; when that fails, deletes the rows added so far before the failure is reported.</summary>
    async Task<BenchmarkResults> MeasureOrCleanUpAsync(BenchmarkRun run)
    {
        try
        {
            return await MeasureBenchmarkAsync(run);
        }
        catch (Exception failure)
        {
            await CleanUpBenchmarkAfterFailureAsync(run.ConnectionString, run.Directory, failure);
            throw;
        }
    }

    async Task<BenchmarkResults> MeasureBenchmarkAsync(BenchmarkRun run)
    {
        await GenerateBenchmarkBatchesAsync(run.Plan, run.Directory);
        await BenchmarkDatabase.CreateBareTableAsync(run.ConnectionString, CancellationToken);
        using var uploads = CreateUploadClient();
        using var readers = RatesReaders.CreateClient(BenchmarkReaders);
        var picker = new RatesQueryPicker(SeedSpec.Default, PortCatalog.Default);

        await WarmUpBenchmarkAsync(run, uploads, readers, picker);
        var (json, csv, copy, bare) = await MeasureIngestionAsync(run.Plan, uploads, run.ServiceUrl, run.Psql, run.ConnectionString);
        var baseline = await MeasureQuietLatencyAsync(run, readers, picker);
        var (duringIngestion, load) = await MeasureBusyLatencyAsync(run, uploads, readers, picker);
        var performance = await MeasurePerformanceAsync(run.Environment, run.ServiceUrl, run.ConnectionString, run.Psql, run.Plan, uploads, bare, run.Directory);
        return new BenchmarkResults(json, csv, copy, baseline, duringIngestion, load, performance);
    }

    async Task<(CleanUp CleanUp, (long Prices, long Batches) After)> CleanUpBenchmarkAsync(BenchmarkRun run)
    {
        Output.WriteLine("Deleting the rows the benchmark added (prices in its days, batches with its id prefix) and vacuuming");
        var cleanUp = await BenchmarkDatabase.CleanUpAsync(run.ConnectionString, CancellationToken);
        run.Directory.DeleteDirectory();
        var after = (await BenchmarkDatabase.CountAsync(run.ConnectionString, CancellationToken)).Own;
        Output.WriteLine(Invariant($"  deleted {cleanUp.Prices:N0} prices and {cleanUp.Batches:N0} batches; the environment holds {after.Prices:N0} prices and {after.Batches:N0} batches (before: {run.Before.Prices:N0} and {run.Before.Batches:N0})"));
        return (cleanUp, after);
    }

    async Task<BenchmarkReport> WriteBenchmarkReportAsync(BenchmarkRun run, BenchmarkResults results, CleanUp cleanUp, (long Prices, long Batches) after)
    {
        var report = new BenchmarkReport
        {
            StartedUtc = run.Started, Elapsed = run.Clock.Elapsed,
            Command = BenchmarkCommandLine(Environment.GetCommandLineArgs().Skip(1), [DbPassword, RegistryPassword]),
            Environment = run.Environment.Name, Runtime = Lower(run.Environment.Runtime), RuntimeDetail = run.Environment.Detail,
            Machine = MachineInfo.Read(), ServiceDotNet = run.Environment.ServiceDotNet, Database = run.Server,
            Psql = $"{run.PsqlVersion}; {run.Psql.Description}",
            Runs = BenchmarkRuns, Items = BenchmarkItems, Readers = BenchmarkReaders, PhaseDuration = TimeSpan.FromSeconds(BenchmarkDuration),
            ApiJson = results.Json, ApiCsv = results.Csv, Copy = results.Copy,
            Baseline = results.Baseline, DuringIngestion = results.DuringIngestion, Load = results.Load,
            Before = run.Before, After = after, CleanUp = cleanUp, Notes = run.Notes, Performance = results.Performance,
        };
        var existing = BenchmarkOutput.FileExists ? await File.ReadAllTextAsync(BenchmarkOutput, CancellationToken) : null;
        BenchmarkOutput.Parent.CreateDirectory();
        await File.WriteAllTextAsync(BenchmarkOutput, BenchmarkReport.RenderDocument(existing, report.Runtime, report.RenderSection()), CancellationToken);
        return report;
    }

    void WriteBenchmarkSummary(BenchmarkReport report) =>
        WriteKeyValueTable([
            ("API vs COPY (goal ≥ 0.5 ×)", $"{report.IngestionMeasured}: {BenchmarkReport.Verdict(report.IngestionGoalMet)}"),
            ("/rates p99 during ingestion (goal < 50 ms)", $"{report.LatencyMeasured}: {BenchmarkReport.Verdict(report.LatencyGoalMet)}"),
            .. report.Performance.GoalRows(report.ApiJson, report.ApiCsv, report.Copy).Select(g => (g.Goal.Replace("`", ""), $"{g.Measured.Replace("`", "")}: {g.Verdict}")),
            ("Report", DisplayPath(BenchmarkOutput))]);

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
