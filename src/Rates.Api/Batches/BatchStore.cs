using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Rates.Api.Database;

namespace Rates.Api.Batches;

/// <summary>A committed batch: a row of public.batches.</summary>
internal sealed record BatchRecord(string BatchId, string ContentSha256, int Items, DateTime ReceivedAt, DateTime CommittedAt);

/// <summary>Unknown port codes found by the database: the first problems in batch order, and how many items they make invalid.</summary>
internal sealed record UnknownPorts(IReadOnlyList<InvalidBatchItem> Sample, int NewlyInvalidItems);

/// <summary>
/// The SQL of batch ingestion. Items are staged by binary COPY into a temporary table that lives only as long
/// as the transaction; validation against ports is one set-based query; the commit is one INSERT ... SELECT
/// plus the batches row, in the same transaction.
/// </summary>
/// <remarks>
/// Locking: the staging table is private to the session; the validation and the insert's check of ports (a
/// statement trigger, db/migrations/0006) take FOR KEY SHARE on the ports the batch names, which never conflicts
/// with another batch's KEY SHARE (only with deleting a port or changing its code); INSERT into prices locks only
/// its new rows. So batches with different ids never wait for each other, and readers of prices never
/// wait at all (MVCC): they see a batch's rows once it commits, all at once. Two uploads of the same id meet
/// only at the batches primary key: the second INSERT waits for the first transaction and then finds the row.
/// </remarks>
internal static class BatchStore
{
    private const string FindSql = """
        SELECT id, content_sha256, item_count, received_at, committed_at
        FROM public.batches
        WHERE id = @id
        """;

    // The upload streams for as long as the client sends, so the statement timeout is lifted for it (a
    // stalled client is ended by Kestrel's minimum data rate instead); it is set again before the
    // validation and the insert.
    private const string CreateStagingSql = """
        SELECT clock_timestamp();
        SET LOCAL statement_timeout = 0;
        CREATE TEMPORARY TABLE batch_items (
            item integer NOT NULL,
            line bigint,
            orig_code text,
            dest_code text,
            day date,
            price integer,
            valid boolean NOT NULL
        ) ON COMMIT DROP;
        """;

    private const string CopySql =
        "COPY pg_temp.batch_items (item, line, orig_code, dest_code, day, price, valid) FROM STDIN (FORMAT BINARY)";

    // Every code that names no port, as (item, field) problems in batch order, and the number of items that
    // only these problems make invalid (the others are counted already). The ports the batch names are locked
    // FOR KEY SHARE here (as the insert's check of ports will), so none can be deleted between this check and
    // the commit: the insert cannot fail on a missing port. (Written as a filter on ports, the planner
    // estimates "known" from the ports table and hash-joins the staged rows against it; the staging table has
    // no statistics.)
    private const string UnknownPortsSql = """
        WITH known AS (
            SELECT p.code
            FROM public.ports p
            WHERE p.code IN (SELECT orig_code FROM pg_temp.batch_items) OR p.code IN (SELECT dest_code FROM pg_temp.batch_items)
            FOR KEY SHARE OF p
        ), unknown AS (
            SELECT s.item, s.line, s.valid,
                   CASE WHEN s.orig_code IS NOT NULL AND o.code IS NULL THEN s.orig_code END AS orig_code,
                   CASE WHEN s.dest_code IS NOT NULL AND d.code IS NULL THEN s.dest_code END AS dest_code
            FROM pg_temp.batch_items s
            LEFT JOIN known o ON o.code = s.orig_code
            LEFT JOIN known d ON d.code = s.dest_code
            WHERE (s.orig_code IS NOT NULL AND o.code IS NULL) OR (s.dest_code IS NOT NULL AND d.code IS NULL)
        ), problems AS (
            SELECT item, line, 0 AS field_rank, 'orig_code' AS field, orig_code AS code FROM unknown WHERE orig_code IS NOT NULL
            UNION ALL
            SELECT item, line, 1, 'dest_code', dest_code FROM unknown WHERE dest_code IS NOT NULL
        )
        SELECT item, line, field, code, (SELECT count(*) FROM unknown WHERE valid)::integer AS newly_invalid
        FROM problems
        ORDER BY item, field_rank
        LIMIT @limit
        """;

    // Every row records its batch (lineage: db/migrations/0005_prices_batch_lineage.sql).
    private const string InsertPricesSql = """
        INSERT INTO public.prices (orig_code, dest_code, day, price, batch_id)
        SELECT orig_code, dest_code, day, price, @id
        FROM pg_temp.batch_items
        """;

    // DO NOTHING answers "someone committed this id first"; that row is then read and compared by hash.
    private const string InsertBatchSql = """
        INSERT INTO public.batches (id, content_sha256, item_count, received_at, committed_at)
        VALUES (@id, @sha256, @items, @received_at, clock_timestamp())
        ON CONFLICT (id) DO NOTHING
        RETURNING id, content_sha256, item_count, received_at, committed_at
        """;

