using System.Text.Json;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests;

/// <summary>
/// The /rates cache forgets an answer when the database announces a change of its lane, whoever wrote it. A write
/// made with triggers disabled (session_replication_role = replica) announces nothing: it shows that an answer
/// really comes from the cache, until a change that is announced, a lost listener connection, or the setting
/// that turns the cache off.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RatesCacheTests(PostgresFixture postgres)
{
    private const string Url = "/rates?date_from=2030-03-01&date_to=2030-03-05&orig_code=TSTAA&dest_code=TSTBB";

    [Fact]
    public async Task A_write_outside_the_service_is_seen_once_the_database_announces_it()
    {
        var (connectionString, api) = await StartAsync("cache_sql");
        var client = api.CreateClient();
        Assert.Equal(3, await CountOnMarch1Async(client));

        await SilentInsertAsync(connectionString, "2030-03-01", 1000);
        Assert.Equal(3, await CountOnMarch1Async(client)); // cached: the silent write was not announced

        await TestData.ExecuteAsync(connectionString, "INSERT INTO public.prices VALUES ('TSTAA', 'TSTBB', '2030-03-04', 7)");
        await EventuallyAsync(async () => await CountOnMarch1Async(client) == 4, "the announced write of the lane made the cache forget it");
    }

    [Fact]
    public async Task A_write_to_another_lane_or_to_days_outside_the_range_keeps_the_answer()
    {
        var (connectionString, api) = await StartAsync("cache_other");
        var client = api.CreateClient();
        Assert.Equal(3, await CountOnMarch1Async(client));
        await SilentInsertAsync(connectionString, "2030-03-01", 1000);

        await TestData.ExecuteAsync(connectionString, """
            INSERT INTO public.prices VALUES ('TSTBB', 'TSTAA', '2030-03-01', 7), ('TSTAA', 'TSTBB', '2030-04-01', 7);
            """);
        await Task.Delay(500);

        Assert.Equal(3, await CountOnMarch1Async(client));
    }

    [Fact]
    public async Task A_change_of_ports_makes_the_cache_forget_everything()
    {
        var (connectionString, api) = await StartAsync("cache_ports");
        var client = api.CreateClient();
        Assert.Equal(3, await CountOnMarch1Async(client));
        await SilentInsertAsync(connectionString, "2030-03-01", 1000);

        await TestData.ExecuteAsync(connectionString, "UPDATE public.ports SET name = 'Renamed' WHERE code = 'TSTCC'");

        await EventuallyAsync(async () => await CountOnMarch1Async(client) == 4, "the change of ports made the cache forget everything");
    }

    [Fact]
    public async Task Losing_the_listener_connection_forgets_everything()
    {
        var (connectionString, api) = await StartAsync("cache_lost");
        var client = api.CreateClient();
        Assert.Equal(3, await CountOnMarch1Async(client));
        await SilentInsertAsync(connectionString, "2030-03-01", 1000);
        Assert.Equal(3, await CountOnMarch1Async(client));

        var terminated = await TestData.ScalarAsync<long>(connectionString, """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND query = 'LISTEN rates_changed'
            """);

        Assert.Equal(1L, terminated);
        await EventuallyAsync(async () => await CountOnMarch1Async(client) == 4, "the lost connection made the cache forget everything");
        await EventuallyAsync(
            async () => await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN rates_changed'") == 1,
            "the listener connected again");
    }

    [Fact]
    public async Task A_batch_through_the_service_is_seen_by_the_next_request()
    {
        var (_, api) = await StartAsync("cache_batch");
        var client = api.CreateClient();
        Assert.Equal(3, await CountOnMarch1Async(client));

        using var put = await client.PutAsync("/batches/cache-1", new StringContent(
            "orig_code,dest_code,day,price\nTSTAA,TSTBB,2030-03-01,5\n", System.Text.Encoding.UTF8, "text/csv"));
        Assert.Equal(System.Net.HttpStatusCode.Created, put.StatusCode);

        Assert.Equal(4, await CountOnMarch1Async(client));
    }

    [Fact]
    public async Task With_the_cache_off_every_request_reads_the_database()
    {
        var (connectionString, api) = await StartAsync("cache_off", cacheEnabled: false);
        var client = api.CreateClient();
        Assert.Equal(3, await CountOnMarch1Async(client));

        await SilentInsertAsync(connectionString, "2030-03-01", 1000);

        Assert.Equal(4, await CountOnMarch1Async(client));
    }

    private async Task<(string ConnectionString, RatesApiFactory Api)> StartAsync(string prefix, bool cacheEnabled = true)
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync(prefix);
        await TestData.InsertRulesDataAsync(connectionString);
        var api = await postgres.SharedAsync(prefix, () => Task.FromResult(new RatesApiFactory(connectionString, ("Rates:CacheEnabled", cacheEnabled ? "true" : "false"))));
        api.CreateClient().Dispose(); // starts the host, and with it the listener
        await EventuallyAsync(
            async () => await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN rates_changed'") == (cacheEnabled ? 1 : 0),
            "the listener is connected when the cache is on, and absent when off");
        return (connectionString, api);
    }

    /// <summary>A price written with triggers off: no check and no announcement (superuser only).</summary>
    private static Task SilentInsertAsync(string connectionString, string day, int price) => TestData.ExecuteAsync(connectionString, $"""
        BEGIN;
        SET LOCAL session_replication_role = replica;
        INSERT INTO public.prices VALUES ('TSTAA', 'TSTBB', '{day}', {price});
        COMMIT;
        """);

    private static async Task<int> CountOnMarch1Async(HttpClient client)
    {
        using var response = await client.GetAsync(Url);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("rates").EnumerateArray().Last().GetProperty("count").GetInt32();
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"within 15 s: {what}");
            await Task.Delay(50);
        }
    }
}
