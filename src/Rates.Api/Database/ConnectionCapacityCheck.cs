using System.Globalization;
using Npgsql;

namespace Rates.Api.Database;

/// <summary>Connections one of the service's pools may open, and the setting that says so.</summary>
internal sealed record ConnectionDemand(string Setting, int Connections);

/// <summary>
/// At start-up, checks that the service's pools together fit in what the server grants its role: the
/// server's max_connections (less superuser_reserved_connections for a role that is not a superuser), the
/// role's CONNECTION LIMIT and the database's. When they cannot fit, some request would one day find the
/// server full instead of a free pooled connection, so the service refuses to start and says which settings
/// to change. A database that cannot be reached yet is not an error here (the service starts and answers 503
/// until it can); the check is then skipped, with a warning.
/// </summary>
internal sealed class ConnectionCapacityCheck(
    NpgsqlDataSource dataSource,
    IEnumerable<ConnectionDemand> demands,
    ILogger<ConnectionCapacityCheck> logger) : IHostedService
{
    private const string GrantsSql = """
        SELECT r.rolname, r.rolsuper, r.rolconnlimit, d.datconnlimit,
               current_setting('max_connections')::integer,
               current_setting('superuser_reserved_connections')::integer
        FROM pg_roles r, pg_database d
        WHERE r.rolname = current_user AND d.datname = current_database()
        """;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var wanted = demands.ToArray();
        var total = wanted.Sum(d => d.Connections);
        ServerGrants grants;
        try
        {
            grants = await dataSource.ReadAsync(ReadGrantsAsync, cancellationToken);
        }
        catch (Exception ex) when (DatabaseFailures.IsUnavailable(ex))
        {
            logger.LogWarning("Could not check the pool sizes against the database's connection limits: {Reason}", ex.Message);
            return;
        }

        var (limit, why) = grants.Limit();
        var pools = string.Join(" + ", wanted.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Setting} ({d.Connections})")));
        if (total > limit)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"The service's connection pools need up to {total} connections ({pools}), but the server grants role '{grants.Role}' at most {limit} ({why}). Lower those settings, or raise the server's limits."));
        }

        logger.LogInformation("Connection pools need up to {Total} connections ({Pools}); the server grants role {Role} {Limit} ({Why})", total, pools, grants.Role, limit, why);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task<ServerGrants> ReadGrantsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(GrantsSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The server did not describe the current role and database.");
        }

        return new ServerGrants(reader.GetString(0), reader.GetBoolean(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5));
    }

    private sealed record ServerGrants(string Role, bool Superuser, int RoleLimit, int DatabaseLimit, int MaxConnections, int SuperuserReserved)
    {
        /// <summary>The most connections the role may hold, and how that number comes about.</summary>
        public (int Limit, string Why) Limit()
        {
            var limit = Superuser ? MaxConnections : MaxConnections - SuperuserReserved;
            var why = Superuser
                ? string.Create(CultureInfo.InvariantCulture, $"max_connections {MaxConnections}")
                : string.Create(CultureInfo.InvariantCulture, $"max_connections {MaxConnections} - superuser_reserved_connections {SuperuserReserved}");
            if (RoleLimit >= 0 && RoleLimit < limit)
            {
                (limit, why) = (RoleLimit, string.Create(CultureInfo.InvariantCulture, $"the role's CONNECTION LIMIT {RoleLimit}"));
            }

            if (DatabaseLimit >= 0 && DatabaseLimit < limit)
            {
                (limit, why) = (DatabaseLimit, string.Create(CultureInfo.InvariantCulture, $"the database's CONNECTION LIMIT {DatabaseLimit}"));
            }

            return (limit, why);
        }
    }
}
