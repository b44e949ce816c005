using Rates.Processes;

namespace Rates.Api.Tests.Infrastructure;

/// <summary>
/// The service as a real process (the built Rates.Api.dll, Kestrel and all), configured only through
/// environment variables, as in production.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly string[] s_settingPrefixes =
    [
        "Database__", "ConnectionStrings__", "Service__", "Rates__", "Batches__", "Shutdown__", "Auth__", "Metrics__",
        "ASPNETCORE_", "DOTNET_ENVIRONMENT",
    ];

    private readonly BackgroundProcess _process;

    private ServiceProcess(BackgroundProcess process) => _process = process;

    public string Output => string.Join('\n', _process.Tail(int.MaxValue)) + "\n";

    public bool HasExited => _process.HasExited;

    /// <summary>Sends SIGTERM, as an orchestrator stopping the service does (docker stop, Kubernetes, systemd).</summary>
    public void Terminate() => _process.Terminate();

    public static ServiceProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        // Only the settings given here: nothing from the test runner's own environment.
        var variables = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(key => s_settingPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal)))
            .ToDictionary(key => key, string? (_) => null);
        variables["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        return new ServiceProcess(BackgroundProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Rates.Api.dll")],
            new CommandSettings { WorkingDirectory = Path.GetTempPath(), Environment = variables }));
    }

    /// <summary>Waits for the process to exit; fails the test if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var exitCode = await _process.WaitForExitAsync(timeout);
        if (exitCode is null)
        {
            Assert.Fail($"The service was still running after {timeout.TotalSeconds} s. Output:\n{Output}");
        }

        return exitCode.Value;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
