using Npgsql;

namespace Rates.Testing;

/// <summary>
/// A lock taken by a statement in an open transaction of the test's own connection, held until
/// <see cref="ReleaseAsync"/> or disposal: whatever needs the locked rows or table waits meanwhile (a slow or stuck
/// database, a batch stopped in the middle of its transaction).
/// </summary>
public sealed class HeldLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private HeldLock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>Runs <paramref name="lockSql"/> (e.g. <c>LOCK TABLE ...</c> or <c>SELECT ... FOR UPDATE</c>) with its parameters.</summary>
    public static async Task<HeldLock> TakeAsync(string connectionString, string lockSql, params (string Name, object Value)[] parameters)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand(lockSql, connection, transaction))
            {
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }

                await command.ExecuteNonQueryAsync();
            }

            return new HeldLock(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ends the transaction: what waited goes on.</summary>
    public Task ReleaseAsync() => _transaction.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
