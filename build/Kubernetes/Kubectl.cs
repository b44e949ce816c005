using System.Text.Json;

namespace Rates.Build.Kubernetes;

/// <summary>
/// kubectl from PATH, checked once: it must exist and embed Kustomize 5 (kubectl 1.27 or later), which renders
/// the overlays of deploy/kubernetes.
/// </summary>
internal sealed class Kubectl
{
    internal const string InstallHint =
        "Install kubectl 1.27 or later (it embeds Kustomize 5) from https://kubernetes.io/docs/tasks/tools/ " +
        "(e.g. `snap install kubectl --classic`, or the `kubectl` package of the Kubernetes apt repository, " +
        "https://pkgs.k8s.io) and put it on PATH.";

    private readonly ProcessRunner _processes;
    private readonly CancellationToken _cancellationToken;

    private Kubectl(ProcessRunner processes, CancellationToken cancellationToken, string kustomizeVersion)
    {
        _processes = processes;
        _cancellationToken = cancellationToken;
        KustomizeVersion = kustomizeVersion;
    }

    public string KustomizeVersion { get; }

    public static async Task<Kubectl> FindAsync(ProcessRunner processes, CancellationToken cancellationToken)
    {
        ProcessResult result;
        try
        {
            result = await processes.RunAsync("kubectl", ["version", "--client", "--output=json"],
                new ProcessOptions { Echo = false }, cancellationToken);
        }
        catch (ProcessFailedException ex) when (ex.ExitCode is null)
        {
            throw new BuildFailedException($"kubectl was not found on PATH. {InstallHint}");
        }

        var version = KustomizeVersionOf(result.StandardOutput);
        if (version is null || !Version.TryParse(version.TrimStart('v'), out var parsed) || parsed.Major < 5)
        {
            throw new BuildFailedException(
                $"kubectl on PATH embeds Kustomize {version ?? "(unknown)"}; the overlays need Kustomize 5. {InstallHint}");
        }

        return new Kubectl(processes, cancellationToken, version);
    }

    /// <summary>The overlay in <paramref name="directory"/> as one multi-document YAML stream.</summary>
    public async Task<string> KustomizeAsync(AbsolutePath directory)
    {
        // The output is the manifest itself: captured, not echoed; a failure shows kubectl's message.
        var result = await _processes.RunAsync("kubectl", ["kustomize", directory], new ProcessOptions { Echo = false }, _cancellationToken);
        return result.StandardOutput + "\n";
    }

    private static string? KustomizeVersionOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("kustomizeVersion", out var version) ? version.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
