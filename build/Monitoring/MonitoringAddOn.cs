using System.Globalization;
using Rates.Build.Environments;

namespace Rates.Build.Monitoring;

/// <summary>
/// The monitoring add-on of the docker runtime (deploy/monitoring): the compose files added to a topology, the
/// variables they read, the services they start and where they answer. Works on any topology whose compose
/// project has a service <c>api</c>; the ha topology adds its own file (the exporter reads every Patroni member).
/// </summary>
internal sealed record MonitoringAddOn(AbsolutePath Directory, int PrometheusPort, int AlertmanagerPort)
{
    /// <summary>Started in this order, after the topology's own services.</summary>
    public static readonly string[] Services = ["postgres-exporter", "prometheus", "alertmanager"];

    public const int DefaultPrometheusPort = 9090;
    public const int DefaultAlertmanagerPort = 9093;

    /// <summary>
    /// Where the add-on's configuration is read from: deploy/monitoring, unless RATES_MONITORING_DIR names another
    /// folder with the same layout (a copy with other timings, as the end-to-end alert check uses).
    /// </summary>
    public static AbsolutePath DirectoryFor(AbsolutePath root) =>
        Environment.GetEnvironmentVariable("RATES_MONITORING_DIR") is { Length: > 0 } overridden
            ? AbsolutePath.Create(Path.GetFullPath(overridden))
            : root / "deploy" / "monitoring";

    /// <summary>The compose files to add after the topology's: the overlay, and the ha topology's additions.</summary>
    public static IReadOnlyList<AbsolutePath> ComposeFiles(AbsolutePath root, bool highAvailability)
    {
        var folder = root / "deploy" / "monitoring";
        return highAvailability
            ? [folder / "compose.monitoring.yaml", folder / "compose.monitoring-ha.yaml"]
            : [folder / "compose.monitoring.yaml"];
    }

    /// <summary>Variables of the overlay (paths are absolute: the topology's first file decides the project folder).</summary>
    public IReadOnlyDictionary<string, string?> Variables => new Dictionary<string, string?>
    {
        ["RATES_MONITORING_DIR"] = Directory.ToString(),
        ["RATES_PROMETHEUS_PORT"] = PrometheusPort.ToString(CultureInfo.InvariantCulture),
        ["RATES_ALERTMANAGER_PORT"] = AlertmanagerPort.ToString(CultureInfo.InvariantCulture),
    };

    public string PrometheusUrl => $"http://127.0.0.1:{PrometheusPort.ToString(CultureInfo.InvariantCulture)}";

    public string AlertmanagerUrl => $"http://127.0.0.1:{AlertmanagerPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// <c>docker compose -p PROJECT -f TOPOLOGY -f OVERLAY... ARGUMENTS</c> with the topology's variables and the
    /// add-on's; the password is masked in everything echoed.
    /// </summary>
    public Task<ProcessResult> ComposeAsync(DockerCli docker, MonitoredTopology topology, IEnumerable<string> arguments, bool checkExitCode = true) =>
        docker.RunAsync(
            ["compose", "-p", topology.Project, "-f", topology.ComposeFile,
             .. ComposeFiles(topology.Root, topology.HighAvailability).SelectMany(f => new[] { "-f", f.ToString() }), .. arguments],
            new ProcessOptions
            {
                Environment = topology.Variables.Concat(Variables).ToDictionary(e => e.Key, e => e.Value),
                Secrets = topology.Password is null ? [] : [topology.Password],
                CheckExitCode = checkExitCode,
            },
            evenWhenCancelled: !checkExitCode);

    /// <summary>
    /// Starts the exporter, Prometheus and Alertmanager beside the running topology (its services are left as they
    /// are), waits until they are healthy, then until Prometheus has scraped every target. Returns the targets that
    /// are still not up after <paramref name="targetsTimeout"/> (empty when all are).
    /// </summary>
    public async Task<IReadOnlyList<ScrapeTarget>> UpAsync(DockerCli docker, MonitoredTopology topology, TimeSpan targetsTimeout, CancellationToken cancellationToken)
    {
        foreach (var (service, port) in new[] { ("Prometheus", PrometheusPort), ("Alertmanager", AlertmanagerPort) })
        {
            if (!topology.PublishedPorts.Contains(port) && !Rates.EmbeddedPostgres.PostgresCluster.IsPortFree(port))
                throw new BuildFailedException(
                    $"{service} port: port {port} on 127.0.0.1 is already in use (choose another with --{service.ToLowerInvariant()}-port).");
        }

        await ComposeAsync(docker, topology, ["up", "-d", "--wait", "--no-deps", .. Services]);
        var targets = await PrometheusTargets.WaitUntilUpAsync(PrometheusUrl, targetsTimeout, cancellationToken);
        return targets.Count == 0
            ? [new ScrapeTarget("prometheus", PrometheusUrl, "no answer", "Prometheus did not answer /api/v1/targets")]
            : targets.Where(t => !t.IsUp).ToList();
    }

    /// <summary>Removes the add-on's containers (and its volumes with <paramref name="volumes"/>), leaving the topology's.</summary>
    public async Task DownAsync(DockerCli docker, MonitoredTopology topology, bool volumes)
    {
        await ComposeAsync(docker, topology, ["rm", "--stop", "--force", .. volumes ? new[] { "-v" } : [], .. Services]);
        if (volumes)
        {
            var mine = (await docker.ListVolumesAsync(topology.Project)).Where(IsOwnVolume).ToList();
            if (mine.Count > 0)
                await docker.RunAsync(["volume", "rm", .. mine]);
        }
    }

    /// <summary>The add-on's named volumes (compose.monitoring.yaml): PROJECT_prometheus-data, PROJECT_alertmanager-data.</summary>
    public static bool IsOwnVolume(string volume) =>
        volume.EndsWith("_prometheus-data", StringComparison.Ordinal) || volume.EndsWith("_alertmanager-data", StringComparison.Ordinal);

    /// <summary>Lines for Up's summary.</summary>
    public IEnumerable<(string Key, string Value)> Urls =>
    [
        ("Prometheus", $"{PrometheusUrl} (alerts: {PrometheusUrl}/api/v1/alerts, targets: {PrometheusUrl}/api/v1/targets)"),
        ("Alertmanager", $"{AlertmanagerUrl} (alerts: {AlertmanagerUrl}/api/v2/alerts)"),
    ];
}

/// <summary>The compose project the add-on joins: its first compose file, variables and ports already published.</summary>
internal sealed record MonitoredTopology(
    AbsolutePath Root,
    string Project,
    AbsolutePath ComposeFile,
    bool HighAvailability,
    IReadOnlyDictionary<string, string?> Variables,
    string? Password,
    IReadOnlyCollection<int> PublishedPorts);
