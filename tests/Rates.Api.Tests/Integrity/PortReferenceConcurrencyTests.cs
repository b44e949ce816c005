using Npgsql;
using Rates.Api.Tests.Infrastructure;

namespace Rates.Api.Tests.Integrity;

/// <summary>
/// Writers of prices racing deleters of the ports they name: whichever commits first wins, the other is refused,
/// and no price is ever left naming a port that does not exist.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PortReferenceConcurrencyTests(PostgresFixture postgres)
{
    private const string OrphansSql = """
        SELECT count(*) FROM public.prices p
        WHERE NOT EXISTS (SELECT 1 FROM public.ports o WHERE o.code = p.orig_code)
           OR NOT EXISTS (SELECT 1 FROM public.ports d WHERE d.code = p.dest_code)
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_delete_waits_for_an_open_writer_of_prices_and_fails_once_it_commits(bool writerCommits)
    {
        var connectionString = await DatabaseWithPortAsync("race_writer_first", "TSTNEW");
        await using var writer = await OpenAsync(connectionString);
        await using var transaction = await writer.BeginTransactionAsync();
        await ExecuteAsync(writer, "INSERT INTO public.prices VALUES ('TSTAA', 'TSTNEW', '2031-03-01', 10)");

        var delete = Task.Run(() => TestData.ExecuteAsync(connectionString, "DELETE FROM public.ports WHERE code = 'TSTNEW'"));
        await WaitUntilBlockedAsync(connectionString, "DELETE FROM public.ports");
        Assert.False(delete.IsCompleted);

        if (writerCommits)
        {
            await transaction.CommitAsync();
            var failure = await Assert.ThrowsAsync<PostgresException>(() => delete);
            Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, failure.SqlState);
            Assert.Equal(1L, await CountAsync(connectionString, "SELECT count(*) FROM public.ports WHERE code = 'TSTNEW'"));
        }
        else
        {
            await transaction.RollbackAsync();
            await delete;
            Assert.Equal(0L, await CountAsync(connectionString, "SELECT count(*) FROM public.ports WHERE code = 'TSTNEW'"));
        }

        Assert.Equal(0L, await CountAsync(connectionString, OrphansSql));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_writer_of_prices_waits_for_an_open_delete_of_its_port_and_fails_once_it_commits(bool deleterCommits)
    {
        var connectionString = await DatabaseWithPortAsync("race_deleter_first", "TSTNEW");
        await using var deleter = await OpenAsync(connectionString);
        await using var transaction = await deleter.BeginTransactionAsync();
        await ExecuteAsync(deleter, "DELETE FROM public.ports WHERE code = 'TSTNEW'");

        var insert = Task.Run(() => TestData.ExecuteAsync(connectionString, "INSERT INTO public.prices VALUES ('TSTNEW', 'TSTBB', '2031-03-01', 10)"));
        await WaitUntilBlockedAsync(connectionString, "INSERT INTO public.prices");
        Assert.False(insert.IsCompleted);

        if (deleterCommits)
        {
            await transaction.CommitAsync();
            var failure = await Assert.ThrowsAsync<PostgresException>(() => insert);
            Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, failure.SqlState);
            Assert.Equal("prices_orig_code_fkey", failure.ConstraintName);
            Assert.Equal(0L, await CountAsync(connectionString, "SELECT count(*) FROM public.prices WHERE orig_code = 'TSTNEW'"));
        }
        else
        {
            await transaction.RollbackAsync();
            await insert;
            Assert.Equal(1L, await CountAsync(connectionString, "SELECT count(*) FROM public.prices WHERE orig_code = 'TSTNEW'"));
        }

        Assert.Equal(0L, await CountAsync(connectionString, OrphansSql));
    }

    [Fact]
    public async Task A_writer_at_repeatable_read_meeting_a_port_deleted_since_its_snapshot_is_refused()
    {
        var connectionString = await DatabaseWithPortAsync("race_rr_writer", "TSTNEW");
        await using var writer = await OpenAsync(connectionString);
        await using var transaction = await writer.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await ExecuteAsync(writer, "SELECT count(*) FROM public.ports"); // takes the snapshot, which still has the port

        await TestData.ExecuteAsync(connectionString, "DELETE FROM public.ports WHERE code = 'TSTNEW'");

        var failure = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(writer, "INSERT INTO public.prices VALUES ('TSTAA', 'TSTNEW', '2031-03-01', 10)"));
        Assert.Contains(failure.SqlState, new[] { PostgresErrorCodes.SerializationFailure, PostgresErrorCodes.ForeignKeyViolation });
        await transaction.RollbackAsync();
        Assert.Equal(0L, await CountAsync(connectionString, OrphansSql));
    }

    /// <summary>
    /// Many rounds of a multi-row writer (COPY or INSERT) and a deleter of the port it names, started together: each
    /// round exactly one of them succeeds, and no price ever names a missing port.
    /// </summary>
    [Fact]
    public async Task Writers_and_deleters_racing_never_leave_a_price_without_its_port()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync("race_many");
        await TestData.InsertRulesDataAsync(connectionString);
        const int rounds = 40;
        int written = 0, deleted = 0;

        for (var round = 0; round < rounds; round++)
        {
            var code = $"R{round:D4}";
            await TestData.ExecuteAsync(connectionString, $"INSERT INTO public.ports VALUES ('{code}', 'Race {round}', 'test_sea')");
            using var start = new Barrier(2);
            var write = Task.Run(async () =>
            {
                await using var connection = await OpenAsync(connectionString);
                start.SignalAndWait();
                var rows = string.Join(", ", Enumerable.Range(0, 200).Select(i => $"('{(i % 2 == 0 ? code : "TSTAA")}', '{(i % 2 == 0 ? "TSTBB" : code)}', '2031-04-01', {i})"));
                await ExecuteAsync(connection, $"INSERT INTO public.prices VALUES {rows}");
            });
            var delete = Task.Run(async () =>
            {
                await using var connection = await OpenAsync(connectionString);
                start.SignalAndWait();
                await ExecuteAsync(connection, $"DELETE FROM public.ports WHERE code = '{code}'");
            });

            var outcomes = await Task.WhenAll(Outcome(write), Outcome(delete));
            Assert.True(outcomes.Count(ok => ok) == 1, $"round {round}: exactly one of writer and deleter succeeds (writer {outcomes[0]}, deleter {outcomes[1]})");
            written += outcomes[0] ? 1 : 0;
            deleted += outcomes[1] ? 1 : 0;
            Assert.Equal(0L, await CountAsync(connectionString, OrphansSql));
        }

        Assert.Equal(rounds, written + deleted);
        Assert.Equal(written * 200L, await CountAsync(connectionString, "SELECT count(*) FROM public.prices WHERE day = '2031-04-01'"));
    }

    private static async Task<bool> Outcome(Task task)
    {
        try
        {
            await task;
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return false;
        }
    }

    private async Task<string> DatabaseWithPortAsync(string prefix, string code)
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync(prefix);
        await TestData.InsertRulesDataAsync(connectionString);
        await TestData.ExecuteAsync(connectionString, $"INSERT INTO public.ports VALUES ('{code}', 'New', 'test_sea')");
        return connectionString;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static Task<long> CountAsync(string connectionString, string sql) => TestData.ScalarAsync<long>(connectionString, sql);

    /// <summary>Waits until a session running <paramref name="statementStart"/> waits for a lock.</summary>
    private static async Task WaitUntilBlockedAsync(string connectionString, string statementStart)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var sql = $"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '{statementStart}%'";
        while (await CountAsync(connectionString, sql) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no session started with \"{statementStart}\" and waited for a lock within 15 s");
            await Task.Delay(50);
        }
    }
}
