using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Rates.Synthetic;

/// <summary>
/// Streams a synthetic batch body (JSON or CSV, optionally gzip) to a stream, item by item, in chunks of
/// about 64 KiB: memory use does not grow with the item count.
/// <para>
/// Determinism: the uncompressed body is a pure function of the <see cref="BatchSpec"/>. The gzip bytes are
/// reproducible on one runtime (same .NET/zlib build, same chunking) but gzip output is not guaranteed
/// identical across zlib implementations or versions; compare <see cref="BatchSummary.UncompressedSha256"/>
/// when the identity of the content matters.
/// </para>
/// </summary>
public static class BatchWriter
{
    /// <summary>Progress is reported every this many items, and once at the end.</summary>
    public const int ProgressInterval = 1_000;

    private const int ChunkBytes = 64 * 1024;
    private static readonly JsonEncodedText PricesName = JsonEncodedText.Encode("prices");
    private static readonly JsonEncodedText OrigName = JsonEncodedText.Encode("orig_code");
    private static readonly JsonEncodedText DestName = JsonEncodedText.Encode("dest_code");
    private static readonly JsonEncodedText DayName = JsonEncodedText.Encode("day");
    private static readonly JsonEncodedText PriceName = JsonEncodedText.Encode("price");
    private static readonly byte[] CsvHeader = "orig_code,dest_code,day,price\n"u8.ToArray();

    /// <summary>
    /// Writes the batch described by <paramref name="spec"/> to <paramref name="output"/> (left open) and
    /// returns what was written. <paramref name="progress"/> receives the number of items written so far.
    /// </summary>
    /// <exception cref="ArgumentException">The spec is invalid (the message names the field and its range) or the stream is not writable.</exception>
    public static Task<BatchSummary> WriteAsync(BatchSpec spec, Stream output, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        WriteAsync(spec, output, PortCatalog.Default, progress, cancellationToken);

    public static async Task<BatchSummary> WriteAsync(BatchSpec spec, Stream output, PortCatalog catalog, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(catalog);
        spec.Validate(catalog);
        if (!output.CanWrite)
            throw new ArgumentException("The output stream must be writable.", nameof(output));

        cancellationToken.ThrowIfCancellationRequested();
        var generator = new BatchItemGenerator(spec, catalog);
        var invalidByKind = Enum.GetValues<InvalidItemKind>().ToDictionary(k => k, _ => 0);
        var firstInvalid = new List<InvalidItem>();
        var invalidCount = 0;

        // output <- fileHash <- [gzip <-] contentHash <- chunks
        using var fileHash = new HashingStream(output);
        var gzip = spec.Gzip ? new GZipStream(fileHash, CompressionLevel.Optimal, leaveOpen: true) : null;
        using var contentHash = new HashingStream(gzip ?? (Stream)fileHash);
        try
        {
            var buffer = new ArrayBufferWriter<byte>(ChunkBytes * 2);
            using var json = spec.Format == BatchFormat.Json ? new Utf8JsonWriter(buffer) : null;
            if (json is not null)
            {
                json.WriteStartObject();
                json.WriteStartArray(PricesName);
            }
            else
            {
                buffer.Write(CsvHeader);
            }

            for (var i = 0; i < spec.Items; i++)
            {
                var item = generator.Next(i, out var invalid);
                if (invalid is not null)
                {
                    invalidCount++;
                    invalidByKind[invalid.Kind]++;
                    if (firstInvalid.Count < BatchSummary.InvalidItemSampleSize)
                        firstInvalid.Add(invalid);
                }

                if (json is not null)
                {
                    WriteJsonItem(json, item);
                    if (json.BytesPending >= ChunkBytes)
                        json.Flush();
                }
                else
                {
                    WriteCsvItem(buffer, item);
                }

                if (buffer.WrittenCount >= ChunkBytes)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await contentHash.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                }

                if ((i + 1) % ProgressInterval == 0)
                    progress?.Report(i + 1);
            }

            if (json is not null)
            {
                json.WriteEndArray();
                json.WriteEndObject();
                json.Flush();
            }

            await contentHash.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            if (spec.Items % ProgressInterval != 0)
                progress?.Report(spec.Items);
        }
        finally
        {
            // Completes the gzip stream (final block and trailer); nothing is flushed mid-stream, so the
            // compressed bytes depend only on the content and the chunking above.
            if (gzip is not null)
                await gzip.DisposeAsync().ConfigureAwait(false);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);

        return new BatchSummary
        {
            Spec = spec,
            Items = spec.Items,
            InvalidItems = invalidCount,
            InvalidByKind = invalidByKind,
            FirstInvalidItems = firstInvalid,
            Bytes = fileHash.BytesWritten,
            Sha256 = fileHash.FinishHash(),
            UncompressedBytes = contentHash.BytesWritten,
            UncompressedSha256 = contentHash.FinishHash(),
        };
    }

    private static void WriteJsonItem(Utf8JsonWriter json, BatchItem item)
    {
        json.WriteStartObject();
        if (item.OrigCode is not null)
            json.WriteString(OrigName, item.OrigCode);
        if (item.DestCode is not null)
            json.WriteString(DestName, item.DestCode);
        if (item.Day is not null)
            json.WriteString(DayName, item.Day);
        if (item.Price is { } price)
            json.WriteNumber(PriceName, price);
        json.WriteEndObject();
    }

    // Values never contain commas, quotes or line breaks (codes, dates, numbers), so no quoting is needed.
    private static void WriteCsvItem(ArrayBufferWriter<byte> buffer, BatchItem item)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{item.OrigCode},{item.DestCode},{item.Day},{item.Price}\n");
        var written = Encoding.UTF8.GetBytes(line, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length)));
        buffer.Advance(written);
    }
}
