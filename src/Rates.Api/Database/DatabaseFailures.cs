using System.Net.Sockets;
using Npgsql;

namespace Rates.Api.Database;

/// <summary>Tells a database that cannot serve right now (answer 503, retry later) from a bug (answer 500).</summary>
internal static class DatabaseFailures
{
    /// <summary>
    /// True for failures of the database rather than of the request: unreachable or refusing connections,
    /// restarting, out of resources, too slow (statement timeout), not set up (database or schema missing),
    /// or the pool exhausted.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
            || postgres.SqlState.StartsWith("28", StringComparison.Ordinal) // invalid authorization
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
            || postgres.SqlState.StartsWith("57", StringComparison.Ordinal) // operator intervention: shutdown, statement timeout
            || postgres.SqlState == PostgresErrorCodes.InvalidCatalogName // the database does not exist
            || postgres.SqlState == PostgresErrorCodes.UndefinedTable, // the schema is not migrated
        NpgsqlException => true, // network, connect or command timeout, pool exhausted
        TimeoutException or SocketException => true,
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
}
