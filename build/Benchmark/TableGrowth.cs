using System.Globalization;
using Rates.Synthetic;

namespace Rates.Build.Benchmark;

/// <summary>One point of the curve: prices grown to <see cref="Size"/>, and what was measured there.</summary>
/// <param name="GrowthTime">Time the API took for the growth batches that led here from the previous point.</param>
/// <param name="Rates">/rates at a fixed arrival rate, 31-day ranges on random lanes of the grown rows.</param>
/// <param name="Bare">A bare COPY of a batch of the run's item count (the physical limit at this size).</param>
/// <param name="Api">The same number of items through the API (CSV) at this size.</param>
/// <param name="ApiLarge">A batch of the large size through the API at this size.</param>
internal sealed record ScalePoint(TableSize Size, long GrowthRows, TimeSpan GrowthTime, OpenLoopResult Rates, TimeSpan Bare, TimeSpan Api, int Items,
    TimeSpan? ApiLarge, int LargeItems);

/// <summary>
/// The rows --prices adds: CSV batches of up to a million items through the API, each on
/// <see cref="BenchmarkPlan.GrowthDaysPerBatch"/> days of its own from <see cref="BenchmarkPlan.FirstGrowthDay"/>,
/// over <see cref="Lanes"/> lanes (about 5 prices per lane and day), so a 31-day range of a lane reads some 150 rows.
/// </summary>
internal sealed class TableGrowth
{
    public const int Lanes = 2000;
    public const int MaxBatchItems = 1_000_000;
    public const int RangeDays = 31;
    public const long MaxPrices = 100_000_000;

    private readonly IReadOnlyList<(string Orig, string Dest)> _lanes =
        LaneGenerator.Generate(PortCatalog.Default, SeedSpec.Default.Seed, Lanes).Select(l => (l.OrigCode, l.DestCode)).ToList();

    /// <summary>Growth batches sent so far; the next one takes the next block of days.</summary>
    public int Batches { get; private set; }

    /// <summary>
    /// The points to measure at: 1M, 10M, ... between <paramref name="current"/> and <paramref name="target"/>, then the
    /// target itself; when no power of ten lies between them, one growth batch above the current size first, so the
    /// curve always has two points.
    /// </summary>
    public static IReadOnlyList<long> Checkpoints(long current, long target)
    {
        var points = new List<long>();
        for (long point = 1_000_000; point < target; point *= 10)
        {
            if (point > current)
                points.Add(point);
        }

        if (points.Count == 0 && target - current > MaxBatchItems)
            points.Add(current + MaxBatchItems);
        points.Add(target);
        return points;
    }

    /// <summary>The next batch: its days come after every earlier growth batch's.</summary>
    public BatchSpec Next(int items)
    {
        var start = BenchmarkPlan.FirstGrowthDay.AddDays(Batches * BenchmarkPlan.GrowthDaysPerBatch);
        if (start.AddDays(BenchmarkPlan.GrowthDaysPerBatch) > BenchmarkPlan.LastReservedDay.AddDays(-60))
            throw new BuildFailedException("--prices: the growth's batches do not fit in the benchmark's reserved days; ask for fewer prices.");
        Batches++;
        return new BatchSpec { Items = items, Days = BenchmarkPlan.GrowthDaysPerBatch, Lanes = Lanes, Format = BatchFormat.Csv, StartDay = start };
    }

    /// <summary>A /rates request over <see cref="RangeDays"/> days of a random lane, within the days grown so far.</summary>
    public string Query(Random random)
    {
        var (orig, dest) = _lanes[random.Next(_lanes.Count)];
        var days = Batches * BenchmarkPlan.GrowthDaysPerBatch;
        var from = BenchmarkPlan.FirstGrowthDay.AddDays(random.Next(Math.Max(1, days - RangeDays + 1)));
        return string.Create(CultureInfo.InvariantCulture,
            $"/rates?date_from={from:yyyy-MM-dd}&date_to={from.AddDays(RangeDays - 1):yyyy-MM-dd}&orig_code={orig}&dest_code={dest}");
    }
}
