using Rates.Build.Environments;
using Rates.EmbeddedPostgres;

/// <summary>
/// Up: PrepareEnvironment plans (runtime, shape, ports, password) before Image or Publish spend time; Up hands the plan
/// to the chosen <see cref="IEnvironmentRuntime"/> and prints how to reach the environment.
/// </summary>
partial class Build
{
    const int DefaultApiPort = 3000;
    const int DefaultDbPort = 5432;

    Target PrepareEnvironment => _ => _
        .Description("First step of Up: checks --env, picks the runtime (auto: docker when an engine answers, else local), " +
                     "the ports and the password, before Image or Publish spend time.")
        .Before(Image, Restore)
        .Executes(PlannedUpAsync);

    Target Up => _ => _
        .Description("Brings the environment up (database, migrations and seed, service), waits until it is healthy and prints " +
                     "the URLs and an example curl. Running it again changes nothing; on failure it removes what it started.")
        .DependsOn(PrepareEnvironment, Image, Publish)
        .Executes(async () =>
        {
            var plan = await PlannedUpAsync(); // planned here when PrepareEnvironment was skipped (--skip)
            string? apiImage = null;
            if (plan.Runtime == EnvironmentRuntime.Docker)
            {
                apiImage = $"{ImageName}:{(await ImageSourceAsync()).Version}";
                if (!await Docker.ImageExistsAsync(apiImage))
                    throw new BuildFailedException($"The image {apiImage} does not exist; build it with ./build.sh Image (Up does, unless it is skipped).");
            }

            var inputs = new UpInputs(string.IsNullOrWhiteSpace(DbImage) ? null : DbImage, apiImage, PublishDirectory / "Rates.Api", SeedSqlFile, PgBin, Dump);
            await Environments.Runtime(plan.Runtime).UpAsync(plan, inputs);
            if (apiImage is not null)
                await StartMonitoringAsync(plan, apiImage);
            await WriteUpSummaryAsync(plan);
        });

    Task<UpPlan>? _upPlanning;

    /// <summary>Up's plan, made once per run (by PrepareEnvironment, or by Up when that was skipped) and shown when made.</summary>
    Task<UpPlan> PlannedUpAsync() => _upPlanning ??= PlanAndShowUpAsync();

    /// <summary>Image runs for Up only on docker; unknown until PrepareEnvironment planned (then it runs).</summary>
    bool UpNeedsImage => _upPlanning is not { IsCompletedSuccessfully: true } planning || planning.Result.Runtime == EnvironmentRuntime.Docker;

    /// <summary>Publish runs for Up only on the local runtime; unknown until PrepareEnvironment planned (then it runs).</summary>
    bool UpNeedsPublish => _upPlanning is not { IsCompletedSuccessfully: true } planning || planning.Result.Runtime == EnvironmentRuntime.Local;

    async Task<UpPlan> PlanAndShowUpAsync()
    {
        var plan = await PlanUpAsync();
        await PlanMonitoringAsync(plan);
        WriteRows([
            ("Environment", plan.Name),
            ("Runtime", $"{Lower(plan.Runtime)} ({plan.RuntimeReason})"),
            ("Topology", plan.Shape.ToString()),
            ("API port", $"{plan.ApiPort} ({plan.Api.Reason})"),
            ("DB port", $"{plan.DbPort} ({plan.Db.Reason})"),
            ("DB password", plan.PasswordOrigin),
            .. HaPlanRows(plan)]);
        return plan;
    }

    /// <summary>Decides runtime, shape, ports and password of Up; fails here, before anything is built or started.</summary>
    async Task<UpPlan> PlanUpAsync()
    {
        var store = Environments.Store(Env);
        var state = store.Load();
        var (onDocker, local, engine) = await Environments.InspectAsync(store, state);
        var (kind, reason) = RuntimeSelection.ForUp(store.Name, Runtime, onDocker is not null, local is not null, engine);
        var runtime = Environments.Runtime(kind);
        var shape = new EnvironmentShape(Topology, EnvironmentAddOns.None);
        runtime.CheckSupports(shape);

        // Ports this environment holds itself count as available: a second Up must accept them.
        var own = await runtime.OwnPortsAsync(store, state);
        bool IsAvailable(int port) => own.Contains(port) || PostgresCluster.IsPortFree(port);
        var isDefault = store.Name == EnvironmentNames.Default;
        var api = PortAllocator.Choose(new PortRequest("API", ApiPort, state?.ApiPort, isDefault ? DefaultApiPort : null),
            IsAvailable, PostgresCluster.FindFreePort, []);
        var db = PortAllocator.Choose(new PortRequest("database", DbPort, state?.DbPort, isDefault ? DefaultDbPort : null),
            IsAvailable, PostgresCluster.FindFreePort, [api.Port]);
        if (kind == EnvironmentRuntime.Local && PgBin is not null)
            DescribePgBin(PgBin);

        var ha = shape.Topology == Topology.Ha ? PlanHa(state, IsAvailable, api.Port, db.Port) : null;
        var dataExists = await runtime.HasDataAsync(store);
        if (state is not null && state.Topology != shape.Topology && (dataExists || onDocker is not null || local is not null))
            throw new BuildFailedException(
                $"Environment '{store.Name}' is of the {state.Shape} topology (its data and containers are made for it); run Up with --topology " +
                $"{state.Topology.ToString().ToLowerInvariant()}, or remove it first with {RuntimeSelection.DownCommand(store.Name)} --volumes.");
        CheckUpDump(store.Name, dataExists);
        var (secrets, origin) = store.ResolveSecrets(DbPassword, givenApiKey: null, dataExists);
        return new UpPlan(store, kind, reason, api, db, secrets, origin.Replace(RootDirectory + "/", "", StringComparison.Ordinal), shape, ha);
    }

