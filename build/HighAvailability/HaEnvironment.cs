using System.Diagnostics;
using System.Globalization;
using Rates.Build.Environments;
using Rates.Database;
using Rates.EmbeddedPostgres;

namespace Rates.Build.HighAvailability;

/// <summary>
/// The ha topology on the docker runtime: deploy/ha/compose.yaml as the compose project <c>rates-&lt;env&gt;</c>.
/// Up goes one step at a time (consensus store, database nodes and HAProxy; a leader with a synchronous standby;
/// the one-shot migrate/seed job through the write endpoint; the API replicas), so each failure names its step.
/// </summary>
internal sealed class HaEnvironment(IAnsiConsole console, DockerCli docker, AbsolutePath rootDirectory, CancellationToken cancellationToken)
{
    private const int LogTailLines = 25;
    private static readonly TimeSpan s_clusterTimeout = TimeSpan.FromSeconds(180);

    public AbsolutePath ComposeFile => rootDirectory / HaTopology.ComposeFile;

    public ComposeProject Project(string environment, HaState state, EnvironmentSecrets secrets, HaSecrets haSecrets) =>
        new(docker, ComposeFile, EnvironmentNames.ProjectName(environment), state.Variables(secrets, haSecrets), [.. secrets.All, .. haSecrets.All]);

