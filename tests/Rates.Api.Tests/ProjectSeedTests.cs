using System.Net;
using System.Text.Json;
using Rates.Api.Tests.Infrastructure;
using Rates.Database;

namespace Rates.Api.Tests;

/// <summary>The service on the project's own seed (db/seed/seed.sql).</summary>
[Collection(PostgresCollection.Name)]
public sealed class ProjectSeedTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_service_answers_from_the_project_seed()
    {
        Assert.True(File.Exists(RepositoryPaths.ProjectSeed), $"The project seed is missing at {RepositoryPaths.ProjectSeed}.");
        var connectionString = await postgres.CreateDatabaseAsync("projectseed");
        await DatabaseSeeder.ReloadAsync(connectionString, null, RepositoryPaths.ProjectSeed, null, CancellationToken.None);
        var lane = await TestData.ScalarAsync<string>(connectionString, """
            SELECT orig_code || ',' || dest_code || ',' || min(day)::text || ',' || max(day)::text
            FROM public.prices GROUP BY orig_code, dest_code ORDER BY count(*) DESC, orig_code, dest_code LIMIT 1
            """);
        var parts = lane.Split(',');

        await using var api = new RatesApiFactory(connectionString);
        using var response = await api.CreateClient().GetAsync($"/rates?date_from={parts[2]}&date_to={parts[3]}&orig_code={parts[0]}&dest_code={parts[1]}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var rates = body.RootElement.GetProperty("rates").EnumerateArray().ToArray();
        Assert.True(rates.Length >= 60, $"the busiest lane spans {rates.Length} days");
        Assert.Contains(rates, r => r.GetProperty("price").ValueKind == JsonValueKind.Number);
    }
}
