using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Rates.Api.Tests.Infrastructure;

/// <summary>
/// The service as a real process (the built Rates.Api.dll, Kestrel and all), configured only through
/// environment variables, as in production.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Sends SIGTERM, as an orchestrator stopping the service does (docker stop, Kubernetes, systemd).</summary>
    public void Terminate()
    {
        const int sigterm = 15;
        if (kill(_process.Id, sigterm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    public static ServiceProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Rates.Api.dll"));
        // Only the settings given here: nothing from the test runner's own environment.
        foreach (var key in start.Environment.Keys.ToArray())
        {
            if (key.StartsWith("Database__", StringComparison.Ordinal) || key.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
                || key.StartsWith("Service__", StringComparison.Ordinal) || key.StartsWith("Rates__", StringComparison.Ordinal)
                || key.StartsWith("Batches__", StringComparison.Ordinal) || key.StartsWith("Shutdown__", StringComparison.Ordinal)
                || key.StartsWith("Auth__", StringComparison.Ordinal) || key.StartsWith("Metrics__", StringComparison.Ordinal)
                || key.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || key.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    /// <summary>Waits for the process to exit; fails the test if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The service was still running after {timeout.TotalSeconds} s. Output:\n{Output}");
        }

        // Drain the redirected output.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
