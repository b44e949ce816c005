namespace Rates.Build.Environments;

/// <summary>
/// What an environment is made of, beside where it runs. <see cref="Single"/>: one PostgreSQL, the migrate/seed job and
/// one service. <see cref="Ha"/>: three PostgreSQL nodes under Patroni with etcd, HAProxy and API replicas (deploy/ha/;
/// docker runtime only). A new topology is a value here plus its case in each runtime's <see cref="IEnvironmentRuntime.CheckSupports"/>
/// (and, on docker, <see cref="DockerEnvironment.ComposeFiles"/> and its Up steps).
/// </summary>
public enum Topology
{
    Single,
    Ha,
}

/// <summary>
/// Optional parts added to an environment (extra compose files on the docker runtime). A new add-on is a flag here,
/// its compose file in <see cref="DockerEnvironment.ComposeFiles"/> and its case in the local runtime's CheckSupports.
/// </summary>
[Flags]
public enum EnvironmentAddOns
{
    None = 0,
}

/// <summary>The shape Up asked for: kept in the environment's state so Down, Status and DbSeed drive the same files.</summary>
internal sealed record EnvironmentShape(Topology Topology, EnvironmentAddOns AddOns)
{
    public static EnvironmentShape Default { get; } = new(Topology.Single, EnvironmentAddOns.None);

    public override string ToString() =>
        Topology.ToString().ToLowerInvariant() + (AddOns == EnvironmentAddOns.None ? "" : $" + {AddOns.ToString().ToLowerInvariant()}");
}

/// <summary>
/// A secret of an environment, kept in <c>.nuke/temp/&lt;env&gt;/&lt;FileName&gt;</c> (mode 0600, git-ignored) and never
/// printed. The set grows by adding a value to <see cref="All"/>; <see cref="EnvironmentStore.ResolveSecret"/> generates,
/// stores and reads every one the same way.
/// </summary>
/// <param name="FileName">The file under the environment's folder.</param>
/// <param name="Parameter">The build parameter that gives it explicitly (e.g. --db-password).</param>
/// <param name="What">How messages name it.</param>
internal sealed record Credential(string FileName, string Parameter, string What)
{
    /// <summary>The database owner's: migrations and the seed run as it (and the local runtime's superuser uses it).</summary>
    public static Credential DbPassword { get; } = new("db-password", "--db-password", "password");

    /// <summary>The service role's (<see cref="EnvironmentSecrets.ServiceUser"/>): what the service connects with.</summary>
    public static Credential ServicePassword { get; } = new("service-password", "--service-password", "service role's password");

    /// <summary>The key batch writers sign in with; the service only gets its SHA-256.</summary>
    public static Credential ApiKey { get; } = new("api-key", "--api-key", "API key");

    public static IReadOnlyList<Credential> All { get; } = [DbPassword, ServicePassword, ApiKey];
}

/// <summary>
/// The answer of <see cref="EnvironmentLocator"/> for an environment that runs: where, with what, reachable how.
/// Ports are on 127.0.0.1; null when that part does not run.
/// </summary>
internal sealed record RunningEnvironment(
    EnvironmentStore Store,
    EnvironmentState? State,
    IEnvironmentRuntime Runtime,
    EnvironmentShape Shape,
    int? ApiPort,
    int? DbPort)
{
    public string Name => Store.Name;

    public string ApiUrl => ServiceProbe.BaseUrl(ApiPort ?? throw new BuildFailedException($"The service of environment '{Name}' is not running; run {RuntimeSelection.UpCommand(Name)}."));

    /// <summary>The database's port, or a failure that names the environment.</summary>
    public int RequireDbPort() =>
        DbPort ?? throw new BuildFailedException($"The database of environment '{Name}' is not running; run {RuntimeSelection.UpCommand(Name)}.");

    /// <summary>The service's connection string: the given --db-password, else the stored one.</summary>
    public string ConnectionString(string? givenPassword) => DatabaseCounts.ConnectionString(RequireDbPort(), Password(givenPassword));

    public string Password(string? given) => Store.SecretOfRunning(Credential.DbPassword, given);

    /// <summary>Every secret of the environment, the given --db-password in place of the stored owner's password.</summary>
    public EnvironmentSecrets Secrets(string? givenPassword) => Store.SecretsOfRunning() with { OwnerPassword = Password(givenPassword) };
}

/// <summary>Everything Up hands to a runtime besides the plan: what was built for it.</summary>
/// <param name="Dump">Up --dump: a pg_dump plain SQL file that seeds the new environment instead of <paramref name="SeedFile"/>.</param>
internal sealed record UpInputs(string? DbImage, string? ApiImage, AbsolutePath PublishedApi, AbsolutePath SeedFile, AbsolutePath? PgBin, AbsolutePath? Dump);

/// <summary>
/// One place where an environment runs (docker, local). Every target drives environments through this, so a target never
/// asks how a runtime keeps its processes, containers, ports or data.
/// </summary>
internal interface IEnvironmentRuntime
{
    EnvironmentRuntime Kind { get; }

    /// <summary>Fails, before anything is built or started, when this runtime cannot run <paramref name="shape"/>.</summary>
    void CheckSupports(EnvironmentShape shape);

    /// <summary>What of the environment runs on this runtime; null when nothing does.</summary>
    Task<RunningEnvironment?> InspectAsync(EnvironmentStore store, EnvironmentState? state);

    /// <summary>Ports the environment holds itself (a second Up must accept them as available).</summary>
    Task<IReadOnlySet<int>> OwnPortsAsync(EnvironmentStore store, EnvironmentState? state);

    /// <summary>The environment keeps data on this runtime (a volume, a cluster), running or not.</summary>
    Task<bool> HasDataAsync(EnvironmentStore store);

    Task UpAsync(UpPlan plan, UpInputs inputs);

    /// <summary>Stops (and with <paramref name="volumes"/> deletes the data of) the environment here. False when nothing ran.</summary>
    Task<bool> DownAsync(EnvironmentStore store, EnvironmentState? state, bool volumes);

    /// <summary>Replaces the data: the project's seed, or <paramref name="dump"/>.</summary>
    Task SeedAsync(RunningEnvironment environment, string password, AbsolutePath? dump, AbsolutePath seedFile);

    /// <summary>Status cells: services, health, ports.</summary>
    Task<(string Services, string Health, string Ports)> StatusAsync(RunningEnvironment environment);

    /// <summary>Status below the table, for topologies with more to show (ha: each node's role, timeline and lag; API replicas; etcd).</summary>
    Task WriteDetailsAsync(RunningEnvironment environment);

    /// <summary>For reports (Benchmark): what runs and how, the service's .NET, and caveats of the figures.</summary>
    Task<(string Detail, string ServiceDotNet, IReadOnlyList<string> Notes)> DescribeAsync(RunningEnvironment environment, string password);
}
