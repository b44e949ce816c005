using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Prometheus;

namespace Rates.Api.Batches;

/// <summary>Why a batch was not committed: the <c>reason</c> label of <c>rates_batches_rejected_total</c>.</summary>
internal static class RejectReasons
{
    public const string InvalidId = "invalid_id";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string Malformed = "malformed";
    public const string InvalidItems = "invalid_items";
    public const string Empty = "empty";
    public const string TooLarge = "too_large";
    public const string Conflict = "conflict";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string Aborted = "aborted";
    public const string Busy = "busy";
    public const string ShuttingDown = "shutting_down";
}

/// <summary>
/// Batch ingestion on <c>GET /metrics</c> (prometheus-net's default registry, beside the HTTP and Npgsql
/// metrics). Rows per second: <c>rate(rates_batch_rows_committed_total[1m])</c> over time, and
/// <c>rates_batch_last_rows_per_second</c> for the most recent batch end to end (upload included).
/// </summary>
internal static class BatchMetrics
{
    public static readonly Counter Received = Prometheus.Metrics.CreateCounter(
        "rates_batches_received_total", "Batch uploads (PUT /batches/{id}) received, by body format (json, csv, or other for a refused media type).", "format");

    public static readonly Counter Committed = Prometheus.Metrics.CreateCounter(
        "rates_batches_committed_total", "Batches committed (201).");

    public static readonly Counter Replayed = Prometheus.Metrics.CreateCounter(
        "rates_batches_replayed_total", "Uploads of a batch already committed with the same content (200, nothing written).");

    public static readonly Counter Rejected = Prometheus.Metrics.CreateCounter(
        "rates_batches_rejected_total", "Batch uploads refused or failed, nothing written, by reason.", "reason");

    public static readonly Counter RowsCommitted = Prometheus.Metrics.CreateCounter(
        "rates_batch_rows_committed_total", "Price rows committed by batches.");

    public static readonly Gauge LastRowsPerSecond = Prometheus.Metrics.CreateGauge(
        "rates_batch_last_rows_per_second", "Rows per second of the last committed batch, from the start of the request to the commit.");

    public static readonly Gauge InFlight = Prometheus.Metrics.CreateGauge(
        "rates_batches_in_flight", "Batch uploads being processed now.");

    public static readonly Histogram Items = Prometheus.Metrics.CreateHistogram(
        "rates_batch_items", "Items per committed batch.", new HistogramConfiguration
        {
            Buckets = [1, 10, 100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000],
        });

    public static readonly Histogram Duration = Prometheus.Metrics.CreateHistogram(
        "rates_batch_duration_seconds", "Time from the start of a batch upload to its answer, by outcome (committed, replayed, rejected).",
        new HistogramConfiguration
        {
            LabelNames = ["outcome"],
            Buckets = Histogram.ExponentialBuckets(0.005, 2, 16), // 5 ms .. about 164 s
        });
}

/// <summary>
/// One batch upload as the metrics and the log see it: counted as received when it starts, as in flight until
/// disposed, and then as exactly one of committed, replayed or rejected (by reason), with its duration.
/// </summary>
internal sealed class BatchUpload : IDisposable
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly string _batchId;
    private readonly ILogger _logger;

    public BatchUpload(string batchId, BatchFormat? format, ILogger logger)
    {
        _batchId = batchId;
        _logger = logger;
        BatchMetrics.Received.WithLabels(format switch { BatchFormat.Json => "json", BatchFormat.Csv => "csv", _ => "other" }).Inc();
        BatchMetrics.InFlight.Inc();
    }

    /// <summary>Time since the upload began.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    public Created<BatchReceipt> Committed(BatchRecord batch)
    {
        var elapsed = Elapsed;
        var rowsPerSecond = batch.Items / Math.Max(elapsed.TotalSeconds, 1e-6);
        BatchMetrics.Committed.Inc();
        BatchMetrics.RowsCommitted.Inc(batch.Items);
        BatchMetrics.Items.Observe(batch.Items);
        BatchMetrics.LastRowsPerSecond.Set(rowsPerSecond);
        BatchMetrics.Duration.WithLabels("committed").Observe(elapsed.TotalSeconds);
        _logger.LogInformation(
            "Batch {BatchId} committed: {Items} items in {ElapsedMs:F0} ms ({RowsPerSecond:F0} rows/s)",
            batch.BatchId, batch.Items, elapsed.TotalMilliseconds, rowsPerSecond);
        return TypedResults.Created($"/batches/{batch.BatchId}", BatchReceipt.Of(batch));
    }

    public Ok<BatchReceipt> Replayed(BatchRecord batch)
    {
        BatchMetrics.Replayed.Inc();
        BatchMetrics.Duration.WithLabels("replayed").Observe(Elapsed.TotalSeconds);
        _logger.LogInformation("Batch {BatchId} was already committed with the same content; nothing written", batch.BatchId);
        return TypedResults.Ok(BatchReceipt.Of(batch));
    }

    public ProblemHttpResult Refused(string reason, ProblemHttpResult problem)
    {
        Failed(reason);
        _logger.LogInformation(
            "Batch {BatchId} refused ({Status}, {Reason}): {Detail}",
            BatchesEndpoints.Shorten(_batchId), problem.StatusCode, reason, problem.ProblemDetails.Detail);
        return problem;
    }

    /// <summary>Counts an upload that ends in an exception answered elsewhere (503).</summary>
    public void Failed(string reason)
    {
        BatchMetrics.Rejected.WithLabels(reason).Inc();
        BatchMetrics.Duration.WithLabels("rejected").Observe(Elapsed.TotalSeconds);
    }

    public void Dispose() => BatchMetrics.InFlight.Dec();
}
