using System.Diagnostics;
using System.Net;
using Rates.Build.Batches;

namespace Rates.Build.Benchmark;

/// <summary>The benchmark's <c>PUT /batches/{id}</c> uploads, through the same helper as <c>GenerateBatch --send</c>.</summary>
internal static class BenchmarkUploads
{
    public static HttpClient CreateClient(int connections) =>
        new(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            // A batch of a million items takes minutes on a small machine; a hung service must still end the run.
            Timeout = TimeSpan.FromMinutes(30),
        };

    /// <summary>
    /// Sends <paramref name="batch"/> as a new batch <paramref name="batchId"/> and returns the time from the first byte
    /// of the request to the 201 (the batch committed).
    /// </summary>
    /// <exception cref="BuildFailedException">The service answered anything but 201 Created, or could not be reached.</exception>
    public static async Task<TimeSpan> SendAsync(HttpClient client, Uri serviceUrl, string batchId, BenchmarkBatch batch, CancellationToken cancellationToken)
    {
        var uri = BatchUpload.BatchUri(serviceUrl, batchId);
        var started = Stopwatch.GetTimestamp();
        var response = await BatchUpload.SendAsync(client, uri, batch.Path, batch.Spec.ContentType, batch.Spec.ContentEncoding, apiKey: null, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (response.Status != HttpStatusCode.Created)
        {
            // 200 would be a replay of an id used before: then nothing was ingested and the time means nothing.
            var problem = BatchResponseFormatter.ProblemSummary(response.Body);
            throw new BuildFailedException($"PUT {uri} ({batch.Spec.Items:N0} items, {batch.Spec.ContentType}) answered {response.StatusLine}" +
                $"{(problem is null ? "" : ": " + problem)}; the benchmark expects 201 Created for every batch it sends.");
        }

        return elapsed;
    }

    /// <summary>
    /// Keeps <paramref name="uploaders"/> uploads going back to back, cycling through <paramref name="files"/> under new
    /// ids, until <paramref name="duration"/> has passed; uploads in flight then are finished. Returns what was committed.
    /// </summary>
    public static async Task<LoadSummary> RunLoadAsync(HttpClient client, Uri serviceUrl, BenchmarkPlan plan, IReadOnlyList<BenchmarkBatch> files,
        int uploaders, TimeSpan duration, Action<string> progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var intervals = new List<(TimeSpan Start, TimeSpan End)>();
        var durations = new List<TimeSpan>();
        long rows = 0;

        async Task UploadAsync(int uploader)
        {
            for (var next = uploader; clock.Elapsed < duration; next += uploaders)
            {
                var batch = files[next % files.Count];
                var number = Interlocked.Increment(ref sent);
                var start = clock.Elapsed;
                var elapsed = await SendAsync(client, serviceUrl, plan.BatchId($"{batch.Label}-{number}"), batch, cancellationToken);
                var end = clock.Elapsed;
                lock (intervals)
                {
                    intervals.Add((start, end));
                    durations.Add(elapsed);
                    rows += batch.Spec.Items;
                }

                progress(FormattableString.Invariant(
                    $"  upload {number} ({batch.Spec.Format.ToString().ToUpperInvariant()}, {batch.Spec.Items:N0} rows) committed in {elapsed.TotalSeconds:0.000} s"));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, uploaders).Select(u => Task.Run(() => UploadAsync(u), CancellationToken.None)));
        return new LoadSummary(uploaders, durations.Count, rows, clock.Elapsed, LoadSummary.CoverageOf(intervals, duration), durations);
    }
}
