using Npgsql;
using Rates.Database;
using Rates.Kubernetes.Tests.Infrastructure;
using Rates.Kubernetes.Tests.Models;
using Rates.Testing;

namespace Rates.Kubernetes.Tests;

/// <summary>
/// The database the Cluster describes, built on a real PostgreSQL 13 the way CloudNativePG builds it: initdb makes
/// the owner (a login role with no other right) and its database, then runs the Cluster's postInitApplicationSQL as
/// the superuser; the Job migrates as the owner; the operator creates the API's managed role. The migrations must
/// apply, and the API's role must read but not change the schema.
/// </summary>
public sealed class DatabaseBootstrapTests : IAsyncLifetime
{
    private const string OwnerPassword = "owner-password";
    private IPostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServers.StartAsync("kubernetes");

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_migrations_apply_as_the_owner_and_the_api_role_reads_but_cannot_change_the_schema()
    {
        var cluster = RenderedOverlay.Of("production").Database;
        var initdb = cluster.Spec.Bootstrap?.Initdb;
        Assert.NotNull(initdb?.Owner);
        Assert.NotNull(initdb.Database);

        var owner = await InitdbAsync(initdb.Owner, initdb.Database, initdb.PostInitApplicationSql);
        DatabaseMigrator.Apply(owner);

        var role = Assert.Single(cluster.Spec.Managed?.Roles ?? [], r => r.Login == true);
        var service = await CreateManagedRoleAsync(owner, role, "service-password");
        Assert.Equal(0L, await TestData.ScalarAsync<long>(service, "SELECT count(*) FROM public.prices"));
        Assert.True(await TestData.ScalarAsync<long>(service, "SELECT count(*) FROM public.schemaversions") > 0);
        foreach (var sql in new[] { "CREATE TABLE public.sneaky (id integer)", "DELETE FROM public.prices", "DROP TABLE public.batches" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => TestData.ExecuteAsync(service, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
    }

    /// <summary>What the Cluster's postInitApplicationSQL is for: without it the owner's migrations stop at 0004.</summary>
    [Fact]
    public async Task Without_the_bootstrap_statements_the_owner_cannot_migrate()
    {
        var owner = await InitdbAsync("rates_plain_owner", "rates_plain", []);

        var error = Assert.ThrowsAny<Exception>(() => DatabaseMigrator.Apply(owner));
        Assert.Contains("0004_least_privilege", error.ToString());
    }

    /// <summary>CloudNativePG's initdb: the owner and its database, then the statements run as the superuser in it.</summary>
    private async Task<string> InitdbAsync(string owner, string database, IReadOnlyList<string> postInitApplicationSql)
    {
        await ExecuteAsync(_server.ConnectionString("postgres"), $"CREATE ROLE {owner} LOGIN PASSWORD '{OwnerPassword}'", $"CREATE DATABASE {database} OWNER {owner}");
        var superuser = _server.ConnectionString(database);
        await ExecuteAsync(superuser, [.. postInitApplicationSql]);
        return new NpgsqlConnectionStringBuilder(superuser) { Username = owner, Password = OwnerPassword }.ConnectionString;
    }

    /// <summary>The role as the operator creates it from <c>spec.managed.roles</c> (the attributes these manifests use).</summary>
    private async Task<string> CreateManagedRoleAsync(string owner, CnpgRole role, string password)
    {
        var attributes = string.Join(' ',
            role.Login == true ? "LOGIN" : "NOLOGIN",
            role.Superuser == true ? "SUPERUSER" : "NOSUPERUSER",
            role.CreateDb == true ? "CREATEDB" : "NOCREATEDB",
            role.CreateRole == true ? "CREATEROLE" : "NOCREATEROLE",
            role.Replication == true ? "REPLICATION" : "NOREPLICATION");
        var inRoles = role.InRoles.Count > 0 ? $" IN ROLE {string.Join(", ", role.InRoles)}" : "";
        await ExecuteAsync(_server.ConnectionString("postgres"), $"CREATE ROLE {role.Name} {attributes} PASSWORD '{password}'{inRoles}");
        return new NpgsqlConnectionStringBuilder(owner) { Username = role.Name, Password = password }.ConnectionString;
    }

    private static async Task ExecuteAsync(string connectionString, params string[] statements)
    {
        foreach (var statement in statements)
            await TestData.ExecuteAsync(connectionString, statement);
    }
}
