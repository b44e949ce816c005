using System.Net;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>Batches and readers at once: no deadlock, no blocked reader, exact counts; one commit per id.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchConcurrencyTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Several_batches_and_readers_at_once_all_succeed_with_exact_counts()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-concurrency", ("Batches:MaxConcurrent", "8"));
        const int batches = 6;
        const int itemsPerBatch = 4_000;
        var day = new DateOnly(2035, 1, 1);
        var before = await PriceCountAsync(api.ConnectionString);

        // Every batch prices the same lanes and day, so they all insert next to each other and check the same ports.
        var bodies = Enumerable.Range(0, batches)
            .Select(b => b % 2 == 0
                ? (Body: Json(Lane(Shanghai, Rotterdam, day, itemsPerBatch / 2).Concat(Lane(Rotterdam, Shanghai, day, itemsPerBatch / 2))), Type: "application/json")
                : (Body: Csv(Lane(Rotterdam, Shanghai, day, itemsPerBatch / 2).Concat(Lane(Shanghai, Rotterdam, day, itemsPerBatch / 2))), Type: "text/csv"))
            .ToArray();

        using var stop = new CancellationTokenSource();
        var url = $"/rates?date_from={day.AddDays(-3):yyyy-MM-dd}&date_to={day:yyyy-MM-dd}&orig_code={Shanghai}&dest_code={Rotterdam}";
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var answers = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await api.Client.GetAsync(url);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                // A reader sees a whole number of batches, never part of one.
                var count = (await BatchAnswers.JsonAsync(response)).GetProperty("rates")[0];
                if (count.GetProperty("count").ValueKind == System.Text.Json.JsonValueKind.Number)
                {
                    Assert.Equal(0, count.GetProperty("count").GetInt32() % (itemsPerBatch / 2));
                }

                answers++;
            }

            return answers;
        })).ToArray();

        var uploads = bodies.Select((b, i) => api.Client.PutAsync($"/batches/parallel-{i}", Content(b.Body, b.Type))).ToArray();
        var responses = await Task.WhenAll(uploads).WaitAsync(TimeSpan.FromSeconds(90));
        await stop.CancelAsync();
        var answered = await Task.WhenAll(readers);

        foreach (var response in responses)
        {
            Assert.Equal(itemsPerBatch, (await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created)).GetProperty("items").GetInt32());
            response.Dispose();
        }

        Assert.All(answered, n => Assert.True(n > 0, "each reader was answered during the uploads"));
        Assert.Equal(before + (batches * itemsPerBatch), await PriceCountAsync(api.ConnectionString));
        Assert.Equal(0L, await TestData.ScalarAsync<long>(api.ConnectionString, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"));
    }

    [Fact]
    public async Task The_same_batch_sent_twice_at_once_is_committed_once()
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-concurrency", ("Batches:MaxConcurrent", "8"));
        var body = Csv(Lane(Shanghai, Hamburg, new DateOnly(2035, 2, 1), 3_000));
        var before = await PriceCountAsync(api.ConnectionString);

        // Both uploads are being read before either may finish, so both go on to claim the id.
        var first = new GatedContent(body, body.Length / 2, "text/csv");
        var second = new GatedContent(body, body.Length / 2, "text/csv");
        var uploads = new[] { api.Client.PutAsync("/batches/twice", first), api.Client.PutAsync("/batches/twice", second) };
        await Task.WhenAll(first.HeadSent, second.HeadSent);
        await WaitForAsync(() => Task.FromResult((long)api.UploadsInFlight), n => n == 2, "both uploads are being read");
        first.SendTail();
        second.SendTail();

        var responses = await Task.WhenAll(uploads).WaitAsync(TimeSpan.FromSeconds(60));
        var statuses = responses.Select(r => r.StatusCode).Order().ToArray();
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Created], statuses);
        var receipts = await Task.WhenAll(responses.Select(r => BatchAnswers.JsonAsync(r)));
        Assert.Equal(receipts[0].GetRawText(), receipts[1].GetRawText());
        Assert.Equal(before + 3_000, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(1, await BatchCountAsync(api.ConnectionString, "twice"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.Conflict)]
    public async Task An_upload_of_an_id_being_written_waits_on_the_id_before_staging_anything(bool sameContent, HttpStatusCode expected)
    {
        var api = await BatchApi.SharedAsync(postgres, "batch-concurrency", ("Batches:MaxConcurrent", "8"));
        var id = $"claimed-{sameContent}-{Guid.NewGuid():N}"[..40];
        var body = Csv(Lane(Shanghai, Hamburg, new DateOnly(2035, 3, sameContent ? 1 : 2), 50));
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
        var before = await PriceCountAsync(api.ConnectionString);

        // Another writer has claimed the id and not committed yet.
        await using var other = new Npgsql.NpgsqlConnection(api.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var claim = new Npgsql.NpgsqlCommand(
            "INSERT INTO public.batches (id, content_sha256, item_count, received_at, committed_at) VALUES (@id, @sha, 50, now(), now())", other, transaction))
        {
            claim.Parameters.AddWithValue("id", id);
            claim.Parameters.AddWithValue("sha", sameContent ? sha : new string('0', 64));
            await claim.ExecuteNonQueryAsync();
        }

        var upload = api.Client.PutAsync($"/batches/{id}", Content(body, "text/csv"));
        await WaitForAsync(() => WaitingSessionsAsync(api.ConnectionString, api.ApplicationName, "INSERT INTO public.batches"), n => n == 1, "the upload waits on the id");
        Assert.Equal(0L, await TestData.ScalarAsync<long>(
            api.ConnectionString,
            $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{api.ApplicationName}' AND query LIKE 'COPY%'"));
        Assert.False(upload.IsCompleted);

        await transaction.CommitAsync();
        using var response = await upload;
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(before, await PriceCountAsync(api.ConnectionString));
    }
}
