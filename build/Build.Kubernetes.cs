using Rates.Build.Kubernetes;

partial class Build
{
    static AbsolutePath KubernetesDirectory => RootDirectory / "deploy" / "kubernetes";
    static AbsolutePath KubernetesArtifactsDirectory => ArtifactsDirectory / "kubernetes";
    static AbsolutePath PrometheusRuleFiles => RootDirectory / "deploy" / "monitoring" / "rules";
    static AbsolutePath PrometheusRuleManifestFile => KubernetesDirectory / "base" / "prometheus-rules.yaml";

    /// <summary>The overlays of deploy/kubernetes (docs/kubernetes.md says what each is for).</summary>
    public enum KubernetesOverlay { Dev, Staging, Production }

    [Parameter("Kubernetes overlay K8sManifests renders: Dev, Staging or Production; default: all three.")]
    [UsedBy(nameof(K8sManifests))]
    readonly KubernetesOverlay? Overlay;

    Target K8sManifests => _ => _
        .Description("Renders the Kubernetes overlays of deploy/kubernetes (or --overlay) with `kubectl kustomize` into artifacts/kubernetes/<overlay>.yaml, " +
                     "after regenerating base/prometheus-rules.yaml from deploy/monitoring/rules.")
        .Executes(async () =>
        {
            await UpdatePrometheusRuleManifestAsync();
            var kubectl = await Kubectl.FindAsync(Processes, CancellationToken);
            var output = KubernetesArtifactsDirectory.CreateDirectory();
            foreach (var overlay in Overlay is { } one ? [one] : Enum.GetValues<KubernetesOverlay>())
            {
                var name = overlay.ToString().ToLowerInvariant();
                var manifest = await kubectl.KustomizeAsync(KubernetesDirectory / name);
                var file = output / $"{name}.yaml";
                await File.WriteAllTextAsync(file, manifest, CancellationToken);
                var objects = manifest.Split('\n').Count(line => line.StartsWith("kind: ", StringComparison.Ordinal));
                Output.WriteLine($"Rendered {name}: {objects} objects -> {file.RelativeTo(RootDirectory)} (Kustomize {kubectl.KustomizeVersion})");
            }
        });

    /// <summary>Rewrites the PrometheusRule manifest of the base when the rule files changed, and says so.</summary>
    async Task UpdatePrometheusRuleManifestAsync()
    {
        var ruleFiles = Directory.EnumerateFiles(PrometheusRuleFiles, "*.yml")
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f)));
        var manifest = PrometheusRuleManifest.Generate(ruleFiles);
        if (PrometheusRuleManifestFile.FileExists && await File.ReadAllTextAsync(PrometheusRuleManifestFile, CancellationToken) == manifest)
            return;
        await File.WriteAllTextAsync(PrometheusRuleManifestFile, manifest, CancellationToken);
        Output.WriteLine($"Updated {PrometheusRuleManifestFile.RelativeTo(RootDirectory)} from {PrometheusRuleFiles.RelativeTo(RootDirectory)}: commit it with the rule change.");
    }
}
