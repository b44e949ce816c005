using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using Rates.Api.Database;

namespace Rates.Api.Errors;

public static class ErrorHandlingExtensions
{
    /// <summary>
    /// Every error answer is application/problem+json. A database that cannot serve answers 503 (handled here,
    /// in one place, for every endpoint); any other unexpected exception answers a bare 500 that reveals nothing
    /// of the service's internals.
    /// </summary>
    public static IServiceCollection AddApiErrorHandling(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddSingleton(provider => new RepeatedWarnings(TimeProvider.System));
        services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        return services;
    }

    public static WebApplication UseApiErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        // 404/405 and other bodiless errors also get a problem+json body.
        app.UseStatusCodePages();
        return app;
    }
}

internal sealed class DatabaseUnavailableExceptionHandler(
    IProblemDetailsService problemDetails,
    NpgsqlDataSource dataSource,
    RepeatedWarnings repeated,
    ILogger<DatabaseUnavailableExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Clients may try again after this many seconds.</summary>
    internal const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!DatabaseFailures.IsUnavailable(exception))
        {
            return false;
        }

        // During a failover the pool holds connections to the old leader: drop them, so that the client's
        // retry opens a new one to the new leader.
        dataSource.ForgetStaleConnections(exception);

        // The exception's message says what went wrong (refused, timed out, ...) and never holds the password.
        // During an outage every request fails the same way: one line per reason and interval, with a count.
        if (repeated.ShouldLog(exception.Message, out var omitted))
        {
            logger.LogWarning(
                "Database unavailable for {Method} {Path}: {Reason} ({Omitted} more such failures not logged since the last one)",
                httpContext.Request.Method,
                httpContext.Request.Path,
                exception.Message,
                omitted);
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service Unavailable",
                Detail = "The database is unavailable. Try again shortly.",
            },
        });
    }
}
