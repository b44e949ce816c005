namespace Rates.Build.Benchmark;

/// <summary>Order statistics of measured values.</summary>
internal static class BenchmarkStatistics
{
    /// <summary>The middle value; the mean of the two middle values for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            throw new ArgumentException("No values.", nameof(values));
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// Nearest-rank percentile of ascending <paramref name="sorted"/> values: the smallest value with at least
    /// <paramref name="percent"/>% of the values at or below it (so p99 of 100 values is the 99th, never an interpolation).
    /// </summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        if (sorted.Count == 0)
            throw new ArgumentException("No values.", nameof(sorted));
        if (percent is <= 0 or > 100)
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "Between 0 (exclusive) and 100.");
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}

/// <summary>The repetitions of one ingestion path (API JSON, API CSV or psql COPY).</summary>
internal sealed record IngestionSeries(string Name, int Items, IReadOnlyList<TimeSpan> Durations)
{
    public double MedianSeconds => BenchmarkStatistics.Median(Durations.Select(d => d.TotalSeconds));

    public double MinSeconds => Durations.Min(d => d.TotalSeconds);

    /// <summary>Rows per second of the median run.</summary>
    public double MedianRowsPerSecond => Items / MedianSeconds;

    /// <summary>Rows per second of the fastest run.</summary>
    public double BestRowsPerSecond => Items / MinSeconds;
}

/// <summary>Latency of GET /rates in one phase, in milliseconds.</summary>
internal sealed record LatencySummary(
    string Phase, int Requests, int Errors, TimeSpan Duration, double P50, double P95, double P99, double Max, IReadOnlyList<string> ErrorSamples)
{
    /// <summary>Answered requests (any status) per second over the phase.</summary>
    public double RequestsPerSecond => (Requests + Errors) / Duration.TotalSeconds;

    public static LatencySummary From(string phase, IEnumerable<double> latenciesMs, int errors, TimeSpan duration, IReadOnlyList<string> errorSamples)
    {
        var sorted = latenciesMs.Order().ToArray();
        if (sorted.Length == 0)
            return new LatencySummary(phase, 0, errors, duration, double.NaN, double.NaN, double.NaN, double.NaN, errorSamples);
        return new LatencySummary(phase, sorted.Length, errors, duration,
            BenchmarkStatistics.Percentile(sorted, 50), BenchmarkStatistics.Percentile(sorted, 95),
            BenchmarkStatistics.Percentile(sorted, 99), sorted[^1], errorSamples);
    }
}

/// <summary>Batches committed while the readers of a latency phase ran.</summary>
/// <param name="Coverage">Share of the phase during which at least one upload was in flight, 0 to 1.</param>
internal sealed record LoadSummary(int Uploaders, int Batches, long Rows, TimeSpan Elapsed, double Coverage, IReadOnlyList<TimeSpan> BatchDurations)
{
    public double RowsPerSecond => Elapsed > TimeSpan.Zero ? Rows / Elapsed.TotalSeconds : 0;

    /// <summary>
    /// How much of <c>[0, window]</c> the <paramref name="intervals"/> (offsets from the start of the window) cover
    /// together; overlapping uploads count once.
    /// </summary>
    public static double CoverageOf(IEnumerable<(TimeSpan Start, TimeSpan End)> intervals, TimeSpan window)
    {
        if (window <= TimeSpan.Zero)
            return 0;
        var covered = TimeSpan.Zero;
        var reach = TimeSpan.Zero;
        foreach (var (start, end) in intervals.Select(i => (Start: Clamp(i.Start), End: Clamp(i.End))).OrderBy(i => i.Start))
        {
            var from = start > reach ? start : reach;
            if (end > from)
            {
                covered += end - from;
                reach = end;
            }
        }

        return covered / window;

        TimeSpan Clamp(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value > window ? window : value;
    }
}
