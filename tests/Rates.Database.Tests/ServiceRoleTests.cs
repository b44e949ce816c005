using Npgsql;
using Rates.Migrator;

namespace Rates.Database.Tests;

/// <summary>Rates.Migrator creates the service's own login role, with the privileges of rates_service only.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ServiceRoleTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_migrator_creates_the_service_role_and_sets_its_password_again_on_a_second_run()
    {
        var owner = await postgres.CreateDatabaseAsync("migrator_role");
        var role = $"rates_api_{Guid.NewGuid():N}"[..24];
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Rates"] = owner,
            ["ServiceRole__Username"] = role,
            ["ServiceRole__Password"] = "first-password",
        };
        Assert.Equal(0, await MigratorCommand.RunAsync(["migrate"], environment, TextWriter.Null, TextWriter.Null, CancellationToken.None));
        environment["ServiceRole__Password"] = "second-password";
        var output = new StringWriter();
        Assert.Equal(0, await MigratorCommand.RunAsync(["migrate"], environment, output, TextWriter.Null, CancellationToken.None));
        Assert.DoesNotContain("second-password", output.ToString());

        var service = new NpgsqlConnectionStringBuilder(owner) { Username = role, Password = "second-password" }.ConnectionString;
        Assert.Equal(0L, await TestData.ScalarAsync<long>(service, "SELECT count(*) FROM public.prices"));
        var old = new NpgsqlConnectionStringBuilder(owner) { Username = role, Password = "first-password" }.ConnectionString;
        await Assert.ThrowsAsync<PostgresException>(() => TestData.ScalarAsync<long>(old, "SELECT 1"));
        Assert.False(await TestData.ScalarAsync<bool>(owner, $"SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = '{role}'"));
    }

    [Fact]
    public async Task The_migrator_refuses_to_make_the_owner_the_service_role()
    {
        var owner = await postgres.CreateDatabaseAsync("migrator_owner_role");
        var error = new StringWriter();
        var exit = await MigratorCommand.RunAsync(
            ["migrate"],
            new Dictionary<string, string?>
            {
                ["ConnectionStrings__Rates"] = owner,
                ["ServiceRole__Username"] = new NpgsqlConnectionStringBuilder(owner).Username,
                ["ServiceRole__Password"] = "whatever",
            },
            TextWriter.Null,
            error,
            CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains("give the service a role of its own", error.ToString());
    }
}
