using Npgsql;
using Rates.Api.Metrics;

namespace Rates.Api.Database;

internal static class DataSourceExtensions
{
    /// <summary>
    /// Runs a read-only piece of work on a pooled connection. When the connection it got turns out to be dead
    /// (the server restarted while it sat idle in the pool), the pool is cleared of its other stale connections
    /// and the work runs once more on a fresh one, so the first request after a database restart succeeds.
    /// Only for work that is safe to repeat.
    /// </summary>
    public static async Task<T> ReadAsync<T>(
        this NpgsqlDataSource dataSource,
        Func<NpgsqlConnection, CancellationToken, Task<T>> work,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            // A failure to open is not retried: it comes from a new connection the server refused just now.
            await using var connection = await dataSource.OpenMeasuredConnectionAsync(cancellationToken);
            try
            {
                return await work(connection, cancellationToken);
            }
            catch (Exception ex) when (attempt == 1 && !cancellationToken.IsCancellationRequested && DatabaseFailures.IsBrokenConnection(ex))
            {
                dataSource.Clear();
            }
        }
    }
}
