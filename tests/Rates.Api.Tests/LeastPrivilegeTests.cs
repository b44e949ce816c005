using System.Net;
using Npgsql;
using Rates.Api.Tests.Batches;
using Rates.Api.Tests.Infrastructure;
using Rates.Database;
using static Rates.Api.Tests.Batches.BatchBodies;
using static Rates.Api.Tests.Batches.BatchDatabase;

namespace Rates.Api.Tests;

/// <summary>
/// The service connects as a role of its own that may read and insert, nothing more: the migrations run as the
/// owner, and the migrator creates the service's login role (member of rates_service; its tests are in
/// Rates.Database.Tests).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LeastPrivilegeTests(PostgresFixture postgres)
{
    private const string Password = "service-role-test-password";

    /// <summary>A database with the port catalog, and a login role of the service's on it.</summary>
    private async Task<Roles> DatabaseAsync(string prefix)
    {
        var owner = await BatchDatabase.CreateAsync(postgres, prefix);
        var role = $"rates_api_{Guid.NewGuid():N}"[..24];
        await ServiceRole.EnsureAsync(owner, role, Password, CancellationToken.None);
        return new Roles(owner, new NpgsqlConnectionStringBuilder(owner) { Username = role, Password = Password }.ConnectionString);
    }

    private sealed record Roles(string Owner, string Service);

    [Theory]
    [InlineData("DROP TABLE public.prices")]
    [InlineData("DELETE FROM public.prices")]
    [InlineData("DELETE FROM public.batches")]
    [InlineData("UPDATE public.prices SET price = 1")]
    [InlineData("UPDATE public.batches SET item_count = 1")]
    [InlineData("TRUNCATE public.prices")]
    [InlineData("INSERT INTO public.ports (code, name, parent_slug) VALUES ('XXXXX', 'x', 'china_main')")]
    [InlineData("ALTER TABLE public.prices ADD COLUMN sneaky integer")]
    [InlineData("CREATE TABLE public.sneaky (id integer)")]
    [InlineData("CREATE INDEX sneaky_idx ON public.prices (price)")]
    [InlineData("DELETE FROM public.schemaversions")]
    public async Task The_service_role_cannot_change_or_remove_data_or_schema(string sql)
    {
        var service = (await postgres.SharedAsync("least-privilege", () => DatabaseAsync("least_privilege"))).Service;
        await using var connection = new NpgsqlConnection(service);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_service_works_as_its_own_role_reads_writes_and_is_ready()
    {
        var (owner, service) = await postgres.SharedAsync("least-privilege", () => DatabaseAsync("least_privilege"));
        await using var api = BatchApi.Start(service, "least-privilege", kestrel: false);
        var day = new DateOnly(2041, 1, 1);

        using (var put = await api.Client.PutAsync("/batches/as-service-role", Content(Csv(Lane(Shanghai, Rotterdam, day, 3)), "text/csv")))
        {
            await BatchAnswers.SuccessAsync(put, HttpStatusCode.Created);
        }

        using (var replay = await api.Client.PutAsync("/batches/as-service-role", Content(Csv(Lane(Shanghai, Rotterdam, day, 3)), "text/csv")))
        {
            await BatchAnswers.SuccessAsync(replay, HttpStatusCode.OK);
        }

        using (var invalid = await api.Client.PutAsync("/batches/unknown-port", Content(Csv(Lane("ZZZZZ", Rotterdam, day, 3)), "text/csv")))
        {
            await BatchAnswers.ProblemAsync(invalid, HttpStatusCode.UnprocessableEntity);
        }

        using var rates = await api.Client.GetAsync($"/rates?date_from={day:yyyy-MM-dd}&date_to={day:yyyy-MM-dd}&orig_code={Shanghai}&dest_code={Rotterdam}");
        Assert.Equal(3, (await BatchAnswers.JsonAsync(rates)).GetProperty("rates")[0].GetProperty("count").GetInt32());
        using var ready = await api.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(3L, await PriceCountAsync(owner));
    }

    [OriginalDumpFact]
    public async Task On_the_original_dump_the_service_role_reads_prices_and_cannot_delete_them()
    {
        var owner = await postgres.CreateDatabaseAsync("least_privilege_dump");
        await SqlDumpLoader.LoadAsync(owner, OriginalDump.Require(), CancellationToken.None);
        DatabaseMigrator.Apply(owner);
        var role = $"rates_api_{Guid.NewGuid():N}"[..24];
        await ServiceRole.EnsureAsync(owner, role, Password, CancellationToken.None);
        var service = new NpgsqlConnectionStringBuilder(owner) { Username = role, Password = Password }.ConnectionString;

        Assert.Equal(56_689L, await TestData.ScalarAsync<long>(service, "SELECT count(*) FROM public.prices"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => TestData.ExecuteAsync(service, "DELETE FROM public.prices"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }
}
