using Npgsql;
using NpgsqlTypes;

namespace Rates.Build.Benchmark;

/// <summary>The PostgreSQL server of the environment, as the report describes it.</summary>
/// <param name="Version">The server as it reports itself: <c>SHOW server_version</c>, then <c>SELECT version()</c>.</param>
/// <param name="Settings">Settings that bear on write speed, e.g. ("synchronous_commit", "on").</param>
internal sealed record DatabaseServer(string Version, IReadOnlyList<(string Name, string Value)> Settings);

/// <summary>Row counts of the tables the benchmark writes to.</summary>
/// <param name="BenchmarkPrices">Prices in the benchmark's reserved window of days.</param>
/// <param name="BenchmarkBatches">Batches whose id starts with the benchmark's prefix.</param>
internal sealed record TableCounts(long Prices, long Batches, long BenchmarkPrices, long BenchmarkBatches)
{
    /// <summary>The counts without the benchmark's rows: what the environment holds of its own.</summary>
    public (long Prices, long Batches) Own => (Prices - BenchmarkPrices, Batches - BenchmarkBatches);
}

/// <summary>Size of prices at one point of the growth: rows, the table (heap) and its indexes, in bytes.</summary>
internal sealed record TableSize(long Rows, long TableBytes, long IndexBytes, long LaneIndexBytes);

/// <summary>What the clean-up deleted.</summary>
internal sealed record CleanUp(long Prices, long Batches);

/// <summary>The benchmark's SQL: server facts, counts and the clean-up of its rows.</summary>
internal static class BenchmarkDatabase
{
    /// <summary>Settings that decide how fast a commit and a COPY can be.</summary>
    private static readonly string[] s_settings = ["shared_buffers", "synchronous_commit", "fsync", "wal_level", "max_wal_size"];

    // The clean-up deletes what the benchmark wrote, however many runs that is; a generous limit.
    private const int CleanUpTimeoutSeconds = 1800;

    public static async Task<DatabaseServer> DescribeAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var version = new NpgsqlCommand("SELECT current_setting('server_version') || '; ' || version()", connection);
        var text = "server_version " + (string)(await version.ExecuteScalarAsync(cancellationToken))!;
        await using var settings = new NpgsqlCommand(
            "SELECT name::text, setting, unit FROM pg_settings WHERE name::text = ANY(@names)", connection);
        settings.Parameters.Add(new NpgsqlParameter<string[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = s_settings });
        var values = new List<(string, string)>();
        await using var reader = await settings.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            values.Add((reader.GetString(0), WithUnit(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2))));
        return new DatabaseServer(text, values.OrderBy(v => Array.IndexOf(s_settings, v.Item1)).ToList());
    }

    /// <summary>
    /// The table of the physical limit: the columns of prices and nothing else (no constraint, index or trigger),
    /// logged like prices. Created empty (dropped first if a run left it); the clean-up drops it.
    /// </summary>
    public const string BareTable = "public.benchmark_bare_prices";

    public static Task CreateBareTableAsync(string connectionString, CancellationToken cancellationToken) =>
        ExecuteAsync(connectionString, $"DROP TABLE IF EXISTS {BareTable}; CREATE TABLE {BareTable} (orig_code text, dest_code text, day date, price integer)", cancellationToken);

    /// <summary>Empties the bare table, so every bare COPY writes into an empty table, as the physical limit.</summary>
    public static Task TruncateBareTableAsync(string connectionString, CancellationToken cancellationToken) =>
        ExecuteAsync(connectionString, $"TRUNCATE {BareTable}", cancellationToken);

    public static Task VacuumPricesAsync(string connectionString, CancellationToken cancellationToken) =>
        ExecuteAsync(connectionString, "VACUUM (ANALYZE) public.prices", cancellationToken, CleanUpTimeoutSeconds);

    public static async Task<TableSize> SizeAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM public.prices), pg_table_size('public.prices'), pg_indexes_size('public.prices'),
                   coalesce(pg_relation_size(to_regclass('public.prices_orig_code_dest_code_day_idx')), 0)
            """, connection) { CommandTimeout = CleanUpTimeoutSeconds };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TableSize(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    public static async Task<TableCounts> CountAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM public.prices),
                   (SELECT count(*) FROM public.batches),
                   (SELECT count(*) FROM public.prices WHERE day BETWEEN @first AND @last),
                   (SELECT count(*) FROM public.batches WHERE starts_with(id, @prefix))
            """, connection);
        AddWindow(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TableCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>
    /// Deletes every price in the benchmark's window of days and every batch with its id prefix, in one transaction,
    /// then VACUUMs both tables so the space of the deleted rows is free again and the planner's statistics describe
    /// the tables as they are.
    /// </summary>
    public static async Task<CleanUp> CleanUpAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        long prices, batches;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using var deletePrices = new NpgsqlCommand("DELETE FROM public.prices WHERE day BETWEEN @first AND @last", connection, transaction)
            {
                CommandTimeout = CleanUpTimeoutSeconds,
            };
            AddWindow(deletePrices);
            prices = await deletePrices.ExecuteNonQueryAsync(cancellationToken);
            await using var deleteBatches = new NpgsqlCommand("DELETE FROM public.batches WHERE starts_with(id, @prefix)", connection, transaction);
            AddWindow(deleteBatches);
            batches = await deleteBatches.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await using (var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {BareTable}", connection))
            await drop.ExecuteNonQueryAsync(cancellationToken);
        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) public.prices, public.batches", connection) { CommandTimeout = CleanUpTimeoutSeconds };
        await vacuum.ExecuteNonQueryAsync(cancellationToken);
        return new CleanUp(prices, batches);
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken, int timeoutSeconds = 30)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = timeoutSeconds };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddWindow(NpgsqlCommand command)
    {
        if (command.CommandText.Contains("@first", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<DateOnly>("first", NpgsqlDbType.Date) { TypedValue = BenchmarkPlan.FirstReservedDay });
            command.Parameters.Add(new NpgsqlParameter<DateOnly>("last", NpgsqlDbType.Date) { TypedValue = BenchmarkPlan.LastReservedDay });
        }

        if (command.CommandText.Contains("@prefix", StringComparison.Ordinal))
            command.Parameters.Add(new NpgsqlParameter<string>("prefix", NpgsqlDbType.Text) { TypedValue = BenchmarkPlan.IdPrefix });
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new BuildFailedException($"Could not connect to the environment's database: {ex.Message}", ex);
        }
    }

    /// <summary>pg_settings gives shared_buffers in 8 kB pages and max_wal_size in MB; shown as a size.</summary>
    private static string WithUnit(string setting, string? unit)
    {
        if (unit is null || !long.TryParse(setting, out var number))
            return setting;
        var bytes = unit switch
        {
            "8kB" => number * 8 * 1024,
            "kB" => number * 1024,
            "MB" => number * 1024 * 1024,
            _ => -1,
        };
        if (bytes < 0)
            return setting + unit;
        return bytes >= 1024L * 1024 * 1024 && bytes % (1024L * 1024 * 1024) == 0 ? $"{bytes / (1024L * 1024 * 1024)}GB" : $"{bytes / (1024 * 1024)}MB";
    }
}
