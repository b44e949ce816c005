using Rates.Database;
using Rates.Migrator;

namespace Rates.Database.Tests;

/// <summary>DatabaseSeeder and the Rates.Migrator console that wraps it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SeedTests(PostgresFixture postgres) : IDisposable
{
    // Data-only, like the project's seed: regions, ports, prices as COPY blocks.
    private const string SmallSeed = """
        --
        -- Test seed (data only)
        --
        SET client_encoding = 'UTF8';

        COPY public.regions (slug, name, parent_slug) FROM stdin;
        seed_world<TAB>Seed World<TAB>\N
        seed_sea<TAB>Seed Sea<TAB>seed_world
        \.

        COPY public.ports (code, name, parent_slug) FROM stdin;
        SEEDA<TAB>Seed A<TAB>seed_sea
        SEEDB<TAB>Seed B<TAB>seed_sea
        \.

        COPY public.prices (orig_code, dest_code, day, price) FROM stdin;
        SEEDA<TAB>SEEDB<TAB>2031-05-01<TAB>10
        SEEDA<TAB>SEEDB<TAB>2031-05-01<TAB>20
        SEEDA<TAB>SEEDB<TAB>2031-05-01<TAB>30
        \.

        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("rates-seed-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content.Replace("<TAB>", "\t", StringComparison.Ordinal));
        return path;
    }

    private static Task<long> CountAsync(string connectionString, string table) =>
        TestData.ScalarAsync<long>(connectionString, $"SELECT count(*) FROM {table}");

    [Fact]
    public async Task Reload_with_a_seed_migrates_then_loads_the_data()
    {
        var connectionString = await postgres.CreateDatabaseAsync("seed");
        Assert.False(await DatabaseSeeder.HasDataAsync(connectionString, CancellationToken.None));

        await DatabaseSeeder.ReloadAsync(connectionString, null, Write("seed.sql", SmallSeed), null, CancellationToken.None);

        Assert.True(await DatabaseSeeder.HasDataAsync(connectionString, CancellationToken.None));
        Assert.Equal(3, await CountAsync(connectionString, "public.prices"));
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        Assert.True(await DatabaseMigrator.IsUpToDateAsync(dataSource, CancellationToken.None));
    }

    [Fact]
    public async Task Reload_replaces_existing_data_and_a_dump_brings_its_own_schema()
    {
        var connectionString = await postgres.CreateDatabaseAsync("replace");
        await DatabaseSeeder.ReloadAsync(connectionString, null, Write("seed.sql", SmallSeed), null, CancellationToken.None);

        var log = new List<string>();
        await DatabaseSeeder.ReloadAsync(connectionString, SmallDump.Write(_folder), "unused.sql", log.Add, CancellationToken.None);

        Assert.Equal(SmallDump.Prices, await CountAsync(connectionString, "public.prices"));
        Assert.Equal(0, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.ports WHERE code LIKE 'SEED%'"));
        Assert.Equal(TestData.ExpectedConstraints, await TestData.ScalarAsync<string>(connectionString, TestData.ConstraintSummarySql));
        Assert.Equal(TestData.ExpectedPortChecks, await TestData.ScalarAsync<string>(connectionString, TestData.PortChecksSql));
        Assert.Contains(log, line => line.StartsWith("Applied ", StringComparison.Ordinal) && line.Contains("migration(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_dump_leaves_the_previous_data_in_place()
    {
        var connectionString = await postgres.CreateDatabaseAsync("baddump");
        await DatabaseSeeder.ReloadAsync(connectionString, null, Write("seed.sql", SmallSeed), null, CancellationToken.None);
        var bad = Write("bad.sql", "CREATE TABLE public.regions (slug text);\nCOPY public.regions (slug) FROM stdin;\nx\n");

        await Assert.ThrowsAsync<SqlScriptException>(() => DatabaseSeeder.ReloadAsync(connectionString, bad, "unused.sql", null, CancellationToken.None));

        Assert.Equal(3, await CountAsync(connectionString, "public.prices"));
    }

    [Fact]
    public async Task A_seed_row_with_an_unknown_port_is_refused_naming_its_line()
    {
        var connectionString = await postgres.CreateDatabaseAsync("badseed");
        var bad = Write("bad.sql", SmallSeed.Replace("SEEDA<TAB>SEEDB<TAB>2031-05-01<TAB>30", "SEEDA<TAB>NOPE1<TAB>2031-05-01<TAB>30", StringComparison.Ordinal));

        var failure = await Assert.ThrowsAsync<SqlScriptException>(() => DatabaseSeeder.ReloadAsync(connectionString, null, bad, null, CancellationToken.None));

        Assert.Contains("bad.sql", failure.Message);
        Assert.Contains("prices_dest_code_fkey", failure.Message);
        Assert.False(await DatabaseSeeder.HasDataAsync(connectionString, CancellationToken.None));
    }

    [Fact]
    public void A_dump_is_told_apart_from_a_data_only_seed()
    {
        Assert.True(DatabaseSeeder.CreatesTables(SmallDump.Write(_folder)));
        Assert.False(DatabaseSeeder.CreatesTables(Write("seed.sql", SmallSeed)));
    }

    [Fact]
    public async Task Migrator_migrate_applies_the_migrations()
    {
        var connectionString = await postgres.CreateDatabaseAsync("climigrate");
        var (exit, output, error) = await RunMigratorAsync(["migrate"], connectionString);

        Assert.Equal(0, exit);
        Assert.Contains("Applied", output);
        Assert.Empty(error);
        Assert.DoesNotContain(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Password!, output);

        var again = await RunMigratorAsync(["migrate"], connectionString);
        Assert.Equal(0, again.Exit);
        Assert.Contains("Schema up to date", again.Output);
    }

    [Fact]
    public async Task Migrator_seed_loads_only_an_empty_database_unless_forced()
    {
        var connectionString = await postgres.CreateDatabaseAsync("cliseed");
        var seed = Write("seed.sql", SmallSeed);

        var first = await RunMigratorAsync(["seed", "--file", seed], connectionString);
        Assert.Equal(0, first.Exit);
        Assert.Equal(3, await CountAsync(connectionString, "public.prices"));

        await TestData.ExecuteAsync(connectionString, "DELETE FROM public.prices WHERE price = 30");
        var second = await RunMigratorAsync(["seed", "--file", seed], connectionString);
        Assert.Equal(0, second.Exit);
        Assert.Contains("already has data", second.Output);
        Assert.Equal(2, await CountAsync(connectionString, "public.prices"));

        var forced = await RunMigratorAsync(["seed", "--file", seed, "--force"], connectionString);
        Assert.Equal(0, forced.Exit);
        Assert.Equal(3, await CountAsync(connectionString, "public.prices"));
    }

    [Fact]
    public async Task Migrator_seed_accepts_a_full_dump()
    {
        var connectionString = await postgres.CreateDatabaseAsync("clidump");

        var (exit, output, _) = await RunMigratorAsync(["seed", "--file", SmallDump.Write(_folder)], connectionString);

        Assert.Equal(0, exit);
        Assert.Contains("(schema and data)", output);
        Assert.Equal(SmallDump.Prices, await CountAsync(connectionString, "public.prices"));
    }

    [Fact]
    public async Task Migrator_reads_discrete_settings_and_names_missing_ones()
    {
        var (exit, _, error) = await RunMigratorAsync(["migrate"], environment: new Dictionary<string, string?> { ["Database__Host"] = "127.0.0.1" });

        Assert.Equal(2, exit);
        Assert.Contains("Database:Name is required", error);
        Assert.Contains("Database:Username is required", error);
    }

    [Fact]
    public async Task Migrator_takes_settings_from_the_command_line()
    {
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("cliargs"));

        var (exit, output, error) = await RunMigratorAsync(
            ["migrate", $"--Database:Host={connectionString.Host}", $"--Database:Port={connectionString.Port}", "--Database:Name", connectionString.Database!,
             $"--Database:Username={connectionString.Username}", $"--Database:Password={connectionString.Password}"],
            environment: new Dictionary<string, string?>());

        Assert.True(exit == 0, error);
        Assert.Contains("Applied", output);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "Unknown command 'frobnicate'")]
    [InlineData(new[] { "seed", "--file" }, "--file needs a path")]
    [InlineData(new[] { "migrate", "--force" }, "Unknown argument '--force' for 'migrate'")]
    [InlineData(new string[0], "Usage:")]
    public async Task Migrator_usage_errors_exit_2_with_a_message(string[] args, string message)
    {
        var (exit, _, error) = await RunMigratorAsync(args, ClosedPort.ConnectionString);

        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task Migrator_reports_an_unreachable_database_and_exits_1()
    {
        var (exit, _, error) = await RunMigratorAsync(["migrate"], ClosedPort.ConnectionString);

        Assert.Equal(1, exit);
        Assert.StartsWith("Failed: Could not apply migrations", error);
    }

    [Fact]
    public async Task Migrator_names_a_missing_seed_file()
    {
        var missing = Path.Combine(_folder, "missing.sql");
        var (exit, _, error) = await RunMigratorAsync(["seed", "--file", missing], ClosedPort.ConnectionString);

        Assert.Equal(2, exit);
        Assert.Contains($"Seed file not found: {missing}", error);
    }

    private static Task<(int Exit, string Output, string Error)> RunMigratorAsync(string[] args, string connectionString) =>
        RunMigratorAsync(args, new Dictionary<string, string?> { ["ConnectionStrings__Rates"] = connectionString });

    private static async Task<(int Exit, string Output, string Error)> RunMigratorAsync(string[] args, IReadOnlyDictionary<string, string?> environment)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await MigratorCommand.RunAsync(args, environment, output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }
}