    public static Task<BatchRecord?> FindAsync(NpgsqlDataSource dataSource, string batchId, CancellationToken cancellationToken) =>
        dataSource.ReadAsync(
            async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand(FindSql, connection);
                command.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = batchId });
                await using var reader = await command.ExecuteReaderAsync(ct);
                return await reader.ReadAsync(ct) ? ReadRecord(reader) : null;
            },
            cancellationToken);

    /// <summary>Creates the staging table in the open transaction; returns the database's clock as the batch's receipt time.</summary>
    public static async Task<DateTime> CreateStagingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(CreateStagingSql, connection, transaction);
        return (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public static Task<NpgsqlBinaryImporter> BeginCopyAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.BeginBinaryImportAsync(CopySql, cancellationToken);

    public static async ValueTask WriteAsync(NpgsqlBinaryImporter importer, StagedItem item, CancellationToken cancellationToken)
    {
        await importer.StartRowAsync(cancellationToken);
        await importer.WriteAsync(item.Index, NpgsqlDbType.Integer, cancellationToken);
        if (item.Line is { } line)
        {
            await importer.WriteAsync(line, NpgsqlDbType.Bigint, cancellationToken);
        }
        else
        {
            await importer.WriteNullAsync(cancellationToken);
        }

        await WriteTextAsync(importer, item.OrigCode, cancellationToken);
        await WriteTextAsync(importer, item.DestCode, cancellationToken);
        if (item.Day is { } day)
        {
            await importer.WriteAsync(day, NpgsqlDbType.Date, cancellationToken);
        }
        else
        {
            await importer.WriteNullAsync(cancellationToken);
        }

        if (item.Price is { } price)
        {
            await importer.WriteAsync(price, NpgsqlDbType.Integer, cancellationToken);
        }
        else
        {
            await importer.WriteNullAsync(cancellationToken);
        }

        await importer.WriteAsync(item.Valid, NpgsqlDbType.Boolean, cancellationToken);
    }

    public static async Task<UnknownPorts> FindUnknownPortsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        int timeoutSeconds,
        CancellationToken cancellationToken)
    {
        await SetStatementTimeoutAsync(connection, transaction, timeoutSeconds, cancellationToken);
        await using var command = new NpgsqlCommand(UnknownPortsSql, connection, transaction) { CommandTimeout = ClientTimeout(timeoutSeconds) };
        command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = BatchProblems.SampleSize });
        var sample = new List<InvalidBatchItem>();
        var newlyInvalid = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sample.Add(new InvalidBatchItem(
                reader.GetInt32(0),
                reader.IsDBNull(1) ? null : reader.GetInt64(1),
                reader.GetString(2),
                InvalidReasons.UnknownPortCode,
                reader.GetString(3)));
            newlyInvalid = reader.GetInt32(4);
        }

        return new UnknownPorts(sample, newlyInvalid);
    }

    /// <summary>
    /// Inserts the staged items into prices and records the batch. Null when the id was committed by another
    /// upload meanwhile (the caller rolls back and compares with that batch).
    /// </summary>
    public static async Task<BatchRecord?> InsertAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string batchId,
        string contentSha256,
        int items,
        DateTime receivedAt,
        int timeoutSeconds,
        CancellationToken cancellationToken)
    {
        await using (var prices = new NpgsqlCommand(InsertPricesSql, connection, transaction) { CommandTimeout = ClientTimeout(timeoutSeconds) })
        {
            prices.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = batchId });
            await prices.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var batch = new NpgsqlCommand(InsertBatchSql, connection, transaction) { CommandTimeout = ClientTimeout(timeoutSeconds) };
        batch.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = batchId });
        batch.Parameters.Add(new NpgsqlParameter<string>("sha256", NpgsqlDbType.Text) { TypedValue = contentSha256 });
        batch.Parameters.Add(new NpgsqlParameter<int>("items", NpgsqlDbType.Integer) { TypedValue = items });
        batch.Parameters.Add(new NpgsqlParameter<DateTime>("received_at", NpgsqlDbType.TimestampTz) { TypedValue = receivedAt });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRecord(reader) : null;
    }

    private static async Task SetStatementTimeoutAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int timeoutSeconds, CancellationToken cancellationToken)
    {
        // SET takes no parameters; the value is an integer from validated options.
        var sql = string.Create(CultureInfo.InvariantCulture, $"SET LOCAL statement_timeout = {timeoutSeconds * 1000}");
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // The server cancels at the statement timeout and says so; the client waits a little longer, so that a
    // dead server or network still ends the wait.
    private static int ClientTimeout(int timeoutSeconds) => timeoutSeconds + 5;

    private static Task WriteTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static BatchRecord ReadRecord(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetInt32(2),
        reader.GetDateTime(3),
        reader.GetDateTime(4));
}
