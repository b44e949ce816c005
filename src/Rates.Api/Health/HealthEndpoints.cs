using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Rates.Api.Database;
using Rates.Api.Errors;
using Rates.Api.Hosting;
using Rates.Database;

namespace Rates.Api.Health;

/// <summary>One check in a health answer.</summary>
public sealed record HealthCheckEntry(string Name, string Status, string? Description, double DurationMs);

/// <summary>A healthy answer of /health/live or /health/ready.</summary>
public sealed record HealthResponse(string Status, IReadOnlyList<HealthCheckEntry> Checks);

public static class HealthEndpoints
{
    private const string ReadyTag = "ready";

    /// <summary>Readiness gives up on a database that does not answer within this time.</summary>
    internal static readonly TimeSpan ReadyCheckTimeout = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseReadyCheck>("database", HealthStatus.Unhealthy, [ReadyTag], ReadyCheckTimeout);
        return services;
    }

    /// <summary>
    /// <c>/health/live</c>: the process answers (no database access, so an orchestrator never restarts the
    /// service for a database outage). <c>/health/ready</c>: the service is not shutting down, the database is
    /// reachable and its schema is migrated; otherwise 503 problem+json.
    /// </summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = WriteAsync,
        });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
        });
        return endpoints;
    }

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        var checks = report.Entries
            .Select(e => new HealthCheckEntry(e.Key, e.Value.Status.ToString(), e.Value.Description, Math.Round(e.Value.Duration.TotalMilliseconds, 1)))
            .ToArray();

        if (report.Status == HealthStatus.Healthy)
        {
            context.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(context.Response.Body, new HealthResponse(report.Status.ToString(), checks), ApiJsonContext.Default.HealthResponse, context.RequestAborted);
            return;
        }

        // The health check middleware has set 503 already. A balancer or client may ask again after Retry-After.
        context.Response.Headers.RetryAfter = DatabaseUnavailableExceptionHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = context.Response.StatusCode,
            Title = "Service Unavailable",
            Detail = string.Join(" ", checks.Where(c => c.Status != nameof(HealthStatus.Healthy)).Select(c => c.Description)),
            Extensions = { ["checks"] = checks },
        };
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}

/// <summary>
/// The service is not stopping, the database answers and every migration this build knows has been applied.
/// </summary>
internal sealed class DatabaseReadyCheck(NpgsqlDataSource dataSource, Drain drain, IHostApplicationLifetime lifetime) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (drain.IsStopping || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The service is shutting down.");
        }

        try
        {
            var pending = await dataSource.ReadAsync((connection, ct) => DatabaseMigrator.PendingScriptsAsync(connection, ct), cancellationToken);
            return pending.Count == 0
                ? HealthCheckResult.Healthy("Database reachable; schema up to date.")
                : HealthCheckResult.Unhealthy($"Database schema not up to date: {pending.Count} migration(s) pending ({string.Join(", ", pending)}).");
        }
        catch (Exception ex) when (DatabaseFailures.IsUnavailable(ex))
        {
            dataSource.ForgetStaleConnections(ex);
            return HealthCheckResult.Unhealthy($"Database unreachable: {ex.Message}");
        }
    }
}
