using System.Globalization;
using System.Net.Sockets;
using Rates.Build.Environments;
using Rates.EmbeddedPostgres;
using Spectre.Console.Rendering;

/// <summary>
/// Environments as code: Up / Down / Status / DbSeed of named environments (database, migrate/seed job, service),
/// with containers (docker compose) or, where no Docker engine answers, as native processes (local).
/// </summary>
partial class Build
{
    [Parameter("Runtime of Up: docker (docker compose), local (embedded PostgreSQL and the published service as processes) or " +
               "auto (docker when `docker info` answers, else local). Down, Status and DbSeed find the runtime an environment uses.")]
    readonly EnvironmentRuntime Runtime = EnvironmentRuntime.Auto;

    [Parameter("Name of the environment (lower-case letters, digits and '-'): compose project rates-<env>, data and ports of its own, " +
               "so several run side by side.")]
    readonly string Env = EnvironmentNames.Default;

    [Parameter("Port of the service on 127.0.0.1. Default: the port of the environment's last Up, else 3000 for dev when free, else a free port.",
        Minimum = 1, Maximum = 65535)]
    readonly int? ApiPort;

    [Parameter("Port of PostgreSQL on 127.0.0.1. Default: the port of the environment's last Up, else 5432 for dev when free, else a free port.",
        Minimum = 1, Maximum = 65535)]
    readonly int? DbPort;

    [Parameter("Down: also delete the environment's data (the docker volume or the local cluster) and its stored password.")]
    readonly bool Volumes;

    [Parameter("DbSeed: a pg_dump plain SQL file to load instead of the project's seed, e.g. the original service's rates.sql (see the README's Data section).")]
    readonly AbsolutePath? Dump;

    [Parameter("Local runtime: the bin folder of an installed PostgreSQL 13 server (initdb, pg_ctl, postgres), instead of the " +
               "embedded binaries downloaded from npm (needed where no package fits the platform).")]
    readonly AbsolutePath? PgBin;

    [Parameter("Database password of the environment. Default: generated on its first Up and kept in .nuke/temp/<env>/db-password " +
               "(mode 0600, git-ignored), so later runs from any shell use the same.")]
    [Secret]
    readonly string? DbPassword;

    [Parameter("PostgreSQL image of the docker runtime.")]
    readonly string DbImage = "postgres:13.5";

    const int DefaultApiPort = 3000;
    const int DefaultDbPort = 5432;

    static AbsolutePath ComposeFile => RootDirectory / "compose.yaml";

    UpPlan? _upPlan;

    DockerEnvironment DockerRuntime => new(Output, Docker, ComposeFile);

    LocalEnvironment LocalRuntime => new(Output, Processes, CancellationToken);

    Target PrepareEnvironment => _ => _
        .Description("First step of Up: checks --env, picks the runtime (auto: docker when an engine answers, else local), " +
                     "the ports and the password, before Image or Publish spend time.")
        .Before(Image, Restore)
        .Executes(PrepareUpAsync);

    Target Up => _ => _
        .Description("Brings the environment up (database, migrations and seed, service), waits until it is healthy and prints " +
                     "the URLs and an example curl. Running it again changes nothing; on failure it removes what it started.")
        .DependsOn(PrepareEnvironment, Image, Publish)
        .Executes(async () =>
        {
            if (_upPlan is null)
                await PrepareUpAsync(); // PrepareEnvironment was skipped (--skip): decide here
            var plan = _upPlan!;
            if (plan.Runtime == EnvironmentRuntime.Docker)
            {
                if (string.IsNullOrWhiteSpace(DbImage))
                    throw new BuildFailedException("--db-image is empty; name a PostgreSQL 13 image, e.g. postgres:13.5 (the default).");
                var apiImage = $"{ImageName}:{(await ImageSourceAsync()).Version}";
                if (!await Docker.ImageExistsAsync(apiImage))
                    throw new BuildFailedException($"The image {apiImage} does not exist; build it with ./build.sh Image (Up does, unless it is skipped).");
                await DockerRuntime.UpAsync(plan, DbImage, apiImage);
                await StartMonitoringAsync(plan, apiImage);
            }
            else
            {
                await LocalRuntime.UpAsync(plan, PublishDirectory / "Rates.Api", SeedSqlFile, PgBin);
            }

            await WriteUpSummaryAsync(plan);
        });

