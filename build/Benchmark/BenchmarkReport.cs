using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rates.Build.Benchmark;

/// <summary>Everything one benchmark run measured and the circumstances, rendered as a section of docs/benchmarks.md.</summary>
internal sealed partial record BenchmarkReport
{
    /// <summary>The project's goal: the API ingests at least this share of psql COPY's rows per second.</summary>
    public const double IngestionGoalRatio = 0.5;

    /// <summary>The project's goal: p99 of GET /rates during ingestion stays under this many milliseconds.</summary>
    public const double LatencyGoalMs = 50;

    public required DateTimeOffset StartedUtc { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required string Command { get; init; }
    public required string Environment { get; init; }

    /// <summary>"local" or "docker": the section of the document this run replaces.</summary>
    public required string Runtime { get; init; }

    /// <summary>What runs where, e.g. "the service and PostgreSQL as processes on the host; service build Release".</summary>
    public required string RuntimeDetail { get; init; }

    public required MachineInfo Machine { get; init; }
    public required string ServiceDotNet { get; init; }
    public required DatabaseServer Database { get; init; }
    public required string Psql { get; init; }

    public required int Runs { get; init; }
    public required int Items { get; init; }
    public required int Readers { get; init; }
    public required TimeSpan PhaseDuration { get; init; }

    public required IngestionSeries ApiJson { get; init; }
    public required IngestionSeries ApiCsv { get; init; }
    public required IngestionSeries Copy { get; init; }

    public required LatencySummary Baseline { get; init; }
    public required LatencySummary DuringIngestion { get; init; }
    public required LoadSummary Load { get; init; }

    /// <summary>Counts before the run (without leftovers of earlier runs) and after the clean-up.</summary>
    public required (long Prices, long Batches) Before { get; init; }
    public required (long Prices, long Batches) After { get; init; }
    public required CleanUp CleanUp { get; init; }

    /// <summary>Circumstances worth knowing, e.g. a Debug build of the service or leftovers of an interrupted run.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The anchors, the cache, open loops, staleness and the grown table, measured in the same run.</summary>
    public required PerformanceResults Performance { get; init; }

    public double JsonRatio => ApiJson.MedianRowsPerSecond / Copy.MedianRowsPerSecond;
    public double CsvRatio => ApiCsv.MedianRowsPerSecond / Copy.MedianRowsPerSecond;

    public bool IngestionGoalMet => JsonRatio >= IngestionGoalRatio && CsvRatio >= IngestionGoalRatio;

    /// <summary>Met only when every request during ingestion was answered and the p99 is under the goal.</summary>
    public bool LatencyGoalMet => DuringIngestion.Requests > 0 && DuringIngestion.Errors == 0 && DuringIngestion.P99 < LatencyGoalMs;

    public string IngestionMeasured => Invariant($"JSON {JsonRatio:0.00} × COPY, CSV {CsvRatio:0.00} × COPY (median rows/s)");

    public string LatencyMeasured => DuringIngestion.Requests == 0
        ? "no request was answered"
        : Invariant($"p99 {Ms(DuringIngestion.P99)} ({DuringIngestion.Requests:N0} requests, {DuringIngestion.Errors:N0} errors; baseline p99 {Ms(Baseline.P99)})");

    public static string Verdict(bool met) => met ? "met" : "not met";

    /// <summary>The Markdown section of this run, between its markers.</summary>
    public string RenderSection()
    {
        var md = new StringBuilder();
        md.AppendLine(StartMarker(Runtime));
        md.AppendLine(Invariant($"## {char.ToUpperInvariant(Runtime[0])}{Runtime[1..]} runtime"));
        md.AppendLine();
        md.AppendLine(Invariant($"Latest run: {StartedUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC on environment `{Environment}`; it took {Duration(Elapsed)}. Command:"));
        md.AppendLine();
        md.AppendLine("```sh");
        md.AppendLine(Command);
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("| Goal | Measured | Result |");
        md.AppendLine("| --- | --- | --- |");
        md.AppendLine(Invariant($"| The API ingests at least half as fast as psql's COPY (API ≥ {IngestionGoalRatio:0.0} × COPY) | {IngestionMeasured} | **{Verdict(IngestionGoalMet)}** |"));
        md.AppendLine(Invariant($"| `GET /rates` p99 under {LatencyGoalMs:0} ms during ingestion | {LatencyMeasured} | **{Verdict(LatencyGoalMet)}** |"));
        foreach (var (goal, measured, verdict) in Performance.GoalRows(ApiJson, ApiCsv, Copy))
            md.AppendLine($"| {Cell(goal)} | {Cell(measured)} | **{verdict}** |");
        md.AppendLine();

        md.AppendLine("### Machine and environment");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        md.AppendLine(Invariant($"| Date | {StartedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC |"));
        md.AppendLine(Invariant($"| CPU | {Cell(Machine.CpuText)} |"));
        md.AppendLine(Invariant($"| Memory | {Machine.MemoryText} |"));
        md.AppendLine(Invariant($"| OS | {Cell(Machine.OperatingSystem)} |"));
        md.AppendLine(Invariant($"| .NET | {Cell(Machine.DotNet)} (the build and its HTTP clients); service: {Cell(ServiceDotNet)} |"));
        md.AppendLine(Invariant($"| Runtime | {Cell(Runtime)}: {Cell(RuntimeDetail)} |"));
        md.AppendLine(Invariant($"| PostgreSQL | {Cell(Database.Version)} |"));
        if (Database.Settings.Count > 0)
            md.AppendLine(Invariant($"| PostgreSQL settings | {Cell(string.Join(", ", Database.Settings.Select(s => $"{s.Name} {s.Value}")))} |"));
        md.AppendLine(Invariant($"| psql | {Cell(Psql)} |"));
        md.AppendLine(Invariant($"| Parameters | {Plural(Runs, "run")}, {Items:N0} items per batch, {Readers} readers, {PhaseDuration.TotalSeconds:0} s per latency phase, {Load.Uploaders} concurrent uploads during ingestion |"));
        md.AppendLine();

        md.Append(Performance.Render());
        md.AppendLine(Invariant($"### Ingestion of {Items:N0}-item batches"));
        md.AppendLine();
        md.AppendLine(Invariant($"- Each path ran {Plural(Runs, "time")} after one unmeasured warm-up, interleaved (API JSON, API CSV, COPY, API JSON, ...), each time with a new batch: {Items:N0} items from the seed data's generator (`BatchWriter`: lanes of the seed, {BenchmarkPlan.DaysPerBatch} days of the batch's own) under a new batch id."));
        md.AppendLine("- **API**: `PUT /batches/{id}` over a kept-alive connection, timed from the first byte of the request to the `201 Created` (the batch is committed).");
        md.AppendLine(Invariant($"- **COPY**: `{PsqlCopy.CopySql}` through psql, already connected, timed from the first byte of the statement to psql's `COPY {Items}` (psql runs it in autocommit, so it has committed)."));
        md.AppendLine("- Both write `prices` in one transaction, with the same check of `ports` (once per statement); the API also parses, validates, hashes and stages the items, and records the batch.");
        md.AppendLine();
        md.AppendLine("| Path | Median | Best | Rows/s (median) | Rows/s (best) | vs COPY (median) |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var series in new[] { ApiJson, ApiCsv, Copy })
        {
            md.AppendLine(Invariant(
                $"| {series.Name} | {Seconds(series.MedianSeconds)} | {Seconds(series.MinSeconds)} | {series.MedianRowsPerSecond:N0} | {series.BestRowsPerSecond:N0} | {series.MedianRowsPerSecond / Copy.MedianRowsPerSecond:0.00} × |"));
        }

        md.AppendLine();
        md.AppendLine("Every run, in seconds: " + string.Join("; ", new[] { ApiJson, ApiCsv, Copy }
            .Select(s => $"{s.Name}: {string.Join(", ", s.Durations.Select(d => Invariant($"{d.TotalSeconds:0.000}")))}")) + ".");
        md.AppendLine();

        md.AppendLine("### `GET /rates` latency");
        md.AppendLine();
        md.AppendLine(Invariant($"- {Readers} concurrent loops on 127.0.0.1, each sending its next request as soon as the previous answer is read, for {PhaseDuration.TotalSeconds:0} s per phase; each reader sends the same sequence of requests in both phases."));
        md.AppendLine(Invariant($"- Random lanes of the seed data (one request in {RatesQueryPicker.RegionShare} names the lanes' regions instead of their ports) and random ranges of 1 to {RatesQueryPicker.MaxRangeDays} days within the seed's days."));
        md.AppendLine("- Latency is from sending a request to the last byte of its answer. A 5xx or a timeout counts as an error.");
        md.AppendLine();
        md.AppendLine("| Phase | Requests | Errors | Requests/s | p50 | p95 | p99 | Max |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var phase in new[] { Baseline, DuringIngestion })
        {
            md.AppendLine(Invariant(
                $"| {phase.Phase} | {phase.Requests:N0} | {phase.Errors:N0} | {phase.RequestsPerSecond:N0} | {Ms(phase.P50)} | {Ms(phase.P95)} | {Ms(phase.P99)} | {Ms(phase.Max)} |"));
        }

        md.AppendLine();
        var perBatch = Load.BatchDurations.Count > 0
            ? Invariant($", {Seconds(BenchmarkStatistics.Median(Load.BatchDurations.Select(d => d.TotalSeconds)))} per batch (median)")
            : "";
        md.AppendLine(Invariant(
            $"During ingestion, {Load.Uploaders} uploads ran back to back (JSON and CSV batches of {Items:N0} items, each under a new id): {Plural(Load.Batches, "batch")} ({Load.Rows:N0} rows) committed in {Duration(Load.Elapsed)}, {Load.RowsPerSecond:N0} rows/s together{perBatch}; at least one upload was in flight during {Load.Coverage * 100:0}% of the phase."));
        foreach (var phase in new[] { Baseline, DuringIngestion }.Where(p => p.ErrorSamples.Count > 0))
            md.AppendLine().AppendLine(Invariant($"First errors ({phase.Phase}): {string.Join("; ", phase.ErrorSamples.Select(e => $"`{e.Replace("`", "'", StringComparison.Ordinal)}`"))}."));
        md.AppendLine();

        md.AppendLine("### Notes");
        md.AppendLine();
        foreach (var note in Notes)
            md.AppendLine($"- {note}");
        md.AppendLine(Invariant($"- The benchmark's HTTP clients, the service and PostgreSQL share the machine's {Machine.Cores} cores, so readers, uploads and the database compete for them."));
        md.AppendLine("- The readers are closed loops: they measure latency at the rate this machine sustains, not at a fixed arrival rate; a slow answer delays that reader's next request instead of piling requests up behind it.");
        var leftAsItWas = Before == After
            ? Invariant($"The environment was left as it was: {After.Prices:N0} prices and {After.Batches:N0} batches before and after.")
            : Invariant($"Before: {Before.Prices:N0} prices and {Before.Batches:N0} batches; after: {After.Prices:N0} and {After.Batches:N0} (something else wrote to the environment meanwhile).");
        md.AppendLine(Invariant(
            $"- Clean-up: the run added {CleanUp.Prices:N0} prices (on days from {BenchmarkPlan.FirstReservedDay:yyyy-MM-dd} to {BenchmarkPlan.LastReservedDay:yyyy-MM-dd}, which only the benchmark uses) and {Plural(CleanUp.Batches, "batch")} (ids `{BenchmarkPlan.IdPrefix}*`), deleted them afterwards and ran `VACUUM (ANALYZE)` on both tables. {leftAsItWas}"));
        md.AppendLine(EndMarker(Runtime));
        return md.ToString();
    }

    /// <summary>
    /// The whole document: the fixed introduction, then one section per runtime, <paramref name="section"/> replacing
    /// the section of <paramref name="runtime"/> in <paramref name="existing"/> (the other runtime's latest run is kept).
    /// </summary>
    public static string RenderDocument(string? existing, string runtime, string section)
    {
        var sections = new SortedDictionary<string, string>(Comparer<string>.Create((a, b) => (Rank(a), a).CompareTo((Rank(b), b))));
        if (existing is not null)
        {
            foreach (Match match in SectionPattern().Matches(existing))
                sections[match.Groups["runtime"].Value] = match.Value.TrimEnd() + "\n";
        }

        sections[runtime] = section.TrimEnd() + "\n";
        var document = new StringBuilder(Introduction);
        foreach (var text in sections.Values)
            document.Append('\n').Append(text);
        return document.ToString().ReplaceLineEndings("\n");

        static int Rank(string name) => name switch { "local" => 0, "docker" => 1, _ => 2 };
    }

    public const string Introduction = """
        # Benchmarks

        <!-- Generated by ./build.sh Benchmark (build/Build.Benchmark.cs); a run rewrites its own section. -->

        What the service's batch ingestion and `GET /rates` achieve, measured by `./build.sh Benchmark` against a running
        environment (design: [the ingestion pipeline](ingestion-pipeline.md)), with PostgreSQL's own speed measured in
        the same run as the anchor. The goals:

        1. the API ingests 50,000-item batches at least half as fast as PostgreSQL's own `COPY` of the same rows through
           psql, and at least half as fast as a bare `COPY` (a table without constraints or indexes, the physical
           limit) for 50,000 and 1,000,000-row batches, with referential integrity still enforced by the database;
        2. `GET /rates` keeps a p99 under 50 ms while batches are being ingested;
        3. uncached `GET /rates` at least 0.7 × pgbench on the same statement, connections and machine; with the cache
           on, at least 2 × pgbench, and a measured staleness window after commits made outside the service;
        4. with `prices` grown to 10 million rows (`--prices 10000000`): `/rates` p50 under 5 ms and p99 under 20 ms for
           31-day ranges on random lanes, and batches at the same ratio to a bare `COPY` as on the small table.

        Each runtime's section below is the latest run on it, with the figures as measured, whether the goals are met
        or not, and the machine's load average during the run (the machine may be shared). To reproduce:
        `./build.sh Up --env bench --configuration Release`, then `./build.sh Benchmark --env bench` (add
        `--prices 10000000` for the curve; `./build.sh --help Benchmark` lists its parameters). The benchmark
        deletes every row it adds. The profile section at the end is written by hand and kept by every run.

        """;

    private static string Plural(long count, string noun) =>
        Invariant($"{count:N0} {noun}{(count == 1 ? "" : noun.EndsWith("ch", StringComparison.Ordinal) ? "es" : "s")}");

    private static string StartMarker(string runtime) => $"<!-- benchmark:{runtime} -->";

    private static string EndMarker(string runtime) => $"<!-- /benchmark:{runtime} -->";

    public static string Ms(double milliseconds) => double.IsNaN(milliseconds) ? "-" : Invariant($"{milliseconds:0.0} ms");

    public static string Seconds(double seconds) => Invariant($"{seconds:0.000} s");

    public static string Duration(TimeSpan elapsed) => elapsed.TotalSeconds < 90
        ? Invariant($"{elapsed.TotalSeconds:0.0} s")
        : Invariant($"{(int)elapsed.TotalMinutes} min {elapsed.Seconds} s");

    /// <summary>Text for a table cell: a '|' would end the cell.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"<!-- benchmark:(?<runtime>[a-z0-9-]+) -->.*?<!-- /benchmark:\k<runtime> -->", RegexOptions.Singleline)]
    private static partial Regex SectionPattern();
}
