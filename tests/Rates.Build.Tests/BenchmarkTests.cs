using System.Net;
using System.Net.Sockets;
using System.Text;
using Rates.Build.Batches;
using Rates.Build.Benchmark;
using Rates.Build.Framework;
using Rates.Synthetic;

namespace Rates.Build.Tests;

/// <summary>The pieces of ./build.sh Benchmark that need no running environment.</summary>
public class BenchmarkPlanTests
{
    private static readonly DateTimeOffset s_started = new(2026, 3, 1, 12, 30, 5, TimeSpan.Zero);

    [Fact]
    public void Every_batch_has_days_of_its_own_inside_the_reserved_window()
    {
        var plan = BenchmarkPlan.Create(s_started, runs: 5, items: 50_000, largeItems: 1_000_000, largeRuns: 2, directory: "/tmp/b");

        Assert.Equal(3 + 5 * 4 + BenchmarkPlan.LoadBatchFiles + 2 * 3, plan.Batches.Count);
        Assert.All(plan.Batches, b =>
        {
            Assert.True(b.FirstDay >= BenchmarkPlan.FirstReservedDay && b.LastDay <= BenchmarkPlan.LastReservedDay, b.Label);
            Assert.Equal(b.Kind == BenchmarkBatchKind.Large ? 1_000_000 : 50_000, b.Spec.Items);
            Assert.Equal(SeedSpec.Default.Seed, b.Spec.Seed); // lanes of the seed data
        });
        var ordered = plan.Batches.OrderBy(b => b.FirstDay).ToList();
        for (var i = 1; i < ordered.Count; i++)
            Assert.True(ordered[i].FirstDay > ordered[i - 1].LastDay, $"{ordered[i].Label} overlaps {ordered[i - 1].Label}");
    }

    [Fact]
    public void Measured_batches_alternate_formats_and_have_unique_valid_ids()
    {
        var plan = BenchmarkPlan.Create(s_started, runs: 2, items: 10, largeItems: 20, largeRuns: 1, directory: "/tmp/b");

        Assert.Equal(BatchFormat.Json, plan.Measured("api-json", 2).Spec.Format);
        Assert.Equal(BatchFormat.Csv, plan.Measured("api-csv", 2).Spec.Format);
        Assert.Equal(BatchFormat.Csv, plan.Measured("copy", 1).Spec.Format);
        Assert.Equal(BatchFormat.Csv, plan.Measured("bare", 1).Spec.Format);
        Assert.Equal(20, plan.Large("api-csv", 1).Spec.Items);
        Assert.Equal("/tmp/b/large-bare-1.csv", plan.Large("bare", 1).Path);
        Assert.Equal("/tmp/b/api-json-2.json", plan.Measured("api-json", 2).Path);
        var ids = plan.Batches.Select(b => plan.BatchId(b.Label)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id =>
        {
            Assert.StartsWith("benchmark-20260301T123005Z-", id);
            BatchUpload.ValidateBatchId(id);
        });
    }

    [Fact]
    public void The_largest_run_count_still_fits_in_the_window()
    {
        var plan = BenchmarkPlan.Create(s_started, runs: BenchmarkPlan.MaxRuns, items: 1, largeItems: 1, largeRuns: BenchmarkPlan.MaxLargeRuns, directory: "/tmp/b");

        Assert.True(plan.Batches.Max(b => b.LastDay) < BenchmarkPlan.FirstGrowthDay);
    }
}

public class BenchmarkStatisticsTests
{
    [Fact]
    public void Median_of_odd_and_even_counts()
    {
        Assert.Equal(2, BenchmarkStatistics.Median([3, 1, 2]));
        Assert.Equal(2.5, BenchmarkStatistics.Median([4, 1, 3, 2]));
    }

    [Fact]
    public void Percentiles_are_nearest_rank_values()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();

