using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Rates.Database;

namespace Rates.Api.Rates;

/// <summary>
/// Keeps one dedicated connection listening on <c>rates_changed</c> (db/migrations/0006_rates_change_notify.sql)
/// and applies each announced change to the <see cref="RatesCache"/>. When the connection is lost the cache is
/// switched off and emptied at once; it is used again only after LISTEN succeeded on a new connection, so no
/// change can be missed in between.
/// </summary>
internal sealed class RatesChangeListener(
    RatesCache cache,
    IOptions<DatabaseOptions> databaseOptions,
    IConfiguration configuration,
    ILogger<RatesChangeListener> logger) : BackgroundService
{
    public const string Channel = "rates_changed";

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = ListenerConnectionString();
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Apply(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.SetListening(true);
                logger.LogInformation("Listening for changes of prices and ports; the /rates cache is on");
                delay = TimeSpan.FromMilliseconds(200);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                var wasListening = cache.IsListening;
                cache.SetListening(false);
                if (wasListening)
                {
                    logger.LogWarning("Lost the connection that listens for changes ({Reason}); the /rates cache is off until it is back", ex.Message);
                }

                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }

        cache.SetListening(false);
    }

    /// <summary>Applies one notification: lines "orig\tdest\tfirst_day\tlast_day", or "*" for everything.</summary>
    internal void Apply(string payload)
    {
        foreach (var line in payload.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            if (fields.Length == 4
                && DateOnly.TryParseExact(fields[2], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first)
                && DateOnly.TryParseExact(fields[3], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var last))
            {
                cache.Forget(fields[0], fields[1], first, last);
            }
            else
            {
                // "*", or anything this version does not understand: forgetting everything is always correct.
                cache.Clear();
                return;
            }
        }
    }

    /// <summary>The service's connection settings, unpooled, with keepalives so a dead server or network is noticed while idle.</summary>
    private string ListenerConnectionString()
    {
        var options = databaseOptions.Value;
        var builder = new NpgsqlConnectionStringBuilder(
            options.BuildConnectionString(configuration.GetConnectionString(DatabaseOptions.ConnectionStringName)))
        {
            Pooling = false,
            KeepAlive = 5,
            ApplicationName = options.ApplicationName + "-listener",
        };
        return builder.ConnectionString;
    }
}
