using System.Net;
using System.Text.Json;
using Rates.Api.Tests.Infrastructure;
using Rates.Database;

namespace Rates.Api.Tests;

[Collection(PostgresCollection.Name)]
public sealed class HealthTests(PostgresFixture postgres)
{
    private static async Task<(HttpStatusCode Status, string? MediaType, JsonElement Body)> GetAsync(RatesApiFactory api, string path)
    {
        using var response = await api.CreateClient().GetAsync(path);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, document.RootElement.Clone());
    }

    [Fact]
    public async Task Live_answers_without_touching_the_database()
    {
        await using var api = new RatesApiFactory(ClosedPort.ConnectionString);

        var (status, mediaType, body) = await GetAsync(api, "/health/live");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", mediaType);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_when_the_database_answers_and_is_migrated()
    {
        await using var api = new RatesApiFactory(await postgres.CreateMigratedDatabaseAsync("ready"));

        var (status, mediaType, body) = await GetAsync(api, "/health/ready");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", mediaType);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var check = Assert.Single(body.GetProperty("checks").EnumerateArray());
        Assert.Equal("database", check.GetProperty("name").GetString());
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Not_ready_while_migrations_are_pending()
    {
        await using var api = new RatesApiFactory(await postgres.CreateDatabaseAsync("unmigrated"));

        var (status, mediaType, body) = await GetAsync(api, "/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("application/problem+json", mediaType);
        var detail = body.GetProperty("detail").GetString();
        Assert.Contains("not up to date", detail);
        Assert.All(DatabaseMigrator.KnownScripts, script => Assert.Contains(script, detail));
    }

    [Fact]
    public async Task Not_ready_when_the_database_is_unreachable()
    {
        await using var api = new RatesApiFactory(ClosedPort.ConnectionString);

        var (status, mediaType, body) = await GetAsync(api, "/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("application/problem+json", mediaType);
        Assert.StartsWith("Database unreachable", body.GetProperty("detail").GetString());
    }
}
