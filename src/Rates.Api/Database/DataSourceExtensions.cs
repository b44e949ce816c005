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

    /// <summary>
    /// After a failure that says the pooled connections may lead to a server that no longer leads (broken,
    /// shut down, demoted to read-only, not answering), closes the idle ones and retires the busy ones when
    /// they come back, so every later request opens a fresh connection to whoever leads now.
    /// </summary>
    public static void ForgetStaleConnections(this NpgsqlDataSource dataSource, Exception failure)
    {
        if (DatabaseFailures.LeavesPoolStale(failure))
        {
            dataSource.Clear();
        }
    }

    /// <summary>
    /// Commits, and fails with <see cref="CommitNotConfirmedException"/> when the server warns while committing:
    /// PostgreSQL answers a COMMIT whose wait for the synchronous standby was cancelled with a warning and
    /// success, although the standby may not have the transaction. Such a commit is not acknowledged.
    /// </summary>
    public static async Task CommitConfirmedAsync(this NpgsqlTransaction transaction, NpgsqlConnection connection)
    {
        string? warning = null;
        void OnNotice(object? sender, NpgsqlNoticeEventArgs e)
        {
            if (e.Notice.InvariantSeverity == "WARNING")
            {
                warning ??= e.Notice.MessageText;
            }
        }

        connection.Notice += OnNotice;
        try
        {
            // Once the work is done, a client hanging up no longer cancels it: the commit either happens or
            // fails on its own, and a retry learns which.
            await transaction.CommitAsync(CancellationToken.None);
        }
        finally
        {
            connection.Notice -= OnNotice;
        }

        if (warning is not null)
        {
            throw new CommitNotConfirmedException(warning);
        }
    }
}
