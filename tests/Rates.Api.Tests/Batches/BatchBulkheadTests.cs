using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rates.Api.Tests.Infrastructure;
using Xunit.Abstractions;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// Uploads can never starve reads: at most Batches:MaxConcurrent uploads run, one more is answered 503 at once,
/// and a crowd of slow uploaders leaves /rates answering fast.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchBulkheadTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task One_upload_more_than_the_limit_is_answered_503_with_retry_after_at_once()
    {
        await using var api = await BatchApi.StartAsync(postgres, "batch-bulkhead", kestrel: false, ("Batches:MaxConcurrent", "2"));
        var body = Csv(Lane(Shanghai, Rotterdam, new DateOnly(2038, 1, 1), 100));
        var first = new GatedContent(body, body.Length / 2, "text/csv");
        var second = new GatedContent(body, body.Length / 2, "text/csv");
        var uploads = new[] { api.Client.PutAsync("/batches/slot-1", first), api.Client.PutAsync("/batches/slot-2", second) };
        await WaitForAsync(() => Task.FromResult((long)api.UploadsInFlight), n => n == 2, "both slots are taken");

        using (var third = await api.Client.PutAsync("/batches/slot-3", Content(body, "text/csv")))
        {
            var problem = await BatchAnswers.ProblemAsync(third, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("Batches:MaxConcurrent", problem.GetProperty("detail").GetString());
            Assert.Equal(TimeSpan.FromSeconds(5), third.Headers.RetryAfter?.Delta);
        }

        first.SendTail();
        second.SendTail();
        foreach (var response in await Task.WhenAll(uploads))
        {
            await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
            response.Dispose();
        }

        // The slots are free again.
        using var fourth = await api.Client.PutAsync("/batches/slot-3", Content(body, "text/csv"));
        await BatchAnswers.SuccessAsync(fourth, HttpStatusCode.Created);
    }

    /// <summary>
    /// 150 clients upload valid batches at about 300 bytes/s (above Kestrel's minimum data rate), and start again
    /// whenever they are answered, for the whole measurement; meanwhile one reader measures /rates. Over the
    /// 127.0.0.1 loopback, bounded in time.
    /// </summary>
    [Fact]
    public async Task With_150_slow_uploads_in_flight_rates_answers_200_with_p99_under_50_ms()
    {
        const int uploaders = 150;
        var measureFor = TimeSpan.FromSeconds(12);
        await using var api = await BatchApi.StartAsync(postgres, "batch-slow-crowd", kestrel: true);
        var day = new DateOnly(2038, 2, 1);
        using (var seed = await api.Client.PutAsync("/batches/crowd-seed", Content(Csv(Lane(Shanghai, Rotterdam, day, 30)), "text/csv")))
        {
            await BatchAnswers.SuccessAsync(seed, HttpStatusCode.Created);
        }

        var url = $"/rates?date_from={day.AddDays(-30):yyyy-MM-dd}&date_to={day:yyyy-MM-dd}&orig_code={Shanghai}&dest_code={Rotterdam}";
        using var reader = new HttpClient { BaseAddress = api.Client.BaseAddress };
        for (var i = 0; i < 50; i++)
        {
            await TimeAsync(reader, url);
        }

        var baseline = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            baseline.Add(await TimeAsync(reader, url));
        }

        using var stop = new CancellationTokenSource();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var crowd = Enumerable.Range(0, uploaders)
            .Select(i => Task.Run(() => UploadSlowlyAsync(api.Port!.Value, i, day, statuses, stop.Token)))
            .ToArray();
        await WaitForAsync(() => Task.FromResult((long)api.UploadsInFlight), n => n == 4, "every upload slot is taken by a slow client");

        var latencies = new List<double>();
        var failures = new List<string>();
        var window = Stopwatch.StartNew();
        while (window.Elapsed < measureFor)
        {
            try
            {
                latencies.Add(await TimeAsync(reader, url));
            }
            catch (HttpRequestException ex)
            {
                failures.Add(ex.Message);
            }

            await Task.Delay(5);
        }

        var busyAtEnd = api.UploadsInFlight;
        await stop.CancelAsync();
        await Task.WhenAll(crowd);

        var (p50, p99) = (Percentile(latencies, 0.50), Percentile(latencies, 0.99));
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"/rates alone: p50 {Percentile(baseline, 0.50):F1} ms, p99 {Percentile(baseline, 0.99):F1} ms; under the crowd: {latencies.Count} requests, p50 {p50:F1} ms, p99 {p99:F1} ms, max {latencies.Max():F1} ms; upload answers: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}"));

        Assert.Empty(failures);
        Assert.Equal(4, busyAtEnd);
        Assert.True(statuses.GetValueOrDefault(503) > uploaders, "the crowd was turned away at once, again and again");
        Assert.True(
            p99 < 50,
            string.Create(
                CultureInfo.InvariantCulture,
                $"p99 of /rates was {p99:F1} ms under 150 slow uploads (p50 {p50:F1} ms, {latencies.Count} requests); alone, just before, it was {Percentile(baseline, 0.99):F1} ms"));
    }

    /// <summary>One GET, read to its end; fails unless 200. In milliseconds.</summary>
    private static async Task<double> TimeAsync(HttpClient client, string url)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync(url);
        await response.Content.ReadAsByteArrayAsync();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"/rates answered {(int)response.StatusCode}");
        }

        return elapsed;
    }

    private static double Percentile(List<double> values, double share)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Max(0, (int)Math.Ceiling(sorted.Length * share) - 1)];
    }

    /// <summary>Above Kestrel's minimum request body data rate (240 bytes/s), so the service must not just drop them.</summary>
    private const int BytesPerSecond = 300;

    /// <summary>One slow client: sends a valid batch a few bytes at a time; when answered, starts again a second later.</summary>
    private static async Task UploadSlowlyAsync(int port, int client, DateOnly day, System.Collections.Concurrent.ConcurrentDictionary<int, int> statuses, CancellationToken stop)
    {
        var body = Encoding.UTF8.GetBytes(Csv(Lane(Shanghai, Rotterdam, day, 200)));
        for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
        {
            try
            {
                using var socket = new TcpClient { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, stop);
                var stream = socket.GetStream();
                var head = string.Create(
                    CultureInfo.InvariantCulture,
                    $"PUT /batches/crowd-{client}-{attempt} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {BatchApi.Key}\r\nContent-Type: text/csv\r\nContent-Length: {body.Length}\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), stop);
                var answer = BatchShutdownTests.ReadHeadAsync(stream, TimeSpan.FromMinutes(2));

                // Paced by the clock, 300 bytes a second on average however late the timer fires.
                var started = Stopwatch.StartNew();
                for (var sent = 0; sent < body.Length && !answer.IsCompleted && !stop.IsCancellationRequested;)
                {
                    var due = Math.Min(body.Length, (int)(started.Elapsed.TotalSeconds * BytesPerSecond) + 30);
                    if (due > sent)
                    {
                        await stream.WriteAsync(body.AsMemory(sent, due - sent), stop);
                        sent = due;
                    }

                    await Task.Delay(250, stop);
                }

                var status = await answer.WaitAsync(stop);
                var code = status.Length >= 12 && int.TryParse(status.AsSpan(9, 3), CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
                statuses.AddOrUpdate(code, 1, (_, n) => n + 1);
                await Task.Delay(1000, stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }
}
