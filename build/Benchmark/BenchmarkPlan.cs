using System.Globalization;
using Rates.Synthetic;

namespace Rates.Build.Benchmark;

/// <summary>What a batch of the benchmark is used for; each kind has its own days.</summary>
internal enum BenchmarkBatchKind
{
    /// <summary>Sent once before the measurements (the service's JIT, PostgreSQL's caches) and not reported.</summary>
    WarmUp,

    /// <summary>One repetition of the ingestion measurement.</summary>
    Measured,

    /// <summary>Sent again and again, under new ids, while the latency of GET /rates is measured.</summary>
    Load,

    /// <summary>One repetition of the large-batch comparison (bare COPY, COPY into prices, the API).</summary>
    Large,
}

/// <summary>One generated batch file: what it holds and which days it covers.</summary>
internal sealed record BenchmarkBatch(string Label, BenchmarkBatchKind Kind, int Run, BatchSpec Spec, string Path)
{
    public DateOnly FirstDay => Spec.StartDay;
    public DateOnly LastDay => Spec.StartDay.AddDays(Spec.Days - 1);
}

/// <summary>
/// The data of a benchmark run. Every row it writes lies in a window of days that real data never uses (the
/// 22nd century), each batch on days of its own, and every batch id starts with <see cref="IdPrefix"/>: what
/// the benchmark added can be found and deleted afterwards without touching anything else, and every batch is new
/// content (a different content hash) under a new id.
/// </summary>
internal sealed class BenchmarkPlan
{
    /// <summary>Prefix of every batch id the benchmark sends; the clean-up deletes batches with it.</summary>
    public const string IdPrefix = "benchmark-";

    /// <summary>Days each batch spreads its items over (the generator's default).</summary>
    public const int DaysPerBatch = 30;

    /// <summary>The lanes of the seed data (the generator's default with the seed's seed), so batches price known lanes.</summary>
    public const int Lanes = SeedSpec.MinLanes;

    /// <summary>Batches sent round-robin while /rates latency is measured (half JSON, half CSV), each time under a new id.</summary>
    public const int LoadBatchFiles = 4;

    public const int MaxRuns = 100;

    public const int MaxLargeRuns = 10;

    /// <summary>
    /// First day of the rows that grow prices (--prices): the batches of a run lie before it, the growth's after it
    /// (<see cref="GrowthDaysPerBatch"/> days per batch of a million), and the staleness rows at the end of the window.
    /// </summary>
    public static readonly DateOnly FirstGrowthDay = new(2150, 1, 1);

    public const int GrowthDaysPerBatch = 100;

    /// <summary>First day of the window reserved for benchmark rows.</summary>
    public static readonly DateOnly FirstReservedDay = new(2100, 1, 1);

    /// <summary>Last day of the window reserved for benchmark rows; the clean-up deletes every price in the window.</summary>
    public static readonly DateOnly LastReservedDay = new(2199, 12, 31);

    private BenchmarkPlan(string runId, IReadOnlyList<BenchmarkBatch> batches)
    {
        RunId = runId;
        Batches = batches;
    }

    /// <summary>Identifies the run in batch ids: the UTC start time, e.g. <c>20260101T120000Z</c>.</summary>
    public string RunId { get; }

    public IReadOnlyList<BenchmarkBatch> Batches { get; }

    public IEnumerable<BenchmarkBatch> WarmUp => Batches.Where(b => b.Kind == BenchmarkBatchKind.WarmUp);

    public IEnumerable<BenchmarkBatch> Load => Batches.Where(b => b.Kind == BenchmarkBatchKind.Load);

    /// <summary>The batch of one measurement: <paramref name="path"/> is api-json, api-csv or copy; <paramref name="run"/> counts from 1.</summary>
    public BenchmarkBatch Measured(string path, int run) =>
        Batches.Single(b => b.Kind == BenchmarkBatchKind.Measured && b.Run == run && b.Label.StartsWith(path + "-", StringComparison.Ordinal));

    /// <summary>The batch of one large-batch measurement: <paramref name="path"/> is bare, copy or api-csv.</summary>
    public BenchmarkBatch Large(string path, int run) =>
        Batches.Single(b => b.Kind == BenchmarkBatchKind.Large && b.Run == run && b.Label.StartsWith($"large-{path}-", StringComparison.Ordinal));

    /// <summary>
    /// Lays out the batches of a run: warm-up (API JSON, API CSV, COPY), <paramref name="runs"/> × (API JSON, API CSV,
    /// COPY, bare COPY), the load batches, then <paramref name="largeRuns"/> × (bare COPY, COPY, API CSV) of
    /// <paramref name="largeItems"/> items; consecutive blocks of <see cref="DaysPerBatch"/> days from <see cref="FirstReservedDay"/>.
    /// </summary>
    public static BenchmarkPlan Create(DateTimeOffset startedUtc, int runs, int items, int largeItems, int largeRuns, string directory)
    {
        if (runs is < 1 or > MaxRuns)
            throw new ArgumentOutOfRangeException(nameof(runs), runs, $"Between 1 and {MaxRuns} runs.");
        if (items < 1)
            throw new ArgumentOutOfRangeException(nameof(items), items, "At least one item.");

        var runId = startedUtc.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var batches = new List<BenchmarkBatch>();
        void Add(string label, BenchmarkBatchKind kind, int run, BatchFormat format, int? count = null)
        {
            var spec = new BatchSpec
            {
                Items = count ?? items,
                Days = DaysPerBatch,
                Lanes = Lanes,
                Format = format,
                StartDay = FirstReservedDay.AddDays(batches.Count * DaysPerBatch),
            };
            if (spec.StartDay.AddDays(DaysPerBatch - 1) > LastReservedDay)
                throw new InvalidOperationException("The benchmark's batches do not fit in its reserved window of days.");
            batches.Add(new BenchmarkBatch(label, kind, run, spec, System.IO.Path.Combine(directory, $"{label}.{(format == BatchFormat.Json ? "json" : "csv")}")));
        }

        Add("warmup-api-json", BenchmarkBatchKind.WarmUp, 0, BatchFormat.Json);
        Add("warmup-api-csv", BenchmarkBatchKind.WarmUp, 0, BatchFormat.Csv);
        Add("warmup-copy", BenchmarkBatchKind.WarmUp, 0, BatchFormat.Csv);
        for (var run = 1; run <= runs; run++)
        {
            Add($"api-json-{run}", BenchmarkBatchKind.Measured, run, BatchFormat.Json);
            Add($"api-csv-{run}", BenchmarkBatchKind.Measured, run, BatchFormat.Csv);
            Add($"copy-{run}", BenchmarkBatchKind.Measured, run, BatchFormat.Csv);
            Add($"bare-{run}", BenchmarkBatchKind.Measured, run, BatchFormat.Csv);
        }

        for (var i = 1; i <= LoadBatchFiles; i++)
            Add($"load-{i}", BenchmarkBatchKind.Load, 0, i % 2 == 1 ? BatchFormat.Json : BatchFormat.Csv);
        for (var run = 1; run <= largeRuns; run++)
        {
            foreach (var path in new[] { "bare", "copy", "api-csv" })
                Add($"large-{path}-{run}", BenchmarkBatchKind.Large, run, BatchFormat.Csv, largeItems);
        }

        return new BenchmarkPlan(runId, batches);
    }

    /// <summary>The batch id of one upload: <c>benchmark-&lt;run id&gt;-&lt;label&gt;</c>, unique per run and upload.</summary>
    public string BatchId(string label) => $"{IdPrefix}{RunId}-{label}";
}
