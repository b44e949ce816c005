using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;
using Rates.Api.Metrics;

namespace Rates.Api.Hosting;

/// <summary>Where the service listens: configuration section <c>Service</c>.</summary>
public sealed class ServiceOptions
{
    public const string SectionName = "Service";

    /// <summary>An IP address (0.0.0.0 for every IPv4 interface, :: for every interface) or <c>localhost</c>.</summary>
    [Required(ErrorMessage = "Service:ListenAddress is required.")]
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>3000, like the original service.</summary>
    [Range(1, 65535, ErrorMessage = "Service:Port must be between 1 and 65535.")]
    public int Port { get; set; } = 3000;

    internal static bool IsValidAddress(string? address) =>
        string.Equals(address, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(address, out _);
}

public static class ServiceEndpointExtensions
{
    /// <summary>
    /// Listens on Service:ListenAddress:Service:Port (and Metrics:Port, when set). An explicit Kestrel endpoint replaces ASPNETCORE_URLS and
    /// ASPNETCORE_HTTP_PORTS (the official aspnet image sets the latter to 8080), so one setting decides the port.
    /// </summary>
    public static WebApplicationBuilder AddServiceEndpoint(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ServiceOptions>()
            .BindConfiguration(ServiceOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => ServiceOptions.IsValidAddress(o.ListenAddress), "Service:ListenAddress must be an IP address (e.g. 0.0.0.0 or 127.0.0.1) or localhost.")
            .ValidateOnStart();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var service = kestrel.ApplicationServices.GetRequiredService<IOptions<ServiceOptions>>().Value;
            Listen(kestrel, service.ListenAddress, service.Port);
            var metricsPort = kestrel.ApplicationServices.GetRequiredService<IOptions<MetricsOptions>>().Value.Port;
            if (metricsPort > 0)
            {
                if (metricsPort == service.Port)
                {
                    throw new OptionsValidationException(MetricsOptions.SectionName, typeof(MetricsOptions), [$"Metrics:Port ({metricsPort}) must differ from Service:Port, or be 0 to serve /metrics on the service's port."]);
                }

                Listen(kestrel, service.ListenAddress, metricsPort);
            }
        });

        return builder;
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, string address, int port)
    {
        if (string.Equals(address, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(port);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address), port);
        }
    }
}