    Target Down => _ => _
        .Description("Stops and removes the environment (--env) with whichever runtime it runs; --volumes also deletes its data. " +
                     "An environment that is not up is reported, not an error.")
        .Executes(async () =>
        {
            var store = new EnvironmentStore(TemporaryDirectory, EnvironmentNames.Validate(Env));
            var state = store.Load();
            var project = EnvironmentNames.ProjectName(store.Name);
            var checkDocker = Runtime != EnvironmentRuntime.Local;
            var checkLocal = Runtime != EnvironmentRuntime.Docker;
            var wasUp = false;
            var dockerDataLeft = false;
            var notes = new List<string>();
            var engine = await Docker.ProbeAsync();
            if (checkDocker)
            {
                if (engine.Reachable)
                {
                    await StopMonitoringAsync(store);
                    wasUp |= await DockerRuntime.DownAsync(store, Volumes);
                }
                else if (Runtime == EnvironmentRuntime.Docker || state?.Runtime == EnvironmentRuntime.Docker)
                    throw new BuildFailedException($"Environment '{store.Name}' runs on docker, but the {engine.NotReachableMessage}");
                else
                    notes.Add($"no Docker engine answered ({engine.Detail}), so only local processes were looked for");
            }
            else if (engine.Reachable)
            {
                dockerDataLeft = (await Docker.ListVolumesAsync(project)).Count > 0;
            }

            if (checkLocal)
                wasUp |= await LocalRuntime.DownAsync(store, state);

            if (Volumes && store.Exists)
            {
                if (checkLocal)
                {
                    store.PgData.DeleteDirectory();
                    store.ApiDirectory.DeleteDirectory();
                }

                // The stored password goes with the last of the environment's data.
                if (!dockerDataLeft && !(store.PgData / "PG_VERSION").FileExists)
                {
                    store.Delete();
                    Output.WriteLine($"Deleted {store.Directory.RelativeTo(RootDirectory)} (data, password, state, logs).");
                }
                else
                {
                    Output.WriteLine($"Deleted the {(checkLocal ? "local" : "docker")} data of '{store.Name}'; kept {store.Directory.RelativeTo(RootDirectory)} for the data of the other runtime.");
                }
            }

            var note = notes.Count == 0 ? "" : $" ({string.Join("; ", notes)})";
            Output.WriteLine(wasUp
                ? $"Environment '{store.Name}' is down.{note}"
                : $"Environment '{store.Name}' is not up: no containers of compose project {project} and no local processes " +
                  $"of {store.Directory.RelativeTo(RootDirectory)}; nothing to stop.{note}");
        });

    Target Status => _ => _
        .Description("Lists the environments that are up (docker and local): name, runtime, services, health and ports.")
        .Executes(async () =>
        {
            var rows = new List<string[]>();
            var engine = await Docker.ProbeAsync();
            if (engine.Reachable)
            {
                var containers = (await Docker.ListContainersAsync(project: null, all: false))
                    .Where(c => !c.OneOff && c.IsRunning && EnvironmentNames.FromProjectName(c.Project) is not null);
                foreach (var group in containers.GroupBy(c => c.Project).OrderBy(g => g.Key, StringComparer.Ordinal))
                    rows.Add(await DockerStatusRowAsync(EnvironmentNames.FromProjectName(group.Key)!,
                        group.OrderBy(c => c.Service == DockerEnvironment.DbService ? 0 : 1).ThenBy(c => c.Service, StringComparer.Ordinal).ToList()));
            }

            foreach (var name in EnvironmentStore.ListNames(TemporaryDirectory))
            {
                var store = new EnvironmentStore(TemporaryDirectory, name);
                if (store.Load() is not { Runtime: EnvironmentRuntime.Local } state)
                    continue;
                var live = LocalEnvironment.Inspect(store, state);
                if (live.IsUp)
                    rows.Add(await LocalStatusRowAsync(name, state, live));
            }

            if (rows.Count == 0)
            {
                Output.WriteLine($"No environments are up. Start one with {RuntimeSelection.UpCommand(EnvironmentNames.Default)}.");
            }
            else
            {
                var table = new Table().Border(TableBorder.Square);
                foreach (var header in new[] { "Environment", "Runtime", "Services", "Health", "Ports (127.0.0.1)" })
                    table.AddColumn(new TableColumn(new Text(header)));
                foreach (var row in rows.OrderBy(r => r[0], StringComparer.Ordinal))
                    table.AddRow(row.Select(c => (IRenderable)new Text(c)).ToArray());
                Output.Write(table);
            }

            if (!engine.Reachable)
                Output.WriteLine($"Docker environments are not listed: no Docker engine answered `docker info` ({engine.Detail}).");
        });

