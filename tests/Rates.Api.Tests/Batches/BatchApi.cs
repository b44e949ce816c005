using System.Globalization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests.Batches;

/// <summary>
/// The service on its own database holding the port catalog. <see cref="SharedAsync"/> gives one per key for
/// the whole test run (tests of a class share it; each test uses its own batch ids and days);
/// <see cref="StartAsync"/> a private one, optionally on a real Kestrel socket.
/// </summary>
public sealed class BatchApi : IAsyncDisposable
{
    private BatchApi(string connectionString, string applicationName, RatesApiFactory factory, HttpClient client, int? port)
    {
        ConnectionString = connectionString;
        ApplicationName = applicationName;
        Factory = factory;
        Client = client;
        Port = port;
    }

    public string ConnectionString { get; }

    /// <summary>The service's sessions in pg_stat_activity carry this name.</summary>
    public string ApplicationName { get; }

    public RatesApiFactory Factory { get; }

    public HttpClient Client { get; }

    /// <summary>The Kestrel port, when on a real socket.</summary>
    public int? Port { get; }

    public static Task<BatchApi> SharedAsync(PostgresFixture postgres, string key, params (string Key, string? Value)[] settings) =>
        postgres.SharedAsync(key, () => StartAsync(postgres, key, kestrel: false, settings));

    /// <summary>The API key every test client sends (its SHA-256 is configured as Auth:ApiKeys:tests).</summary>
    public const string Key = RatesApiFactory.ApiKey;

    public const string KeyId = RatesApiFactory.ApiKeyId;

    public static string HashOf(string key) => RatesApiFactory.HashOf(key);

    /// <summary>Uploads holding a slot of the service's bulkhead now: received and not yet answered.</summary>
    public int UploadsInFlight => Factory.Services.GetRequiredService<global::Rates.Api.Batches.BatchBulkhead>().InUse;

    public static async Task<BatchApi> StartAsync(PostgresFixture postgres, string prefix, bool kestrel, params (string Key, string? Value)[] settings)
    {
        var connectionString = await BatchDatabase.CreateAsync(postgres, prefix.Replace('-', '_'));
        return Start(connectionString, prefix, kestrel, settings);
    }

    /// <summary>The service on an existing database (e.g. connecting as another role).</summary>
    public static BatchApi Start(string connectionString, string prefix, bool kestrel, params (string Key, string? Value)[] settings)
    {
        var applicationName = $"rates-{prefix}-{Guid.NewGuid():N}"[..40];
        var all = new List<(string Key, string? Value)>
        {
            ("Database:ApplicationName", applicationName),
        };
        int? port = null;
        if (kestrel)
        {
            port = PostgresServers.FreePort();
            all.Add(("Service:ListenAddress", "127.0.0.1"));
            all.Add(("Service:Port", port.Value.ToString(CultureInfo.InvariantCulture)));
        }

        all.AddRange(settings);
        var factory = new RatesApiFactory(connectionString, all.ToArray());
        HttpClient client;
        if (kestrel)
        {
            // The service listens where Service:ListenAddress/Port say (its own Kestrel endpoint), so the client
            // goes there directly rather than through the factory's client.
            factory.UseKestrel();
            factory.StartServer();
            client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port!.Value.ToString(CultureInfo.InvariantCulture)}") };
        }
        else
        {
            // Without redirect handling: the factory's redirect handler buffers request bodies (to resend them),
            // which would turn every streamed upload into a buffered one.
            client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        }

        client.Timeout = TimeSpan.FromMinutes(2);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
        return new BatchApi(connectionString, applicationName, factory, client, port);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}
