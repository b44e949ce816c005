using Npgsql;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests.Integrity;

/// <summary>
/// Every price names existing ports, whoever writes (plain SQL here, as psql would): prices naming an unknown
/// port are refused, and a port that prices use cannot be deleted, truncated or renamed. The checks run once
/// per statement (db/migrations/0006), with the errors of the foreign keys they replace.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PortReferenceTests(PostgresFixture postgres)
{
    /// <summary>The database the refusals share: each refused statement leaves it as it was.</summary>
    private Task<string> Database() => postgres.SharedAsync(nameof(PortReferenceTests), () => NewDatabaseAsync("ports_ref"));

    /// <summary>A new migrated database holding the rules test data, for a test that changes it.</summary>
    private async Task<string> NewDatabaseAsync(string name)
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync(name);
        await TestData.InsertRulesDataAsync(connectionString);
        // The server's DETAIL names the offending key; Npgsql hides it unless asked.
        return new NpgsqlConnectionStringBuilder(connectionString) { IncludeErrorDetail = true }.ConnectionString;
    }

    [Theory]
    [InlineData("INSERT INTO public.prices VALUES ('TSTAA', 'TSTBB', '2031-01-01', 1), ('NOPE1', 'TSTBB', '2031-01-01', 2)", "prices_orig_code_fkey", "Key (orig_code)=(NOPE1)")]
    [InlineData("INSERT INTO public.prices VALUES ('TSTAA', 'TSTBB', '2031-01-01', 1), ('TSTAA', 'NOPE2', '2031-01-01', 2)", "prices_dest_code_fkey", "Key (dest_code)=(NOPE2)")]
    [InlineData("UPDATE public.prices SET dest_code = 'NOPE3' WHERE orig_code = 'TSTBB'", "prices_dest_code_fkey", "Key (dest_code)=(NOPE3)")]
    [InlineData("UPDATE public.prices SET orig_code = 'tstaa' WHERE price = 100", "prices_orig_code_fkey", "Key (orig_code)=(tstaa)")]
    public async Task A_price_naming_an_unknown_port_is_refused_and_nothing_of_the_statement_stays(string sql, string constraint, string detail)
    {
        var connectionString = await Database();
        var before = await FingerprintAsync(connectionString);

        var failure = await Assert.ThrowsAsync<PostgresException>(() => TestData.ExecuteAsync(connectionString, sql));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, failure.SqlState);
        Assert.Equal(constraint, failure.ConstraintName);
        Assert.StartsWith(detail, failure.Detail);
        Assert.Equal(before, await FingerprintAsync(connectionString));
    }

    [Fact]
    public async Task Copy_with_an_unknown_port_is_refused()
    {
        var connectionString = await Database();
        var before = await FingerprintAsync(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();

        var failure = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var writer = await connection.BeginTextImportAsync("COPY public.prices (orig_code, dest_code, day, price) FROM STDIN");
            await writer.WriteAsync("TSTAA\tTSTBB\t2031-02-01\t5\nTSTAA\tNOPE4\t2031-02-01\t6\n");
        });

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, failure.SqlState);
        Assert.Equal("prices_dest_code_fkey", failure.ConstraintName);
        Assert.Equal(before, await FingerprintAsync(connectionString));
    }

    [Fact]
    public async Task Prices_naming_known_ports_are_written_by_insert_copy_and_update()
    {
        var connectionString = await NewDatabaseAsync("ports_ok");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var writer = await connection.BeginTextImportAsync("COPY public.prices (orig_code, dest_code, day, price) FROM STDIN");
            await writer.WriteAsync("TSTCC\tTSTAA\t2031-02-01\t5\nTSTCC\tTSTBB\t2031-02-01\t6\n");
        }

        await TestData.ExecuteAsync(connectionString, """
            INSERT INTO public.prices VALUES ('TSTCC', 'TSTAA', '2031-02-02', 7);
            UPDATE public.prices SET dest_code = 'TSTCC' WHERE orig_code = 'TSTBB';
            """);

        Assert.Equal(3L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.prices WHERE orig_code = 'TSTCC'"));
        Assert.Equal(9L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.prices WHERE dest_code = 'TSTCC'"));
    }

    [Theory]
    [InlineData("DELETE FROM public.ports WHERE code = 'TSTAA'", "prices_orig_code_fkey", "Key (code)=(TSTAA)")]
    [InlineData("DELETE FROM public.ports WHERE code = 'TSTCC'", "prices_dest_code_fkey", "Key (code)=(TSTCC)")]
    [InlineData("UPDATE public.ports SET code = 'TSTZZ' WHERE code = 'TSTBB'", "prices_orig_code_fkey", "Key (code)=(TSTBB)")]
    public async Task A_port_that_prices_use_cannot_be_deleted_or_get_another_code(string sql, string constraint, string detail)
    {
        var connectionString = await Database();
        var before = await FingerprintAsync(connectionString);

        var failure = await Assert.ThrowsAsync<PostgresException>(() => TestData.ExecuteAsync(connectionString, sql));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, failure.SqlState);
        Assert.Equal(constraint, failure.ConstraintName);
        Assert.StartsWith(detail, failure.Detail);
        Assert.Equal(before, await FingerprintAsync(connectionString));
    }

    [Fact]
    public async Task Ports_that_no_price_uses_can_be_deleted_renamed_and_recoded()
    {
        var connectionString = await Database();
        await TestData.ExecuteAsync(connectionString, """
            INSERT INTO public.ports VALUES ('TSTUU', 'Unused', 'test_sea');
            UPDATE public.ports SET code = 'TSTVV' WHERE code = 'TSTUU';
            UPDATE public.ports SET name = 'Alpha, renamed' WHERE code = 'TSTAA';
            DELETE FROM public.ports WHERE code = 'TSTVV';
            UPDATE public.ports SET name = 'Test Alpha' WHERE code = 'TSTAA';
            """);

        Assert.Equal(0L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.ports WHERE code IN ('TSTUU', 'TSTVV')"));
    }

    [Fact]
    public async Task Ports_cannot_be_truncated_while_prices_exist_and_can_with_them()
    {
        var connectionString = await NewDatabaseAsync("ports_truncate");

        var failure = await Assert.ThrowsAsync<PostgresException>(() => TestData.ExecuteAsync(connectionString, "TRUNCATE public.ports"));
        Assert.Equal(PostgresErrorCodes.FeatureNotSupported, failure.SqlState);
        Assert.Equal(3L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.ports"));

        await TestData.ExecuteAsync(connectionString, "TRUNCATE public.prices; TRUNCATE public.ports");
        Assert.Equal(0L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.ports"));
    }

    [Theory]
    [InlineData("REPEATABLE READ")]
    [InlineData("SERIALIZABLE")]
    public async Task Deleting_a_port_above_read_committed_is_refused_with_a_clear_message(string isolation)
    {
        var connectionString = await Database();
        await TestData.ExecuteAsync(connectionString, "INSERT INTO public.ports VALUES ('TSTRR', 'Unused', 'test_sea')");

        var failure = await Assert.ThrowsAsync<PostgresException>(() => TestData.ExecuteAsync(
            connectionString, $"BEGIN ISOLATION LEVEL {isolation}; DELETE FROM public.ports WHERE code = 'TSTRR'; COMMIT;"));

        Assert.Equal(PostgresErrorCodes.ObjectNotInPrerequisiteState, failure.SqlState);
        Assert.Contains("READ COMMITTED", failure.MessageText);
        Assert.Equal(1L, await TestData.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.ports WHERE code = 'TSTRR'"));
        await TestData.ExecuteAsync(connectionString, "DELETE FROM public.ports WHERE code = 'TSTRR'");
    }

    /// <summary>Counts and sums of both tables: equal before and after means a refused statement left nothing behind.</summary>
    internal static Task<string> FingerprintAsync(string connectionString) => TestData.ScalarAsync<string>(connectionString, """
        SELECT (SELECT count(*) || '/' || coalesce(sum(price), 0) || '/' || coalesce(string_agg(DISTINCT dest_code, ',' ORDER BY dest_code), '') FROM public.prices)
            || ' ' || (SELECT count(*) || '/' || string_agg(code, ',' ORDER BY code) FROM public.ports)
        """);
}
