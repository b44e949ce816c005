using System.Globalization;
using System.Text;

namespace Rates.Build.Benchmark;

/// <summary>
/// Uncached /rates of this service against the original Flask service on the same database and indexes: the same
/// closed loop (request, connections, phase length), the two interleaved in <see cref="Rounds"/> rounds so that a slow
/// phase of the machine hits both alike; the ratio is of the medians.
/// </summary>
internal sealed record OriginalComparison(string Description, IReadOnlyList<ClosedLoopResult> Service, IReadOnlyList<ClosedLoopResult> Original)
{
    public const double Goal = 10;
    public const int Rounds = 3;

    public double ServiceMedian => BenchmarkStatistics.Median(Service.Select(r => r.RequestsPerSecond));
    public double OriginalMedian => BenchmarkStatistics.Median(Original.Select(r => r.RequestsPerSecond));
    public double Ratio => ServiceMedian / OriginalMedian;
    public long Errors => Service.Sum(r => r.Errors) + Original.Sum(r => r.Errors);

    /// <summary>The goal row of the summary: goal, measured, verdict; "not measured" (and how to) without a comparison.</summary>
    public static (string Goal, string Measured, string Verdict) GoalRow(OriginalComparison? comparison) =>
        (I($"Uncached `/rates` ≥ {Goal} × the original service ({OriginalService.Workers} gunicorn workers, same database and index)"),
            comparison is null
                ? $"not measured: {OriginalService.HowToMeasure}"
                : I($"{comparison.ServiceMedian:N0} /s vs {comparison.OriginalMedian:N0} /s = {comparison.Ratio:0.00} × (medians of {comparison.Service.Count} interleaved rounds, {comparison.Errors:N0} errors)"),
            comparison is null ? "not measured" : comparison.Ratio >= Goal && comparison.Errors == 0 ? "met" : "not met");

    public static void Render(StringBuilder md, OriginalComparison? comparison, int connections, TimeSpan phase)
    {
        md.AppendLine("### `/rates` against the original service");
        md.AppendLine();
        if (comparison is null)
        {
            md.AppendLine($"Not measured in this run. To measure it: {OriginalService.HowToMeasure}.");
            md.AppendLine();
            return;
        }

        md.AppendLine(I($"The original Flask service ({OriginalService.Repository}, `rates/`) as it is deployed, `gunicorn -w {OriginalService.Workers} 'rates:create_app()'` ({comparison.Description}), on the same database and indexes, against this service with the cache off: the same request, {connections} connections, {phase.TotalSeconds:0} s each, the two alternating in {comparison.Service.Count} rounds."));
        md.AppendLine();
        md.AppendLine("| Round | This service, requests/s | p50 | p99 | Errors | The original, requests/s | p50 | p99 | Errors | Ratio |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < comparison.Service.Count; i++)
        {
            var (s, o) = (comparison.Service[i], comparison.Original[i]);
            md.AppendLine(I($"| {i + 1} | {s.RequestsPerSecond:N0} | {BenchmarkReport.Ms(s.P50Ms)} | {BenchmarkReport.Ms(s.P99Ms)} | {s.Errors:N0} | {o.RequestsPerSecond:N0} | {BenchmarkReport.Ms(o.P50Ms)} | {BenchmarkReport.Ms(o.P99Ms)} | {o.Errors:N0} | {s.RequestsPerSecond / o.RequestsPerSecond:0.00} × |"));
        }

        md.AppendLine(I($"| median | {comparison.ServiceMedian:N0} | | | | {comparison.OriginalMedian:N0} | | | | **{comparison.Ratio:0.00} ×** (goal ≥ {Goal} ×) |"));
        md.AppendLine();
    }

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