    /// <summary>Up --dump seeds a new environment only; data that exists is replaced by DbSeed --dump, never silently kept.</summary>
    void CheckUpDump(string environment, bool dataExists)
    {
        if (Dump is null)
            return;
        if (!Dump.FileExists)
            throw new BuildFailedException($"--dump {Dump}: no such file{(Dump.DirectoryExists ? " (it is a folder)" : "")}.");
        if (dataExists)
        {
            var env = environment == EnvironmentNames.Default ? "" : $" --env {environment}";
            throw new BuildFailedException(
                $"Environment '{environment}' already has data, and Up --dump only seeds a new environment. Load the dump into it with " +
                $"./build.sh DbSeed{env} --dump {Dump} (replaces its data), or start over with ./build.sh Down{env} --volumes.");
        }

        Output.WriteLine($"The new environment is seeded from {Dump} instead of the project's seed.");
    }

    void DescribePgBin(AbsolutePath pgBin)
    {
        try
        {
            Output.WriteLine($"Using {PostgresBinaries.FromDirectory(pgBin)}");
        }
        catch (EmbeddedPostgresException ex)
        {
            throw new BuildFailedException($"--pg-bin: {ex.Message}");
        }
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
            ("Topology", plan.Shape.ToString()),
            ("API", url),
            ("Health", $"{url}/health/ready ({ready.Detail})"),
            ("Metrics", plan.Runtime == EnvironmentRuntime.Docker
                ? $"/metrics on port {DockerEnvironment.MetricsContainerPort} inside the compose network (for Prometheus; see Up --monitoring)"
                : $"{url}/metrics"),
            ("Database", $"127.0.0.1:{plan.DbPort}, database {LocalEnvironment.DatabaseName}, owner {LocalEnvironment.DatabaseUser} (password in " +
                         $"{folder}/db-password); the service signs in as {EnvironmentSecrets.ServiceUser}"),
            ("Writers", $"PUT /batches needs the API key in {folder}/api-key (Authorization: Bearer); GenerateBatch --send uses it"),
            ("Data", DatabaseCounts.Describe(counts)),
            ("Stop", $"{down}   ({down} --volumes also deletes the data)"),
            .. await HaSummaryRowsAsync(plan),
            .. MonitoringSummaryRows()]);

        // Raw lines: a console-wide table would wrap the command and break copy and paste.
        var raw = Output.Profile.Out.Writer;
        raw.WriteLine($"Example ({example}):");
        raw.WriteLine($"  curl \"{url}{ServiceProbe.ExampleQuery}\"");
        if (plan.Name == EnvironmentNames.Default && ApiPort is null && plan.ApiPort != DefaultApiPort)
            WriteNotOnDefaultPort(plan, url);
    }

    /// <summary>The README's examples use port 3000 of the default environment: when Up chose another, it says so last, where it is seen.</summary>
    void WriteNotOnDefaultPort(UpPlan plan, string url)
    {
        var raw = Output.Profile.Out.Writer;
        Output.WriteLine();
        Output.Write(new Rule($"[yellow bold]Port {DefaultApiPort} was not used[/]").LeftJustified().RuleStyle("yellow"));
        Output.MarkupLineInterpolated(
            $"[yellow]The API of environment '{plan.Name}' listens on port [bold]{plan.ApiPort}[/], not on the {DefaultApiPort} of the README's examples: {plan.Api.Reason}.[/]");
        raw.WriteLine($"Use port {plan.ApiPort} in the examples:");
        raw.WriteLine($"  curl \"{url}{ServiceProbe.ExampleQuery}\"");
        Output.WriteLine($"To move it to {DefaultApiPort} once that port is free: {RuntimeSelection.DownCommand(plan.Name)}, then ./build.sh Up --api-port {DefaultApiPort}.");
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

}
