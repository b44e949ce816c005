using System.Data;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Npgsql;
using Rates.Api.Database;
using Rates.Api.Metrics;
using Rates.Api.Rates;

namespace Rates.Api.Batches;

/// <summary>One upload as the ingestor takes it: the checks of its headers have passed.</summary>
/// <param name="KeyId">The API key that signed the upload; null when anonymous writes are allowed.</param>
/// <param name="Elapsed">Time since the request began, for the batch's receipt time.</param>
internal sealed record BatchRequest(string BatchId, BatchFormat Format, bool Gzip, string? KeyId, Func<TimeSpan> Elapsed);

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
/// Ingests one batch upload in two steps. First the body is read from the network and parsed as it comes,
/// into a spool: every format, size and gzip check ends a bad upload there, at once, with no database work.
/// Then, on a connection of the uploads' own pool, one transaction claims the batch id, copies the spooled
/// items into a temporary staging table (binary COPY), checks the port codes with one query, and either
/// inserts everything into prices and commits, or rolls back. Memory stays flat whatever the batch size; any
/// failure (bad input, client gone, database error) ends in the rollback, so a batch is all in or not at all.
/// </summary>
internal sealed class BatchIngestor(
    [FromKeyedServices(BatchDataSource.Key)] NpgsqlDataSource dataSource,
    IOptions<BatchesOptions> options,
    ILogger<BatchIngestor> logger,
    RatesCache ratesCache)
{
    /// <summary>
    /// One item (or an ignored JSON member, or the blank lines and whitespace before an item) may not span more
    /// than this: a parser holds at most this much unparsed data, and rescans at most this much when more
    /// arrives, however the body is shaped. Items are about 100 bytes.
    /// </summary>
    internal const int MaxItemBytes = 64 * 1024;

    /// <exception cref="BatchFormatException">The body is not valid JSON/CSV/gzip (400).</exception>
    /// <exception cref="BatchTooLargeException">Too many items or bytes (413).</exception>
    public async Task<BatchOutcome> IngestAsync(BatchRequest request, Stream body, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var problems = new BatchProblems();
        await using var spool = new BatchSpool(settings.SpoolMemoryBytes);
        string contentSha256;
        await using (var content = new BatchBodyStream(body, request.Gzip, settings.MaxBodyBytes, settings.MaxCompressionRatio))
        {
            var codes = new PortCodeCache();
            IBatchParser parser = request.Format == BatchFormat.Json
                ? new JsonBatchParser(codes, problems, MaxItemBytes)
                : new CsvBatchParser(codes, problems, MaxItemBytes);
            await ReadItemsAsync(content, parser, settings.MaxItems, (items, _) => { spool.Add(items); return Task.CompletedTask; }, cancellationToken);
            contentSha256 = content.FinishHash();
        }

        if (spool.Count == 0)
        {
            return new BatchOutcome.Empty();
        }

        var claim = new BatchClaim(request.BatchId, contentSha256, spool.Count, request.KeyId, request.Elapsed());
        try
        {
            return await StoreAsync(claim, spool, problems, settings.StatementTimeoutSeconds, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // A port was deleted between the check and the insert: the check runs again and now names it.
            logger.LogInformation("Batch {BatchId}: a port went away during the insert; checking the batch again", request.BatchId);
            return await StoreAsync(claim, spool, problems, settings.StatementTimeoutSeconds, cancellationToken);
        }
        catch (Exception ex) when (DatabaseFailures.IsUnavailable(ex))
        {
            // As for the reads' pool (in the service-wide handler): after a failover the next upload connects afresh.
            dataSource.ForgetStaleConnections(ex);
            throw;
        }
    }

    private async Task<BatchOutcome> StoreAsync(BatchClaim claim, BatchSpool spool, BatchProblems problems, int timeoutSeconds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenMeasuredConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

        // Disposing the transaction without a commit rolls it back (and drops the staging table).
        var claimed = await BatchStore.ClaimAsync(connection, transaction, claim, timeoutSeconds, cancellationToken);
        if (claimed is null)
        {
            var existing = await BatchStore.FindAsync(connection, transaction, claim.BatchId, cancellationToken)
                ?? throw new InvalidOperationException($"Batch {claim.BatchId} conflicted on insert but is not in the batches table.");
            return Compare(existing, claim.ContentSha256);
        }

        await BatchStore.CreateStagingAsync(connection, transaction, cancellationToken);
        await using (var importer = await BatchStore.BeginCopyAsync(connection, cancellationToken))
        {
            // Disposing an importer that was not completed cancels the COPY.
            foreach (var item in spool.Read())
            {
                await BatchStore.WriteAsync(importer, item, cancellationToken);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        var unknown = await BatchStore.FindUnknownPortsAsync(connection, transaction, timeoutSeconds, cancellationToken);
        var invalidItems = problems.InvalidItems + unknown.NewlyInvalidItems;
        if (invalidItems > 0)
        {
            return new BatchOutcome.Invalid(claim.Items, invalidItems, problems.MergeSample(unknown.Sample));
        }

        await BatchStore.InsertPricesAsync(connection, transaction, claim.BatchId, timeoutSeconds, cancellationToken);

        // Once the work is done, a client hanging up no longer cancels it: the commit either happens or fails
        // on its own, and a retry learns which.
        await transaction.CommitConfirmedAsync(connection);
        // The database announces the change to every instance; this one also forgets at once, so the uploader's
        // next GET /rates here already sees the batch.
        ratesCache.Clear();
        return new BatchOutcome.Created(claimed);
    }

    private static BatchOutcome Compare(BatchRecord existing, string contentSha256) =>
        string.Equals(existing.ContentSha256, contentSha256, StringComparison.Ordinal)
            ? new BatchOutcome.Replayed(existing)
            : new BatchOutcome.Conflict(existing, contentSha256);

    /// <summary>
    /// Parses the body buffer by buffer and hands each buffer's items to <paramref name="consume"/> before reading
    /// on, so at most one buffer of items is held. Returns the number of items (valid or not).
    /// </summary>
    /// <exception cref="BatchTooLargeException">More than <paramref name="maxItems"/> items: reading stops there.</exception>
    /// <exception cref="BatchFormatException">
    /// More than <see cref="MaxItemBytes"/> per item were read (blank lines, whitespace): the body cannot be a
    /// batch of that many items, so reading stops there.
    /// </exception>
    internal static async Task<int> ReadItemsAsync(
        Stream content,
        IBatchParser parser,
        int maxItems,
        Func<List<StagedItem>, CancellationToken, Task> consume,
        CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(content, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var items = new List<StagedItem>(1024);
        long consumed = 0;
        try
        {
            while (true)
            {
                var result = await pipe.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                items.Clear();
                var used = parser.Parse(buffer, result.IsCompleted, items);
                consumed += buffer.Slice(0, used).Length;
                if (consumed + buffer.Slice(used).Length > (parser.ItemsRead + 2L) * MaxItemBytes)
                {
                    throw BatchFormatException.Body(string.Create(
                        CultureInfo.InvariantCulture,
                        $"The body holds more than {MaxItemBytes} bytes per item ({parser.ItemsRead} items in the first {consumed + buffer.Slice(used).Length} bytes): blank lines, whitespace or ignored members count too."));
                }

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
