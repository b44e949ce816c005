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
        var api = await BatchApi.SharedAsync(postgres, "batch-concurrency");
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
        var api = await BatchApi.SharedAsync(postgres, "batch-concurrency");
        var body = Csv(Lane(Shanghai, Hamburg, new DateOnly(2035, 2, 1), 3_000));
        var before = await PriceCountAsync(api.ConnectionString);

        // Both uploads are mid-COPY before either may finish, so both pass the "already committed?" check.
        var first = new GatedContent(body, body.Length / 2, "text/csv");
        var second = new GatedContent(body, body.Length / 2, "text/csv");
        var uploads = new[] { api.Client.PutAsync("/batches/twice", first), api.Client.PutAsync("/batches/twice", second) };
        await Task.WhenAll(first.HeadSent, second.HeadSent);
        await WaitForAsync(() => CopyingSessionsAsync(api.ConnectionString, api.ApplicationName), n => n == 2, "both uploads are copying");
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
}
