using Npgsql;

namespace Rates.Database;

/// <summary>
/// The login role the service connects as: a member of <see cref="GroupRole"/> (whose privileges migration
/// 0004 grants), never a superuser, never the role that owns the tables.
/// </summary>
public static class ServiceRole
{
    /// <summary>The group role holding the service's privileges.</summary>
    public const string GroupRole = "rates_service";

    // The name and password travel as parameters (set_config); the DO block quotes them with format().
    private const string EnsureSql = """
        DO $$
        DECLARE
            role_name text := current_setting('rates.service_role');
            role_password text := current_setting('rates.service_password');
            existing record;
        BEGIN
            IF role_name = current_user THEN
                RAISE EXCEPTION 'The service role % is the role that runs the migrations; give the service a role of its own.', role_name;
            END IF;
            SELECT rolsuper, rolcreaterole, rolcreatedb INTO existing FROM pg_roles WHERE rolname = role_name;
            IF NOT FOUND THEN
                EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE rates_service', role_name, role_password);
            ELSIF existing.rolsuper OR existing.rolcreaterole OR existing.rolcreatedb THEN
                RAISE EXCEPTION 'The service role % is a superuser or may create roles or databases; give the service a role without those rights.', role_name;
            ELSE
                EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', role_name, role_password);
                EXECUTE format('GRANT rates_service TO %I', role_name);
            END IF;
        END
        $$
        """;

    /// <summary>Creates the login role, or sets its password and membership when it exists.</summary>
    public static async Task EnsureAsync(string connectionString, string username, string password, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var settings = new NpgsqlCommand("SELECT set_config('rates.service_role', @name, true), set_config('rates.service_password', @password, true)", connection, transaction))
        {
            settings.Parameters.AddWithValue("name", username);
            settings.Parameters.AddWithValue("password", password);
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var ensure = new NpgsqlCommand(EnsureSql, connection, transaction))
        {
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
