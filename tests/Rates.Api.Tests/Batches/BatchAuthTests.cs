using System.Net;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>Writers sign in with an API key; readers of /rates do not.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchAuthTests(PostgresFixture postgres)
{
    private const string NextKey = "rk_rotated_9876543210zyxwvutsrqponmlkjihgfedcba";

    private static HttpRequestMessage Put(string id, string? authorization, DateOnly day)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/batches/{id}") { Content = Content(Csv(Lane(Shanghai, Rotterdam, day, 3)), "text/csv") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }

    private static async Task<BatchApi> ApiAsync(PostgresFixture postgres) =>
        await BatchApi.SharedAsync(postgres, "batch-auth", ("Auth:ApiKeys:next", BatchApi.HashOf(NextKey)));

    [Theory]
    [InlineData(null, "Bearer realm=\"rates\"")]
    [InlineData("Bearer rk_not_a_key_of_this_service", "Bearer realm=\"rates\", error=\"invalid_token\"")]
    [InlineData("Basic dXNlcjpwYXNz", "Bearer realm=\"rates\", error=\"invalid_token\"")]
    [InlineData("Bearer ", "Bearer realm=\"rates\", error=\"invalid_token\"")]
    public async Task A_write_without_a_valid_key_is_answered_401_and_writes_nothing(string? authorization, string challenge)
    {
        var api = await ApiAsync(postgres);
        var id = $"unsigned-{Guid.NewGuid():N}";
        using var client = new HttpClient(api.Factory.Server.CreateHandler()) { BaseAddress = api.Client.BaseAddress };
        using var response = await client.SendAsync(Put(id, authorization, new DateOnly(2039, 1, 1)));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Authorization: Bearer <key>", problem.GetProperty("detail").GetString());
        Assert.Equal(challenge, response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, id));
    }

    [Fact]
    public async Task Each_configured_key_may_write_and_its_id_is_recorded_with_the_batch()
    {
        var api = await ApiAsync(postgres);
        using var client = new HttpClient(api.Factory.Server.CreateHandler()) { BaseAddress = api.Client.BaseAddress };
        foreach (var (key, keyId, day) in new[] { (BatchApi.Key, BatchApi.KeyId, new DateOnly(2039, 2, 1)), (NextKey, "next", new DateOnly(2039, 2, 2)) })
        {
            var id = $"signed-{keyId}-{Guid.NewGuid():N}";
            using var response = await client.SendAsync(Put(id, $"Bearer {key}", day));
            await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
            Assert.Equal(keyId, await TestData.ScalarAsync<string>(api.ConnectionString, $"SELECT key_id FROM public.batches WHERE id = '{id}'"));
        }
    }

    [Fact]
    public async Task Reads_need_no_key()
    {
        var api = await ApiAsync(postgres);
        using var client = new HttpClient(api.Factory.Server.CreateHandler()) { BaseAddress = api.Client.BaseAddress };
        using var rates = await client.GetAsync($"/rates?date_from=2039-01-01&date_to=2039-01-02&orig_code={Shanghai}&dest_code={Rotterdam}");
        Assert.Equal(HttpStatusCode.OK, rates.StatusCode);
    }

    [Fact]
    public async Task Without_any_key_configured_writes_are_answered_403()
    {
        var connectionString = await BatchDatabase.CreateAsync(postgres, "batch_nokeys");
        await using var factory = new RatesApiFactory(connectionString) { SignedIn = false };
        using var client = factory.CreateClient();
        using var response = await client.SendAsync(Put("no-keys", $"Bearer {BatchApi.Key}", new DateOnly(2039, 3, 1)));

        var problem = await BatchAnswers.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("Auth:ApiKeys", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await BatchCountAsync(connectionString, "no-keys"));
    }

    [Fact]
    public async Task With_anonymous_writes_allowed_a_batch_without_a_key_is_written_without_a_key_id()
    {
        var connectionString = await BatchDatabase.CreateAsync(postgres, "batch_anonymous");
        await using var factory = new RatesApiFactory(connectionString, ("Auth:AllowAnonymousWrites", "true")) { SignedIn = false };
        using var client = factory.CreateClient();
        using var response = await client.SendAsync(Put("anonymous", null, new DateOnly(2039, 4, 1)));

        await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
        Assert.Equal(1L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.batches WHERE id = 'anonymous' AND key_id IS NULL"));
    }
}
