using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Rates.Api.Tests.Infrastructure;
using Rates.Database;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests;

/// <summary>
/// A database that is down, restarted, or too slow: 503 problem+json, and recovery without restarting the
/// service. Runs on a server of its own (stopping the shared one would break the other tests).
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class DatabaseOutageTests(OutageFixture outage)
{
    private const string RatesUrl = "/rates?date_from=2030-03-01&date_to=2030-03-05&orig_code=TSTAA&dest_code=TSTBB";

    [Fact]
    public async Task An_unreachable_database_answers_503_on_rates_and_ready_but_not_on_live()
    {
        await using var api = new RatesApiFactory(ClosedPort.ConnectionString);
        var client = api.CreateClient();

        using (var rates = await client.GetAsync(RatesUrl))
        {
            await Unavailable.AssertAsync(rates);
            var text = await rates.Content.ReadAsStringAsync();
            Assert.DoesNotContain("Npgsql", text);
            Assert.DoesNotContain("127.0.0.1", text);
        }

        using (var ready = await client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        using (var live = await client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        // Bad input is still answered 400: validation needs no database.
        using var bad = await client.GetAsync("/rates?date_from=x");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        // The outage shows in the request metrics with its real status code, under the route that failed: the
        // exception handler's 503 (/rates) as well as the readiness probe's own 503 (/health/ready).
        var counted = (await client.GetStringAsync("/metrics")).Split('\n')
            .Where(line => line.StartsWith("http_requests_received_total{", StringComparison.Ordinal)).ToList();
        foreach (var endpoint in new[] { "/rates", "/health/ready" })
        {
            Assert.True(counted.Any(line => line.Contains("code=\"503\"", StringComparison.Ordinal)
                    && line.Contains($"endpoint=\"{endpoint}\"", StringComparison.Ordinal)),
                $"No 503 counted for {endpoint} in:{Environment.NewLine}{string.Join(Environment.NewLine, counted)}");
        }

        Assert.DoesNotContain(counted, line => line.Contains("code=\"503\"", StringComparison.Ordinal)
            && line.Contains("endpoint=\"\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_service_recovers_by_itself_when_the_database_comes_back()
    {
        await using var api = new RatesApiFactory(outage.ConnectionString);
        var client = api.CreateClient();

        using (var before = await client.GetAsync(RatesUrl))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await outage.Server.StopAsync();
        try
        {
            using (var down = await client.GetAsync(RatesUrl))
            {
                await Unavailable.AssertAsync(down);
            }

            using (var notReady = await client.GetAsync("/health/ready"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            }
        }
        finally
        {
            await outage.RestartAsync();
        }

        // The very first request after the restart is answered: no restart of the service, no warm-up.
        using var after = await client.GetAsync(RatesUrl);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        using var body = JsonDocument.Parse(await after.Content.ReadAsStringAsync());
        Assert.Equal(5, body.RootElement.GetProperty("rates").GetArrayLength());

        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Pooled_connections_killed_by_the_server_do_not_fail_the_next_request()
    {
        await using var api = new RatesApiFactory(outage.ConnectionString, ("Database:ApplicationName", "rates-killed"));
        var client = api.CreateClient();
        // Several idle connections in the pool.
        var warm = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.GetAsync(RatesUrl)));
        Assert.All(warm, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var killed = await TestData.ScalarAsync<long>(
            outage.AdminConnectionString,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'rates-killed'");
        Assert.True(killed > 0, "the service's idle connections were terminated");

        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync(RatesUrl);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_query_over_the_statement_timeout_answers_503()
    {
        await using var api = new RatesApiFactory(outage.ConnectionString, ("Database:StatementTimeoutSeconds", "1"));
        var client = api.CreateClient();

        await using var pricesLock = await HeldLock.TakeAsync(outage.ConnectionString, "LOCK TABLE public.prices IN ACCESS EXCLUSIVE MODE");

        var stopwatch = Stopwatch.StartNew();
        using var response = await client.GetAsync(RatesUrl);
        stopwatch.Stop();

        await Unavailable.AssertAsync(response);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        await pricesLock.ReleaseAsync();
    }

    [Fact]
    public async Task A_client_that_hangs_up_cancels_its_query()
    {
        await using var api = new RatesApiFactory(outage.ConnectionString, ("Database:ApplicationName", "rates-cancel"));
        var client = api.CreateClient();

        await using var pricesLock = await HeldLock.TakeAsync(outage.ConnectionString, "LOCK TABLE public.prices IN ACCESS EXCLUSIVE MODE");

        using var hangUp = new CancellationTokenSource();
        var request = client.GetAsync(RatesUrl, hangUp.Token);
        await WaitForAsync(() => WaitingQueriesAsync(outage.AdminConnectionString, "rates-cancel"), n => n == 1, "the request's query waits on the lock");

        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        // The query is gone from the server while the lock is still held: the cancellation reached PostgreSQL.
        await WaitForAsync(() => WaitingQueriesAsync(outage.AdminConnectionString, "rates-cancel"), n => n == 0, "the query was cancelled");
        await pricesLock.ReleaseAsync();
    }

    [Fact]
    public async Task A_client_that_hangs_up_while_its_connection_opens_leaves_that_connection_in_the_pool_for_the_next_request()
    {
        // The server takes 1.5 s to accept a connection; the client waits 0.3 s.
        var server = new NpgsqlConnectionStringBuilder(outage.ConnectionString);
        await using var relay = new SlowAcceptRelay(server.Host!, server.Port, TimeSpan.FromSeconds(1.5));
        var throughRelay = new NpgsqlConnectionStringBuilder(outage.ConnectionString) { Host = "127.0.0.1", Port = relay.Port };
        await using var api = new RatesApiFactory(throughRelay.ConnectionString, ("Database:ApplicationName", "rates-slow-accept"));
        var client = api.CreateClient();
        api.Services.GetRequiredService<NpgsqlDataSource>().Clear(); // the start-up check's connection: the request must open one
        await WaitForAsync(() => SessionsAsync(outage.AdminConnectionString, "rates-slow-accept"), n => n == 0, "the pool is empty");

        using var hangUp = new CancellationTokenSource(TimeSpan.FromSeconds(0.3));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync(RatesUrl, hangUp.Token));

        // The opening went on without the client: the server has the session, and the next request takes it from the pool.
        await WaitForAsync(() => SessionsAsync(outage.AdminConnectionString, "rates-slow-accept"), n => n == 1, "the abandoned opening reached the server");
        using var next = await client.GetAsync(RatesUrl);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, await SessionsAsync(outage.AdminConnectionString, "rates-slow-accept"));
    }

    private static Task<long> SessionsAsync(string adminConnectionString, string applicationName) =>
        TestData.ScalarAsync<long>(adminConnectionString, $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{applicationName}'");

    private static Task<long> WaitingQueriesAsync(string adminConnectionString, string applicationName) =>
        TestData.ScalarAsync<long>(
            adminConnectionString,
            $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{applicationName}' AND state = 'active' AND wait_event_type = 'Lock'");
}

/// <summary>A PostgreSQL server only for <see cref="DatabaseOutageTests"/>, with migrated handcrafted data.</summary>
public sealed class OutageFixture : IAsyncLifetime
{
    public IPostgresServer Server { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public string AdminConnectionString => Server.ConnectionString("postgres");

    /// <summary>
    /// Starts the server again after a test stopped it, and drops the tests' own pooled connections to the
    /// stopped server (the service's pool is left alone: its recovery is what the tests check).
    /// </summary>
    public async Task RestartAsync()
    {
        await Server.StartAsync();
        foreach (var connectionString in new[] { ConnectionString, AdminConnectionString })
        {
            await using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }
    }

    public async Task InitializeAsync()
    {
        Server = await PostgresServers.StartAsync("outage");
        ConnectionString = await PostgresFixture.CreateDatabaseAsync(Server, "outage", 1);
        DatabaseMigrator.Apply(ConnectionString);
        await TestData.InsertRulesDataAsync(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class OutageCollection : ICollectionFixture<OutageFixture>
{
    public const string Name = "Outage";
}

/// <summary>Failures that are not the database being unavailable: a bare 500 that reveals nothing.</summary>
[Collection(PostgresCollection.Name)]
public sealed class UnexpectedErrorTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_broken_schema_answers_500_problem_json_without_internals()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("broken");
        // avg(text) does not exist: the query fails for a reason no retry will fix.
        await TestData.ExecuteAsync(connectionString, "ALTER TABLE public.prices ALTER COLUMN price TYPE text");
        await using var api = new RatesApiFactory(connectionString);

        using var response = await api.CreateClient().GetAsync("/rates?date_from=2030-03-01&date_to=2030-03-02&orig_code=A&dest_code=B");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text);
        Assert.Equal(500, body.RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("avg", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Npgsql", text);
        Assert.DoesNotContain("42883", text);
        Assert.Contains(api.Logs, line => line.Contains("42883", StringComparison.Ordinal));
    }
}
