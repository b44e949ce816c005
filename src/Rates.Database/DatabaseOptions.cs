using System.Globalization;
using Npgsql;

namespace Rates.Database;

/// <summary>
/// Where the Rates database is: configuration section <c>Database</c> (environment variables
/// <c>Database__Host</c>, <c>Database__Port</c>, ...). A connection string <c>ConnectionStrings:Rates</c>
/// wins over the discrete settings when it is set; <see cref="StatementTimeoutSeconds"/> and
/// <see cref="ConnectTimeoutSeconds"/> apply in both cases.
/// </summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";
    public const string ConnectionStringName = "Rates";
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;

    public const int MaxStatementTimeoutSeconds = 3600;
    public const int MaxConnectTimeoutSeconds = 300;

    public string? Host { get; set; }
    public int Port { get; set; } = 5432;
    public string? Name { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>The server cancels a service query that runs longer than this.</summary>
    public int StatementTimeoutSeconds { get; set; } = 30;

    /// <summary>How long opening a connection may take before the request is answered 503.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// The most connections the service's pool for reads opens (uploads have their own, Batches:MaxConcurrent).
    /// Both together must fit in what the server grants the role; the service checks at start-up.
    /// </summary>
    public int MaxPoolSize { get; set; } = 50;

    public const int MaxMaxPoolSize = 10_000;

    /// <summary>Shown in pg_stat_activity, so a DBA can tell the service's sessions apart.</summary>
    public string ApplicationName { get; set; } = "rates";

    /// <summary>
    /// Every problem with these settings, each naming its configuration key; empty when they are usable.
    /// </summary>
    public IReadOnlyList<string> Validate(string? connectionString)
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            try
            {
                var parsed = new NpgsqlConnectionStringBuilder(connectionString);
                if (string.IsNullOrWhiteSpace(parsed.Host))
                {
                    errors.Add($"{ConnectionStringKey} has no Host.");
                }
            }
            catch (ArgumentException ex)
            {
                // The parser's message names the bad keyword, never a value, so it is safe to show.
                errors.Add($"{ConnectionStringKey} is not a valid PostgreSQL connection string: {ex.Message}");
            }
        }
        else
        {
            const string hint = " (or set " + ConnectionStringKey + ")";
            if (string.IsNullOrWhiteSpace(Host))
            {
                errors.Add($"{SectionName}:Host is required{hint}.");
            }

            if (string.IsNullOrWhiteSpace(Name))
            {
                errors.Add($"{SectionName}:Name is required{hint}.");
            }

            if (string.IsNullOrWhiteSpace(Username))
            {
                errors.Add($"{SectionName}:Username is required{hint}.");
            }

            if (Port is < 1 or > 65535)
            {
                errors.Add($"{SectionName}:Port must be between 1 and 65535 (was {Port}).");
            }
        }

        if (StatementTimeoutSeconds is < 1 or > MaxStatementTimeoutSeconds)
        {
            errors.Add($"{SectionName}:StatementTimeoutSeconds must be between 1 and {MaxStatementTimeoutSeconds} (was {StatementTimeoutSeconds}).");
        }

        if (ConnectTimeoutSeconds is < 1 or > MaxConnectTimeoutSeconds)
        {
            errors.Add($"{SectionName}:ConnectTimeoutSeconds must be between 1 and {MaxConnectTimeoutSeconds} (was {ConnectTimeoutSeconds}).");
        }

        if (MaxPoolSize is < 1 or > MaxMaxPoolSize)
        {
            errors.Add($"{SectionName}:MaxPoolSize must be between 1 and {MaxMaxPoolSize} (was {MaxPoolSize}).");
        }

        if (string.IsNullOrWhiteSpace(ApplicationName))
        {
            errors.Add($"{SectionName}:ApplicationName must not be empty.");
        }

        return errors;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> listing every problem when the settings are unusable.</summary>
    public void EnsureValid(string? connectionString)
    {
        var errors = Validate(connectionString);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid database settings: " + string.Join(" ", errors));
        }
    }

    /// <summary>
    /// The connection string for these settings: <paramref name="connectionString"/> when given (its own
    /// values win), otherwise one built from Host/Port/Name/Username/Password. The connect timeout and the
    /// application name are added when the given connection string does not set them. The statement
    /// timeout is not part of it: the service applies it to its own data source, while migrations and dump
    /// loads may legitimately run longer.
    /// </summary>
    public string BuildConnectionString(string? connectionString)
    {
        EnsureValid(connectionString);
        NpgsqlConnectionStringBuilder builder;
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
            var given = new HashSet<string>(ExplicitKeywords(connectionString), StringComparer.OrdinalIgnoreCase);
            if (!given.Contains("Timeout"))
            {
                builder.Timeout = ConnectTimeoutSeconds;
            }

            if (!given.Contains("Application Name") && !given.Contains("ApplicationName"))
            {
                builder.ApplicationName = ApplicationName;
            }
        }
        else
        {
            builder = new NpgsqlConnectionStringBuilder
            {
                Host = Host,
                Port = Port,
                Database = Name,
                Username = Username,
                Timeout = ConnectTimeoutSeconds,
                ApplicationName = ApplicationName,
            };
            if (!string.IsNullOrEmpty(Password))
            {
                builder.Password = Password;
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>Where the settings point, for logs and messages: never the password.</summary>
    public override string ToString() => Describe(null);

    /// <summary>Like <see cref="ToString"/>, for the effective connection string (passwords removed).</summary>
    public string Describe(string? connectionString)
    {
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return DescribeConnectionString(connectionString);
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"Host={Host}; Port={Port}; Database={Name}; Username={Username}; Password={(string.IsNullOrEmpty(Password) ? "(none)" : "***")}; StatementTimeoutSeconds={StatementTimeoutSeconds}");
    }

    /// <summary>A connection string with its password masked, safe to log.</summary>
    public static string DescribeConnectionString(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (!string.IsNullOrEmpty(builder.Password))
            {
                builder.Password = "***";
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(invalid connection string)";
        }
    }

    private static IEnumerable<string> ExplicitKeywords(string connectionString)
    {
        var parsed = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in parsed.Keys)
        {
            yield return key;
        }
    }
}
