using Npgsql;
using Rates.Database;

namespace Rates.Testing;

/// <summary>One PostgreSQL server for the whole "Postgres" collection; each test class takes its own databases from it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<object>>> _shared = new();
    private int _databases;

    public IPostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServers.StartAsync("shared");

    public async Task DisposeAsync()
    {
        foreach (var entry in _shared.Values.Where(e => e.IsValueCreated && e.Value.IsCompletedSuccessfully))
        {
            switch (entry.Value.Result)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        NpgsqlConnection.ClearAllPools();
        await Server.DisposeAsync();
    }

    /// <summary>
    /// Something set up once and shared by the tests of one class (xunit makes a new class instance per test):
    /// a database with its data, a service factory, ... Disposed with the fixture.
    /// </summary>
    public async Task<T> SharedAsync<T>(string key, Func<Task<T>> create)
        where T : class =>
        (T)await _shared.GetOrAdd(key, _ => new Lazy<Task<object>>(async () => await create())).Value;

    /// <summary>A new empty database (CREATE DATABASE on the shared server: far faster than a new server).</summary>
    public Task<string> CreateDatabaseAsync(string prefix) => CreateDatabaseAsync(Server, prefix, Interlocked.Increment(ref _databases));

    /// <summary>A new database with the migrations applied.</summary>
    public async Task<string> CreateMigratedDatabaseAsync(string prefix)
    {
        var connectionString = await CreateDatabaseAsync(prefix);
        DatabaseMigrator.Apply(connectionString);
        return connectionString;
    }

    public static async Task<string> CreateDatabaseAsync(IPostgresServer server, string prefix, int number)
    {
        var name = $"{prefix}_{number}_{Guid.NewGuid():N}".ToLowerInvariant();
        name = name.Length > 63 ? name[..63] : name;
        await using (var connection = new NpgsqlConnection(server.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return server.ConnectionString(name);
    }
}
