using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Rates.Api.Hosting;

/// <summary>Configuration section <c>Shutdown</c>.</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Shutdown";

    /// <summary>
    /// On SIGTERM readiness answers 503 at once, while the service goes on serving for this long, so a load
    /// balancer or orchestrator stops sending it traffic before the listener closes (0: close at once).
    /// </summary>
    [Range(0, 300, ErrorMessage = "Shutdown:PreStopSeconds must be between 0 and 300.")]
    public int PreStopSeconds { get; set; } = 5;

    /// <summary>
    /// Then the service stops accepting connections and gives requests in flight this long to finish before it
    /// exits. An upload that cannot finish in time is answered 503 with Retry-After shortly before the end.
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

        // The host waits ShutdownTimeout for the pre-stop window, then for Kestrel to drain its requests (and
        // hosted services to stop).
        services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
                host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.PreStopSeconds + shutdown.Value.DrainTimeoutSeconds));

        services.AddSingleton<Drain>();
        services.AddHostedService(provider => provider.GetRequiredService<Drain>());
        return services;
    }
}

/// <summary>
/// The stop sequence. The host calls <see cref="StoppingAsync"/> first (on SIGTERM, after signalling
/// ApplicationStopping): readiness turns 503 from here on, and the service keeps serving for
/// Shutdown:PreStopSeconds before the host stops Kestrel. Then Kestrel closes the listener and waits up to Shutdown:DrainTimeoutSeconds for
/// requests in flight. <see cref="UploadDeadline"/> fires a little before that wait ends, so an upload that
/// would be cut off is answered 503 while there is still time to answer.
/// </summary>
public sealed class Drain(IOptions<ShutdownOptions> options, ILogger<Drain> logger) : IHostedLifecycleService, IDisposable
{
    /// <summary>Clients may try again after this many seconds (on another instance, or this one restarted).</summary>
    internal const int RetryAfterSeconds = 5;

    private readonly CancellationTokenSource _uploadDeadline = new();
    private int _stopping;

    /// <summary>Cancelled when uploads in flight must give up so they can still be answered.</summary>
    public CancellationToken UploadDeadline => _uploadDeadline.Token;

    /// <summary>True from the start of the stop sequence: the service is not ready any more.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // A host stopped twice (e.g. by a test, then when disposed) runs the sequence once.
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        var settings = options.Value;
        var drain = TimeSpan.FromSeconds(settings.DrainTimeoutSeconds);
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, drain.Ticks / 2));
        _uploadDeadline.CancelAfter(TimeSpan.FromSeconds(settings.PreStopSeconds) + drain - margin);
        if (settings.PreStopSeconds > 0)
        {
            logger.LogInformation("Stopping: not ready any more; serving {PreStopSeconds} s more before closing the listener", settings.PreStopSeconds);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(settings.PreStopSeconds), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The host's own shutdown timeout ended the window early.
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        Interlocked.Exchange(ref _stopping, 1);
        _uploadDeadline.Dispose();
    }
}
