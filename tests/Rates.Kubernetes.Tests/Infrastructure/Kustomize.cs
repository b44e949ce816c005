using System.ComponentModel;
using System.Diagnostics;

namespace Rates.Kubernetes.Tests.Infrastructure;

/// <summary>Renders an overlay with <c>kubectl kustomize</c>, as <c>./build.sh K8sManifests</c> does.</summary>
public static class Kustomize
{
    public const string InstallHint =
        "kubectl (with its built-in Kustomize 5) is needed to render deploy/kubernetes: install it from " +
        "https://kubernetes.io/docs/tasks/tools/ (e.g. `snap install kubectl --classic`, or the Kubernetes apt " +
        "repository's `kubectl` package) and put it on PATH.";

    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    /// <summary>The rendered YAML; fails (never skips) when kubectl is missing or the overlay does not render.</summary>
    public static string Render(string directory)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            ArgumentList = { "kustomize", directory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"kubectl was not found on PATH ({ex.Message}). {InstallHint}", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(s_timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl kustomize {directory} did not finish within {s_timeout.TotalSeconds} s.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"kubectl kustomize {directory} failed with exit code {process.ExitCode}:{Environment.NewLine}{stderr.Result}");
            }

            return stdout.Result;
        }
    }
}
