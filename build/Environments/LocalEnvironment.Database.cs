using Npgsql;
using Rates.Database;

namespace Rates.Build.Environments;

/// <summary>
/// The database of a local environment: its role and database, what the least-privilege migration needs from an
/// administrator, and the seed policy of <see cref="DatabaseSeeder.SeedAsync"/> (the same as the compose job's).
/// </summary>
internal sealed partial class LocalEnvironment
{
    /// <summary>Replaces the data of a running environment: the project's seed, or a pg_dump plain SQL file.</summary>
    public async Task SeedAsync(RunningEnvironment environment, string password, AbsolutePath? dump, AbsolutePath seedFile)
    {
        var path = dump ?? seedFile;
        try
        {
            await DatabaseSeeder.SeedAsync(DatabaseCounts.ConnectionString(environment.RequireDbPort(), password), path, SeedMode.Replace,
                console.WriteLine, cancellationToken);
        }
        catch (Exception ex)
        {
            throw Explain(ex, $"Loading {path} into environment '{environment.Name}' failed");
        }
    }

    /// <summary>The service's role and database, created once; the role gets the environment's password.</summary>
    private async Task EnsureDatabaseAsync(string superuserConnectionString, string password)
    {
        await using var connection = new NpgsqlConnection(superuserConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var role = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = @name", connection))
        {
            role.Parameters.AddWithValue("name", DatabaseUser);
            if (await role.ExecuteScalarAsync(cancellationToken) is null)
            {
                // Utility statements take no parameters; the literal is escaped (standard_conforming_strings is on).
                await using var create = new NpgsqlCommand(
                    $"CREATE ROLE {DatabaseUser} LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
                console.WriteLine($"Created the role {DatabaseUser}");
            }
        }

        await using var database = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        database.Parameters.AddWithValue("name", DatabaseName);
        if (await database.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName} OWNER {DatabaseUser} ENCODING 'UTF8'", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            console.WriteLine($"Created the database {DatabaseName}");
        }
    }

    /// <summary>
    /// What db/migrations/0004_least_privilege.sql needs from an administrator when the migrating role is not a
    /// superuser (as here: no superuser shares the environment's password): the shared group role
    /// <c>rates_service</c>, and the database's schema <c>public</c> owned by the database's owner, so its
    /// migrations can revoke CREATE from PUBLIC. Both idempotent, applied on every Up.
    /// </summary>
    private async Task EnsureLeastPrivilegeAsync(string superuserDatabaseConnectionString)
    {
        await using var connection = new NpgsqlConnection(superuserDatabaseConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rates_service') THEN
                    CREATE ROLE rates_service NOLOGIN;
                END IF;
            END
            $$;
            ALTER SCHEMA public OWNER TO {DatabaseUser};
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The seed policy of the migrate/seed job (<see cref="DatabaseSeeder.SeedAsync"/>): the seed only into an empty database.</summary>
    private async Task MigrateAndSeedAsync(string connectionString, AbsolutePath seedFile)
    {
        if (!seedFile.FileExists)
            throw new BuildFailedException($"The seed {seedFile} is missing; regenerate the project's seed with ./build.sh GenerateSeed.");
        await DatabaseSeeder.SeedAsync(connectionString, seedFile, SeedMode.IfEmpty, console.WriteLine, cancellationToken);
    }
}
