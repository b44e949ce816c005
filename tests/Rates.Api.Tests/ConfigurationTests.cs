using System.Net;
using Rates.Api.Tests.Infrastructure;
using Rates.Database;

namespace Rates.Api.Tests;

/// <summary>Settings are validated at start-up with messages naming the key; passwords never reach the logs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigurationTests(PostgresFixture postgres)
{
    /// <summary>
    /// Starts the real service with the given settings (besides a complete, valid set) and returns what it printed
    /// before exiting; fails when it does not stop by itself.
    /// </summary>
    private static async Task<string> StartupFailureAsync(params (string Key, string? Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Database__Host"] = "127.0.0.1",
            ["Database__Port"] = ClosedPort.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Database__Name"] = "rates",
            ["Database__Username"] = "rates",
            ["Service__ListenAddress"] = "127.0.0.1",
            ["Service__Port"] = PostgresServers.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
        }

        await using var service = ServiceProcess.Start(environment);
        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode != 0, $"The service exited with 0. Output:\n{service.Output}");
        return service.Output;
    }

    [Fact]
    public async Task Missing_database_settings_stop_the_service_naming_each_key()
    {
        var output = await StartupFailureAsync(("Database:Host", ""), ("Database:Name", ""), ("Database:Username", " "));

        Assert.Contains("Database:Host is required (or set ConnectionStrings:Rates).", output);
        Assert.Contains("Database:Name is required", output);
        Assert.Contains("Database:Username is required", output);
    }

    [Theory]
    [InlineData("Database:Port", "0", "Database:Port must be between 1 and 65535")]
    [InlineData("Database:StatementTimeoutSeconds", "0", "Database:StatementTimeoutSeconds must be between 1 and 3600")]
    [InlineData("Service:Port", "70000", "Service:Port must be between 1 and 65535")]
    [InlineData("Service:ListenAddress", "not-an-address", "Service:ListenAddress must be an IP address")]
    [InlineData("Rates:MaxRangeDays", "0", "Rates:MaxRangeDays must be between 1 and 1000000")]
    [InlineData("Shutdown:DrainTimeoutSeconds", "0", "Shutdown:DrainTimeoutSeconds must be between 1 and 3600")]
    [InlineData("Shutdown:PreStopSeconds", "-1", "Shutdown:PreStopSeconds must be between 0 and 300")]
    [InlineData("Database:MaxPoolSize", "0", "Database:MaxPoolSize must be between 1 and 10000")]
    [InlineData("Batches:MaxConcurrent", "0", "Batches:MaxConcurrent must be between 1 and 1000")]
    [InlineData("Batches:MaxCompressionRatio", "1", "Batches:MaxCompressionRatio must be between 2 and 1000000")]
    [InlineData("Metrics:Port", "70000", "Metrics:Port must be between 0 and 65535")]
    [InlineData("Auth:ApiKeys:ci", "not-a-hash", "Auth:ApiKeys:ci must be the SHA-256 of the key as 64 hex digits")]
    [InlineData("ConnectionStrings:Rates", "Host=127.0.0.1;NoSuchKeyword=1", "ConnectionStrings:Rates is not a valid PostgreSQL connection string")]
    public async Task An_invalid_setting_stops_the_service_naming_the_key(string key, string value, string message)
    {
        Assert.Contains(message, await StartupFailureAsync((key, value)));
    }

    [Fact]
    public async Task The_service_listens_on_the_configured_address_and_port()
    {
        var port = PostgresServers.FreePort();
        await using var service = ServiceProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__Rates"] = ClosedPort.ConnectionString,
            ["Service__ListenAddress"] = "127.0.0.1",
            ["Service__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The official aspnet image sets this; the service's own setting must win.
            ["ASPNETCORE_HTTP_PORTS"] = "8080",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? body = null;
        while (body is null)
        {
            try
            {
                body = await client.GetStringAsync("/");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !service.HasExited)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal("""{"message":"Hello world!"}""", body);
        Assert.Contains($"Now listening on: http://127.0.0.1:{port}", service.Output);
        Assert.DoesNotContain("not-used", service.Output);
    }

    [Fact]
    public async Task Discrete_settings_reach_the_database()
    {
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateMigratedDatabaseAsync("discrete"));
        await using var api = new RatesApiFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Rates"] = "",
            ["Database:Host"] = connectionString.Host,
            ["Database:Port"] = connectionString.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Database:Name"] = connectionString.Database,
            ["Database:Username"] = connectionString.Username,
            ["Database:Password"] = connectionString.Password,
        });

        using var response = await api.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_password_never_appears_in_the_logs()
    {
        const string password = "pw-that-must-not-leak-7f3a";
        var real = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateMigratedDatabaseAsync("password"));
        await using var api = new RatesApiFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Rates"] = "",
            ["Database:Host"] = real.Host,
            ["Database:Port"] = real.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Database:Name"] = real.Database,
            ["Database:Username"] = real.Username,
            ["Database:Password"] = password,
        });
        var client = api.CreateClient();

        // A wrong password: the database refuses it, and the failure is logged.
        using (var rates = await client.GetAsync("/rates?date_from=2030-03-01&date_to=2030-03-02&orig_code=A&dest_code=B"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, rates.StatusCode);
        }

        using (var ready = await client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        var logs = api.Logs.ToArray();
        Assert.Contains(logs, line => line.Contains("Using database Host=", StringComparison.Ordinal) && line.Contains("Password=***", StringComparison.Ordinal));
        Assert.Contains(logs, line => line.Contains("Database unavailable", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, line => line.Contains(password, StringComparison.Ordinal));
    }

    [Fact]
    public void Database_options_never_show_the_password()
    {
        var options = new DatabaseOptions { Host = "db", Name = "rates", Username = "rates", Password = "s3cret-value" };

        Assert.DoesNotContain("s3cret-value", options.ToString());
        Assert.DoesNotContain("s3cret-value", options.Describe("Host=db;Username=u;Password=s3cret-value;Database=rates"));
        Assert.Contains("s3cret-value", options.BuildConnectionString(null));
    }
}