    Target DbSeed => _ => _
        .Description("Reloads the data of a running environment: the project's seed, or --dump PATH (any pg_dump plain SQL file, " +
                     "e.g. the original service's rates.sql) with the migrations applied on top; prints the row counts.")
        .Executes(async () =>
        {
            if (Dump is not null && !Dump.FileExists)
                throw new BuildFailedException($"--dump {Dump}: no such file{(Dump.DirectoryExists ? " (it is a folder)" : "")}.");
            var store = new EnvironmentStore(TemporaryDirectory, EnvironmentNames.Validate(Env));
            var state = store.Load();
            var engine = Runtime == EnvironmentRuntime.Local ? null : await Docker.ProbeAsync();
            if (Runtime == EnvironmentRuntime.Docker && engine is { Reachable: false })
                throw new BuildFailedException(engine.NotReachableMessage);
            var dockerDb = engine is { Reachable: true }
                ? (await DockerRuntime.RunningServicesAsync(store.Name)).FirstOrDefault(c => c.Service == DockerEnvironment.DbService)
                : null;
            var local = LocalEnvironment.Inspect(store, state);
            var runtime = RuntimeSelection.ForRunning(store.Name, Runtime, dockerDb is not null, local.PostgresPid is not null);

            var password = store.PasswordOfRunning(DbPassword);
            var dbPort = (runtime == EnvironmentRuntime.Docker ? dockerDb?.HostPortFor(DockerEnvironment.DbContainerPort) : local.PostgresPort)
                ?? state?.DbPort
                ?? throw new BuildFailedException($"Could not tell the database port of environment '{store.Name}'.");
            Output.WriteLine($"Reloading environment '{store.Name}' ({Lower(runtime)} runtime, database 127.0.0.1:{dbPort}) from " +
                             $"{(Dump is null ? $"the project's seed ({SeedSqlFile.RelativeTo(RootDirectory)})" : Dump)}");
            if (runtime == EnvironmentRuntime.Docker)
                await DockerRuntime.SeedAsync(store, state, password, dbPort, Dump);
            else
                await LocalRuntime.SeedAsync(store, dbPort, password, Dump, SeedSqlFile);

            var counts = await DatabaseCounts.ReadAsync(DatabaseCounts.ConnectionString(dbPort, password), CancellationToken);
            var table = new Table().Border(TableBorder.Square);
            table.AddColumn(new TableColumn(new Text("Table")));
            table.AddColumn(new TableColumn(new Text("Rows")).RightAligned());
            foreach (var (name, rows) in counts)
                table.AddRow(new Text(name), new Text(rows.ToString("N0", CultureInfo.InvariantCulture)));
            Output.Write(table);
        });

    async Task PrepareUpAsync()
    {
        _upPlan = await PlanUpAsync();
        await PlanMonitoringAsync(_upPlan);
        WriteRows(
            ("Environment", _upPlan.Name),
            ("Runtime", $"{Lower(_upPlan.Runtime)} ({_upPlan.RuntimeReason})"),
            ("API port", $"{_upPlan.ApiPort} ({_upPlan.Api.Reason})"),
            ("DB port", $"{_upPlan.DbPort} ({_upPlan.Db.Reason})"),
            ("DB password", _upPlan.PasswordOrigin));
    }

    /// <summary>Decides runtime, ports and password of Up; fails here, before anything is built or started.</summary>
    async Task<UpPlan> PlanUpAsync()
    {
        var store = new EnvironmentStore(TemporaryDirectory, EnvironmentNames.Validate(Env));
        var state = store.Load();
        var engine = await Docker.ProbeAsync();
        var dockerServices = engine.Reachable ? await DockerRuntime.RunningServicesAsync(store.Name) : [];
        var local = LocalEnvironment.Inspect(store, state);
        var (runtime, reason) = RuntimeSelection.ForUp(store.Name, Runtime, dockerServices.Count > 0, local.IsUp, engine);

        // Ports this environment holds itself count as available: a second Up must accept them.
        var own = runtime == EnvironmentRuntime.Docker
            ? dockerServices.SelectMany(c => c.Ports).Select(p => p.HostPort).ToHashSet()
            : new[] { local.PostgresPort, local.ApiPid is null ? null : state?.ApiPort }.OfType<int>().ToHashSet();
        bool IsAvailable(int port) => own.Contains(port) || PostgresCluster.IsPortFree(port);
        var isDefault = store.Name == EnvironmentNames.Default;
        var api = PortAllocator.Choose(new PortRequest("API", ApiPort, state?.ApiPort, isDefault ? DefaultApiPort : null),
            IsAvailable, PostgresCluster.FindFreePort, []);
        var db = PortAllocator.Choose(new PortRequest("database", DbPort, state?.DbPort, isDefault ? DefaultDbPort : null),
            IsAvailable, PostgresCluster.FindFreePort, [api.Port]);

        if (runtime == EnvironmentRuntime.Local && PgBin is not null)
        {
            try
            {
                Output.WriteLine($"Using {PostgresBinaries.FromDirectory(PgBin)}");
            }
            catch (EmbeddedPostgresException ex)
            {
                throw new BuildFailedException($"--pg-bin: {ex.Message}");
            }
        }

        var dataExists = runtime == EnvironmentRuntime.Docker
            ? (await Docker.ListVolumesAsync(EnvironmentNames.ProjectName(store.Name))).Count > 0
            : (store.PgData / "PG_VERSION").FileExists;
        var (password, origin) = store.ResolvePassword(DbPassword, dataExists);
        return new UpPlan(store, runtime, reason, api, db, password, origin.Replace(RootDirectory + "/", "", StringComparison.Ordinal));
    }

    async Task WriteUpSummaryAsync(UpPlan plan)
    {
        var url = ServiceProbe.BaseUrl(plan.ApiPort);
        var ready = await ServiceProbe.ReadyAsync(plan.ApiPort, CancellationToken);
        var counts = await DatabaseCounts.ReadAsync(DatabaseCounts.ConnectionString(plan.DbPort, plan.Password), CancellationToken);
        var example = await ServiceProbe.CheckExampleAsync(plan.ApiPort, CancellationToken);
        var folder = plan.Store.Directory.RelativeTo(RootDirectory);
        var runtime = plan.Runtime == EnvironmentRuntime.Docker
            ? $"docker (compose project {EnvironmentNames.ProjectName(plan.Name)})"
            : $"local (processes; pids, logs and data in {folder}/)";
        var down = RuntimeSelection.DownCommand(plan.Name);

        Output.Write(new Rule($"[bold]Environment {Markup.Escape(plan.Name)} is up[/]").LeftJustified());
        WriteRows([
            ("Environment", plan.Name),
            ("Runtime", runtime),
            ("API", url),
            ("Health", $"{url}/health/ready ({ready.Detail})"),
            ("Metrics", $"{url}/metrics"),
            ("Database", $"127.0.0.1:{plan.DbPort}, database {LocalEnvironment.DatabaseName}, user {LocalEnvironment.DatabaseUser}, password in {folder}/db-password"),
            ("Data", DatabaseCounts.Describe(counts)),
            ("Stop", $"{down}   ({down} --volumes also deletes the data)"),
            .. MonitoringSummaryRows()]);

        // Raw lines: a console-wide table would wrap the command and break copy and paste.
        var raw = Output.Profile.Out.Writer;
        raw.WriteLine($"Example ({example}):");
        raw.WriteLine($"  curl \"{url}{ServiceProbe.ExampleQuery}\"");
    }

    async Task<string[]> DockerStatusRowAsync(string name, IReadOnlyList<ComposeContainer> services)
    {
        var health = new List<string>();
        var ports = new List<string>();
        foreach (var container in services)
        {
            var containerPort = container.Service == DockerEnvironment.ApiService ? DockerEnvironment.ApiContainerPort : DockerEnvironment.DbContainerPort;
            var hostPort = container.HostPortFor(containerPort);
            var detail = container.Health;
            if (container.Service == DockerEnvironment.ApiService && hostPort is { } apiPort)
                detail += $", {(await ServiceProbe.ReadyAsync(apiPort, CancellationToken)).Detail}";
            health.Add($"{container.Service}: {detail}");
            if (hostPort is not null)
                ports.Add($"{container.Service} {hostPort}");
        }

        return [name, "docker", string.Join(", ", services.Select(c => c.Service)), string.Join("; ", health), string.Join(", ", ports)];
    }

    async Task<string[]> LocalStatusRowAsync(string name, EnvironmentState state, LocalLiveness live)
    {
        var services = new List<string>();
        var health = new List<string>();
        var ports = new List<string>();
        if (live.PostgresPid is { } postgresPid)
        {
            var port = live.PostgresPort ?? state.DbPort;
            services.Add($"db (pid {postgresPid})");
            health.Add($"db: {(await AcceptsConnectionsAsync(port) ? "accepting connections" : "not listening")}");
            ports.Add($"db {port}");
        }

        if (live.ApiPid is { } apiPid)
        {
            services.Add($"api (pid {apiPid})");
            health.Add($"api: {(await ServiceProbe.ReadyAsync(state.ApiPort, CancellationToken)).Detail}");
            ports.Add($"api {state.ApiPort}");
        }

        return [name, "local", string.Join(", ", services), string.Join("; ", health), string.Join(", ", ports)];
    }

    async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>A two-column table of text cells (values print verbatim, no markup).</summary>
    void WriteRows(params (string Key, string Value)[] rows)
    {
        var table = new Table().Border(TableBorder.Square).HideHeaders();
        table.AddColumn(new TableColumn(new Text("")));
        table.AddColumn(new TableColumn(new Text("")));
        foreach (var (key, value) in rows)
            table.AddRow(new Text(key), new Text(value));
        Output.Write(table);
    }

    static string Lower(EnvironmentRuntime runtime) => runtime.ToString().ToLowerInvariant();
}
