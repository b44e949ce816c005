using System.ComponentModel.DataAnnotations;

namespace Rates.Api.Batches;

/// <summary>Configuration section <c>Batches</c> (environment variables <c>Batches__MaxItems</c>, ...).</summary>
public sealed class BatchesOptions
{
    public const string SectionName = "Batches";

    /// <summary>A batch with more items is refused with 413 as soon as the limit is crossed; nothing is written.</summary>
    [Range(1, 100_000_000, ErrorMessage = "Batches:MaxItems must be between 1 and 100000000.")]
    public int MaxItems { get; set; } = 1_000_000;

    /// <summary>
    /// The largest body accepted, in bytes after gzip decompression (and on the wire): bounds the work a single
    /// request can cause, e.g. a small gzip body that inflates to gigabytes of whitespace. 1,000,000 JSON items
    /// take about 90 MB; the default leaves ample room.
    /// </summary>
    [Range(typeof(long), "1024", "68719476736", ErrorMessage = "Batches:MaxBodyBytes must be between 1024 and 68719476736 (64 GiB).")]
    public long MaxBodyBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// Time allowed for the database work after the upload (validation and the insert into prices), which grows
    /// with the batch; the service-wide Database:StatementTimeoutSeconds is meant for small queries. The upload
    /// itself has no statement timeout: Kestrel's minimum request body data rate ends a stalled client.
    /// </summary>
    [Range(1, 3600, ErrorMessage = "Batches:StatementTimeoutSeconds must be between 1 and 3600.")]
    public int StatementTimeoutSeconds { get; set; } = 300;
}
