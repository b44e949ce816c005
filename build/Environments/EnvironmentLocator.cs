namespace Rates.Build.Environments;

/// <summary>
/// Answers, for every target, "the environment NAME: is it up, on which runtime, with which shape, on which ports, with
/// which credentials", and takes environments down on whichever runtime holds them. Local first: asking Docker can take
/// seconds.
/// </summary>
internal sealed class EnvironmentLocator(IAnsiConsole console, AbsolutePath temporaryDirectory, DockerCli docker,
    DockerEnvironment dockerRuntime, LocalEnvironment localRuntime)
{
    public IEnvironmentRuntime Runtime(EnvironmentRuntime kind) => kind switch
    {
        EnvironmentRuntime.Docker => dockerRuntime,
        EnvironmentRuntime.Local => localRuntime,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "auto is decided before a runtime is asked"),
    };

    public EnvironmentStore Store(string name) => new(temporaryDirectory, EnvironmentNames.Validate(name));

    /// <summary>What of the environment runs on docker and locally (docker only when an engine answers).</summary>
    public async Task<(RunningEnvironment? Docker, RunningEnvironment? Local, DockerEngine Engine)> InspectAsync(EnvironmentStore store, EnvironmentState? state)
    {
        var engine = await docker.ProbeAsync();
        var onDocker = engine.Reachable ? await dockerRuntime.InspectAsync(store, state) : null;
        return (onDocker, await localRuntime.InspectAsync(store, state), engine);
    }

    /// <summary>The running environment <paramref name="name"/>, on <paramref name="requested"/> or whichever runtime it is up with.</summary>
    /// <exception cref="BuildFailedException">It is not up (with the requested runtime), or it runs on docker and no engine answers.</exception>
    public async Task<RunningEnvironment> FindRunningAsync(string name, EnvironmentRuntime requested)
    {
        var store = Store(name);
        var state = store.Load();
        var local = requested == EnvironmentRuntime.Docker ? null : await localRuntime.InspectAsync(store, state);
        RunningEnvironment? onDocker = null;
        if (local is null && requested != EnvironmentRuntime.Local)
        {
            var engine = await docker.ProbeAsync();
            if (engine.Reachable)
                onDocker = await dockerRuntime.InspectAsync(store, state);
            else if (requested == EnvironmentRuntime.Docker || state?.Runtime == EnvironmentRuntime.Docker)
                throw new BuildFailedException($"Environment '{store.Name}' runs on docker, but the {engine.NotReachableMessage}");
        }

        var runtime = RuntimeSelection.ForRunning(store.Name, requested, onDocker is not null, local is not null);
        return runtime == EnvironmentRuntime.Docker ? onDocker! : local!;
    }

    /// <summary>The environment's service answers /health/ready.</summary>
    /// <exception cref="BuildFailedException">It does not run or is not ready.</exception>
    public static async Task RequireReadyServiceAsync(RunningEnvironment environment, CancellationToken cancellationToken)
    {
        var up = RuntimeSelection.UpCommand(environment.Name);
        if (environment.ApiPort is not { } port)
            throw new BuildFailedException($"Environment '{environment.Name}' is not up (its service is not running); run {up}");
        var ready = await ServiceProbe.ReadyAsync(port, cancellationToken);
        if (!ready.Ready)
        {
            throw new BuildFailedException(
                $"The service of environment '{environment.Name}' ({ServiceProbe.BaseUrl(port)}) is {ready.Detail} on /health/ready; " +
                $"see ./build.sh Status, or run {up} again.");
        }
    }

    /// <summary>Every environment that is up, docker and local, by name; and whether Docker could be asked.</summary>
    public async Task<(IReadOnlyList<RunningEnvironment> Running, DockerEngine Engine)> ListRunningAsync()
    {
        var running = new List<RunningEnvironment>();
        var engine = await docker.ProbeAsync();
        if (engine.Reachable)
        {
            var names = (await docker.ListContainersAsync(project: null, all: false))
                .Where(c => !c.OneOff && c.IsRunning)
                .Select(c => EnvironmentNames.FromProjectName(c.Project))
                .OfType<string>().Distinct();
            foreach (var name in names)
            {
                var store = new EnvironmentStore(temporaryDirectory, name);
                if (await dockerRuntime.InspectAsync(store, store.Load()) is { } environment)
                    running.Add(environment);
            }
        }

        foreach (var name in EnvironmentStore.ListNames(temporaryDirectory))
        {
            var store = new EnvironmentStore(temporaryDirectory, name);
            if (store.Load() is { Runtime: EnvironmentRuntime.Local } state && await localRuntime.InspectAsync(store, state) is { } environment)
                running.Add(environment);
        }

        return (running.OrderBy(e => e.Name, StringComparer.Ordinal).ToList(), engine);
    }

    /// <summary>
    /// Takes the environment down on every runtime that may hold it (<paramref name="requested"/>, or both); with
    /// <paramref name="volumes"/> also its data, and its folder with the stored credentials once no data is left.
    /// </summary>
    /// <returns>What happened, for the user.</returns>
    public async Task<string> DownAsync(string name, EnvironmentRuntime requested, bool volumes)
    {
        var store = Store(name);
        var state = store.Load();
        var project = EnvironmentNames.ProjectName(store.Name);
        var (checkDocker, checkLocal) = (requested != EnvironmentRuntime.Local, requested != EnvironmentRuntime.Docker);
        var wasUp = false;
        var note = "";
        var engine = await docker.ProbeAsync();
        if (checkDocker && engine.Reachable)
            wasUp |= await dockerRuntime.DownAsync(store, state, volumes);
        else if (checkDocker && (requested == EnvironmentRuntime.Docker || state?.Runtime == EnvironmentRuntime.Docker))
            throw new BuildFailedException($"Environment '{store.Name}' runs on docker, but the {engine.NotReachableMessage}");
        else if (checkDocker)
            note = $" (no Docker engine answered ({engine.Detail}), so only local processes were looked for)";
        if (checkLocal)
            wasUp |= await localRuntime.DownAsync(store, state, volumes);

        if (volumes && store.Exists)
        {
            var dockerDataLeft = !checkDocker && engine.Reachable && await dockerRuntime.HasDataAsync(store);
            if (!dockerDataLeft && !await localRuntime.HasDataAsync(store))
            {
                store.Delete();
                console.WriteLine($"Deleted {store.Directory.RelativeTo(BuildBase.RootDirectory)} (data, credentials, state, logs).");
            }
            else
            {
                console.WriteLine($"Deleted the {(checkLocal ? "local" : "docker")} data of '{store.Name}'; kept {store.Directory.RelativeTo(BuildBase.RootDirectory)} for the data of the other runtime.");
            }
        }

        return wasUp
            ? $"Environment '{store.Name}' is down.{note}"
            : $"Environment '{store.Name}' is not up: no containers of compose project {project} and no local processes " +
              $"of {store.Directory.RelativeTo(BuildBase.RootDirectory)}; nothing to stop.{note}";
    }
}