        Assert.Equal(50, BenchmarkStatistics.Percentile(values, 50));
        Assert.Equal(99, BenchmarkStatistics.Percentile(values, 99));
        Assert.Equal(100, BenchmarkStatistics.Percentile(values, 100));
        Assert.Equal(7, BenchmarkStatistics.Percentile([7], 99));
    }

    [Fact]
    public void Latency_summary_of_a_phase()
    {
        var summary = LatencySummary.From("x", Enumerable.Range(1, 1000).Select(i => i / 10.0), errors: 2, TimeSpan.FromSeconds(2), []);

        Assert.Equal(1000, summary.Requests);
        Assert.Equal(50, summary.P50);
        Assert.Equal(99, summary.P99);
        Assert.Equal(100, summary.Max);
        Assert.Equal(501, summary.RequestsPerSecond);
    }

    [Fact]
    public void Coverage_counts_overlapping_uploads_once_and_only_inside_the_window()
    {
        static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

        Assert.Equal(0.5, LoadSummary.CoverageOf([(S(0), S(3)), (S(1), S(5))], S(10)), precision: 9);
        Assert.Equal(1.0, LoadSummary.CoverageOf([(S(0), S(6)), (S(5), S(12))], S(10)), precision: 9);
        Assert.Equal(0.3, LoadSummary.CoverageOf([(S(7), S(8)), (S(1), S(2)), (S(4), S(5))], S(10)), precision: 9);
        Assert.Equal(0, LoadSummary.CoverageOf([], S(10)));
    }
}

