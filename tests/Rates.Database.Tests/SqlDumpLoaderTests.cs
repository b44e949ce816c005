using Npgsql;
using Rates.Database;

namespace Rates.Database.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SqlDumpLoaderTests(PostgresFixture postgres) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rates-loader-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        // <TAB> marks the column separators of COPY rows, which are tab characters in a dump.
        File.WriteAllText(path, content.Replace("<TAB>", "\t", StringComparison.Ordinal));
        return path;
    }

    [Fact]
    public async Task Loads_statements_and_copy_data_in_one_go()
    {
        var connectionString = await postgres.CreateDatabaseAsync("loader");
        var path = Write("ok.sql", """
            SET client_encoding = 'UTF8';
            SELECT pg_catalog.set_config('search_path', '', false);
            CREATE TABLE public.t (id integer PRIMARY KEY, note text);
            COPY public.t (id, note) FROM stdin;
            1<TAB>semi;colon
            2<TAB>\N
            3<TAB>tab\there
            \.
            CREATE FUNCTION public.twice(i integer) RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN i * 2; END; $$;

            """);

        var result = await SqlDumpLoader.LoadAsync(connectionString, path, CancellationToken.None);

        Assert.Equal(5, result.Statements);
        Assert.Equal(3, result.CopiedRows["public.t"]);
        Assert.Equal("semi;colon|<null>|tab\there", await TestData.ScalarAsync<string>(connectionString, "SELECT string_agg(coalesce(note, '<null>'), '|' ORDER BY id) FROM public.t"));
        Assert.Equal(8, await TestData.ScalarAsync<int>(connectionString, "SELECT public.twice(4)"));
    }

    [Fact]
    public async Task A_bad_copy_row_names_its_file_line_and_leaves_nothing_behind()
    {
        var connectionString = await postgres.CreateDatabaseAsync("badrow");
        var path = Write("bad.sql", """
            CREATE TABLE public.t (id integer, n integer);
            COPY public.t (id, n) FROM stdin;
            1<TAB>10
            2<TAB>ten
            \.

            """);

        var failure = await Assert.ThrowsAsync<SqlScriptException>(() => SqlDumpLoader.LoadAsync(connectionString, path, CancellationToken.None));

        Assert.Equal(4, failure.Line);
        Assert.Contains("bad.sql, line 4", failure.Message);
        Assert.Contains("invalid input syntax for type integer", failure.Message);
        Assert.IsType<DBNull>(await TestData.ScalarAsync<object>(connectionString, "SELECT to_regclass('public.t')::text"));
    }

    [Fact]
    public async Task A_failing_statement_names_its_line_and_rolls_back_earlier_ones()
    {
        var connectionString = await postgres.CreateDatabaseAsync("badsql");
        var path = Write("bad.sql", "CREATE TABLE public.kept (id integer);\n\nINSERT INTO public.missing VALUES (1);\n");

        var failure = await Assert.ThrowsAsync<SqlScriptException>(() => SqlDumpLoader.LoadAsync(connectionString, path, CancellationToken.None));

        Assert.Equal(3, failure.Line);
        Assert.Contains("42P01", failure.Message);
        Assert.IsType<DBNull>(await TestData.ScalarAsync<object>(connectionString, "SELECT to_regclass('public.kept')::text"));
    }

    [Fact]
    public async Task A_meta_command_fails_before_anything_is_committed()
    {
        var connectionString = await postgres.CreateDatabaseAsync("meta");
        var path = Write("meta.sql", "CREATE TABLE public.kept (id integer);\n\\connect other\n");

        var failure = await Assert.ThrowsAsync<SqlScriptException>(() => SqlDumpLoader.LoadAsync(connectionString, path, CancellationToken.None));

        Assert.Equal(2, failure.Line);
        Assert.IsType<DBNull>(await TestData.ScalarAsync<object>(connectionString, "SELECT to_regclass('public.kept')::text"));
    }

    [Fact]
    public async Task A_missing_file_is_named()
    {
        var missing = Path.Combine(_folder, "nope.sql");

        var failure = await Assert.ThrowsAsync<FileNotFoundException>(() => SqlDumpLoader.LoadAsync(ClosedPort.ConnectionString, missing, CancellationToken.None));

        Assert.Contains(missing, failure.Message);
    }

    [Fact]
    public async Task The_dump_session_settings_do_not_leak_into_pooled_connections()
    {
        var connectionString = await postgres.CreateDatabaseAsync("leak");
        var path = Write("path.sql", "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.t (id integer);\n");
        await SqlDumpLoader.LoadAsync(connectionString, path, CancellationToken.None);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM t", connection);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }
}
