using System.Net;
using System.Text.RegularExpressions;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

[Collection(PostgresCollection.Name)]
public sealed class BatchMetricsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Metrics_show_batch_outcomes_sizes_durations_rows_and_the_database_pool()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-metrics");
        using (var committed = await api.Client.PutAsync("/batches/metrics-ok", Content(Json(Lane(Shanghai, Rotterdam, new DateOnly(2037, 1, 1), 25)), "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, committed.StatusCode);
        }

        using (var invalid = await api.Client.PutAsync("/batches/metrics-bad", Content(Csv("ZZZZZ,NLRTM,2037-01-01,5"), "text/csv")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        }

        using var response = await api.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("""rates_batches_received_total\{format="json"\} [1-9]""", text);
        Assert.Matches("""rates_batches_received_total\{format="csv"\} [1-9]""", text);
        Assert.Matches("""rates_batches_committed_total [1-9]""", text);
        Assert.Matches("""rates_batches_rejected_total\{reason="invalid_items"\} [1-9]""", text);
        Assert.Matches("""rates_batch_items_bucket\{le="100"\} [1-9]""", text);
        Assert.Matches("""rates_batch_duration_seconds_count\{outcome="committed"\} [1-9]""", text);
        Assert.Matches("""rates_batch_duration_seconds_count\{outcome="rejected"\} [1-9]""", text);
        Assert.Matches("""rates_batch_rows_committed_total [1-9]""", text);
        Assert.Matches("""rates_batch_last_rows_per_second [0-9.e+]*[1-9]""", text);
        Assert.Matches("""rates_batches_in_flight 0""", text);
        Assert.Matches("""rates_db_connection_wait_seconds_count [1-9]""", text);
        Assert.Matches("""http_requests_received_total\{code="201",method="PUT",[^\n]*endpoint="/batches/\{batchId\}"\} [1-9]""", text);
        // The service's pool, from Npgsql's meter: connections in use and idle, and the maximum.
        var pool = Regex.Escape($"db_client_connection_pool_name=\"{api.ApplicationName}\"");
        Assert.Matches($"db_client_connection_count\\{{{pool},db_client_connection_state=\"used\"\\}} 0", text);
        Assert.Matches($"db_client_connection_count\\{{{pool},db_client_connection_state=\"idle\"\\}} [1-9]", text);
        Assert.Matches($"db_client_connection_max\\{{{pool}\\}} [1-9]", text);
    }
}