public class BenchmarkReportTests
{
    [Fact]
    public void A_run_replaces_its_runtime_section_and_keeps_the_other()
    {
        var first = BenchmarkReport.RenderDocument(null, "docker", Section("docker", "old docker"));
        var second = BenchmarkReport.RenderDocument(first, "local", Section("local", "local figures"));
        var third = BenchmarkReport.RenderDocument(second, "docker", Section("docker", "new docker"));

        Assert.StartsWith("# Benchmarks\n", third);
        Assert.Contains("local figures", third);
        Assert.Contains("new docker", third);
        Assert.DoesNotContain("old docker", third);
        Assert.True(third.IndexOf("local figures", StringComparison.Ordinal) < third.IndexOf("new docker", StringComparison.Ordinal), "local comes first");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(third, "# Benchmarks"));
    }

    [Theory]
    [InlineData(1.0, 1.0, 2.0, true)]
    [InlineData(1.0, 0.5, 1.0, true)]
    [InlineData(1.0, 0.49, 1.0, false)]
    public void The_ingestion_goal_needs_both_formats_at_half_of_copy(double copySeconds, double jsonShareOfCopy, double csvShareOfCopy, bool met)
    {
        var report = Report(copySeconds, jsonShareOfCopy, csvShareOfCopy, p99: 10, errors: 0);

        Assert.Equal(met, report.IngestionGoalMet);
    }

    [Theory]
    [InlineData(49.9, 0, true)]
    [InlineData(50.0, 0, false)]
    [InlineData(10.0, 1, false)]
    public void The_latency_goal_needs_a_p99_under_50_ms_and_no_errors(double p99, int errors, bool met)
    {
        var report = Report(1, 1, 1, p99, errors);

        Assert.Equal(met, report.LatencyGoalMet);
        var row = report.RenderSection().Split('\n').Single(l => l.StartsWith("| `GET /rates` p99 under 50 ms during ingestion", StringComparison.Ordinal));
        Assert.EndsWith($"**{BenchmarkReport.Verdict(met)}** |", row);
    }

    [Fact]
    public void The_section_shows_the_command_the_machine_the_figures_and_the_clean_up()
    {
        var section = Report(1.0, 0.8, 0.9, p99: 12.34, errors: 0).RenderSection();

        Assert.StartsWith("<!-- benchmark:local -->\n## Local runtime", section.ReplaceLineEndings("\n"));
        Assert.Contains("./build.sh Benchmark --env bench", section);
        Assert.Contains("| CPU | 2 logical cores (Test CPU) |", section);
        Assert.Contains("| PostgreSQL | PostgreSQL 13.23 on x86_64 |", section);
        Assert.Contains("| API, JSON body | 1.250 s | 1.250 s | 40,000 | 40,000 | 0.80 × |", section);
        Assert.Contains("| During ingestion | 1,000 | 0 |", section);
        Assert.Contains("12.3 ms", section);
        Assert.Contains("deleted them afterwards", section);
        Assert.Contains("The environment was left as it was: 100 prices and 0 batches before and after.", section);
        // The anchors of the same run, each goal with its ratio and verdict.
        Assert.Contains("| Uncached `/rates` ≥ 0.7 × pgbench (same statement, 16 connections) | 800 /s vs pgbench 1,000 tps = 0.80 × | **met** |", section);
        Assert.Contains("| Cached `/rates` ≥ 2 × pgbench | 2,500 /s = 2.50 × pgbench | **met** |", section);
        Assert.Contains("| Ingestion of 1,000,000 rows ≥ 0.5 × bare COPY | API CSV 0.40, COPY into prices 0.20 × bare COPY | **not met** |", section);
        Assert.Contains("| cache off | 400 | 400 | 1.0 ms | 3.0 ms | 9.0 ms | 0 | 0 |", section);
        Assert.Contains("| cache on | 100 | 2.0 ms | 9.0 ms | 12.0 ms | 0 |", section);
        Assert.EndsWith("<!-- /benchmark:local -->\n", section.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_command_line_masks_secrets_and_quotes_like_a_shell()
    {
        var command = global::Build.BenchmarkCommandLine(["Benchmark", "--env", "bench", "--db-password", "s3cret", "--x", "a b"], ["s3cret", null]);

        Assert.Equal("./build.sh Benchmark --env bench --db-password **** --x 'a b'", command);
    }

    private static string Section(string runtime, string body) => $"<!-- benchmark:{runtime} -->\n## {runtime}\n{body}\n<!-- /benchmark:{runtime} -->\n";

    /// <summary>A report whose COPY takes <paramref name="copySeconds"/> and whose API paths reach the given shares of COPY's rows/s.</summary>
    private static BenchmarkReport Report(double copySeconds, double jsonShareOfCopy, double csvShareOfCopy, double p99, int errors)
    {
        const int items = 50_000;
        IngestionSeries Series(string name, double seconds) => new(name, items, [TimeSpan.FromSeconds(seconds)]);
        var latencies = Enumerable.Repeat(1.0, 980).Concat(Enumerable.Repeat(p99, 20)).ToArray(); // the p99 is the 990th value
        return new BenchmarkReport
        {
            StartedUtc = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero),
            Elapsed = TimeSpan.FromSeconds(95),
            Command = "./build.sh Benchmark --env bench",
            Environment = "bench",
            Runtime = "local",
            RuntimeDetail = "processes",
            Machine = new MachineInfo(2, "Test CPU", 8L << 30, "Linux", ".NET 10"),
            ServiceDotNet = ".NET 10",
            Database = new DatabaseServer("PostgreSQL 13.23 on x86_64", [("synchronous_commit", "on")]),
            Psql = "psql 15",
            Runs = 1,
            Items = items,
            Readers = 8,
            PhaseDuration = TimeSpan.FromSeconds(20),
            ApiJson = Series("API, JSON body", copySeconds / jsonShareOfCopy),
            ApiCsv = Series("API, CSV body", copySeconds / csvShareOfCopy),
            Copy = Series("psql COPY (CSV)", copySeconds),
            Baseline = LatencySummary.From("Without ingestion", Enumerable.Repeat(1.0, 1000), 0, TimeSpan.FromSeconds(20), []),
            DuringIngestion = LatencySummary.From("During ingestion", latencies, errors, TimeSpan.FromSeconds(20), errors > 0 ? ["503 Service Unavailable"] : []),
            Load = new LoadSummary(2, 10, 500_000, TimeSpan.FromSeconds(21), 0.99, [TimeSpan.FromSeconds(4)]),
            Before = (100, 0),
            After = (100, 0),
            CleanUp = new CleanUp(1_000_000, 30),
            Performance = new PerformanceResults
            {
                Query = new CanonicalQuery("CNSGH", "NLRTM", new DateOnly(2024, 1, 1), new DateOnly(2024, 1, 31)),
                Connections = 16,
                LoadPhase = TimeSpan.FromSeconds(10),
                LoadAverageBefore = "1.00, 1.00, 1.00 (1, 5, 15 min)",
                LoadAverageAfter = "1.00, 1.00, 1.00 (1, 5, 15 min)",
                Pgbench = new PgbenchResult(1000, 1.0, "pgbench 15", null),
                Uncached = new ClosedLoopResult(800, 1, 5, 0, "wrk"),
                Cached = new ClosedLoopResult(2500, 0.5, 2, 0, "wrk"),
                UncachedOpen = [new OpenLoopResult(400, 400, 4000, 0, 0, 1, 3, 9)],
                CachedOpen = [],
                Bare = Series("bare COPY (CSV)", copySeconds / 4),
                LargeBare = new IngestionSeries("bare COPY (CSV)", 1_000_000, [TimeSpan.FromSeconds(4)]),
                LargeCopy = new IngestionSeries("psql COPY into prices (CSV)", 1_000_000, [TimeSpan.FromSeconds(20)]),
                LargeApi = new IngestionSeries("API, CSV body", 1_000_000, [TimeSpan.FromSeconds(10)]),
                Staleness = new StalenessResult("cache on", 100, 2, 9, 12, 0),
                StalenessUncached = null,
                Scale = [],
                ScaleRate = 100,
                Original = null,
            },
        };
    }

    [Fact]
    public void Without_the_original_service_the_report_says_it_was_not_measured_and_how_to_measure_it()
    {
        var report = Report(1, 1, 1, p99: 10, errors: 0);

        var row = report.Performance.GoalRows(report.ApiJson, report.ApiCsv, report.Copy).Single(g => g.Goal.Contains("original service", StringComparison.Ordinal));

        Assert.Equal("not measured", row.Verdict);
        Assert.Contains("--benchmark-original-service", row.Measured);
        Assert.Contains("--benchmark-original-service", report.RenderSection());
    }

    [Theory]
    [InlineData(3000, 300, "10.00 ×", "met")]
    [InlineData(3000, 400, "7.50 ×", "not met")]
    public void The_ratio_to_the_original_service_is_of_the_medians_of_the_rounds(double service, double original, string ratio, string verdict)
    {
        ClosedLoopResult Loop(double rate) => new(rate, 1, 5, 0, "wrk");
        var comparison = new OriginalComparison("gunicorn 20.1.0", [Loop(service), Loop(service * 2), Loop(service / 3)],
            [Loop(original), Loop(original / 4), Loop(original * 5)]);
        var report = Report(1, 1, 1, p99: 10, errors: 0);
        report = report with { Performance = report.Performance with { Original = comparison } };

        var row = report.Performance.GoalRows(report.ApiJson, report.ApiCsv, report.Copy).Single(g => g.Goal.Contains("original service", StringComparison.Ordinal));

        Assert.Equal(verdict, row.Verdict);
        Assert.Contains(ratio, row.Measured);
        Assert.Contains($"**{ratio}**", report.RenderSection());
    }
}

