using System.Globalization;
using System.Text;

namespace Rates.Build.Benchmark;

/// <summary>
/// The anchors of one run, measured side by side: PostgreSQL's own speed on the /rates statement (pgbench), the service
/// without and with its cache (closed and open loops), bare COPY against COPY into prices and the API, the cache's
/// staleness window, and the curve of a grown table (--prices).
/// </summary>
internal sealed record PerformanceResults
{
    public const double UncachedGoal = 0.7;
    public const double CachedGoal = 2;
    public const double IngestionGoal = 0.5;
    public const double ScaleP50GoalMs = 5;
    public const double ScaleP99GoalMs = 20;

    public required CanonicalQuery Query { get; init; }
    public required int Connections { get; init; }
    public required TimeSpan LoadPhase { get; init; }
    public required string LoadAverageBefore { get; init; }
    public required string LoadAverageAfter { get; init; }
    public required PgbenchResult Pgbench { get; init; }
    public required ClosedLoopResult Uncached { get; init; }
    public required ClosedLoopResult? Cached { get; init; }
    public required IReadOnlyList<OpenLoopResult> UncachedOpen { get; init; }
    public required IReadOnlyList<OpenLoopResult> CachedOpen { get; init; }
    public required IngestionSeries Bare { get; init; }
    public required IngestionSeries LargeBare { get; init; }
    public required IngestionSeries LargeCopy { get; init; }
    public required IngestionSeries LargeApi { get; init; }
    public required StalenessResult? Staleness { get; init; }
    public required StalenessResult? StalenessUncached { get; init; }
    public required IReadOnlyList<ScalePoint> Scale { get; init; }
    public required int ScaleRate { get; init; }

    /// <summary>Against the original Flask service (--benchmark-original-service); null when it was not given.</summary>
    public required OriginalComparison? Original { get; init; }

    /// <summary>The goal rows of the run's summary table: goal, measured, verdict ("met", "not met", "not measured").</summary>
    public IEnumerable<(string Goal, string Measured, string Verdict)> GoalRows(IngestionSeries apiJson, IngestionSeries apiCsv, IngestionSeries copy)
    {
        var tps = Pgbench.TransactionsPerSecond;
        yield return (I($"Uncached `/rates` ≥ {UncachedGoal} × pgbench (same statement, {Connections} connections)"),
            tps is { } t ? I($"{Uncached.RequestsPerSecond:N0} /s vs pgbench {t:N0} tps = {Uncached.RequestsPerSecond / t:0.00} ×") : $"pgbench not measured: {Pgbench.NotMeasured}",
            tps is { } t1 ? Verdict(Uncached.RequestsPerSecond / t1 >= UncachedGoal) : "not measured");
        yield return OriginalComparison.GoalRow(Original);
        yield return (I($"Cached `/rates` ≥ {CachedGoal} × pgbench"),
            Cached is null ? "the cached instance was not measured" : tps is { } t2 ? I($"{Cached.RequestsPerSecond:N0} /s = {Cached.RequestsPerSecond / t2:0.00} × pgbench") : I($"{Cached.RequestsPerSecond:N0} /s; pgbench not measured"),
            Cached is not null && tps is { } t3 ? Verdict(Cached.RequestsPerSecond / t3 >= CachedGoal) : "not measured");
        yield return (I($"Ingestion of {copy.Items:N0} rows ≥ {IngestionGoal} × bare COPY"),
            I($"API JSON {Ratio(apiJson, Bare)}, API CSV {Ratio(apiCsv, Bare)}, COPY into prices {Ratio(copy, Bare)} × bare COPY"),
            Verdict(RatioOf(apiJson, Bare) >= IngestionGoal && RatioOf(apiCsv, Bare) >= IngestionGoal));
        yield return (I($"Ingestion of {LargeApi.Items:N0} rows ≥ {IngestionGoal} × bare COPY"),
            I($"API CSV {Ratio(LargeApi, LargeBare)}, COPY into prices {Ratio(LargeCopy, LargeBare)} × bare COPY"),
            Verdict(RatioOf(LargeApi, LargeBare) >= IngestionGoal));
        yield return ("Cache staleness after a commit outside the service (the contract)",
            Staleness is null ? "not measured" : I($"p99 {BenchmarkReport.Ms(Staleness.P99Ms)}, max {BenchmarkReport.Ms(Staleness.MaxMs)} ({Staleness.Rounds} commits, {Staleness.NotSeen} not seen within {CacheStaleness.GiveUpAfter.TotalSeconds:0} s)"),
            Staleness is null ? "not measured" : "measured");
        if (Scale.Count > 0)
        {
            var top = Scale[^1];
            yield return (I($"At {top.Size.Rows:N0} prices: `/rates` p50 < {ScaleP50GoalMs} ms, p99 < {ScaleP99GoalMs} ms (31-day ranges, random lanes, {ScaleRate} requests/s)"),
                I($"p50 {BenchmarkReport.Ms(top.Rates.P50Ms)}, p99 {BenchmarkReport.Ms(top.Rates.P99Ms)}"),
                Verdict(top.Rates.P50Ms < ScaleP50GoalMs && top.Rates.P99Ms < ScaleP99GoalMs && top.Rates.Errors == 0));
            yield return (I($"At {top.Size.Rows:N0} prices: a {top.Items:N0}-row batch at the ratio to bare COPY of the small table"),
                I($"API {top.Bare.TotalSeconds / top.Api.TotalSeconds:0.00} × bare COPY (small table: API CSV {Ratio(apiCsv, Bare)} ×)"),
                Verdict(top.Bare.TotalSeconds / top.Api.TotalSeconds >= IngestionGoal));
        }
        else
        {
            yield return ("Scale (`--prices`, e.g. 10,000,000)", "not run (no --prices)", "not measured");
        }
    }

