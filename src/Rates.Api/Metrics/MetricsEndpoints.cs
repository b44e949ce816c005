using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Rates.Api.Metrics;

/// <summary>Configuration section <c>Metrics</c> (environment variable <c>Metrics__Port</c>).</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// A separate management port for <c>/metrics</c>, on Service:ListenAddress; 0 (the default) serves it on
    /// the service's port.
    /// </summary>
    [Range(0, 65535, ErrorMessage = "Metrics:Port must be between 0 and 65535 (0: /metrics on the service's port).")]
    public int Port { get; set; }
}

public static class MetricsEndpoints
{
    /// <summary>
    /// prometheus-net exports every System.Diagnostics.Metrics meter (Npgsql's connection pool, ASP.NET Core,
    /// the runtime, ...). The runtime's private diagnostics meters (dozens of QUIC counters this service never
    /// uses) are left out.
    /// </summary>
    public static IServiceCollection AddMetricsExport(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>()
            .BindConfiguration(MetricsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

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

    /// <summary>
    /// With Metrics:Port set, <c>/metrics</c> is answered on that port only (404 on the service's port), and
    /// that port answers nothing else: the management port can stay inside a private network while the
    /// service's port is public. Decided by the port the connection came in on, never by the Host header.
    /// </summary>
    public static WebApplication UseMetricsPort(this WebApplication app)
    {
        var port = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Port;
        if (port > 0)
        {
            app.Use((context, next) =>
            {
                var onMetricsPort = context.Connection.LocalPort == port;
                var isMetrics = context.Request.Path.Equals("/metrics", StringComparison.OrdinalIgnoreCase);
                if (onMetricsPort != isMetrics)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }

        return app;
    }
}
