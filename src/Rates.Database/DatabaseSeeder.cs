using Npgsql;

namespace Rates.Database;

/// <summary>What <see cref="DatabaseSeeder.SeedAsync"/> does with a database that already has data.</summary>
public enum SeedMode
{
    /// <summary>Keep it: only the migrations run (Up, the migrator's <c>seed</c>).</summary>
    IfEmpty,

    /// <summary>Replace it (DbSeed, the migrator's <c>seed --force</c>).</summary>
    Replace,
}

/// <summary>What a seed did.</summary>
public enum SeedOutcome
{
    Loaded,
    KeptExistingData,
}

/// <summary>
/// Replaces the data of a Rates database: either with a full pg_dump (schema and data, e.g. the original
/// service's dump), after which the migrations bring its schema up to date, or with the project's seed
/// (data-only COPY statements) loaded into the freshly migrated schema.
/// </summary>
public static class DatabaseSeeder
{
    /// <summary>Every table the service owns, dropped by a reload (CASCADE also removes their keys and indexes).</summary>
    public static IReadOnlyList<string> OwnedTables { get; } =
    [
        "public.batches",
        "public.prices",
        "public.ports",
        "public.regions",
        $"{DatabaseMigrator.JournalSchema}.{DatabaseMigrator.JournalTable}",
    ];

    /// <summary>
    /// Drops the service's tables and loads new data. With <paramref name="dumpPath"/>: the drop and the dump
    /// load share one transaction (a bad dump leaves the old data in place), then the migrations run. Without
    /// it: the drop, the migrations, then <paramref name="seedPath"/> in its own transaction; should the seed
    /// fail, the database is left migrated and empty, and running the reload again is safe.
    /// </summary>
    public static async Task ReloadAsync(
        string connectionString,
        string? dumpPath,
        string seedPath,
        Action<string>? log,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        log ??= _ => { };
        var dataPath = dumpPath ?? seedPath;
        ArgumentException.ThrowIfNullOrWhiteSpace(dataPath, dumpPath is null ? nameof(seedPath) : nameof(dumpPath));
        if (!File.Exists(dataPath))
        {
            throw new FileNotFoundException($"SQL file not found: {dataPath}", dataPath);
        }

        if (dumpPath is not null)
        {
            log($"Loading dump {dumpPath} in place of the current data...");
            var loaded = await DropAndLoadAsync(connectionString, dumpPath, cancellationToken);
            log($"Loaded {loaded}.");
            log(DatabaseMigrator.Apply(connectionString, log).ToString());
        }
        else
        {
            log("Dropping the current data...");
            await DropAndLoadAsync(connectionString, null, cancellationToken);
            log(DatabaseMigrator.Apply(connectionString, log).ToString());
            log($"Loading seed {seedPath}...");
            var loaded = await SqlDumpLoader.LoadAsync(connectionString, seedPath, cancellationToken);
            log($"Loaded {loaded}.");
        }

        await AnalyzeAsync(connectionString, cancellationToken);
    }

    /// <summary>
    /// The seed policy of every runtime and of the migrator: the migrations, then the data of <paramref name="path"/>
    /// only into an empty database unless <paramref name="mode"/> is <see cref="SeedMode.Replace"/>. A file that creates
    /// the tables (a full pg_dump such as the original service's) is loaded first and migrated on top; a data-only file
    /// (the project's seed) is loaded into the migrated schema.
    /// </summary>
    public static async Task<SeedOutcome> SeedAsync(string connectionString, string path, SeedMode mode, Action<string>? log,
        CancellationToken cancellationToken)
    {
        log ??= _ => { };
        if (mode == SeedMode.IfEmpty && await HasDataAsync(connectionString, cancellationToken))
        {
            log("The database already has data; applying migrations only.");
            log(DatabaseMigrator.Apply(connectionString, log).ToString());
            return SeedOutcome.KeptExistingData;
        }

        var isDump = CreatesTables(path);
        log(isDump
            ? $"{path} creates tables: loading it as a full dump (schema and data), then the migrations on top."
            : $"{path} holds data only: migrating, then loading it.");
        await ReloadAsync(connectionString, isDump ? path : null, path, log, cancellationToken);
        return SeedOutcome.Loaded;
    }

    /// <summary>True when any of regions, ports or prices exists and holds a row.</summary>
    public static async Task<bool> HasDataAsync(string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var table in new[] { "public.prices", "public.ports", "public.regions" })
        {
            await using var exists = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection);
            exists.Parameters.AddWithValue("table", table);
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
            {
                continue;
            }

            // The table name comes from the fixed list above, never from input.
            await using var any = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {table})", connection);
            if (await any.ExecuteScalarAsync(cancellationToken) is true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a SQL file creates the service's tables itself (a full pg_dump) rather than only filling them
    /// (the project's data-only seed), judged by its statements without running any.
    /// </summary>
    public static bool CreatesTables(string path)
    {
        using var file = new StreamReader(path);
        var script = new SqlScriptReader(file, path);
        while (script.ReadStatement() is { } statement)
        {
            if (statement.IsCopyFromStdin)
            {
                while (script.ReadCopyLine(statement) is not null)
                {
                }

                continue;
            }

            if (statement.Sql.StartsWith("CREATE TABLE", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<DumpLoadResult?> DropAndLoadAsync(string connectionString, string? dumpPath, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 0 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {string.Join(", ", OwnedTables)} CASCADE", connection, transaction))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        var result = dumpPath is null ? null : await SqlDumpLoader.LoadAsync(connection, dumpPath, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>Fresh planner statistics, so the first queries after a load use the lane index.</summary>
    private static async Task AnalyzeAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 0 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var analyze = new NpgsqlCommand("ANALYZE public.regions, public.ports, public.prices", connection);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }
}