    public string Render()
    {
        var md = new StringBuilder();
        md.AppendLine("### `/rates` against PostgreSQL's own speed");
        md.AppendLine();
        md.AppendLine(I($"The same statement (src/Rates.Api/Rates/DailyPrices.sql) for {Query}, {Connections} connections, {LoadPhase.TotalSeconds:0} s each, one after the other. Load average of the machine before these measurements: {LoadAverageBefore}; after: {LoadAverageAfter}."));
        md.AppendLine();
        md.AppendLine("| | Requests/s | p50 | p99 | Errors | Ratio to pgbench | Tool |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        var tps = Pgbench.TransactionsPerSecond;
        md.AppendLine(tps is { } t
            ? I($"| PostgreSQL (pgbench, prepared) | {t:N0} | - | - | - | 1.00 × | {Pgbench.Tool} |")
            : $"| PostgreSQL (pgbench) | not measured | | | | | {Pgbench.NotMeasured} |");
        foreach (var (name, result) in new[] { ("The service, cache off", Uncached), ("The service, cache on", Cached) })
        {
            md.AppendLine(result is null
                ? $"| {name} | not measured | | | | | |"
                : I($"| {name} | {result.RequestsPerSecond:N0} | {BenchmarkReport.Ms(result.P50Ms)} | {BenchmarkReport.Ms(result.P99Ms)} | {result.Errors:N0} | {(tps is { } p ? I($"{result.RequestsPerSecond / p:0.00} ×") : "-")} | {result.Tool} |"));
        }

        md.AppendLine();
        md.AppendLine(I($"Open loops on the same request: arrivals at fixed rates (shares of the closed loop's rate), {LoadPhase.TotalSeconds:0} s each; latency from when a request was due, so a service falling behind shows as latency; at most {RatesLoad.MaxInFlight} requests wait, more are shed (counted). The open loops are driven by the benchmark's own .NET client on the same cores as the service and PostgreSQL: where it sustains less than it offers, the client's own limit is part of the figure (wrk's closed loop above is the cheaper client)."));
        md.AppendLine();
        md.AppendLine("| Instance | Offered /s | Sustained /s | p50 | p99 | Max | Errors | Shed |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, results) in new[] { ("cache off", UncachedOpen), ("cache on", CachedOpen) })
        {
            foreach (var r in results)
                md.AppendLine(I($"| {name} | {r.OfferedPerSecond:N0} | {r.SustainedPerSecond:N0} | {BenchmarkReport.Ms(r.P50Ms)} | {BenchmarkReport.Ms(r.P99Ms)} | {BenchmarkReport.Ms(r.MaxMs)} | {r.Errors:N0} | {r.Shed:N0} |"));
        }

        md.AppendLine();
        OriginalComparison.Render(md, Original, Connections, LoadPhase);
        RenderIngestion(md);
        RenderStaleness(md);
        RenderScale(md);
        return md.ToString();
    }

    private void RenderIngestion(StringBuilder md)
    {
        md.AppendLine("### Ingestion against a bare `COPY`");
        md.AppendLine();
        md.AppendLine(I($"Bare COPY: psql's `COPY` of the same CSV rows into `{BenchmarkDatabase.BareTable}` (the columns of `prices`; no constraint, index or trigger; emptied before each copy), the physical limit. COPY into `prices` and the API as above (for {LargeApi.Items:N0} rows: the API with a CSV body)."));
        md.AppendLine();
        md.AppendLine("| Rows | Path | Median | Rows/s (median) | vs bare COPY | Every run, s |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | --- |");
        foreach (var series in new[] { Bare, LargeBare, LargeCopy, LargeApi })
        {
            var bare = series.Items == Bare.Items ? Bare : LargeBare;
            md.AppendLine(I($"| {series.Items:N0} | {series.Name} | {BenchmarkReport.Seconds(series.MedianSeconds)} | {series.MedianRowsPerSecond:N0} | {Ratio(series, bare)} × | {string.Join(", ", series.Durations.Select(d => I($"{d.TotalSeconds:0.000}")))} |"));
        }

        md.AppendLine();
    }

    private void RenderStaleness(StringBuilder md)
    {
        md.AppendLine("### Staleness of the cache {#rates-cache}");
        md.AppendLine();
        md.AppendLine(I($"A SQL session outside the service inserts (or deletes) a price of {Query.OrigCode} -> {Query.DestCode} on a day the instance has just answered; the time runs from its commit returning to the first answer that shows it, polling over one kept-alive connection."));
        md.AppendLine();
        md.AppendLine("| Instance | Commits | p50 | p99 | Max | Not seen |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in new[] { Staleness, StalenessUncached }.OfType<StalenessResult>())
            md.AppendLine(I($"| {s.Instance} | {s.Rounds} | {BenchmarkReport.Ms(s.P50Ms)} | {BenchmarkReport.Ms(s.P99Ms)} | {BenchmarkReport.Ms(s.MaxMs)} | {s.NotSeen} |"));
        md.AppendLine();
    }

    private void RenderScale(StringBuilder md)
    {
        if (Scale.Count == 0)
            return;
        md.AppendLine("### The curve of a grown table (`--prices`)");
        md.AppendLine();
        md.AppendLine(I($"`prices` grown through the API (CSV batches of up to {TableGrowth.MaxBatchItems:N0} items on {TableGrowth.Lanes:N0} lanes, {BenchmarkPlan.GrowthDaysPerBatch} days each), then at each point (after `VACUUM (ANALYZE) prices`, as autovacuum would in time): `/rates` for {TableGrowth.RangeDays}-day ranges on random lanes of the grown rows at {ScaleRate} requests/s for {LoadPhase.TotalSeconds:0} s (open loop), a bare COPY and an API batch of the run's item count, and an API batch of the large size."));
        md.AppendLine();
        md.AppendLine("| Prices | Grown by | Growth time | `/rates` p50 | p99 | Errors | Batch (API) | Bare COPY | API vs bare | Large batch (API) | Table | Indexes | Lane index |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var p in Scale)
        {
            var large = p.ApiLarge is { } l ? I($"{p.LargeItems:N0} in {BenchmarkReport.Seconds(l.TotalSeconds)}") : "-";
            md.AppendLine(I($"| {p.Size.Rows:N0} | {p.GrowthRows:N0} | {BenchmarkReport.Duration(p.GrowthTime)} | {BenchmarkReport.Ms(p.Rates.P50Ms)} | {BenchmarkReport.Ms(p.Rates.P99Ms)} | {p.Rates.Errors:N0} | {p.Items:N0} in {BenchmarkReport.Seconds(p.Api.TotalSeconds)} | {BenchmarkReport.Seconds(p.Bare.TotalSeconds)} | {p.Bare.TotalSeconds / p.Api.TotalSeconds:0.00} × | {large} | {Size(p.Size.TableBytes)} | {Size(p.Size.IndexBytes)} | {Size(p.Size.LaneIndexBytes)} |"));
        }

        md.AppendLine();
    }

    private static double RatioOf(IngestionSeries series, IngestionSeries bare) => series.MedianRowsPerSecond / bare.MedianRowsPerSecond;

    private static string Ratio(IngestionSeries series, IngestionSeries bare) => I($"{RatioOf(series, bare):0.00}");

    private static string Verdict(bool met) => met ? "met" : "not met";

    private static string Size(long bytes) => I($"{bytes / (1024.0 * 1024):N0} MiB");

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
