using Rates.Build.HighAvailability;
using Rates.EmbeddedPostgres;

namespace Rates.Build.Environments;

/// <summary>
/// The docker runtime: compose.yaml as the compose project <c>rates-&lt;env&gt;</c>. Up runs the services one step at a
/// time (database, then the one-shot migrate/seed job, then the service) so that each failure names its step, and so
/// it behaves the same with Compose v2 and with a v1-based <c>docker compose</c> whose <c>up --wait</c> counts an exited
/// one-shot container as a failure.
/// </summary>
internal sealed class DockerEnvironment(IAnsiConsole console, DockerCli docker, AbsolutePath rootDirectory, CancellationToken cancellationToken)
    : IEnvironmentRuntime
{
    public const string DbService = "db";
    public const string SeedService = "seed";
    public const string ApiService = "api";

    /// <summary>Ports inside the containers (compose.yaml).</summary>
    public const int DbContainerPort = 5432;
    public const int ApiContainerPort = 3000;
    /// <summary>compose.yaml: the service's management port (<c>Metrics__Port</c>), not published.</summary>
    public const int MetricsContainerPort = 9464;

    /// <summary>Where DbSeed mounts a dump inside the seed job's container.</summary>
    private const string DumpMountPath = "/dump/input.sql";

    private const int LogTailLines = 25;

    public EnvironmentRuntime Kind => EnvironmentRuntime.Docker;

    /// <summary>The compose files of a shape: the topology's file, then one per add-on. The one place a new topology or add-on names its files.</summary>
    public IReadOnlyList<AbsolutePath> ComposeFiles(EnvironmentShape shape)
    {
        AbsolutePath topology = shape.Topology switch
        {
            Topology.Single => rootDirectory / "compose.yaml",
            Topology.Ha => rootDirectory / HaTopology.ComposeFile,
            _ => throw new BuildFailedException($"The docker runtime has no compose file for the {shape.Topology} topology."),
        };
        return [topology];
    }

    public void CheckSupports(EnvironmentShape shape) => ComposeFiles(shape);

    /// <summary>The ha topology's steps (deploy/ha/).</summary>
    public HaEnvironment Ha => new(console, docker, rootDirectory, cancellationToken);

    /// <summary>The compose project of a running environment, whatever its topology.</summary>
    public ComposeProject ProjectOf(RunningEnvironment environment, string password) =>
        environment.State?.Ha is { } ha && environment.Shape.Topology == Topology.Ha
            ? Ha.Project(environment.Name, ha, environment.Secrets(password), HaSecrets.Load(environment.Store) ?? new HaSecrets("unused", "unused", "unused"))
            : Project(environment.Name, environment.Secrets(password), environment.State?.ApiPort, environment.DbPort, environment.State?.DbImage,
                environment.State?.ApiImage, environment.Shape);

    public ComposeProject Project(string environment, EnvironmentSecrets? secrets, int? apiPort = null, int? dbPort = null,
        string? dbImage = null, string? apiImage = null, EnvironmentShape? shape = null)
    {
        var files = ComposeFiles(shape ?? EnvironmentShape.Default);
        return new(docker, files[0], EnvironmentNames.ProjectName(environment),
            ComposeProject.Variables(secrets, apiPort, dbPort, dbImage, apiImage), secrets?.All ?? [], files.Skip(1).ToList());
    }

    public async Task<RunningEnvironment?> InspectAsync(EnvironmentStore store, EnvironmentState? state)
    {
        if (!(await docker.ProbeAsync()).Reachable)
            return null;
        var services = await RunningServicesAsync(store.Name);
        if (services.Count == 0)
            return null;
        if (state?.Topology == Topology.Ha || services.Any(c => c.Service == HaTopology.HaproxyService))
        {
            // The ports the containers publish now; the API and the database are HAProxy's endpoints.
            var haproxy = services.FirstOrDefault(c => c.Service == HaTopology.HaproxyService);
            if (state?.Ha is { } ha && HaPorts.Of(services) is { } ports)
                state = state with { Ha = ha with { Ports = ports } };
            return new RunningEnvironment(store, state, this, new EnvironmentShape(Topology.Ha, state?.AddOns ?? EnvironmentAddOns.None),
                haproxy?.HostPortFor(HaTopology.ApiFrontPort), haproxy?.HostPortFor(HaTopology.WritePort));
        }

        return new RunningEnvironment(store, state, this, state?.Shape ?? EnvironmentShape.Default,
            services.FirstOrDefault(c => c.Service == ApiService)?.HostPortFor(ApiContainerPort),
            services.FirstOrDefault(c => c.Service == DbService)?.HostPortFor(DbContainerPort));
    }

    public async Task<IReadOnlySet<int>> OwnPortsAsync(EnvironmentStore store, EnvironmentState? state) =>
        (await docker.ProbeAsync()).Reachable
            ? (await RunningServicesAsync(store.Name)).SelectMany(c => c.Ports).Select(p => p.HostPort).ToHashSet()
            : new HashSet<int>();

    public async Task<bool> HasDataAsync(EnvironmentStore store) =>
        (await docker.ProbeAsync()).Reachable && (await docker.ListVolumesAsync(EnvironmentNames.ProjectName(store.Name))).Count > 0;

    public Task UpAsync(UpPlan plan, UpInputs inputs)
    {
        var apiImage = inputs.ApiImage ?? throw new BuildFailedException("Up on docker needs the service image; build it with ./build.sh Image.");
        return plan.Shape.Topology == Topology.Ha
            ? Ha.UpAsync(plan, apiImage, inputs.Dump)
            : UpAsync(plan, inputs.DbImage ?? throw new BuildFailedException("--db-image is empty; name a PostgreSQL 13 image, e.g. postgres:13.5 (the default)."),
                apiImage, inputs.Dump);
    }

    public async Task<bool> DownAsync(EnvironmentStore store, EnvironmentState? state, bool volumes)
    {
        var containers = await docker.ListContainersAsync(EnvironmentNames.ProjectName(store.Name), all: true);
        return state?.Topology == Topology.Ha || containers.Any(c => c.Service == HaTopology.HaproxyService)
            ? await Ha.DownAsync(store, state?.Ha, volumes)
            : await DownAsync(store, volumes);
    }

    public async Task SeedAsync(RunningEnvironment environment, string password, AbsolutePath? dump, AbsolutePath seedFile)
    {
        var project = ProjectOf(environment, password);
        try
        {
            await project.RunAsync(["run", "--rm", "--no-deps", .. SeedJobArguments(dump), "--force"]);
        }
        catch (ProcessFailedException ex)
        {
            throw new BuildFailedException($"Loading {(dump is null ? "the project's seed" : dump)} into environment '{environment.Name}' failed: {ex.Message}", ex);
        }
    }

    public Task WriteDetailsAsync(RunningEnvironment environment) =>
        environment.Shape.Topology == Topology.Ha && environment.State?.Ha is { } ha
            ? new HaStatus(console, docker, Ha, cancellationToken).WriteAsync(environment.Name, ha)
            : Task.CompletedTask;

    public async Task<(string Services, string Health, string Ports)> StatusAsync(RunningEnvironment environment)
    {
        if (environment.Shape.Topology == Topology.Ha)
            return await HaStatus.CellsAsync(await RunningServicesAsync(environment.Name), environment.ApiPort, cancellationToken);
        var services = (await RunningServicesAsync(environment.Name))
            .OrderBy(c => c.Service == DbService ? 0 : 1).ThenBy(c => c.Service, StringComparer.Ordinal).ToList();
        var health = new List<string>();
        var ports = new List<string>();
        foreach (var container in services)
        {
            var hostPort = container.HostPortFor(container.Service == ApiService ? ApiContainerPort : DbContainerPort);
            var detail = container.Health;
            if (container.Service == ApiService && hostPort is { } apiPort)
                detail += $", {(await ServiceProbe.ReadyAsync(apiPort, cancellationToken)).Detail}";
            health.Add($"{container.Service}: {detail}");
            if (hostPort is not null)
                ports.Add($"{container.Service} {hostPort}");
        }

        return (string.Join(", ", services.Select(c => c.Service)), string.Join("; ", health), string.Join(", ", ports));
    }

    public async Task<(string Detail, string ServiceDotNet, IReadOnlyList<string> Notes)> DescribeAsync(RunningEnvironment environment, string password)
    {
        var engine = await docker.ProbeAsync();
        var result = await ProjectOf(environment, password)
            .RunAsync(["exec", "-T", ApiService, "dotnet", "--list-runtimes"], echo: false, checkExitCode: false);
        var runtime = result.Output.FirstOrDefault(l => l.StartsWith("Microsoft.NETCore.App ", StringComparison.Ordinal));
        var dotnet = runtime is null
            ? "the api image's runtime (could not be read)"
            : $".NET {runtime.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]} (in the api image)";
        var detail = $"compose project {EnvironmentNames.ProjectName(environment.Name)} (docker {engine.Detail}): its db service (the server as measured " +
                     $"below) and image {environment.State?.ApiImage ?? "(unknown)"}; service build Release (src/Rates.Api/Dockerfile)";
        return (detail, dotnet, []);
    }

    /// <summary>Running containers of the environment (the seed job's one-off containers excluded).</summary>
    public async Task<IReadOnlyList<ComposeContainer>> RunningServicesAsync(string environment) =>
        (await docker.ListContainersAsync(EnvironmentNames.ProjectName(environment), all: false)).Where(c => !c.OneOff && c.IsRunning).ToList();

    public async Task UpAsync(UpPlan plan, string dbImage, string apiImage, AbsolutePath? dump)
    {
        var project = Project(plan.Name, plan.Secrets, plan.ApiPort, plan.DbPort, dbImage, apiImage, plan.Shape);
        // Checked again right before starting: building the image took a while. The environment's own ports are fine.
        var own = (await RunningServicesAsync(plan.Name)).SelectMany(c => c.Ports).Select(p => p.HostPort).ToHashSet();
        foreach (var (service, port) in new[] { ("API", plan.ApiPort), ("Database", plan.DbPort) })
        {
            if (!own.Contains(port) && !PostgresCluster.IsPortFree(port))
                throw new BuildFailedException($"{service} port: {PortAllocator.InUseMessage(port)}.");
        }

        // Data that existed before this Up is kept whatever happens; a volume this Up creates goes if it fails.
        var volumesBefore = await docker.ListVolumesAsync(project.Name);
        plan.Store.Save(plan.State() with { Project = project.Name, DbImage = dbImage, ApiImage = apiImage });

        var step = $"starting the database (service {DbService}, {dbImage})";
        // The logs that explain a failure of the step (the seed job's own output is in the error already).
        string[] logsOf = [DbService];
        try
        {
            await project.RunAsync(["up", "-d", "--wait", DbService]);
            step = $"applying the migrations and loading {(dump is null ? "the seed" : dump)} into an empty database (one-shot job {SeedService})";
            await project.RunAsync(["run", "--rm", "--no-deps", .. SeedJobArguments(dump)]);
            step = $"starting the service (service {ApiService}, {apiImage})";
            logsOf = [ApiService];
            await project.RunAsync(["up", "-d", "--wait", "--no-deps", ApiService]);
            step = $"checking {ServiceProbe.BaseUrl(plan.ApiPort)}/health/ready from the host";
            var answer = await ServiceProbe.WaitUntilReadyAsync(plan.ApiPort, TimeSpan.FromSeconds(30), () => true, CancellationToken.None);
            if (!answer.Ready)
                throw new BuildFailedException($"the service's published port answers: {answer.Detail}");
        }
        catch (Exception ex)
        {
            var logs = await project.LogsTailAsync(LogTailLines, logsOf);
            var removeVolumes = volumesBefore.Count == 0;
            console.WriteLine($"Up failed while {step}; removing what this run started" +
                (removeVolumes ? " (with the data volume it created)." : " (keeping the data volume, which existed before)."));
            await project.RunAsync(["down", "--remove-orphans", .. removeVolumes ? new[] { "--volumes" } : []],
                checkExitCode: false, evenWhenCancelled: true);
            var reason = ex is OperationCanceledException ? "cancelled" : ex.Message;
            throw new BuildFailedException(
                $"Up of environment '{plan.Name}' (docker runtime) failed while {step}: {reason}{Environment.NewLine}" +
                $"Last log lines of {string.Join(" and ", logsOf)}:{Environment.NewLine}{Indent(logs)}{Environment.NewLine}" +
                $"Removed the containers of {project.Name}{(removeVolumes ? " and its new data volume" : "")}.", ex);
        }
    }

    /// <summary>Removes the project's containers (and volumes with <paramref name="volumes"/>). Returns false when nothing existed.</summary>
    public async Task<bool> DownAsync(EnvironmentStore store, bool volumes)
    {
        var name = EnvironmentNames.ProjectName(store.Name);
        var containers = await docker.ListContainersAsync(name, all: true);
        var existingVolumes = await docker.ListVolumesAsync(name);
        if (containers.Count == 0)
        {
            if (volumes && existingVolumes.Count > 0)
            {
                await docker.RunAsync(["volume", "rm", .. existingVolumes]);
                console.WriteLine($"Deleted the data volume(s) of {name}: {string.Join(", ", existingVolumes)}");
            }

            return false;
        }

        var project = Project(store.Name, store.ReadSecrets(), shape: store.Load()?.Shape);
        await project.RunAsync(["down", "--remove-orphans", .. volumes ? new[] { "--volumes" } : []]);
        console.WriteLine(volumes
            ? $"Removed the containers, network and data volume of {name}."
            : $"Removed the containers and network of {name}; its data volume is kept (--volumes deletes it).");
        return true;
    }

    /// <summary>The seed job with <paramref name="dump"/> (when given) mounted read-only and loaded instead of the image's seed.</summary>
    public static List<string> SeedJobArguments(AbsolutePath? dump)
    {
        if (dump is null)
            return [SeedService, "seed"];
        if (dump.ToString().Contains(':', StringComparison.Ordinal))
            throw new BuildFailedException($"--dump {dump}: a path with ':' cannot be mounted into a container; copy or link the file elsewhere.");
        return ["-v", $"{dump}:{DumpMountPath}:ro", SeedService, "seed", "--file", DumpMountPath];
    }

    private static string Indent(string text) => string.Join(Environment.NewLine, text.Split('\n').Select(l => "  " + l));
}