    /// <summary>PostgreSQL's superuser through the write endpoint (the leader).</summary>
    public static string SuperuserConnectionString(HaState state, HaSecrets secrets) => new Npgsql.NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = state.Ports.Write, Database = LocalEnvironment.DatabaseName, Username = HaTopology.Superuser,
        Password = secrets.Superuser, Timeout = 15, Pooling = false,
    }.ConnectionString;

    public static PatroniClient Patroni(HaState state, HaSecrets? secrets) =>
        new(state.Ports.Patroni.Select(PatroniClient.Local).ToList(), HaTopology.PatroniApiUser, secrets?.PatroniApi);

    public async Task<IReadOnlyList<ComposeContainer>> RunningContainersAsync(string environment) =>
        (await docker.ListContainersAsync(EnvironmentNames.ProjectName(environment), all: false)).Where(c => !c.OneOff && c.IsRunning).ToList();

    /// <summary>Builds the Patroni image (FROM postgres:13.5 plus Debian's patroni) unless this content was built before.</summary>
    public async Task BuildPatroniImageAsync(string image)
    {
        if (await docker.ImageExistsAsync(image))
            return;
        console.WriteLine($"Building {image} from {HaTopology.PatroniImageContext}/Dockerfile");
        await docker.RunAsync(["build", "-t", image, rootDirectory / HaTopology.PatroniImageContext], new ProcessOptions { Echo = false });
    }

    /// <summary>
    /// Up of the ha topology: the Patroni image, secrets generated on the first Up, then the services one step at a time.
    /// On failure it removes what it started (and the data volumes when this run created them).
    /// </summary>
    public async Task UpAsync(UpPlan plan, string apiImage, AbsolutePath? dump)
    {
        var layout = plan.Ha ?? throw new InvalidOperationException("An ha plan names its ports.");
        var state = new HaState(layout.Ports, layout.ApiReplicas, apiImage, HaTopology.PatroniImage(rootDirectory));
        var own = (await RunningContainersAsync(plan.Name)).SelectMany(c => c.Ports).Select(p => p.HostPort).ToHashSet();
        foreach (var port in state.Ports.All.Where(p => !own.Contains(p) && !PostgresCluster.IsPortFree(p)))
            throw new BuildFailedException($"Port {port} on 127.0.0.1 is already in use (choose others with {HaPlan.PortOptions}).");
        await BuildPatroniImageAsync(state.PatroniImage);
        var secrets = HaSecrets.LoadOrCreate(plan.Store);
        var project = Project(plan.Name, state, plan.Secrets, secrets);
        var volumesBefore = await docker.ListVolumesAsync(project.Name);
        plan.Store.Save(new EnvironmentState
        {
            Name = plan.Name, Runtime = EnvironmentRuntime.Docker, Project = project.Name, ApiPort = plan.ApiPort, DbPort = plan.DbPort,
            DbImage = state.PatroniImage, ApiImage = apiImage, Topology = Topology.Ha, AddOns = plan.Shape.AddOns, Ha = state,
        });
        try
        {
            await StartAsync(plan, project, state, secrets, dump);
        }
        catch (Exception ex)
        {
            var removeVolumes = volumesBefore.Count == 0;
            console.WriteLine("Up failed; removing what this run started" +
                              (removeVolumes ? " (with the data volumes it created)." : " (keeping the data volumes, which existed before)."));
            await project.RunAsync(["down", "--remove-orphans", .. removeVolumes ? new[] { "--volumes" } : []], checkExitCode: false, evenWhenCancelled: true);
            if (removeVolumes)
                HaSecrets.Delete(plan.Store);
            throw new BuildFailedException($"Up of environment '{plan.Name}' (ha topology) failed: {(ex is OperationCanceledException ? "cancelled" : ex.Message)}", ex);
        }
    }

    private async Task StartAsync(UpPlan plan, ComposeProject project, HaState state, HaSecrets secrets, AbsolutePath? dump)
    {
        var environment = plan.Name;
        using var patroni = Patroni(state, secrets);
        string[] logsOf = [.. HaTopology.EtcdServices, .. HaTopology.PatroniServices, HaTopology.HaproxyService];
        var step = "starting etcd, the three PostgreSQL nodes under Patroni and HAProxy";
        try
        {
            await project.RunAsync(["up", "-d", "--wait", .. logsOf]);
            step = "waiting for a leader and a synchronous standby";
            logsOf = [.. HaTopology.PatroniServices];
            var cluster = await WaitForClusterAsync(patroni, c => c.Leader is not null && c.SyncStandby is not null, s_clusterTimeout);
            console.WriteLine($"Cluster: leader {cluster.Leader!.Name}, synchronous standby {cluster.SyncStandby!.Name}");
            step = $"applying the migrations and loading {(dump is null ? "the seed" : dump)} through the write endpoint (one-shot job seed)";
            logsOf = [HaTopology.HaproxyService];
            await project.RunAsync(["run", "--rm", "--no-deps", .. DockerEnvironment.SeedJobArguments(dump)]);
            // As the cluster's superuser, as the local runtime does: the owner of the tables is no superuser and may not create roles.
            step = $"creating the service role {EnvironmentSecrets.ServiceUser} through the write endpoint";
            await ServiceRole.EnsureAsync(SuperuserConnectionString(state, secrets), EnvironmentSecrets.ServiceUser, plan.Secrets.ServicePassword, cancellationToken);
            step = $"starting {state.ApiReplicas} API replica(s) ({state.ApiImage})";
            logsOf = [HaTopology.ApiService, HaTopology.HaproxyService];
            await ScaleApiAsync(project, state.ApiReplicas, recreate: true);
            step = $"waiting until HAProxy routes to {state.ApiReplicas} ready API replica(s)";
            await WaitForApiServersAsync(environment, state.ApiReplicas, TimeSpan.FromSeconds(60));
            var answer = await ServiceProbe.WaitUntilReadyAsync(state.Ports.Api, TimeSpan.FromSeconds(30), () => true, cancellationToken);
            if (!answer.Ready)
                throw new BuildFailedException($"the API endpoint answers: {answer.Detail}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var logs = await project.LogsTailAsync(LogTailLines, logsOf);
            throw new BuildFailedException($"{step}: {ex.Message}{Environment.NewLine}Last log lines of {string.Join(", ", logsOf)}:{Environment.NewLine}{logs}", ex);
        }
    }

    /// <summary>Brings the API service to <paramref name="replicas"/> containers; without <paramref name="recreate"/> running ones stay as they are.</summary>
    public Task ScaleApiAsync(ComposeProject project, int replicas, bool recreate) =>
        project.RunAsync(["up", "-d", "--wait", "--no-deps", .. recreate ? Array.Empty<string>() : ["--no-recreate"],
            "--scale", $"{HaTopology.ApiService}={replicas.ToString(CultureInfo.InvariantCulture)}", HaTopology.ApiService]);

    /// <summary>
    /// Removes the containers and network (and with <paramref name="volumes"/> every data volume of the project and the
    /// secrets the data was made with). False when no container existed.
    /// </summary>
    public async Task<bool> DownAsync(EnvironmentStore store, HaState? state, bool volumes)
    {
        var name = EnvironmentNames.ProjectName(store.Name);
        var containers = await docker.ListContainersAsync(name, all: true);
        if (containers.Count > 0)
        {
            // compose.yaml insists on its variables even to remove things; none is used.
            var project = Project(store.Name, state ?? new HaState(new HaPorts(1, 1, 1, 1, [1, 1, 1]), 1, "unused", "unused"), EnvironmentSecrets.Unused,
                new HaSecrets("unused", "unused", "unused"));
            await project.RunAsync(["down", "--remove-orphans", .. volumes ? new[] { "--volumes" } : []]);
        }

        var left = volumes ? await docker.ListVolumesAsync(name) : [];
        if (left.Count > 0)
            await docker.RunAsync(["volume", "rm", .. left]);
        if (volumes)
            HaSecrets.Delete(store);
        if (containers.Count > 0 || left.Count > 0)
        {
            console.WriteLine(volumes
                ? $"Removed the containers, network and data volumes of {name} (ha topology), and its database secrets."
                : $"Removed the containers and network of {name} (ha topology); its data volumes are kept (--volumes deletes them).");
        }

        return containers.Count > 0;
    }

    public async Task<PatroniCluster> WaitForClusterAsync(PatroniClient patroni, Func<PatroniCluster, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (clock.Elapsed < timeout)
        {
            try
            {
                var cluster = await patroni.ReadClusterAsync(cancellationToken);
                if (condition(cluster))
                    return cluster;
                last = Describe(cluster);
            }
            catch (PatroniException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        throw new BuildFailedException($"the cluster did not get there within {timeout.TotalSeconds:0} s; last seen: {last}");
    }

    /// <summary>Waits until HAProxy has at least <paramref name="replicas"/> API servers up.</summary>
    public async Task<IReadOnlyList<HaproxyServer>> WaitForApiServersAsync(string environment, int replicas, TimeSpan timeout)
    {
        var runtime = await RuntimeApiAsync(environment);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<HaproxyServer> servers = [];
        while (clock.Elapsed < timeout)
        {
            servers = await runtime.ServersAsync(HaTopology.ApiBackend, cancellationToken);
            if (servers.Count(s => s.IsUp) >= replicas)
                return servers;
            // Each look is a `docker exec`, which costs a busy small machine more than a second's wait.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }

        throw new BuildFailedException($"HAProxy has {servers.Count(s => s.IsUp)} of {replicas} API replicas up after {timeout.TotalSeconds:0} s: " +
                                       string.Join(", ", servers.Where(s => s.HasAddress).Select(s => $"{s.Name} {s.Address} {s.Status}")));
    }

    /// <summary>HAProxy's runtime API, reached through <c>docker exec</c> (it listens on 127.0.0.1 inside the container).</summary>
    public async Task<HaproxyRuntimeApi> RuntimeApiAsync(string environment)
    {
        var haproxy = (await RunningContainersAsync(environment)).FirstOrDefault(c => c.Service == HaTopology.HaproxyService)
            ?? throw new BuildFailedException($"HAProxy of environment '{environment}' is not running.");
        return HaproxyRuntimeApi.OverDockerExec(docker, haproxy.Id, HaTopology.RuntimeApiPort);
    }

    public static string Describe(PatroniCluster cluster) =>
        cluster.Members.Count == 0
            ? "no members"
            : string.Join(", ", cluster.Members.Select(m => $"{m.Name} {m.RoleName} ({m.State})"));
}
