using System.Diagnostics;
using Npgsql;
using Prometheus;

namespace Rates.Api.Metrics;

/// <summary>
/// How long requests wait for a database connection. Npgsql's own meter reports the pool's usage
/// (db_client_connection_count by state, ..._max, pending requests) but not the wait itself.
/// </summary>
public static class DatabasePoolMetrics
{
    public static readonly Histogram ConnectionWait = Prometheus.Metrics.CreateHistogram(
        "rates_db_connection_wait_seconds",
        "Time to get an open connection from the pool (including opening a new one when none is idle).",
        new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>
    /// <see cref="NpgsqlDataSource.OpenConnectionAsync"/>, timed into <see cref="ConnectionWait"/>. A caller that gives
    /// up (its client hung up) stops waiting at once, but the opening goes on without it, bounded by the connect timeout
    /// (Database:ConnectTimeoutSeconds), and the connection goes back to the pool for the next request. Cancelling it
    /// would leave the server starting a backend for a connection nobody takes: after a failover, when the new leader is
    /// slow to accept and clients give up, that is all it would do, and no request would get a connection.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenMeasuredConnectionAsync(this NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var opening = dataSource.OpenConnectionAsync(CancellationToken.None).AsTask();
        try
        {
            return await opening.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = ReturnToPoolWhenOpenAsync(opening);
            throw;
        }
        finally
        {
            ConnectionWait.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static async Task ReturnToPoolWhenOpenAsync(Task<NpgsqlConnection> opening)
    {
        try
        {
            await using var connection = await opening;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException or InvalidOperationException)
        {
            // Nobody waits for this connection any more; the next request opens its own.
        }
    }
}
