using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Rates.Synthetic;

namespace Rates.Build.Chaos;

/// <summary>What the load of a fault run is made of.</summary>
/// <param name="ReadRate">GET /rates per second, sent on schedule whatever the answers (open loop).</param>
/// <param name="Senders">Batch senders, each sending one batch after another.</param>
/// <param name="MinItems">Smallest batch; sizes cycle between this and <paramref name="MaxItems"/>.</param>
/// <param name="RetryBound">How long a sender keeps retrying one batch id before it gives up (and says so).</param>
internal sealed record ChaosLoadSettings(int ReadRate, int Senders, int MinItems, int MaxItems, TimeSpan RetryBound, string RunId);

/// <summary>
/// The load of a fault run against the API endpoint: open-loop readers of lanes that exist, batch senders that
/// retry the same id with backoff on 5xx, timeout or broken connection until 201/200, and a write probe (a one-item
/// batch every 250 ms) whose first success after a fault is that fault's recovery time.
/// </summary>
internal sealed class ChaosLoad(Uri api, ChaosLoadSettings settings, IReadOnlyList<(string Orig, string Dest)> lanes, ChaosJournal journal, string apiKey) : IDisposable
{
    private static readonly TimeSpan s_probeInterval = TimeSpan.FromMilliseconds(250);
    private readonly HttpClient _reads = NewClient(api, TimeSpan.FromSeconds(5));
    private readonly HttpClient _writes = NewClient(api, TimeSpan.FromSeconds(120), apiKey);
    private int _probe;

    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll([ReadAsync(stop), ProbeAsync(stop), SampleMachineLoadAsync(stop), .. Enumerable.Range(0, settings.Senders).Select(s => SendAsync(s, stop))]);

    /// <summary>Every 5 s, the 1-minute load average of this machine (Linux /proc/loadavg; nothing elsewhere).</summary>
    private async Task SampleMachineLoadAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && File.Exists("/proc/loadavg"))
        {
            var first = (await File.ReadAllTextAsync("/proc/loadavg", CancellationToken.None)).Split(' ')[0];
            if (double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load))
                journal.MachineLoad(load);
            await Delay(TimeSpan.FromSeconds(5), stop);
        }
    }

    private async Task ReadAsync(CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(1.0 / settings.ReadRate);
        var inFlight = new List<Task>();
        var next = journal.Now;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var (orig, dest) = lanes[n % lanes.Count];
            inFlight.Add(TimedAsync(journal.Now, journal.Read, () => _reads.GetAsync(
                $"/rates?date_from=2024-01-01&date_to=2024-01-31&orig_code={orig}&dest_code={dest}", CancellationToken.None)));
            inFlight.RemoveAll(t => t.IsCompleted);
            next += interval;
            var wait = next - journal.Now; // read once: the clock moves on between two reads
            if (wait > TimeSpan.Zero)
                await Delay(wait, stop);
        }

        await Task.WhenAll(inFlight);
    }

    private async Task ProbeAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var id = Invariant($"{settings.RunId}-probe-{Interlocked.Increment(ref _probe)}");
            var body = "orig_code,dest_code,day,price\n" + Invariant($"{lanes[0].Orig},{lanes[0].Dest},2024-03-01,{_probe % 5000 + 1}\n");
            var started = journal.Now;
            journal.Sending(id, 1);
            var outcome = await SendOnceAsync(id, () => Csv(body), CancellationToken.None);
            journal.Write(started, outcome);
            if (outcome.Succeeded)
                journal.Acknowledged(id, 1, 1);
            await Delay(s_probeInterval, stop);
        }
    }

    private async Task SendAsync(int sender, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var spread = settings.MaxItems - settings.MinItems;
            var items = settings.MinItems + (spread == 0 ? 0 : (int)((long)(sender * 7919 + n * 104729) % (spread + 1)));
            var spec = new BatchSpec { Items = items, Format = BatchFormat.Csv, Seed = sender * 100_000 + n, StartDay = new DateOnly(2025, 1, 1) };
            using var body = new MemoryStream();
            await BatchWriter.WriteAsync(spec, body);
            var bytes = body.ToArray();
            var id = Invariant($"{settings.RunId}-s{sender}-b{n}");
            journal.Sending(id, items);
            // Once started, a batch is retried until it is stored or the bound passes, even when the run is ending.
            await SendUntilStoredAsync(id, items, () => new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(spec.ContentType) } });
        }
    }

    private async Task SendUntilStoredAsync(string id, int items, Func<HttpContent> content)
    {
        var deadline = journal.Now + settings.RetryBound;
        var backoff = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await SendOnceAsync(id, content, CancellationToken.None);
            journal.BatchAttempt(id, outcome);
            if (outcome.Succeeded)
            {
                journal.Acknowledged(id, items, attempt);
                return;
            }

            // 4xx other than 429 will not change by retrying: a defect of the run, reported as given up.
            var retryable = outcome.Failure is not null || outcome.Status >= 500 || outcome.Status == 429;
            if (!retryable || journal.Now + backoff > deadline)
            {
                journal.GaveUp(id);
                return;
            }

            await Task.Delay(backoff);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    private async Task<Outcome> SendOnceAsync(string id, Func<HttpContent> content, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _writes.PutAsync($"/batches/{id}", content(), cancellationToken);
            return Outcome.Of((int)response.StatusCode);
        }
        catch (Exception ex) when (Failure(ex) is { } failure)
        {
            return Outcome.Failed(failure);
        }
    }

    private static async Task TimedAsync(TimeSpan started, Action<TimeSpan, Outcome> record, Func<Task<HttpResponseMessage>> request)
    {
        try
        {
            using var response = await request();
            record(started, Outcome.Of((int)response.StatusCode));
        }
        catch (Exception ex) when (Failure(ex) is { } failure)
        {
            record(started, Outcome.Failed(failure));
        }
    }

    /// <summary>"timeout", "refused", "connection" (reset or closed), or null for an exception that is a defect.</summary>
    internal static string? Failure(Exception exception) => exception switch
    {
        TaskCanceledException or TimeoutException => "timeout",
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => "refused",
        HttpRequestException or IOException => "connection",
        _ => null,
    };

    /// <param name="apiKey">Batch writers sign in with the environment's key; readers need none.</param>
    private static HttpClient NewClient(Uri api, TimeSpan timeout, string? apiKey = null) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        MaxConnectionsPerServer = 256,
    })
    {
        BaseAddress = api,
        Timeout = timeout,
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultRequestHeaders = { Authorization = apiKey is null ? null : new AuthenticationHeaderValue("Bearer", apiKey) },
    };

    private static HttpContent Csv(string body) => new StringContent(body, System.Text.Encoding.UTF8, "text/csv");

    private static async Task Delay(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _reads.Dispose();
        _writes.Dispose();
    }
}
