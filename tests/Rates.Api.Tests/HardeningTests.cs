using System.Globalization;
using System.Net;
using Rates.Api.Tests.Batches;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests;

/// <summary>
/// What keeps the service whole when its surroundings are not: pools that fit the server, metrics on a
/// management port, and logs that stay readable during an outage.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HardeningTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Pools_larger_than_the_server_grants_stop_the_service_at_start_up_naming_the_settings()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("pool_capacity");
        await using var factory = new RatesApiFactory(connectionString, ("Database:MaxPoolSize", "5000"), ("Batches:MaxConcurrent", "3"));

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        var message = error.ToString();
        Assert.Contains("need up to 5003 connections (Database:MaxPoolSize (5000) + Batches:MaxConcurrent (3))", message);
        Assert.Contains("max_connections", message);
    }

    [Fact]
    public async Task Pools_that_fit_start_and_say_so()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("pool_fits");
        await using var factory = new RatesApiFactory(connectionString);
        using var client = factory.CreateClient();
        using var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Contains(factory.Logs, line => line.Contains("Connection pools need up to 54 connections", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_a_metrics_port_metrics_are_served_there_only_and_that_port_serves_nothing_else()
    {
        var metricsPort = PostgresServers.FreePort();
        await using var api = await BatchApi.StartAsync(postgres, "metrics-port", kestrel: true, ("Metrics:Port", metricsPort.ToString(CultureInfo.InvariantCulture)));
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}") };

        using (var metrics = await management.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("rates_db_connection_wait_seconds", await metrics.Content.ReadAsStringAsync());
        }

        using (var onServicePort = await api.Client.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, onServicePort.StatusCode);
        }

        // The Host header does not decide: only the port the connection came in on.
        using (var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            spoofed.Headers.Host = $"127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}";
            using var response = await api.Client.SendAsync(spoofed);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using (var ratesOnManagement = await management.GetAsync("/rates?date_from=2021-01-01&date_to=2021-01-02&orig_code=CNSGH&dest_code=NLRTM"))
        {
            Assert.Equal(HttpStatusCode.NotFound, ratesOnManagement.StatusCode);
        }

        using var rates = await api.Client.GetAsync("/rates?date_from=2021-01-01&date_to=2021-01-02&orig_code=CNSGH&dest_code=NLRTM");
        Assert.Equal(HttpStatusCode.OK, rates.StatusCode);
    }

    [Fact]
    public async Task During_an_outage_one_warning_is_logged_for_many_identical_failures()
    {
        await using var factory = new RatesApiFactory(ClosedPort.ConnectionString);
        using var client = factory.CreateClient();
        for (var i = 0; i < 40; i++)
        {
            using var response = await client.GetAsync("/rates?date_from=2021-01-01&date_to=2021-01-02&orig_code=CNSGH&dest_code=NLRTM");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        var warnings = factory.Logs.Where(line => line.StartsWith("Warning", StringComparison.Ordinal) && line.Contains("Database unavailable for", StringComparison.Ordinal)).ToArray();
        Assert.Single(warnings);
    }
}
