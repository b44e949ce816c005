using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Rates.Api.Hosting;

/// <summary>Configuration section <c>Shutdown</c>.</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Shutdown";

    /// <summary>
    /// On SIGTERM the service stops accepting connections and gives requests in flight this long to finish
    /// before it exits.
    /// </summary>
    [Range(1, 3600, ErrorMessage = "Shutdown:DrainTimeoutSeconds must be between 1 and 3600.")]
    public int DrainTimeoutSeconds { get; set; } = 30;
}

public static class GracefulShutdownExtensions
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>()
            .BindConfiguration(ShutdownOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The host waits ShutdownTimeout for Kestrel to drain its requests (and hosted services to stop).
        services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
                host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.DrainTimeoutSeconds));

        return services;
    }
}
