using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Rates.Database;

namespace Rates.Api.Database;

public static class DatabaseServiceCollectionExtensions
{
    /// <summary>
    /// Database settings (section <c>Database</c>, or <c>ConnectionStrings:Rates</c>), validated at start-up,
    /// and the service's one pooled <see cref="NpgsqlDataSource"/>. Requests borrow a connection from the pool
    /// for one query and give it back; nothing is held between requests.
    /// </summary>
    public static IServiceCollection AddRatesDatabase(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var connectionString = provider.GetRequiredService<IConfiguration>().GetConnectionString(DatabaseOptions.ConnectionStringName);
            var loggerFactory = provider.GetRequiredService<ILoggerFactory>();

            var builder = new NpgsqlDataSourceBuilder(options.BuildConnectionString(connectionString)) { Name = options.ApplicationName };
            var settings = builder.ConnectionStringBuilder;
            // The server cancels a statement at the timeout (and says so); the client waits a little longer so
            // that a dead server or network still ends the wait.
            var statementTimeout = string.Create(CultureInfo.InvariantCulture, $"-c statement_timeout={options.StatementTimeoutSeconds * 1000}");
            settings.Options = string.IsNullOrWhiteSpace(settings.Options) ? statementTimeout : $"{settings.Options} {statementTimeout}";
            settings.CommandTimeout = options.StatementTimeoutSeconds + 5;
            builder.UseLoggerFactory(loggerFactory);

            loggerFactory.CreateLogger("Rates.Api.Database")
                .LogInformation("Using database {Database}", options.Describe(connectionString));
            return builder.Build();
        });
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
