using System.Reflection;
using DbUp;
using DbUp.Engine;
using DbUp.Engine.Output;
using Npgsql;

namespace Rates.Database;

/// <summary>What one <see cref="DatabaseMigrator.Apply"/> did.</summary>
/// <param name="AppliedScripts">Scripts run by this call, in order (empty when the schema was already current).</param>
/// <param name="KnownScripts">Every migration this build knows, in order.</param>
public sealed record MigrationOutcome(IReadOnlyList<string> AppliedScripts, IReadOnlyList<string> KnownScripts)
{
    public bool SchemaChanged => AppliedScripts.Count > 0;

    public override string ToString() => SchemaChanged
        ? $"Applied {AppliedScripts.Count} migration(s): {string.Join(", ", AppliedScripts)}."
        : $"Schema up to date ({KnownScripts.Count} migration(s) already applied).";
}

/// <summary>A migration script failed; the script's own transaction was rolled back.</summary>
public sealed class DatabaseMigrationException(string message, string? script, Exception? inner)
    : Exception(message, inner)
{
    /// <summary>The script that failed, when one did (null when the database could not be reached).</summary>
    public string? Script { get; } = script;
}

/// <summary>
/// Applies the ordered scripts of db/migrations (embedded in this assembly) with DbUp, recording each in
/// the journal table public.schemaversions so every script runs once per database.
/// </summary>
public static class DatabaseMigrator
{
    public const string JournalSchema = "public";
    public const string JournalTable = "schemaversions";

    private const string ResourcePrefix = "Rates.Database.Migrations.";
    private static readonly Assembly ScriptAssembly = typeof(DatabaseMigrator).Assembly;

    /// <summary>The migration names in the order they apply, e.g. <c>0001_core_schema.sql</c>.</summary>
    public static IReadOnlyList<string> KnownScripts { get; } = ScriptAssembly
        .GetManifestResourceNames()
        .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
        .Select(name => name[ResourcePrefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>
    /// Brings the database's schema up to date. Each script runs in its own transaction, so a failing script
    /// leaves the database as the previous one left it.
    /// </summary>
    /// <exception cref="DatabaseMigrationException">A script failed or the database could not be reached.</exception>
    public static MigrationOutcome Apply(string connectionString, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        log ??= _ => { };

        var upgrader = DeployChanges.To
            .PostgresqlDatabase(connectionString, JournalSchema)
            .WithScripts(LoadScripts())
            .JournalToPostgresqlTable(JournalSchema, JournalTable)
            .WithTransactionPerScript()
            // Scripts use dollar-quoted DO blocks; DbUp's $name$ variable substitution would mistake their tags for variables.
            .WithVariablesDisabled()
            // Index builds on big tables can take long; DbUp's default is 30 s.
            .WithExecutionTimeout(TimeSpan.FromHours(1))
            .LogTo(new CallbackLog(log))
            .Build();

        DatabaseUpgradeResult result;
        try
        {
            result = upgrader.PerformUpgrade();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            throw new DatabaseMigrationException($"Could not apply migrations: {ex.Message}", null, ex);
        }

        if (!result.Successful)
        {
            var script = result.ErrorScript?.Name;
            var message = script is null
                ? $"Could not apply migrations: {result.Error?.Message}"
                : $"Migration {script} failed and was rolled back: {result.Error?.Message}";
            throw new DatabaseMigrationException(message, script, result.Error);
        }

        return new MigrationOutcome(result.Scripts.Select(s => s.Name).ToArray(), KnownScripts);
    }

    /// <summary>
    /// True when every known migration is recorded in the journal. Used by the readiness check, so it reads
    /// through the service's pooled data source instead of starting DbUp.
    /// </summary>
    public static async Task<bool> IsUpToDateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        return (await PendingScriptsAsync(dataSource, cancellationToken)).Count == 0;
    }

    /// <summary>The known migrations not yet recorded in the journal, in order.</summary>
    public static async Task<IReadOnlyList<string>> PendingScriptsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await PendingScriptsAsync(connection, cancellationToken);
    }

    /// <summary>The known migrations not yet recorded in the journal, read on an open connection.</summary>
    public static async Task<IReadOnlyList<string>> PendingScriptsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection))
        {
            exists.Parameters.AddWithValue("name", $"{JournalSchema}.{JournalTable}");
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return KnownScripts;
            }
        }

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var query = new NpgsqlCommand($"SELECT scriptname FROM {JournalSchema}.{JournalTable}", connection))
        await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetString(0));
            }
        }

        return KnownScripts.Where(script => !applied.Contains(script)).ToArray();
    }

    private static IEnumerable<SqlScript> LoadScripts()
    {
        foreach (var name in KnownScripts)
        {
            using var stream = ScriptAssembly.GetManifestResourceStream(ResourcePrefix + name)
                ?? throw new InvalidOperationException($"Migration resource {name} is missing from {ScriptAssembly.GetName().Name}.");
            using var reader = new StreamReader(stream);
            // The journal records the plain file name, so it reads the same as db/migrations.
            yield return new SqlScript(name, reader.ReadToEnd());
        }
    }

    private sealed class CallbackLog(Action<string> log) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args)
        {
        }

        public void LogDebug(string format, params object[] args)
        {
        }

        public void LogInformation(string format, params object[] args) => log(Format(format, args));

        public void LogWarning(string format, params object[] args) => log("warning: " + Format(format, args));

        public void LogError(string format, params object[] args) => log("error: " + Format(format, args));

        public void LogError(Exception ex, string format, params object[] args) =>
            log("error: " + Format(format, args) + " " + ex.Message);

        private static string Format(string format, object[] args) =>
            args.Length == 0 ? format : string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
    }
}
