using System.Net;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// All or nothing under failure: a client that hangs up mid-body, a database connection killed mid-batch,
/// and readers of /rates during a batch that has not committed yet. A batch is "mid-transaction" when a port
/// it names is locked by the test: its INSERT INTO prices then waits on the foreign key check.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchAtomicityTests(PostgresFixture postgres)
{
    private const int Items = 5_000;

    private static string Body(DateOnly day) => Csv(Lane(Shanghai, Rotterdam, day, Items));

    /// <summary>About half the body: the service is reading the upload when the head is through.</summary>
    private static int HalfOf(string body) => body.Length / 2;

    [Fact]
    public async Task A_client_that_hangs_up_mid_body_leaves_nothing_and_the_batch_can_be_sent_again()
    {
        // A real socket: the client's abort reaches the service as a dropped connection.
        await using var api = await BatchApi.StartAsync(postgres, "batch-abort", kestrel: true);
        var body = Body(new DateOnly(2034, 1, 1));
        var before = await PriceCountAsync(api.ConnectionString);

        var content = new GatedContent(body, HalfOf(body), "text/csv");
        var upload = api.Client.PutAsync("/batches/aborted", content);
        await content.HeadSent;
        await WaitForAsync(() => Task.FromResult((long)api.UploadsInFlight), n => n == 1, "the service is reading the batch");

        content.Abort();
        await Assert.ThrowsAnyAsync<Exception>(() => upload);

        // The service dropped the upload and its slot: nothing open, nothing written.
        await WaitForAsync(() => Task.FromResult((long)api.UploadsInFlight), n => n == 0, "the upload's slot is free again");
        Assert.Equal(0, await BusySessionsAsync(api.ConnectionString, api.ApplicationName));
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, "aborted"));
        Assert.Contains(api.Factory.Logs, line => line.Contains("Batch aborted upload ended early, nothing written", StringComparison.Ordinal));

        using var again = await api.Client.PutAsync("/batches/aborted", Content(body, "text/csv"));
        Assert.Equal(Items, (await BatchAnswers.SuccessAsync(again, HttpStatusCode.Created)).GetProperty("items").GetInt32());
        Assert.Equal(before + Items, await PriceCountAsync(api.ConnectionString));
    }

    [Fact]
    public async Task A_database_connection_lost_mid_batch_answers_503_leaves_nothing_and_the_batch_can_be_sent_again()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-atomicity");
        var body = Body(new DateOnly(2034, 2, 1));
        var before = await PriceCountAsync(api.ConnectionString);

        Task<HttpResponseMessage> upload;
        await using (await HoldPortAsync(api.ConnectionString, Rotterdam))
        {
            upload = api.Client.PutAsync("/batches/connection-lost", Content(body, "text/csv"));
            await WaitForAsync(() => WaitingSessionsAsync(api.ConnectionString, api.ApplicationName, "INSERT INTO public.prices"), n => n == 1, "the batch is inserting its prices");
            var killed = await TestData.ScalarAsync<long>(
                api.ConnectionString,
                $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{api.ApplicationName}' AND query LIKE 'INSERT INTO public.prices%'");
            Assert.Equal(1, killed);
        }

        using var response = await upload;
        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("The database is unavailable. Try again shortly.", problem.GetProperty("detail").GetString());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));

        using var again = await api.Client.PutAsync("/batches/connection-lost", Content(body, "text/csv"));
        await BatchAnswers.SuccessAsync(again, HttpStatusCode.Created);
        Assert.Equal(before + Items, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(Items, await BatchRowsAsync(api.ConnectionString, "connection-lost"));
    }

    [Fact]
    public async Task An_unreachable_database_answers_503()
    {
        await using var factory = new RatesApiFactory(ClosedPort.ConnectionString);
        using var client = factory.CreateClient();

        using var put = await client.PutAsync("/batches/no-database", Content(Json(Lane(Shanghai, Rotterdam, new DateOnly(2034, 3, 1), 3)), "application/json"));
        await BatchAnswers.ProblemAsync(put, HttpStatusCode.ServiceUnavailable);

        using var get = await client.GetAsync("/batches/no-database");
        await BatchAnswers.ProblemAsync(get, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Rates_show_the_old_prices_until_the_batch_commits_then_all_of_it()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-atomicity");
        var day = new DateOnly(2034, 4, 1);
        var url = $"/rates?date_from={day:yyyy-MM-dd}&date_to={day:yyyy-MM-dd}&orig_code={Shanghai}&dest_code={Rotterdam}";
        using (var old = await api.Client.PutAsync("/batches/visibility-old", Content(Csv(Lane(Shanghai, Rotterdam, day, 3)), "text/csv")))
        {
            await BatchAnswers.SuccessAsync(old, HttpStatusCode.Created);
        }

        Task<HttpResponseMessage> upload;
        await using (await HoldPortAsync(api.ConnectionString, Rotterdam))
        {
            upload = api.Client.PutAsync("/batches/visibility-new", Content(Body(day), "text/csv"));
            await WaitForAsync(() => WaitingSessionsAsync(api.ConnectionString, api.ApplicationName, "INSERT INTO public.prices"), n => n == 1, "the batch is inserting its prices");

            using var during = await api.Client.GetAsync(url);
            Assert.Equal(3, (await BatchAnswers.JsonAsync(during)).GetProperty("rates")[0].GetProperty("count").GetInt32());
            using var status = await api.Client.GetAsync("/batches/visibility-new");
            Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
        }

        using (var response = await upload)
        {
            await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
        }

        using var after = await api.Client.GetAsync(url);
        Assert.Equal(3 + Items, (await BatchAnswers.JsonAsync(after)).GetProperty("rates")[0].GetProperty("count").GetInt32());
    }
}
