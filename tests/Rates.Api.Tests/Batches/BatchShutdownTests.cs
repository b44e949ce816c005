using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// Stopping the service (what SIGTERM does): readiness turns 503 at once while requests are still served for
/// Shutdown:PreStopSeconds; then new connections are refused, a batch in flight finishes within
/// Shutdown:DrainTimeoutSeconds, and one that cannot is answered 503 with Retry-After and rolled back whole.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchShutdownTests(PostgresFixture postgres)
{
    private const int Items = 5_000;

    [Fact]
    public async Task On_stop_readiness_fails_at_once_while_requests_are_served_through_the_pre_stop_window()
    {
        await using var api = await BatchApi.StartAsync(postgres, "batch-prestop", kestrel: true, ("Shutdown:PreStopSeconds", "3"));
        using (var ready = await api.Client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var stopping = api.Factory.Host.StopAsync();
        using (var notReady = await api.Client.GetAsync("/health/ready"))
        {
            await BatchAnswers.ProblemAsync(notReady, HttpStatusCode.ServiceUnavailable);
        }

        // A new connection is still accepted and answered during the window.
        using (var fresh = new HttpClient { BaseAddress = api.Client.BaseAddress })
        using (var rates = await fresh.GetAsync($"/rates?date_from=2036-01-01&date_to=2036-01-02&orig_code={Shanghai}&dest_code={Rotterdam}"))
        {
            Assert.Equal(HttpStatusCode.OK, rates.StatusCode);
        }

        Assert.False(stopping.IsCompleted, "the service is still in its pre-stop window");
        await WaitForAsync(async () => await AcceptsConnectionsAsync(api.Port!.Value) ? 1L : 0L, n => n == 0, "the service refuses new connections");
        await stopping;
    }

    [Fact]
    public async Task A_batch_in_flight_when_the_service_stops_is_committed_within_the_drain_timeout()
    {
        await using var api = await BatchApi.StartAsync(postgres, "batch-drain", kestrel: true, ("Shutdown:DrainTimeoutSeconds", "20"));
        var body = Csv(Lane(Shanghai, Rotterdam, new DateOnly(2036, 1, 1), Items));
        var content = new GatedContent(body, body.Length / 2, "text/csv");
        var upload = api.Client.PutAsync("/batches/drained", content);
        await content.HeadSent;
        await WaitForAsync(() => Task.FromResult((long)api.UploadsInFlight), n => n == 1, "the service is reading the batch");

        var stopwatch = Stopwatch.StartNew();
        var stopping = api.Factory.Host.StopAsync();

        // Without a pre-stop window the listener closes first: a new client is refused while the batch is in flight.
        await WaitForAsync(async () => await AcceptsConnectionsAsync(api.Port!.Value) ? 1L : 0L, n => n == 0, "the service refuses new connections");
        Assert.False(upload.IsCompleted, "the batch is still in flight");
        Assert.False(stopping.IsCompleted, "the service waits for the batch");

        content.SendTail();
        using var response = await upload;
        await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
        await stopping;
        stopwatch.Stop();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"stopped {stopwatch.Elapsed} after the request, once the batch was done, not at the drain timeout");
        Assert.Equal(Items, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(1, await BatchCountAsync(api.ConnectionString, "drained"));
    }

    [Fact]
    public async Task A_batch_that_cannot_finish_in_the_drain_is_answered_503_with_retry_after_and_leaves_nothing()
    {
        await using var api = await BatchApi.StartAsync(postgres, "batch-drain-timeout", kestrel: true, ("Shutdown:DrainTimeoutSeconds", "4"));
        var body = Encoding.UTF8.GetBytes(Csv(Lane(Shanghai, Rotterdam, new DateOnly(2036, 2, 1), Items)));

        // A raw client that sends half its body and then waits, reading whatever the service answers.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, api.Port!.Value);
        var stream = client.GetStream();
        var head = string.Create(
            CultureInfo.InvariantCulture,
            $"PUT /batches/cut-off HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {BatchApi.Key}\r\nContent-Type: text/csv\r\nContent-Length: {body.Length}\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body.AsMemory(0, body.Length / 2));
        await WaitForAsync(() => Task.FromResult((long)api.UploadsInFlight), n => n == 1, "the service is reading the batch");

        var stopwatch = Stopwatch.StartNew();
        var stopping = api.Factory.Host.StopAsync();
        var answer = await ReadHeadAsync(stream, TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 503", answer, StringComparison.Ordinal);
        Assert.Contains("Retry-After: ", answer, StringComparison.OrdinalIgnoreCase);
        // Answered 2 s before the 4 s drain ends, while the connection may still carry an answer.
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(4));
        await stopping;

        Assert.Equal(0, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, "cut-off"));
    }

    [UnixFact("SIGTERM")]
    public async Task On_sigterm_the_service_process_finishes_the_batch_in_flight_then_exits()
    {
        var connectionString = await BatchDatabase.CreateAsync(postgres, "batch_sigterm");
        var port = PostgresServers.FreePort();
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Rates"] = connectionString,
            ["Service__ListenAddress"] = "127.0.0.1",
            ["Service__Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Shutdown__PreStopSeconds"] = "1",
            ["Shutdown__DrainTimeoutSeconds"] = "20",
            [$"Auth__ApiKeys__{BatchApi.KeyId}"] = BatchApi.HashOf(BatchApi.Key),
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BatchApi.Key);
        await WaitForAsync(async () => await AcceptsConnectionsAsync(port) ? 1L : 0L, n => n == 1, "the service listens", seconds: 90);

        var body = Csv(Lane(Shanghai, Rotterdam, new DateOnly(2036, 3, 1), Items));
        var content = new GatedContent(body, body.Length / 2, "text/csv");
        var upload = client.PutAsync("/batches/sigterm", content);
        await content.HeadSent;
        await WaitForAsync(() => InFlightAsync(client), n => n == 1, "the service is reading the batch");

        service.Terminate();
        await WaitForAsync(async () => await AcceptsConnectionsAsync(port) ? 1L : 0L, n => n == 0, "the service refuses new connections");
        Assert.False(service.HasExited, "the service waits for the batch in flight");

        content.SendTail();
        using var response = await upload;
        await BatchAnswers.SuccessAsync(response, HttpStatusCode.Created);
        Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("Application is shutting down", service.Output);
        Assert.Equal(Items, await PriceCountAsync(connectionString));
    }

    /// <summary>rates_batches_in_flight of a service process (its own metrics registry).</summary>
    private static async Task<long> InFlightAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/metrics");
        var line = text.Split('\n').First(l => l.StartsWith("rates_batches_in_flight ", StringComparison.Ordinal));
        return (long)double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The status line and headers of an HTTP answer, read from a raw connection.</summary>
    internal static async Task<string> ReadHeadAsync(Stream stream, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellation.Token);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return received.ToString();
    }

    internal static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
