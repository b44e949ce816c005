using Rates.Build.HighAvailability;
using Rates.Build.Environments;
using Rates.Build.Monitoring;
using Rates.EmbeddedPostgres;

/// <summary>Up --monitoring: Prometheus, Alertmanager and postgres_exporter beside a docker environment (deploy/monitoring).</summary>
partial class Build
{
    [Parameter("Up: also start Prometheus, Alertmanager and postgres_exporter (deploy/monitoring) and print their URLs. " +
               "Docker runtime only.")]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly bool Monitoring;

    [Parameter("Up --monitoring: port of Prometheus on 127.0.0.1. Default: its port while it runs, else 9090 when free, else a free port.",
        Minimum = 1, Maximum = 65535)]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly int? PrometheusPort;

    [Parameter("Up --monitoring: port of Alertmanager on 127.0.0.1. Default: its port while it runs, else 9093 when free, else a free port.",
        Minimum = 1, Maximum = 65535)]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly int? AlertmanagerPort;

    MonitoringAddOn? _monitoring;

    /// <summary>Part of PrepareEnvironment: refuses --monitoring on the local runtime before anything starts, and picks the ports.</summary>
    async Task PlanMonitoringAsync(UpPlan plan)
    {
        if (!Monitoring)
            return;
        if (plan.Runtime != EnvironmentRuntime.Docker)
            throw new BuildFailedException(
                $"--monitoring needs the docker runtime (Prometheus, Alertmanager and postgres_exporter run as containers), but " +
                $"environment '{plan.Name}' runs on the {plan.Runtime.ToString().ToLowerInvariant()} runtime ({plan.RuntimeReason}). " +
                "Start a Docker engine and use --runtime docker. Nothing was started.");

        var running = await DockerRuntime.RunningServicesAsync(plan.Name);
        int? Published(string service, int containerPort) => running.FirstOrDefault(c => c.Service == service)?.HostPortFor(containerPort);
        var own = running.SelectMany(c => c.Ports).Select(p => p.HostPort).ToHashSet();
        bool IsAvailable(int port) => own.Contains(port) || PostgresCluster.IsPortFree(port);
        var prometheus = PortAllocator.Choose(
            new PortRequest("Prometheus", PrometheusPort, Published("prometheus", 9090), MonitoringAddOn.DefaultPrometheusPort),
            IsAvailable, PostgresCluster.FindFreePort, [plan.ApiPort, plan.DbPort]);
        var alertmanager = PortAllocator.Choose(
            new PortRequest("Alertmanager", AlertmanagerPort, Published("alertmanager", 9093), MonitoringAddOn.DefaultAlertmanagerPort),
            IsAvailable, PostgresCluster.FindFreePort, [plan.ApiPort, plan.DbPort, prometheus.Port]);
        _monitoring = new MonitoringAddOn(MonitoringAddOn.DirectoryFor(RootDirectory), prometheus.Port, alertmanager.Port);
    }

    /// <summary>After the topology is up: starts the add-on and reports targets that Prometheus cannot scrape.</summary>
    async Task StartMonitoringAsync(UpPlan plan, string apiImage)
    {
        if (_monitoring is null)
            return;
        int[] published = [plan.ApiPort, plan.DbPort, .. (await DockerRuntime.RunningServicesAsync(plan.Name)).SelectMany(c => c.Ports).Select(p => p.HostPort)];
        var topology = plan.Shape.Topology == Topology.Ha
            ? MonitoredHa(plan, published)
            : Monitored(plan.Name, plan.Password, ComposeProject.Variables(plan.Secrets, plan.ApiPort, plan.DbPort, DbImage, apiImage), published);
        var down = await _monitoring.UpAsync(Docker, topology, TimeSpan.FromSeconds(60), CancellationToken);
        foreach (var target in down)
            Output.MarkupLineInterpolated($"[yellow]Prometheus cannot scrape {target.Job} at {target.Url}: {target.Health} {target.LastError}[/]");
    }

    /// <summary>Part of Down: removes the add-on's containers and, with --volumes, its data (Down of the topology leaves them).</summary>
    async Task StopMonitoringAsync(EnvironmentStore store)
    {
        var project = EnvironmentNames.ProjectName(store.Name);
        var containers = await Docker.ListContainersAsync(project, all: true);
        var volumes = await Docker.ListVolumesAsync(project);
        if (!containers.Any(c => MonitoringAddOn.Services.Contains(c.Service)) && !volumes.Any(MonitoringAddOn.IsOwnVolume))
            return;
        var addOn = new MonitoringAddOn(MonitoringAddOn.DirectoryFor(RootDirectory), MonitoringAddOn.DefaultPrometheusPort, MonitoringAddOn.DefaultAlertmanagerPort);
        await addOn.DownAsync(Docker, Monitored(store.Name, null, ComposeProject.Variables(null, null, null, null, null), []), Volumes);
    }

    MonitoredTopology Monitored(string environment, string? password, IReadOnlyDictionary<string, string?> variables, IReadOnlyCollection<int> published) =>
        new(RootDirectory, EnvironmentNames.ProjectName(environment), ComposeFile, HighAvailability: false, variables, password, published);

    /// <summary>The ha topology's compose project: postgres_exporter reads each Patroni member (compose.monitoring-ha.yaml).</summary>
    MonitoredTopology MonitoredHa(UpPlan plan, IReadOnlyCollection<int> published)
    {
        var state = plan.Store.Load()?.Ha ?? throw new BuildFailedException($"Environment '{plan.Name}' has no ha state in {plan.Store.Directory}; run Up --topology ha again.");
        var variables = new Dictionary<string, string?>(state.Variables(plan.Secrets, HaSecrets.LoadOrCreate(plan.Store)))
        {
            ["RATES_EXPORTER_DATA_SOURCE_NAME"] = string.Join(",", HaTopology.PatroniServices.Select(node =>
                $"postgresql://{Uri.EscapeDataString(LocalEnvironment.DatabaseUser)}:{Uri.EscapeDataString(plan.Password)}@{node}:5432/" +
                $"{LocalEnvironment.DatabaseName}?sslmode=disable")),
        };
        return new(RootDirectory, EnvironmentNames.ProjectName(plan.Name), DockerRuntime.Ha.ComposeFile, HighAvailability: true,
            variables, plan.Password, published);
    }

    IEnumerable<(string Key, string Value)> MonitoringSummaryRows() => _monitoring?.Urls ?? [];
}
