using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Rates.Api.Database;

namespace Rates.Api.Batches;

/// <summary>A committed batch: a row of public.batches.</summary>
internal sealed record BatchRecord(string BatchId, string ContentSha256, int Items, DateTime ReceivedAt, DateTime CommittedAt);

/// <summary>The batch row an upload writes first: who sent what, and how long ago the upload began.</summary>
internal sealed record BatchClaim(string BatchId, string ContentSha256, int Items, string? KeyId, TimeSpan Elapsed);

/// <summary>Unknown port codes found by the database: the first problems in batch order, and how many items they make invalid.</summary>
internal sealed record UnknownPorts(IReadOnlyList<InvalidBatchItem> Sample, int NewlyInvalidItems);

/// <summary>
/// The SQL of batch ingestion, in the order it runs in one transaction: the batch row is claimed first, then
/// the items (already read and parsed into a spool) are staged by binary COPY into a temporary table that
/// lives only as long as the transaction, checked against ports with one set-based query, and inserted into
/// prices with one INSERT ... SELECT.
/// </summary>
/// <remarks>
/// Locking: two uploads of the same id meet at the batches primary key right at the start: the second one's
/// claim waits for the first transaction, then finds the committed row (and compares content) or, after a
/// rollback, takes the id itself; it never stages its items in vain. Batches with different ids never wait
/// for each other: the staging table is private to the session, the insert's check of ports (a statement
/// trigger, db/migrations/0006, run as the table owner: 0008) takes FOR KEY SHARE on the ports named (which
/// never conflicts with another batch's) and INSERT locks only its new rows. Readers of prices never wait at
/// all (MVCC): they see a batch's rows once it commits, all at once. The service's role needs only SELECT and
/// INSERT on batches and prices and SELECT on ports.
/// </remarks>
internal static class BatchStore
{
    private const string FindSql = """
        SELECT id, content_sha256, item_count, received_at, committed_at
        FROM public.batches
        WHERE id = @id
        """;

    // DO NOTHING answers "someone committed this id first" (after waiting for that transaction when it is
    // still open); that row is then read and compared by hash. The upload began @elapsed seconds ago.
    private const string ClaimSql = """
        INSERT INTO public.batches (id, content_sha256, item_count, received_at, committed_at, key_id)
        VALUES (@id, @sha256, @items, clock_timestamp() - make_interval(secs => @elapsed), clock_timestamp(), @key_id)
        ON CONFLICT (id) DO NOTHING
        RETURNING id, content_sha256, item_count, received_at, committed_at
        """;

    private const string CreateStagingSql = """
        CREATE TEMPORARY TABLE batch_items (
            item integer NOT NULL,
            line bigint,
            orig_code text,
            dest_code text,
            day date,
            price integer,
            valid boolean NOT NULL
        ) ON COMMIT DROP
        """;

    private const string CopySql =
        "COPY pg_temp.batch_items (item, line, orig_code, dest_code, day, price, valid) FROM STDIN (FORMAT BINARY)";

    // Every code that names no port, as (item, field) problems in batch order, and the number of items that
    // only these problems make invalid (the others are counted already). It takes no lock (FOR KEY SHARE needs
    // UPDATE on ports, which the service's role has not): a port deleted between this check and the insert makes
    // the insert's check of ports fail (23503), and the ingestor then runs this check again. (Written as a filter
    // on ports, the planner estimates "known" from the ports table and hash-joins the staged rows against it; the
    // staging table has no statistics.)
    private const string UnknownPortsSql = """
        WITH known AS (
            SELECT p.code
            FROM public.ports p
            WHERE p.code IN (SELECT orig_code FROM pg_temp.batch_items) OR p.code IN (SELECT dest_code FROM pg_temp.batch_items)
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

    /// <summary>The committed batch of this id, read in the open transaction (after a claim found it taken).</summary>
    public static async Task<BatchRecord?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string batchId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(FindSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = batchId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRecord(reader) : null;
    }

    /// <summary>
    /// Sets the transaction's statement timeout, then writes the batch row. Null when the id is committed
    /// already (the caller rolls back and compares with that batch).
    /// </summary>
    public static async Task<BatchRecord?> ClaimAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        BatchClaim claim,
        int timeoutSeconds,
        CancellationToken cancellationToken)
    {
        await SetStatementTimeoutAsync(connection, transaction, timeoutSeconds, cancellationToken);
        await using var command = new NpgsqlCommand(ClaimSql, connection, transaction) { CommandTimeout = ClientTimeout(timeoutSeconds) };
        command.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = claim.BatchId });
        command.Parameters.Add(new NpgsqlParameter<string>("sha256", NpgsqlDbType.Text) { TypedValue = claim.ContentSha256 });
        command.Parameters.Add(new NpgsqlParameter<int>("items", NpgsqlDbType.Integer) { TypedValue = claim.Items });
        command.Parameters.Add(new NpgsqlParameter<double>("elapsed", NpgsqlDbType.Double) { TypedValue = claim.Elapsed.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter("key_id", NpgsqlDbType.Text) { Value = (object?)claim.KeyId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRecord(reader) : null;
    }

    /// <summary>Creates the staging table in the open transaction.</summary>
    public static async Task CreateStagingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(CreateStagingSql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
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

    /// <summary>Inserts the staged items into prices, each row naming its batch.</summary>
    /// <exception cref="PostgresException">23503 (foreign key violation) when a port was deleted since the check.</exception>
    public static async Task InsertPricesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string batchId, int timeoutSeconds, CancellationToken cancellationToken)
    {
        await using var prices = new NpgsqlCommand(InsertPricesSql, connection, transaction) { CommandTimeout = ClientTimeout(timeoutSeconds) };
        prices.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = batchId });
        await prices.ExecuteNonQueryAsync(cancellationToken);
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
