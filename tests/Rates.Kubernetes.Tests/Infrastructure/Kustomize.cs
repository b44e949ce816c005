using Rates.Processes;

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
        using var timeout = new CancellationTokenSource(s_timeout);
        CommandResult result;
        try
        {
            result = CommandRunner.RunAsync("kubectl", ["kustomize", directory], cancellationToken: timeout.Token).GetAwaiter().GetResult();
        }
        catch (CommandStartException ex)
        {
            throw new InvalidOperationException($"kubectl was not found on PATH ({ex.InnerException?.Message}). {InstallHint}", ex);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"kubectl kustomize {directory} did not finish within {s_timeout.TotalSeconds} s.");
        }

        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"kubectl kustomize {directory} failed with exit code {result.ExitCode}:{Environment.NewLine}{result.StandardError}");
        }

        return result.StandardOutput;
    }
}
