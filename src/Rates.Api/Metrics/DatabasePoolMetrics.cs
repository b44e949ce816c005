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

    /// <summary><see cref="NpgsqlDataSource.OpenConnectionAsync"/>, timed into <see cref="ConnectionWait"/>.</summary>
    public static async Task<NpgsqlConnection> OpenMeasuredConnectionAsync(this NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
        finally
        {
            ConnectionWait.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
