using System.Net;
using Npgsql;
using Rates.Api.Database;
using Rates.Api.Tests.Batches;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests;

/// <summary>
/// What a failover looks like from the service: the leader shuts down or is killed, a demoted leader turns
/// read-only, a commit is not confirmed by the synchronous standby, the server aborts a transaction that may
/// be retried. Each answers 503 problem+json with Retry-After (never 500), leaves no partial batch, and the
/// service serves again as soon as a leader does, without a restart. Runs on the outage server, whose
/// settings these tests change.
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class FailoverTests(OutageFixture outage)
{
    private const string RatesUrl = "/rates?date_from=2030-03-01&date_to=2030-03-05&orig_code=TSTAA&dest_code=TSTBB";

    private static HttpContent Batch(DateOnly day, int items) => Content(Csv(Lane("TSTAA", "TSTBB", day, items)), "text/csv");

    [Fact]
    public async Task A_demoted_read_only_leader_answers_503_to_batches_drops_its_pooled_connections_and_writes_resume_once_it_leads()
    {
        await using var api = new RatesApiFactory(outage.ConnectionString, ("Database:ApplicationName", "rates-demoted"));
        var client = api.CreateClient();
        var day = new DateOnly(2031, 1, 1);
        var warm = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.GetAsync(RatesUrl)));
        Assert.All(warm, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        await SetServerAsync("default_transaction_read_only", "on");
        try
        {
            using (var refused = await client.PutAsync("/batches/demoted", Batch(day, 50)))
            {
                await Unavailable.AssertAsync(refused);
            }

            // The pool kept no connection to the demoted server: the next request opens a new one.
            await WaitForAsync(() => SessionsAsync("rates-demoted"), n => n == 0, "the service's pooled connections are closed");
            Assert.Equal(0, await BatchCountAsync(outage.ConnectionString, "demoted"));

            // Reads need no leader.
            using var read = await client.GetAsync(RatesUrl);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        finally
        {
            await SetServerAsync("default_transaction_read_only", null);
        }

        using (var created = await client.PutAsync("/batches/demoted", Batch(day, 50)))
        {
            await BatchAnswers.SuccessAsync(created, HttpStatusCode.Created);
        }

        using (var replayed = await client.PutAsync("/batches/demoted", Batch(day, 50)))
        {
            await BatchAnswers.SuccessAsync(replayed, HttpStatusCode.OK);
        }

        Assert.Equal(50, await PricesOnAsync(day));
        Assert.Equal(50, await BatchRowsAsync(outage.ConnectionString, "demoted"));
    }

    /// <remarks>
    /// The commit waits for a synchronous standby that never answers, then the wait ends: cancelled (PostgreSQL
    /// then answers COMMIT with a warning) or the backend terminated (as when the leader shuts down). Either way
    /// the batch committed on this server but was never confirmed: 503, and the retry answers 200 from the
    /// receipt, with the batch's rows stored once.
    /// </remarks>
    [Theory]
    [InlineData("pg_cancel_backend", 0)]
    [InlineData("pg_terminate_backend", 1)]
    public async Task A_commit_the_synchronous_standby_did_not_confirm_is_not_acknowledged_and_the_retry_answers_200_without_a_second_copy(string endWait, int dayOffset)
    {
        await using var api = new RatesApiFactory(outage.ConnectionString, ("Database:ApplicationName", "rates-syncrep"));
        var client = api.CreateClient();
        var day = new DateOnly(2031, 2, 1).AddDays(dayOffset);
        var batchId = $"unconfirmed-{dayOffset}";
        var database = new NpgsqlConnectionStringBuilder(outage.ConnectionString).Database;
        // The test server commits asynchronously; this database waits for the (missing) synchronous standby.
        await TestData.ExecuteAsync(outage.AdminConnectionString, $"ALTER DATABASE \"{database}\" SET synchronous_commit = on");
        await SetServerAsync("synchronous_standby_names", "rates_missing_standby");
        try
        {
            var upload = client.PutAsync($"/batches/{batchId}", Batch(day, 40));
            await WaitForAsync(() => SessionsAsync("rates-syncrep", "wait_event = 'SyncRep'"), n => n == 1, "the commit waits for the standby");
            await TestData.ExecuteAsync(outage.AdminConnectionString, $"SELECT {endWait}(pid) FROM pg_stat_activity WHERE application_name = 'rates-syncrep' AND wait_event = 'SyncRep'");

            using var response = await upload;
            await Unavailable.AssertAsync(response);
        }
        finally
        {
            await SetServerAsync("synchronous_standby_names", null);
            await TestData.ExecuteAsync(outage.AdminConnectionString, $"ALTER DATABASE \"{database}\" RESET synchronous_commit");
        }

        // It did commit on this server, so the retry is answered from the receipt.
        using (var replayed = await client.PutAsync($"/batches/{batchId}", Batch(day, 40)))
        {
            await BatchAnswers.SuccessAsync(replayed, HttpStatusCode.OK);
        }

        Assert.Equal(40, await PricesOnAsync(day));
        Assert.Equal(40, await BatchRowsAsync(outage.ConnectionString, batchId));
    }

    [Theory]
    [InlineData("40001", 0)] // serialization failure
    [InlineData("40P01", 1)] // deadlock detected
    [InlineData("25006", 2)] // read-only transaction
    [InlineData("57P01", 3)] // admin shutdown
    [InlineData("57P02", 4)] // crash shutdown
    [InlineData("57P03", 5)] // cannot connect now
    [InlineData("08006", 6)] // connection failure
    public async Task A_failover_shaped_error_while_committing_answers_503_writes_nothing_and_the_retry_commits_once(string sqlState, int dayOffset)
    {
        await using var api = new RatesApiFactory(outage.ConnectionString);
        var client = api.CreateClient();
        var day = new DateOnly(2031, 3, 1).AddDays(dayOffset);
        var batchId = $"failing-{sqlState}";
        var before = await PricesOnAsync(day);

        await TestData.ExecuteAsync(outage.ConnectionString, $"""
            CREATE FUNCTION public.fail_batch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'failing over' USING ERRCODE = '{sqlState}'; END $$;
            CREATE TRIGGER fail_batch BEFORE INSERT ON public.batches FOR EACH ROW EXECUTE FUNCTION public.fail_batch();
            """);
        try
        {
            using var refused = await client.PutAsync($"/batches/{batchId}", Batch(day, 30));
            await Unavailable.AssertAsync(refused);
            Assert.Equal(before, await PricesOnAsync(day));
        }
        finally
        {
            await TestData.ExecuteAsync(outage.ConnectionString, "DROP TRIGGER fail_batch ON public.batches; DROP FUNCTION public.fail_batch();");
        }

        using (var created = await client.PutAsync($"/batches/{batchId}", Batch(day, 30)))
        {
            await BatchAnswers.SuccessAsync(created, HttpStatusCode.Created);
        }

        using (var replayed = await client.PutAsync($"/batches/{batchId}", Batch(day, 30)))
        {
            await BatchAnswers.SuccessAsync(replayed, HttpStatusCode.OK);
        }

        Assert.Equal(before + 30, await PricesOnAsync(day));
        Assert.Equal(30, await BatchRowsAsync(outage.ConnectionString, batchId));
    }

    [Fact]
    public async Task A_read_whose_connection_is_terminated_twice_answers_503_and_the_next_one_200()
    {
        await using var api = new RatesApiFactory(outage.ConnectionString, ("Database:ApplicationName", "rates-terminated"));
        var client = api.CreateClient();

        await using var pricesLock = await HeldLock.TakeAsync(outage.ConnectionString, "LOCK TABLE public.prices IN ACCESS EXCLUSIVE MODE");

        // A read is retried once on a fresh connection when its connection dies; the retry dies too.
        var request = client.GetAsync(RatesUrl);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await WaitForAsync(() => SessionsAsync("rates-terminated", "wait_event_type = 'Lock'"), n => n == 1, "the read waits on the lock");
            await TestData.ExecuteAsync(outage.AdminConnectionString, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rates-terminated' AND wait_event_type = 'Lock'");
        }

        using (var response = await request)
        {
            await Unavailable.AssertAsync(response);
        }

        await pricesLock.ReleaseAsync();
        using var after = await client.GetAsync(RatesUrl);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_stopped_leader_answers_503_on_batches_and_readiness_and_the_first_batch_after_its_return_commits()
    {
        await using var api = new RatesApiFactory(outage.ConnectionString);
        var client = api.CreateClient();
        var day = new DateOnly(2031, 4, 1);
        using (var warm = await client.PutAsync("/batches/before-stop", Batch(day, 10)))
        {
            await BatchAnswers.SuccessAsync(warm, HttpStatusCode.Created);
        }

        await outage.Server.StopAsync();
        try
        {
            using (var put = await client.PutAsync("/batches/during-stop", Batch(day, 20)))
            {
                await Unavailable.AssertAsync(put);
            }

            using (var get = await client.GetAsync("/batches/before-stop"))
            {
                await Unavailable.AssertAsync(get);
            }

            using var ready = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("application/problem+json", ready.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(ready.Headers.RetryAfter);
        }
        finally
        {
            await outage.RestartAsync();
        }

        using (var created = await client.PutAsync("/batches/during-stop", Batch(day, 20)))
        {
            await BatchAnswers.SuccessAsync(created, HttpStatusCode.Created);
        }

        Assert.Equal(30, await PricesOnAsync(day));
    }

    [Theory]
    [InlineData("40001", true)]
    [InlineData("40P01", true)]
    [InlineData("25006", true)]
    [InlineData("57P01", true)]
    [InlineData("57P02", true)]
    [InlineData("57P03", true)]
    [InlineData("08006", true)]
    [InlineData("08001", true)]
    [InlineData("42883", false)] // undefined function: a bug, 500
    [InlineData("23505", false)] // unique violation: a bug, 500
    [InlineData("22P02", false)] // invalid text representation: a bug, 500
    public void Failover_shaped_states_are_unavailable_and_bugs_are_not(string sqlState, bool unavailable)
    {
        var exception = new PostgresException("simulated", "ERROR", "ERROR", sqlState);
        Assert.Equal(unavailable, DatabaseFailures.IsUnavailable(exception));
    }

    [Theory]
    [InlineData("25006", true)]
    [InlineData("57P01", true)]
    [InlineData("57P03", true)]
    [InlineData("08006", true)]
    [InlineData("40001", false)] // the connection is fine: nothing to clear
    [InlineData("57014", false)] // statement timeout: the connection is fine
    public void Failures_pointing_at_a_former_leader_clear_the_pool(string sqlState, bool stale)
    {
        var exception = new PostgresException("simulated", "ERROR", "ERROR", sqlState);
        Assert.Equal(stale, DatabaseFailures.LeavesPoolStale(exception));
    }

    [Fact]
    public void A_server_that_stopped_answering_clears_the_pool_but_a_slow_connect_or_a_full_pool_does_not()
    {
        Assert.True(DatabaseFailures.LeavesPoolStale(new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"))));
        Assert.False(DatabaseFailures.LeavesPoolStale(new NpgsqlException("The operation has timed out", new TimeoutException())));
        Assert.False(DatabaseFailures.LeavesPoolStale(new NpgsqlException("The connection pool has been exhausted, either raise 'Max Pool Size' (currently 50) or 'Timeout' (currently 5 seconds) in your connection string.", new TimeoutException())));
    }

    /// <summary>Sets (or, with null, resets) a server setting and waits until new sessions see it.</summary>
    private async Task SetServerAsync(string setting, string? value)
    {
        var sql = value is null ? $"ALTER SYSTEM RESET {setting}" : $"ALTER SYSTEM SET {setting} = '{value}'";
        await TestData.ExecuteAsync(outage.AdminConnectionString, sql);
        await TestData.ExecuteAsync(outage.AdminConnectionString, "SELECT pg_reload_conf()");
        var expected = value ?? await TestData.ScalarAsync<string>(outage.AdminConnectionString, $"SELECT boot_val FROM pg_settings WHERE name = '{setting}'");
        await WaitForAsync(
            async () => await TestData.ScalarAsync<string>(outage.AdminConnectionString, $"SELECT current_setting('{setting}')") == expected ? 1 : 0,
            n => n == 1,
            $"{setting} is '{expected}'");
    }

    private Task<long> SessionsAsync(string applicationName, string condition = "true") =>
        TestData.ScalarAsync<long>(outage.AdminConnectionString, $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{applicationName}' AND {condition}");

    private Task<long> PricesOnAsync(DateOnly day) =>
        TestData.ScalarAsync<long>(outage.ConnectionString, $"SELECT count(*) FROM public.prices WHERE day = '{day:yyyy-MM-dd}'");
}