/// <summary>The HTTP sides of the benchmark against a fake service.</summary>
public sealed class BenchmarkHttpTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rates-benchmark-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task An_upload_answered_with_anything_but_201_fails_with_the_problem()
    {
        using var service = new FakeService(HttpStatusCode.UnprocessableEntity,
            """{"title":"Invalid batch items","status":422,"detail":"3 of 10 items are invalid; nothing was written."}""");
        var batch = await WriteBatchAsync();
        using var client = BenchmarkUploads.CreateClient(1);

        var error = await Assert.ThrowsAsync<BuildFailedException>(() =>
            BenchmarkUploads.SendAsync(client, service.Url, "benchmark-x-1", batch, CancellationToken.None));

        Assert.Contains("/batches/benchmark-x-1 (10 items, application/json) answered 422 Unprocessable Entity: 3 of 10 items are invalid", error.Message);
        Assert.Contains("expects 201 Created", error.Message);
    }

    [Fact]
    public async Task A_created_upload_returns_its_time()
    {
        using var service = new FakeService(HttpStatusCode.Created, """{"batchId":"b","items":10}""");
        var batch = await WriteBatchAsync();
        using var client = BenchmarkUploads.CreateClient(1);

        var elapsed = await BenchmarkUploads.SendAsync(client, service.Url, "b", batch, CancellationToken.None);

        Assert.True(elapsed > TimeSpan.Zero);
        Assert.Equal("PUT /batches/b", Assert.Single(service.Requests.Distinct()));
    }

    [Fact]
    public async Task A_4xx_from_rates_ends_the_run()
    {
        using var service = new FakeService(HttpStatusCode.BadRequest, """{"detail":"Invalid location arguments"}""");
        using var client = RatesReaders.CreateClient(2);

        var error = await Assert.ThrowsAsync<BuildFailedException>(() => RatesReaders.RunAsync(client, service.Url,
            new RatesQueryPicker(SeedSpec.Default, PortCatalog.Default).Next, 2, TimeSpan.FromSeconds(5), 1, CancellationToken.None));

        Assert.Contains("answered 400 Bad Request: {\"detail\":\"Invalid location arguments\"}", error.Message);
    }

    [Fact]
    public async Task A_5xx_from_rates_is_counted_as_an_error_and_queries_stay_in_the_seed()
    {
        using var service = new FakeService(HttpStatusCode.ServiceUnavailable, """{"detail":"database unavailable"}""");
        using var client = RatesReaders.CreateClient(1);

        var result = await RatesReaders.RunAsync(client, service.Url, new RatesQueryPicker(SeedSpec.Default, PortCatalog.Default).Next, 1,
            TimeSpan.FromMilliseconds(300), 1, CancellationToken.None);

        Assert.Empty(result.LatenciesMs);
        Assert.True(result.Errors > 0);
        Assert.StartsWith("503 Service Unavailable for /rates?date_from=2024-", result.ErrorSamples[0]);
        Assert.All(service.Requests, r => Assert.Matches(@"^GET /rates\?date_from=2024-0[12]-\d\d&date_to=2024-0[12]-\d\d&orig_code=[a-zA-Z_]+&dest_code=[a-zA-Z_]+$", r));
    }

    private async Task<BenchmarkBatch> WriteBatchAsync()
    {
        var spec = new BatchSpec { Items = 10 };
        var path = Path.Combine(_directory, "b.json");
        await BatchFile.WriteAsync(path, spec);
        return new BenchmarkBatch("b", BenchmarkBatchKind.Measured, 1, spec, path);
    }

    /// <summary>An HttpListener on 127.0.0.1 that gives every request the same answer and records "METHOD path?query".</summary>
    private sealed class FakeService : IDisposable
    {
        private readonly HttpListener _listener = new();

        public FakeService(HttpStatusCode status, string body)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await _listener.GetContextAsync();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }

                    await context.Request.InputStream.CopyToAsync(Stream.Null);
                    Requests.Add($"{context.Request.HttpMethod} {context.Request.Url!.PathAndQuery}");
                    context.Response.StatusCode = (int)status;
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body));
                    context.Response.Close();
                }
            });
        }

        public Uri Url { get; }

        public System.Collections.Concurrent.ConcurrentBag<string> Requests { get; } = [];

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }
    }
}

