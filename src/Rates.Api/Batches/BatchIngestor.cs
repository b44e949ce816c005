using System.Data;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Npgsql;
using Rates.Api.Database;
using Rates.Api.Metrics;

namespace Rates.Api.Batches;

/// <summary>What became of an upload that was read to its end (400 and 413 are exceptions: the read stops early).</summary>
internal abstract record BatchOutcome
{
    /// <summary>201: committed by this upload.</summary>
    public sealed record Created(BatchRecord Batch) : BatchOutcome;

    /// <summary>200: the same id was committed before with the same content; nothing written.</summary>
    public sealed record Replayed(BatchRecord Batch) : BatchOutcome;

    /// <summary>409: the same id was committed before with other content; nothing written.</summary>
    public sealed record Conflict(BatchRecord Existing, string ContentSha256) : BatchOutcome;

    /// <summary>422: some items are invalid; nothing written.</summary>
    public sealed record Invalid(int Items, int InvalidItems, IReadOnlyList<InvalidBatchItem> Sample) : BatchOutcome;

    /// <summary>422: a well-formed body without items.</summary>
    public sealed record Empty : BatchOutcome;
}

/// <summary>
/// Ingests one batch upload: the body is parsed as it streams in and every item goes straight into a binary
/// COPY to a temporary staging table, inside one transaction; then one query checks the port codes, and
/// either everything is inserted into prices and the batch recorded, or the transaction is rolled back.
/// Memory stays flat whatever the batch size; any failure (bad input, client gone, database error) ends in
/// the rollback, so a batch is all in or not at all.
/// </summary>
internal sealed class BatchIngestor(NpgsqlDataSource dataSource, IOptions<BatchesOptions> options)
{
    /// <summary>
    /// One item (or an ignored JSON member) may not span more than this: a parser holds at most this much
    /// unparsed data, and rescans at most this much when more arrives, however the body is shaped. Items are
    /// about 100 bytes.
    /// </summary>
    internal const int MaxItemBytes = 64 * 1024;

    public Task<BatchRecord?> FindAsync(string batchId, CancellationToken cancellationToken) =>
        BatchStore.FindAsync(dataSource, batchId, cancellationToken);

    /// <exception cref="BatchFormatException">The body is not valid JSON/CSV/gzip (400).</exception>
    /// <exception cref="BatchTooLargeException">Too many items or bytes (413).</exception>
    public async Task<BatchOutcome> IngestAsync(string batchId, BatchFormat format, bool gzip, Stream body, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var content = new BatchBodyStream(body, gzip, settings.MaxBodyBytes);

        // A retry of a committed batch only needs the content hash: no staging, no connection held meanwhile.
        if (await FindAsync(batchId, cancellationToken) is { } existing)
        {
            await content.ReadToEndAsync(cancellationToken);
            return Compare(existing, content.FinishHash());
        }

        var problems = new BatchProblems();
        var codes = new PortCodeCache();
        IBatchParser parser = format == BatchFormat.Json
            ? new JsonBatchParser(codes, problems, MaxItemBytes)
            : new CsvBatchParser(codes, problems, MaxItemBytes);

        await using var connection = await dataSource.OpenMeasuredConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var receivedAt = await BatchStore.CreateStagingAsync(connection, transaction, cancellationToken);

        // Disposing an importer that was not completed cancels the COPY; disposing the transaction without a
        // commit rolls it back (and drops the staging table).
        int items;
        await using (var importer = await BatchStore.BeginCopyAsync(connection, cancellationToken))
        {
            items = await CopyItemsAsync(content, parser, importer, settings.MaxItems, cancellationToken);
            await importer.CompleteAsync(cancellationToken);
        }

        var contentSha256 = content.FinishHash();
        if (items == 0)
        {
            return new BatchOutcome.Empty();
        }

        var unknown = await BatchStore.FindUnknownPortsAsync(connection, transaction, settings.StatementTimeoutSeconds, cancellationToken);
        var invalidItems = problems.InvalidItems + unknown.NewlyInvalidItems;
        if (invalidItems > 0)
        {
            return new BatchOutcome.Invalid(items, invalidItems, problems.MergeSample(unknown.Sample));
        }

        var committed = await BatchStore.InsertAsync(
            connection, transaction, batchId, contentSha256, items, receivedAt, settings.StatementTimeoutSeconds, cancellationToken);
        if (committed is null)
        {
            // Another upload of this id committed while this one streamed.
            await transaction.RollbackAsync(CancellationToken.None);
            var winner = await FindAsync(batchId, cancellationToken)
                ?? throw new InvalidOperationException($"Batch {batchId} conflicted on insert but is not in the batches table.");
            return Compare(winner, contentSha256);
        }

        await transaction.CommitConfirmedAsync(connection);
        return new BatchOutcome.Created(committed);
    }

    private static BatchOutcome Compare(BatchRecord existing, string contentSha256) =>
        string.Equals(existing.ContentSha256, contentSha256, StringComparison.Ordinal)
            ? new BatchOutcome.Replayed(existing)
            : new BatchOutcome.Conflict(existing, contentSha256);

    /// <summary>Streams the body's items into the COPY, one buffer's worth at a time. Returns the number of items (valid or not).</summary>
    private static Task<int> CopyItemsAsync(
        BatchBodyStream content,
        IBatchParser parser,
        NpgsqlBinaryImporter importer,
        int maxItems,
        CancellationToken cancellationToken) =>
        ReadItemsAsync(
            content,
            parser,
            maxItems,
            async (items, ct) =>
            {
                foreach (var item in items)
                {
                    await BatchStore.WriteAsync(importer, item, ct);
                }
            },
            cancellationToken);

    /// <summary>
    /// Parses the body buffer by buffer and hands each buffer's items to <paramref name="consume"/> before reading
    /// on, so at most one buffer of items is held. Returns the number of items (valid or not).
    /// </summary>
    /// <exception cref="BatchTooLargeException">More than <paramref name="maxItems"/> items: reading stops there.</exception>
    internal static async Task<int> ReadItemsAsync(
        Stream content,
        IBatchParser parser,
        int maxItems,
        Func<List<StagedItem>, CancellationToken, Task> consume,
        CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(content, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var items = new List<StagedItem>(1024);
        try
        {
            while (true)
            {
                var result = await pipe.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                items.Clear();
                var used = parser.Parse(buffer, result.IsCompleted, items);
                if (parser.ItemsRead > maxItems)
                {
                    throw new BatchTooLargeException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"The batch has more than {maxItems} items (Batches:MaxItems). Split it into smaller batches."));
                }

                pipe.AdvanceTo(used, buffer.End);
                await consume(items, cancellationToken);
                if (result.IsCompleted)
                {
                    return parser.ItemsRead;
                }
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }
}
