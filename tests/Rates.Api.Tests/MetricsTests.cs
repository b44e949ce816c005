using System.Net;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MetricsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Metrics_show_requests_per_endpoint_and_the_database_pool()
    {
        await using var api = new RatesApiFactory(await postgres.CreateMigratedDatabaseAsync("metrics"));
        var client = api.CreateClient();
        using (var rates = await client.GetAsync("/rates?date_from=2030-03-01&date_to=2030-03-02&orig_code=A&dest_code=B"))
        {
            Assert.Equal(HttpStatusCode.OK, rates.StatusCode);
        }

        using (var bad = await client.GetAsync("/rates?date_from=bad"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches(@"http_requests_received_total\{[^}]*code=""200""[^}]*endpoint=""/rates""[^}]*\} [1-9]", text);
        Assert.Matches(@"http_requests_received_total\{[^}]*code=""400""[^}]*endpoint=""/rates""[^}]*\} [1-9]", text);
        Assert.Matches(@"http_request_duration_seconds_bucket\{[^}]*endpoint=""/rates""", text);
        // Npgsql's pool, through prometheus-net's meter adapter: idle and used connections of the service's data source.
        Assert.Matches(@"npgsql_db_client_connection_count\{db_client_connection_pool_name=""rates"",db_client_connection_state=""idle""\} [0-9]", text);
        Assert.Matches(@"npgsql_db_client_connection_max\{db_client_connection_pool_name=""rates""\} [1-9]", text);
        Assert.DoesNotContain("private_internaldiagnostics", text);
    }
}
