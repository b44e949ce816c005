using System.Net.Sockets;
using Npgsql;

namespace Rates.Api.Database;

/// <summary>Tells a database that cannot serve right now (answer 503, retry later) from a bug (answer 500).</summary>
internal static class DatabaseFailures
{
    /// <summary>The server runs read-only: a hot standby, or a leader demoted by a failover (25006).</summary>
    internal const string ReadOnlyTransaction = "25006";

    /// <summary>
    /// True for failures of the database rather than of the request: unreachable or refusing connections,
    /// shutting down, restarting or failing over, demoted to read-only, out of resources, too slow (statement
    /// timeout), a transaction the server aborted because retrying it is safe (serialization failure,
    /// deadlock), not set up (database or schema missing), or the pool exhausted. In every case the request's
    /// transaction was rolled back, so the client may send the same request again.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => IsUnavailableState(postgres.SqlState) || postgres.IsTransient,
        CommitNotConfirmedException => true,
        NpgsqlException => true, // network, connect or command timeout, pool exhausted
        TimeoutException or SocketException => true,
        _ => false,
    };

    /// <summary>
    /// True when the failure says the pooled connections may point at a server that no longer leads: the
    /// connection broke, the server shut down or is starting up, it refused a write because it is read-only
    /// (demoted), or it stopped answering. Such connections are dropped from the pool, so the next request
    /// opens a new one, which the write endpoint routes to the current leader.
    /// </summary>
    public static bool LeavesPoolStale(Exception exception) => IsBrokenConnection(exception) || exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState is ReadOnlyTransaction or PostgresErrorCodes.CannotConnectNow,
        // An open connection whose server stopped answering (Npgsql's read timeout, after the server-side statement
        // timeout had its chance): its siblings point at the same silent server. Not a timeout while connecting or
        // waiting for the pool: a slow database's idle connections are fine, and clearing them would send every
        // next request to open a new one, a storm of connections that keeps a busy database busy.
        NpgsqlException { InnerException: TimeoutException } npgsql => npgsql.Message.StartsWith("Exception while reading", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>
    /// True when a connection taken from the pool turned out to be dead: the server restarted or dropped it
    /// while it sat idle. The pool only notices on use, so such a failure says nothing about the next attempt.
    /// </summary>
    public static bool IsBrokenConnection(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown,
        NpgsqlException npgsql => npgsql.InnerException is IOException or SocketException or EndOfStreamException,
        _ => false,
    };

    private static bool IsUnavailableState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || sqlState.StartsWith("28", StringComparison.Ordinal) // invalid authorization
        || sqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
        || sqlState.StartsWith("57", StringComparison.Ordinal) // operator intervention: shutdown (57P01, 57P02), starting up (57P03), statement timeout
        || sqlState is ReadOnlyTransaction // a demoted leader or a standby refused a write
            or PostgresErrorCodes.SerializationFailure // 40001: rolled back, safe to retry
            or PostgresErrorCodes.DeadlockDetected // 40P01: rolled back, safe to retry
            or PostgresErrorCodes.InvalidCatalogName // the database does not exist
            or PostgresErrorCodes.UndefinedTable; // the schema is not migrated
}

/// <summary>
/// The server answered COMMIT with a warning: it committed locally but did not confirm that the synchronous
/// standby has the transaction (the wait for it was cancelled). The batch is not acknowledged; the client
/// resends it, and learns from the same id whether it stayed committed.
/// </summary>
internal sealed class CommitNotConfirmedException(string warning)
    : Exception($"The commit was not confirmed by the synchronous standby: {warning}");
