using Prometheus;

namespace Rates.Api.Metrics;

public static class MetricsEndpoints
{
    /// <summary>
    /// prometheus-net exports every System.Diagnostics.Metrics meter (Npgsql's connection pool, ASP.NET Core,
    /// the runtime, ...). The runtime's private diagnostics meters (dozens of QUIC counters this service never
    /// uses) are left out.
    /// </summary>
    public static IServiceCollection AddMetricsExport(this IServiceCollection services)
    {
        // The adapter is process-wide; reconfiguring it replaces (disposes) the running one, so do it once.
        if (Interlocked.Exchange(ref _meterAdapterConfigured, 1) == 0)
        {
            Prometheus.Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate =
                instrument => !instrument.Meter.Name.StartsWith("Private.InternalDiagnostics.", StringComparison.Ordinal));
        }

        return services;
    }

    private static int _meterAdapterConfigured;

    /// <summary>
    /// Records request count, duration and in-flight requests per endpoint (route pattern), method and
    /// status code. Must run after routing so the endpoint is known, and before the exception handler, which
    /// sets the status code of a failed request.
    /// </summary>
    public static WebApplication UseRequestMetrics(this WebApplication app)
    {
        app.UseHttpMetrics();
        app.Use(KeepEndpointForMetrics);
        return app;
    }

    /// <summary>
    /// The exception handler clears the request's endpoint before it answers (a 503 when the database is down),
    /// and prometheus-net reads the <c>endpoint</c> label from it once the request is done: put it back, so a
    /// failed request is counted under its route like any other.
    /// </summary>
    private static async Task KeepEndpointForMetrics(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        try
        {
            await next(context);
        }
        finally
        {
            if (endpoint is not null && context.GetEndpoint() is null)
            {
                context.SetEndpoint(endpoint);
            }
        }
    }

    /// <summary>
    /// <c>GET /metrics</c> in the Prometheus text format: the HTTP metrics above, .NET runtime metrics and the
    /// exported meters, among them Npgsql's pool usage (npgsql_db_client_connection_count{state=idle|used},
    /// ..._max, pending requests and wait times once they occur).
    /// </summary>
    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMetrics("/metrics");
        return endpoints;
    }
}
