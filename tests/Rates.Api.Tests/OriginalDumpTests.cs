using System.Net;
using System.Text.Json;
using Rates.Api.Tests.Infrastructure;
using Rates.Database;

namespace Rates.Api.Tests;

/// <summary>
/// The original service's dump (<see cref="OriginalDump"/>) loads unchanged, the migrations apply on top, and the
/// service answers the original's example. Without the dump these tests are skipped, with the reason and where to
/// download it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OriginalDumpTests(PostgresFixture postgres)
{
    private Task<LoadedDump> Loaded() => postgres.SharedAsync(nameof(OriginalDumpTests), async () =>
    {
        var dump = OriginalDump.Require();
        var connectionString = await postgres.CreateDatabaseAsync("dump");
        var load = await SqlDumpLoader.LoadAsync(connectionString, dump, CancellationToken.None);
        var migration = DatabaseMigrator.Apply(connectionString);
        return new LoadedDump(connectionString, load, migration, new RatesApiFactory(connectionString));
    });

    [OriginalDumpFact]
    public async Task The_dump_loads_unchanged()
    {
        var loaded = await Loaded();

        // The file holds 143 port rows (its own README says 144; the rows are what counts).
        Assert.Equal(143, loaded.Load.CopiedRows["public.ports"]);
        Assert.Equal(20, loaded.Load.CopiedRows["public.regions"]);
        Assert.Equal(56_689, loaded.Load.CopiedRows["public.prices"]);
        Assert.Equal(56_689L, await TestData.ScalarAsync<long>(loaded.ConnectionString, "SELECT count(*) FROM public.prices"));
        // The dump's rows came from no batch.
        Assert.Equal(0L, await TestData.ScalarAsync<long>(loaded.ConnectionString, "SELECT count(*) FROM public.prices WHERE batch_id IS NOT NULL"));
    }

    [OriginalDumpFact]
    public async Task The_migrations_apply_on_top_add_the_lane_index_and_check_ports_per_statement()
    {
        var loaded = await Loaded();

        Assert.Equal(DatabaseMigrator.KnownScripts, loaded.Migration.AppliedScripts);
        Assert.Equal(
            "prices_orig_code_dest_code_day_idx",
            await TestData.ScalarAsync<string>(loaded.ConnectionString, "SELECT indexname::text FROM pg_indexes WHERE tablename = 'prices' AND schemaname = 'public'"));
        Assert.Equal(
            TestData.ExpectedConstraints,
            await TestData.ScalarAsync<string>(loaded.ConnectionString, TestData.ConstraintSummarySql));
        Assert.Equal(TestData.ExpectedPortChecks, await TestData.ScalarAsync<string>(loaded.ConnectionString, TestData.PortChecksSql));
        Assert.Equal(0L, await TestData.ScalarAsync<long>(loaded.ConnectionString, """
            SELECT count(*) FROM public.prices p
            WHERE NOT EXISTS (SELECT 1 FROM public.ports o WHERE o.code = p.orig_code) OR NOT EXISTS (SELECT 1 FROM public.ports d WHERE d.code = p.dest_code)
            """));
    }

    [OriginalDumpFact]
    public async Task The_example_of_the_original_is_answered_exactly()
    {
        var loaded = await Loaded();
        using var response = await loaded.Api.CreateClient()
            .GetAsync("/rates?date_from=2021-01-01&date_to=2021-01-31&orig_code=CNGGZ&dest_code=EETLL");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        var rates = document.RootElement.GetProperty("rates").EnumerateArray().ToArray();

        Assert.Equal(31, rates.Length);
        Assert.Equal(
            Enumerable.Range(0, 31).Select(i => new DateOnly(2021, 1, 31).AddDays(-i).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
            rates.Select(r => r.GetProperty("day").GetString()));
        Assert.Equal(3, rates[0].GetProperty("count").GetInt32());
        Assert.Equal(1154.3333333333333, rates[0].GetProperty("price").GetDouble(), 1e-9);
        Assert.StartsWith("""{"rates":[{"count":3,"day":"2021-01-31","price":1154.3333333333333}""", text);
        Assert.All(rates, r => Assert.Equal(["count", "day", "price"], r.EnumerateObject().Select(p => p.Name)));
    }

    [OriginalDumpFact]
    public async Task Reloading_replaces_the_project_seed_with_the_dump()
    {
        var connectionString = await postgres.CreateDatabaseAsync("dumpreload");
        await DatabaseSeeder.ReloadAsync(connectionString, null, RepositoryPaths.ProjectSeed, null, CancellationToken.None);

        await DatabaseSeeder.ReloadAsync(connectionString, OriginalDump.Require(), RepositoryPaths.ProjectSeed, null, CancellationToken.None);

        Assert.Equal(56_689L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.prices"));
        Assert.Equal(143L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.ports"));
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        Assert.True(await DatabaseMigrator.IsUpToDateAsync(dataSource, CancellationToken.None));
    }

    [OriginalDumpFact]
    public async Task The_migrations_add_the_keys_when_the_dump_is_loaded_without_them()
    {
        var connectionString = await postgres.CreateDatabaseAsync("dumpnokeys");
        await SqlDumpLoader.LoadAsync(connectionString, OriginalDump.Require(), CancellationToken.None);
        await TestData.ExecuteAsync(connectionString, """
            ALTER TABLE public.prices DROP CONSTRAINT prices_orig_code_fkey, DROP CONSTRAINT prices_dest_code_fkey;
            ALTER TABLE public.ports DROP CONSTRAINT ports_parent_slug_fkey, DROP CONSTRAINT ports_pkey;
            ALTER TABLE public.regions DROP CONSTRAINT regions_parent_slug_fkey, DROP CONSTRAINT regions_pkey;
            """);

        DatabaseMigrator.Apply(connectionString);

        Assert.Equal(TestData.ExpectedConstraints, await TestData.ScalarAsync<string>(connectionString, TestData.ConstraintSummarySql));
        Assert.Equal(TestData.ExpectedPortChecks, await TestData.ScalarAsync<string>(connectionString, TestData.PortChecksSql));
    }

    public sealed record LoadedDump(string ConnectionString, DumpLoadResult Load, MigrationOutcome Migration, RatesApiFactory Api)
        : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Api.DisposeAsync();
    }
}
