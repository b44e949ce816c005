using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rates.Api.Tests.Infrastructure;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// Stopping the service (what SIGTERM does): new connections are refused at once, a batch in flight finishes
/// within Shutdown:DrainTimeoutSeconds, and one that cannot is rolled back whole.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BatchShutdownTests(PostgresFixture postgres)
{
    private const int Items = 5_000;

    [Fact]
    public async Task A_batch_in_flight_when_the_service_stops_is_committed_within_the_drain_timeout()
    {
        await using var api = await BatchApi.StartAsync(postgres, "batch-drain", kestrel: true, ("Shutdown:DrainTimeoutSeconds", "20"));
        var body = Csv(Lane(Shanghai, Rotterdam, new DateOnly(2036, 1, 1), Items));
        var content = new GatedContent(body, body.Length / 2, "text/csv");
        var upload = api.Client.PutAsync("/batches/drained", content);
        await content.HeadSent;
        await WaitForAsync(() => CopyingSessionsAsync(api.ConnectionString, api.ApplicationName), n => n == 1, "the service is copying the batch");

        var stopwatch = Stopwatch.StartNew();
        var stopping = api.Factory.Host.StopAsync();

        // The listener closes first: a new client is refused while the batch is still in flight.
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
    public async Task A_batch_still_in_flight_at_the_drain_timeout_is_rolled_back_whole()
    {
        await using var api = await BatchApi.StartAsync(postgres, "batch-drain-timeout", kestrel: true, ("Shutdown:DrainTimeoutSeconds", "1"));
        var body = Csv(Lane(Shanghai, Rotterdam, new DateOnly(2036, 2, 1), Items));
        var content = new GatedContent(body, body.Length / 2, "text/csv");
        var upload = api.Client.PutAsync("/batches/cut-off", content);
        await content.HeadSent;
        await WaitForAsync(() => CopyingSessionsAsync(api.ConnectionString, api.ApplicationName), n => n == 1, "the service is copying the batch");

        var stopwatch = Stopwatch.StartNew();
        await api.Factory.Host.StopAsync();
        stopwatch.Stop();
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));

        // The client that never finished its body is cut off, and the batch left nothing behind.
        content.Abort();
        await Assert.ThrowsAnyAsync<Exception>(() => upload);
        await WaitForAsync(() => BusySessionsAsync(api.ConnectionString, api.ApplicationName), n => n == 0, "the batch's transaction is gone");
        Assert.Equal(0, await PriceCountAsync(api.ConnectionString));
        Assert.Equal(0, await BatchCountAsync(api.ConnectionString, "cut-off"));
    }

    [Fact]
    public async Task On_sigterm_the_service_process_finishes_the_batch_in_flight_then_exits()
    {
        var connectionString = await BatchDatabase.CreateAsync(postgres, "batch_sigterm");
        var port = PostgresServers.FreePort();
        var applicationName = $"rates-sigterm-{Guid.NewGuid():N}"[..30];
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Rates"] = connectionString,
            ["Database__ApplicationName"] = applicationName,
            ["Service__ListenAddress"] = "127.0.0.1",
            ["Service__Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Shutdown__DrainTimeoutSeconds"] = "20",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}") };
        await WaitForAsync(async () => await AcceptsConnectionsAsync(port) ? 1L : 0L, n => n == 1, "the service listens", seconds: 30);

        var body = Csv(Lane(Shanghai, Rotterdam, new DateOnly(2036, 3, 1), Items));
        var content = new GatedContent(body, body.Length / 2, "text/csv");
        var upload = client.PutAsync("/batches/sigterm", content);
        await content.HeadSent;
        await WaitForAsync(() => CopyingSessionsAsync(connectionString, applicationName), n => n == 1, "the service is copying the batch");

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

    private static async Task<bool> AcceptsConnectionsAsync(int port)
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
