using Rates.EmbeddedPostgres;

namespace Rates.Build.Environments;

/// <summary>
/// The docker runtime: compose.yaml as the compose project <c>rates-&lt;env&gt;</c>. Up runs the services one step at a
/// time (database, then the one-shot migrate/seed job, then the service) so that each failure names its step, and so
/// it behaves the same with Compose v2 and with a v1-based <c>docker compose</c> whose <c>up --wait</c> counts an exited
/// one-shot container as a failure.
/// </summary>
internal sealed class DockerEnvironment(IAnsiConsole console, DockerCli docker, AbsolutePath composeFile)
{
    public const string DbService = "db";
    public const string SeedService = "seed";
    public const string ApiService = "api";

    /// <summary>Ports inside the containers (compose.yaml).</summary>
    public const int DbContainerPort = 5432;
    public const int ApiContainerPort = 3000;

    /// <summary>Where DbSeed mounts a dump inside the seed job's container.</summary>
    private const string DumpMountPath = "/dump/input.sql";

    private const int LogTailLines = 25;

    public ComposeProject Project(string environment, string? password, int? apiPort = null, int? dbPort = null,
        string? dbImage = null, string? apiImage = null) =>
        new(docker, composeFile, EnvironmentNames.ProjectName(environment),
            ComposeProject.Variables(password, apiPort, dbPort, dbImage, apiImage), password);

    /// <summary>Running containers of the environment (the seed job's one-off containers excluded).</summary>
    public async Task<IReadOnlyList<ComposeContainer>> RunningServicesAsync(string environment) =>
        (await docker.ListContainersAsync(EnvironmentNames.ProjectName(environment), all: false)).Where(c => !c.OneOff && c.IsRunning).ToList();

    public async Task UpAsync(UpPlan plan, string dbImage, string apiImage)
    {
        var project = Project(plan.Name, plan.Password, plan.ApiPort, plan.DbPort, dbImage, apiImage);
        // Checked again right before starting: building the image took a while. The environment's own ports are fine.
        var own = (await RunningServicesAsync(plan.Name)).SelectMany(c => c.Ports).Select(p => p.HostPort).ToHashSet();
        foreach (var (service, port) in new[] { ("API", plan.ApiPort), ("Database", plan.DbPort) })
        {
            if (!own.Contains(port) && !PostgresCluster.IsPortFree(port))
                throw new BuildFailedException($"{service} port: {PortAllocator.InUseMessage(port)}.");
        }

        // Data that existed before this Up is kept whatever happens; a volume this Up creates goes if it fails.
        var volumesBefore = await docker.ListVolumesAsync(project.Name);
        plan.Store.Save(new EnvironmentState
        {
            Name = plan.Name,
            Runtime = EnvironmentRuntime.Docker,
            Project = project.Name,
            ApiPort = plan.ApiPort,
            DbPort = plan.DbPort,
            DbImage = dbImage,
            ApiImage = apiImage,
        });

        var step = $"starting the database (service {DbService}, {dbImage})";
        // The logs that explain a failure of the step (the seed job's own output is in the error already).
        string[] logsOf = [DbService];
        try
        {
            await project.RunAsync(["up", "-d", "--wait", DbService]);
            step = $"applying the migrations and loading the seed into an empty database (one-shot job {SeedService})";
            await project.RunAsync(["run", "--rm", "--no-deps", SeedService]);
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

        var project = Project(store.Name, store.ReadPassword());
        await project.RunAsync(["down", "--remove-orphans", .. volumes ? new[] { "--volumes" } : []]);
        console.WriteLine(volumes
            ? $"Removed the containers, network and data volume of {name}."
            : $"Removed the containers and network of {name}; its data volume is kept (--volumes deletes it).");
        return true;
    }

    /// <summary>
    /// Reloads the data through the one-shot seed job: the project's seed (baked into the image) or
    /// <paramref name="dump"/>, mounted read-only into the job's container.
    /// </summary>
    public async Task SeedAsync(EnvironmentStore store, EnvironmentState? state, string password, int dbPort, AbsolutePath? dump)
    {
        var project = Project(store.Name, password, state?.ApiPort, dbPort, state?.DbImage, state?.ApiImage);
        var arguments = new List<string> { "run", "--rm", "--no-deps" };
        if (dump is not null)
        {
            if (dump.ToString().Contains(':', StringComparison.Ordinal))
                throw new BuildFailedException($"--dump {dump}: a path with ':' cannot be mounted into a container; copy or link the file elsewhere.");
            arguments.AddRange(["-v", $"{dump}:{DumpMountPath}:ro"]);
        }

        arguments.AddRange([SeedService, "seed"]);
        if (dump is not null)
            arguments.AddRange(["--file", DumpMountPath]);
        arguments.Add("--force");
        try
        {
            await project.RunAsync(arguments);
        }
        catch (ProcessFailedException ex)
        {
            throw new BuildFailedException($"Loading {(dump is null ? "the project's seed" : dump)} into environment '{store.Name}' failed: {ex.Message}", ex);
        }
    }

    private static string Indent(string text) => string.Join(Environment.NewLine, text.Split('\n').Select(l => "  " + l));
}
