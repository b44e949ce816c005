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
    /// is read into a spool before the database work starts, so no connection waits for a client.
    /// </summary>
    [Range(1, 3600, ErrorMessage = "Batches:StatementTimeoutSeconds must be between 1 and 3600.")]
    public int StatementTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// Uploads processed at once. One more is answered 503 with Retry-After at once, so uploads can never take
    /// what reads need: they have their own pool of this many database connections, apart from the pool of
    /// <c>GET /rates</c> (Database:MaxPoolSize).
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Batches:MaxConcurrent must be between 1 and 1000.")]
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>
    /// A gzip body may inflate at most this many times (after its first MiB): real batches compress 5 to 30
    /// times; a body of padding (a "gzip bomb") is refused with 413 as soon as it crosses the ratio.
    /// </summary>
    [Range(2, 1_000_000, ErrorMessage = "Batches:MaxCompressionRatio must be between 2 and 1000000.")]
    public int MaxCompressionRatio { get; set; } = 200;

    /// <summary>
    /// An upload's parsed items are kept in memory up to this many bytes (about 40 an item), then in a temporary
    /// file, until the database takes them.
    /// </summary>
    [Range(typeof(long), "0", "1073741824", ErrorMessage = "Batches:SpoolMemoryBytes must be between 0 and 1073741824 (1 GiB).")]
    public long SpoolMemoryBytes { get; set; } = 1024 * 1024;
}
