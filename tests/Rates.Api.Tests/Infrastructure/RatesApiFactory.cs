using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rates.Api.Tests.Infrastructure;

/// <summary>
/// The real service in memory, configured only through configuration keys (as in production), with its logs
/// captured. The environment is "Testing", so only appsettings.json applies besides the given settings.
/// </summary>
public sealed class RatesApiFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public RatesApiFactory(string connectionString, params (string Key, string? Value)[] extra)
        : this(With(connectionString, extra))
    {
    }

    /// <summary>The API key of the tests' writers: its SHA-256 is configured as Auth:ApiKeys:tests.</summary>
    public const string ApiKey = "rk_tests_0123456789abcdefghijklmnopqrstuvwxyz";

    public const string ApiKeyId = "tests";

    private IHost? _host;

    /// <summary>
    /// True (the default): the service knows <see cref="ApiKey"/> and the factory's clients send it. False: no key
    /// is configured and clients send none, unless the settings say otherwise.
    /// </summary>
    public bool SignedIn { get; init; } = true;

    public static string HashOf(string key) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>The running host, once the factory has started it: e.g. to stop it the way SIGTERM does.</summary>
    public IHost Host => _host ?? throw new InvalidOperationException("The service has not been started yet.");

    protected override IHost CreateHost(IHostBuilder builder)
    {
        _host = base.CreateHost(builder);
        return _host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // No pre-stop window unless a test asks for one: disposing a factory stops its host.
        var defaults = new Dictionary<string, string?> { ["Shutdown:PreStopSeconds"] = "0" };
        if (SignedIn)
        {
            defaults[$"Auth:ApiKeys:{ApiKeyId}"] = HashOf(ApiKey);
        }

        builder.ConfigureAppConfiguration(configuration => configuration
            .AddInMemoryCollection(defaults)
            .AddInMemoryCollection(settings));
        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddProvider(new CapturingLoggerProvider(Logs));
        });
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        if (SignedIn)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        }
    }

    private static Dictionary<string, string?> With(string connectionString, (string Key, string? Value)[] extra)
    {
        var all = new Dictionary<string, string?> { ["ConnectionStrings:Rates"] = connectionString };
        foreach (var (key, value) in extra)
        {
            all[key] = value;
        }

        return all;
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, sink);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            sink.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