/// <summary>psql driven the way the benchmark drives it, with a stand-in script (sh) in place of psql.</summary>
public sealed class PsqlCopyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rates-psql-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_copy_is_timed_after_the_connection_and_its_row_count_checked()
    {
        // Answers the readiness query, then swallows the COPY and its data, answering as psql does.
        var psql = Script("""
            read -r query; echo rates-benchmark-ready
            cat > "$DIR/received"
            echo "COPY 2"
            """);
        var csv = Path.Combine(_directory, "rows.csv");
        await File.WriteAllTextAsync(csv, "orig_code,dest_code,day,price\nCNSGH,NLRTM,2100-01-01,10\nCNSGH,NLRTM,2100-01-02,11\n");

        var elapsed = await PsqlCopy.CopyAsync(psql, csv, expectedRows: 2, CancellationToken.None);

        Assert.True(elapsed > TimeSpan.Zero);
        var received = await File.ReadAllTextAsync(Path.Combine(_directory, "received"));
        Assert.Equal($"{PsqlCopy.CopySql};\norig_code,dest_code,day,price\nCNSGH,NLRTM,2100-01-01,10\nCNSGH,NLRTM,2100-01-02,11\n\\.\n", received);
        await Assert.ThrowsAsync<BuildFailedException>(() => PsqlCopy.CopyAsync(psql, csv, expectedRows: 3, CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_psql_is_reported_with_its_own_words_and_without_the_password()
    {
        var psql = Script("""echo "psql: error: password authentication failed (PGPASSWORD=$PGPASSWORD)" >&2; exit 2""");
        var csv = Path.Combine(_directory, "rows.csv");
        await File.WriteAllTextAsync(csv, "orig_code,dest_code,day,price\n");

        var error = await Assert.ThrowsAsync<BuildFailedException>(() => PsqlCopy.CopyAsync(psql, csv, 0, CancellationToken.None));

        Assert.Contains("password authentication failed (PGPASSWORD=****)", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    private PsqlCommand Script(string body)
    {
        var path = Path.Combine(_directory, "psql.sh");
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        return new PsqlCommand("/bin/sh", [path], [], new Dictionary<string, string?> { ["PGPASSWORD"] = "hunter2", ["DIR"] = _directory }, "test psql");
    }
}

/// <summary>The target itself, where no environment is up.</summary>
public class BenchmarkTargetTests
{
    [Fact]
    public async Task An_environment_that_is_not_up_fails_with_how_to_bring_it_up()
    {
        var name = "bench-test-" + Guid.NewGuid().ToString("N")[..8];

        var run = await TestHost.RunAsync(new global::Build(), $"Benchmark --env {name} --runtime local");

        Assert.Equal(BuildRunner.ExitTargetFailed, run.ExitCode);
        Assert.Contains($"Environment '{name}' is not up with the local runtime; run ./build.sh Up --env {name}", run.Output);
    }

    [Theory]
    [InlineData("--benchmark-runs 0", "Invalid value '0' for parameter 'BenchmarkRuns' (--benchmark-runs): accepted values are whole numbers from 1 to 100")]
    [InlineData("--benchmark-items 2000000", "Invalid value '2000000' for parameter 'BenchmarkItems' (--benchmark-items)")]
    [InlineData("--benchmark-psql shell", "accepted values are Auto, Host, Container")]
    public async Task Bad_parameters_stop_the_build_before_anything_runs(string args, string message)
    {
        var run = await TestHost.RunAsync(new global::Build(), $"Benchmark {args}");

        Assert.Equal(BuildRunner.ExitUsage, run.ExitCode);
        Assert.Contains(message, run.Output);
    }

    [Fact]
    public void The_optimization_of_an_assembly_is_read_from_its_metadata()
    {
#if DEBUG
        const string expected = "Debug";
#else
        const string expected = "Release";
#endif
        Assert.Equal(expected, AssemblyOptimization.ConfigurationOf(typeof(BenchmarkTargetTests).Assembly.Location));
        Assert.Null(AssemblyOptimization.ConfigurationOf(Path.Combine(Path.GetTempPath(), "no-such-assembly.dll")));
    }
}

public class BenchmarkAnchorTests
{
    [Fact]
    public void Pgbench_runs_the_service_statement_with_the_parameter_types_the_service_binds()
    {
        var script = Pgbench.Script(File.ReadAllText(Pgbench.StatementFile));

        Assert.DoesNotContain("$", script);
        Assert.Contains("generate_series(0, :date_to::date - :date_from::date)", script);
        Assert.Contains("WHERE orig_code = :orig_code::text AND dest_code = :dest_code::text AND day BETWEEN :date_from::date AND :date_to::date", script);
        Assert.EndsWith(";\n", script);
    }

    [Theory]
    [InlineData(148_000, 10_000_000, new long[] { 1_000_000, 10_000_000 })]
    [InlineData(148_000, 200_000, new long[] { 200_000 })]
    [InlineData(2_000_000, 10_000_000, new long[] { 3_000_000, 10_000_000 })]
    [InlineData(148_000, 1_000_000, new long[] { 1_000_000 })]
    public void The_curve_is_measured_at_each_power_of_ten_and_at_the_target(long current, long target, long[] expected)
    {
        Assert.Equal(expected, TableGrowth.Checkpoints(current, target));
    }

    [Fact]
    public void Growth_batches_take_days_of_their_own_after_the_run_batches()
    {
        var growth = new TableGrowth();

        var first = growth.Next(1_000_000);
        var second = growth.Next(50_000);

        Assert.Equal(BenchmarkPlan.FirstGrowthDay, first.StartDay);
        Assert.Equal(first.StartDay.AddDays(first.Days), second.StartDay);
        Assert.Equal(TableGrowth.Lanes, second.Lanes);
        Assert.Matches(@"^/rates\?date_from=21(5|6)\d-\d\d-\d\d&date_to=", growth.Query(new Random(1)));
    }
}
