using Npgsql;
using Rates.Database;

namespace Rates.Database.Tests;

public sealed class DatabaseOptionsTests
{
    [Fact]
    public void Discrete_settings_build_a_connection_string_with_timeouts_and_application_name()
    {
        var options = new DatabaseOptions { Host = "db", Port = 6543, Name = "rates", Username = "svc", Password = "pw", ConnectTimeoutSeconds = 7 };

        var built = new NpgsqlConnectionStringBuilder(options.BuildConnectionString(null));

        Assert.Equal(("db", 6543, "rates", "svc", "pw"), (built.Host, built.Port, built.Database, built.Username, built.Password));
        Assert.Equal(7, built.Timeout);
        Assert.Equal("rates", built.ApplicationName);
    }

    [Fact]
    public void A_connection_string_wins_and_keeps_its_own_values()
    {
        var options = new DatabaseOptions { Host = "ignored", Name = "ignored", Username = "ignored" };

        var built = new NpgsqlConnectionStringBuilder(options.BuildConnectionString("Host=pg;Database=x;Username=u;Timeout=20;Application Name=mine"));

        Assert.Equal(("pg", "x", "u"), (built.Host, built.Database, built.Username));
        Assert.Equal(20, built.Timeout);
        Assert.Equal("mine", built.ApplicationName);
    }

    [Fact]
    public void Validation_names_every_bad_key()
    {
        var options = new DatabaseOptions { Port = 0, StatementTimeoutSeconds = 0, ConnectTimeoutSeconds = 0, ApplicationName = "" };

        Assert.Equal(
            [
                "Database:Host is required (or set ConnectionStrings:Rates).",
                "Database:Name is required (or set ConnectionStrings:Rates).",
                "Database:Username is required (or set ConnectionStrings:Rates).",
                "Database:Port must be between 1 and 65535 (was 0).",
                "Database:StatementTimeoutSeconds must be between 1 and 3600 (was 0).",
                "Database:ConnectTimeoutSeconds must be between 1 and 300 (was 0).",
                "Database:ApplicationName must not be empty.",
            ],
            options.Validate(null));
    }

    [Fact]
    public void A_connection_string_without_host_is_refused()
    {
        Assert.Equal(["ConnectionStrings:Rates has no Host."], new DatabaseOptions().Validate("Database=x;Username=u"));
    }

    [Fact]
    public void Building_from_invalid_settings_throws_naming_the_keys()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => new DatabaseOptions().BuildConnectionString(null));

        Assert.Contains("Database:Host is required", failure.Message);
    }
}
