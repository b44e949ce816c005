using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Rates.Database;

namespace Rates.Api.Database;

public static class DatabaseServiceCollectionExtensions
{
    /// <summary>
    /// Database settings (section <c>Database</c>, or <c>ConnectionStrings:Rates</c>), validated at start-up,
    /// and the service's pooled <see cref="NpgsqlDataSource"/> for reads. Requests borrow a connection from the
    /// pool for one query and give it back; nothing is held between requests. At start-up the pools together
    /// are checked against what the server grants (<see cref="ConnectionCapacityCheck"/>).
    /// </summary>
    public static IServiceCollection AddRatesDatabase(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();

        services.AddSingleton(provider => RatesDataSources.Create(
            provider, purpose: null, provider.GetRequiredService<IOptions<DatabaseOptions>>().Value.MaxPoolSize));
        services.AddSingleton(provider => new ConnectionDemand(
            "Database:MaxPoolSize", provider.GetRequiredService<IOptions<DatabaseOptions>>().Value.MaxPoolSize));
        services.AddHostedService<ConnectionCapacityCheck>();
        // Creates the data source at start-up, so the log says at once which database the service uses.
        services.AddHostedService<DataSourceStartup>();

        return services;
    }

    private sealed class DataSourceStartup(NpgsqlDataSource dataSource) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(dataSource);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class DatabaseOptionsValidator(IConfiguration configuration) : IValidateOptions<DatabaseOptions>
    {
        public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
        {
            var errors = options.Validate(configuration.GetConnectionString(DatabaseOptions.ConnectionStringName));
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

/// <summary>The service's data sources: the same database settings, each its own pool.</summary>
internal static class RatesDataSources
{
    /// <param name="purpose">Null for the main pool; otherwise a name for the pool's metrics (e.g. "batches").</param>
    public static NpgsqlDataSource Create(IServiceProvider provider, string? purpose, int maxPoolSize)
    {
        var options = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var connectionString = provider.GetRequiredService<IConfiguration>().GetConnectionString(DatabaseOptions.ConnectionStringName);
        var loggerFactory = provider.GetRequiredService<ILoggerFactory>();

        var name = purpose is null ? options.ApplicationName : $"{options.ApplicationName}-{purpose}";
        var builder = new NpgsqlDataSourceBuilder(options.BuildConnectionString(connectionString)) { Name = name };
        var settings = builder.ConnectionStringBuilder;
        // The server cancels a statement at the timeout (and says so); the client waits a little longer so
        // that a dead server or network still ends the wait.
        var statementTimeout = string.Create(CultureInfo.InvariantCulture, $"-c statement_timeout={options.StatementTimeoutSeconds * 1000}");
        settings.Options = string.IsNullOrWhiteSpace(settings.Options) ? statementTimeout : $"{settings.Options} {statementTimeout}";
        settings.CommandTimeout = options.StatementTimeoutSeconds + 5;
        settings.MaxPoolSize = maxPoolSize;
        settings.MinPoolSize = Math.Min(settings.MinPoolSize, maxPoolSize);
        if (purpose is null)
        {
            // The main pool's work leaves no session state behind (reads, and SET LOCAL only inside transactions; the
            // change listener has its own connection), so a connection going back to the pool needs no reset. Npgsql
            // otherwise resets it with statements the server runs ahead of the next request's own: measured, about a
            // third of PostgreSQL's CPU per /rates request (docs/benchmarks.md, the profile).
            settings.NoResetOnClose = true;
        }
        builder.UseLoggerFactory(loggerFactory);

        loggerFactory.CreateLogger("Rates.Api.Database")
            .LogInformation("Using database {Database} ({Pool} pool: at most {MaxPoolSize} connections)", options.Describe(connectionString), purpose ?? "main", maxPoolSize);
        return builder.Build();
    }
}
