using Rates.Database;

namespace Rates.Database.Tests;

/// <summary>The migrations: on an empty database, on a loaded dump with or without its keys, and repeated.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SchemaTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Migrations_create_the_schema_on_an_empty_database()
    {
        var connectionString = await postgres.CreateDatabaseAsync("empty");

        var outcome = DatabaseMigrator.Apply(connectionString);

        Assert.Equal(["0001_core_schema.sql", "0002_prices_lane_day_index.sql"], outcome.AppliedScripts.Take(2));
        Assert.Equal(TestData.ExpectedConstraints, await TestData.ScalarAsync<string>(connectionString, TestData.ConstraintSummarySql));
        Assert.Equal(TestData.ExpectedPortChecks, await TestData.ScalarAsync<string>(connectionString, TestData.PortChecksSql));
        Assert.Equal(
            "CREATE INDEX prices_orig_code_dest_code_day_idx ON public.prices USING btree (orig_code, dest_code, day) INCLUDE (price)",
            await TestData.ScalarAsync<string>(connectionString, "SELECT indexdef FROM pg_indexes WHERE indexname = 'prices_orig_code_dest_code_day_idx'"));
        Assert.Equal(
            "batch_id:text:YES day:date:NO dest_code:text:NO orig_code:text:NO price:integer:NO",
            await TestData.ScalarAsync<string>(connectionString, """
                SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable, ' ' ORDER BY column_name)
                FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'prices'
                """));
    }

    [Fact]
    public async Task Migrating_twice_changes_nothing()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("twice");

        var second = DatabaseMigrator.Apply(connectionString);

        Assert.Empty(second.AppliedScripts);
        Assert.False(second.SchemaChanged);
    }

    [Fact]
    public async Task Migrations_add_the_keys_a_loaded_dump_lacks()
    {
        var connectionString = await postgres.CreateDatabaseAsync("nokeys");
        var folder = Directory.CreateTempSubdirectory("rates-schema-tests-");
        try
        {
            await SqlDumpLoader.LoadAsync(connectionString, SmallDump.Write(folder.FullName, withKeys: false), CancellationToken.None);
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        Assert.Null(await TestData.ScalarAsync<object?>(connectionString, TestData.ConstraintSummarySql) as string);

        DatabaseMigrator.Apply(connectionString);

        Assert.Equal(TestData.ExpectedConstraints, await TestData.ScalarAsync<string>(connectionString, TestData.ConstraintSummarySql));
        Assert.Equal(TestData.ExpectedPortChecks, await TestData.ScalarAsync<string>(connectionString, TestData.PortChecksSql));
        Assert.Equal(SmallDump.Prices, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.prices"));
    }

    [Fact]
    public async Task A_key_under_another_name_is_not_added_twice()
    {
        var connectionString = await postgres.CreateDatabaseAsync("renamed");
        await TestData.ExecuteAsync(connectionString, """
            CREATE TABLE public.regions (slug text NOT NULL CONSTRAINT my_regions_key PRIMARY KEY, name text NOT NULL, parent_slug text);
            """);

        DatabaseMigrator.Apply(connectionString);

        Assert.Equal(
            "my_regions_key,regions_parent_slug_fkey",
            await TestData.ScalarAsync<string>(connectionString, "SELECT string_agg(conname::text, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'public.regions'::regclass"));
    }

    [Fact]
    public async Task The_journal_records_each_script_by_its_file_name()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("journal");
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);

        Assert.True(await DatabaseMigrator.IsUpToDateAsync(dataSource, CancellationToken.None));
        Assert.Equal(
            string.Join(",", DatabaseMigrator.KnownScripts),
            await TestData.ScalarAsync<string>(connectionString, "SELECT string_agg(scriptname, ',' ORDER BY scriptname) FROM public.schemaversions"));
    }

    [Fact]
    public async Task A_database_without_migrations_is_not_up_to_date()
    {
        var connectionString = await postgres.CreateDatabaseAsync("pending");
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);

        Assert.False(await DatabaseMigrator.IsUpToDateAsync(dataSource, CancellationToken.None));
        Assert.Equal(DatabaseMigrator.KnownScripts, await DatabaseMigrator.PendingScriptsAsync(dataSource, CancellationToken.None));
    }

    [Fact]
    public void An_unreachable_database_fails_migration_with_a_clear_message()
    {
        var failure = Assert.Throws<DatabaseMigrationException>(() => DatabaseMigrator.Apply(ClosedPort.ConnectionString));

        Assert.StartsWith("Could not apply migrations", failure.Message);
    }
}
