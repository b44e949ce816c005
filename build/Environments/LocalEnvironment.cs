using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;
using Rates.Database;
using Rates.EmbeddedPostgres;
using Rates.Processes;

namespace Rates.Build.Environments;

/// <summary>What runs of a local environment, found from its files (works from any shell).</summary>
/// <param name="ApiPid">The service process, when it runs from this environment's folder.</param>
/// <param name="PostgresPid">The postmaster of this environment's data directory, when it runs.</param>
/// <param name="PostgresPort">The port that postmaster listens on.</param>
internal sealed record LocalLiveness(int? ApiPid, int? PostgresPid, int? PostgresPort)
{
    public bool IsUp => ApiPid is not null || PostgresPid is not null;
}

/// <summary>
/// The local runtime: PostgreSQL 13 from the embedded npm package (or <c>--pg-bin</c>) in <c>.nuke/temp/&lt;env&gt;/pgdata</c>
/// and the published service as a detached background process, configured only through environment variables.
/// </summary>
internal sealed partial class LocalEnvironment(IAnsiConsole console, ProcessRunner processes, CancellationToken cancellationToken)
    : IEnvironmentRuntime
{
    public const string DatabaseName = "rates";
    public const string DatabaseUser = "rates";
    public const string Superuser = "postgres";
    public const string ApiAssembly = "Rates.Api.dll";

    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The service drains requests for Shutdown:DrainTimeoutSeconds (30 by default) after SIGTERM; a margin on top.</summary>
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(45);

    private const int LogTailLines = 30;

    /// <summary>Which processes of the environment run; reads pid files and checks the processes are the right ones.</summary>
    public static LocalLiveness Inspect(EnvironmentStore store, EnvironmentState? state)
    {
        int? apiPid = null;
        foreach (var candidate in new[] { state?.ApiPid, ReadFirstInt(store.ApiPidFile) })
        {
            if (candidate is { } pid && IsApiProcess(pid, store))
            {
                apiPid = pid;
                break;
            }
        }

        var postmaster = PostgresCluster.ReadPidFile(store.PgData);
        var postgresPid = postmaster is not null && IsAlive(postmaster.Pid) ? postmaster.Pid : (int?)null;
        var postgresPort = postgresPid is null ? null : postmaster!.Port;

        return new LocalLiveness(apiPid, postgresPid, postgresPort);
    }

    public async Task UpAsync(UpPlan plan, AbsolutePath publishedApi, AbsolutePath seedFile, AbsolutePath? pgBin)
    {
        var store = plan.Store;
        var state = store.Load();
        var live = Inspect(store, state);
        if (live.PostgresPort is { } runningDbPort && runningDbPort != plan.DbPort)
            throw new BuildFailedException($"PostgreSQL of environment '{plan.Name}' already runs on port {runningDbPort}; bring the environment down first to change its port ({RuntimeSelection.DownCommand(plan.Name)}).");
        if (live.ApiPid is not null && state?.ApiPort is { } runningApiPort && runningApiPort != plan.ApiPort)
            throw new BuildFailedException($"The service of environment '{plan.Name}' already runs on port {runningApiPort}; bring the environment down first to change its port ({RuntimeSelection.DownCommand(plan.Name)}).");
        if (live.ApiPid is null && !(publishedApi / ApiAssembly).FileExists)
            throw new BuildFailedException($"The published service is missing ({publishedApi / ApiAssembly}); run ./build.sh Publish (Up normally does).");

        if (OperatingSystem.IsWindows())
            throw new BuildFailedException("The local runtime runs on Linux and macOS (it starts the service with a POSIX shell); on Windows use --runtime docker or WSL.");
        InheritedDescriptors.KeepFromChildren();
        var step = "getting the PostgreSQL binaries";
        var created = false;
        var startedPostgres = false;
        PostgresCluster? cluster = null;
        try
        {
            var binaries = await GetBinariesAsync(pgBin?.ToString(), state);
            console.WriteLine($"Using {binaries}");
            cluster = CreateCluster(binaries, store, plan.DbPort, plan.Password);

            step = $"initialising the database cluster in {store.PgData}";
            created = await cluster.InitAsync(cancellationToken);
            step = $"starting PostgreSQL on 127.0.0.1:{plan.DbPort}";
            startedPostgres = live.PostgresPid is null;
            await cluster.StartAsync(cancellationToken);
            store.Save(NewState(plan, binaries.BinDirectory, live.ApiPid));

            step = $"creating the role and database '{DatabaseName}'";
            await EnsureDatabaseAsync(cluster.ConnectionString("postgres"), plan.Password);
            await EnsureLeastPrivilegeAsync(cluster.ConnectionString(DatabaseName));

            step = "applying the migrations and loading the seed into an empty database";
            var connectionString = DatabaseCounts.ConnectionString(plan.DbPort, plan.Password);
            await MigrateAndSeedAsync(connectionString, seedFile);
            // As the cluster's superuser: the owner of the tables may not create roles.
            step = $"creating the service role {EnvironmentSecrets.ServiceUser}";
            await ServiceRole.EnsureAsync(cluster.ConnectionString(DatabaseName), EnvironmentSecrets.ServiceUser, plan.Secrets.ServicePassword, cancellationToken);

            step = "starting the service";
            var apiPid = live.ApiPid;
            if (apiPid is { } runningPid)
            {
                var answer = await ServiceProbe.ReadyAsync(plan.ApiPort, cancellationToken);
                if (answer.Ready)
                {
                    console.WriteLine($"The service already runs (pid {runningPid}) and is {answer.Detail}; left as it is.");
                }
                else
                {
                    console.WriteLine($"The service runs (pid {runningPid}) but is {answer.Detail}; restarting it.");
                    await StopApiAsync(runningPid);
                    apiPid = null;
                }
            }

            apiPid ??= await StartApiAsync(plan, publishedApi, binaries.BinDirectory);
            store.Save(NewState(plan, binaries.BinDirectory, apiPid));
        }
        catch (Exception ex)
        {
            // Leave nothing half-started: stop what this Up started and delete data it created.
            console.WriteLine($"Up failed while {step}; removing what this run started.");
            if (cluster is not null && startedPostgres)
            {
                try
                {
                    await cluster.StopAsync(CancellationToken.None);
                }
                catch (EmbeddedPostgresException stopError)
                {
                    console.WriteLine($"Could not stop PostgreSQL: {stopError.Message}");
                }
            }

            if (created)
            {
                console.WriteLine($"Deleting the database cluster this run created ({store.PgData}).");
                store.PgData.DeleteDirectory();
            }

            throw Explain(ex, $"Up of environment '{plan.Name}' (local runtime) failed while {step}");
        }
    }

    /// <summary>Stops the service (SIGTERM, then SIGKILL after the drain time) and PostgreSQL. Returns false when nothing ran.</summary>
    public async Task<bool> DownAsync(EnvironmentStore store, EnvironmentState? state)
    {
        var live = Inspect(store, state);
        if (live.ApiPid is { } apiPid)
            await StopApiAsync(apiPid);
        if (live.PostgresPid is { } postgresPid)
        {
            var password = store.ReadPassword() ?? "unused-by-pg-ctl-stop";
            var port = live.PostgresPort ?? state?.DbPort ?? 5432;
            PostgresBinaries? binaries = null;
            try
            {
                binaries = await GetBinariesAsync(null, state, quiet: true);
            }
            catch (BuildFailedException ex)
            {
                console.WriteLine($"The PostgreSQL binaries are not available ({ex.Message}); stopping the server by signal.");
            }

            if (binaries is not null)
            {
                try
                {
                    await CreateCluster(binaries, store, port, password).StopAsync(cancellationToken);
                }
                catch (EmbeddedPostgresException ex)
                {
                    throw new BuildFailedException($"Could not stop PostgreSQL of environment '{store.Name}': {ex.Message}");
                }
            }
            else
            {
                // SIGINT is PostgreSQL's "fast" shutdown, what pg_ctl stop -m fast sends.
                await SignalAndWaitAsync(postgresPid, "INT", "PostgreSQL");
            }
        }

        if (File.Exists(store.ApiPidFile))
            File.Delete(store.ApiPidFile);
        if (state is not null && store.StateFile.FileExists)
            store.Save(state with { ApiPid = null });
        return live.IsUp;
    }

    private async Task<PostgresBinaries> GetBinariesAsync(string? pgBin, EnvironmentState? state, bool quiet = false)
    {
        try
        {
            if (pgBin is not null)
                return PostgresBinaries.FromDirectory(pgBin);
            // Down and Status use what the cluster was started with, so they work even if PgBin is not given again.
            if (quiet && state?.PgBin is { } used && Directory.Exists(used))
                return PostgresBinaries.FromDirectory(used);
            return await EmbeddedPostgresBinaries.EnsureAsync(log: quiet ? null : console.WriteLine, ct: cancellationToken);
        }
        catch (EmbeddedPostgresException ex)
        {
            throw new BuildFailedException(ex.Message + (pgBin is null ? " (set --pg-bin to use an installed PostgreSQL 13 instead)" : ""));
        }
        catch (HttpRequestException ex)
        {
            throw new BuildFailedException($"Could not download the embedded PostgreSQL binaries: {ex.Message}. Set --pg-bin to use an installed PostgreSQL 13 instead.");
        }
    }

    private PostgresCluster CreateCluster(PostgresBinaries binaries, EnvironmentStore store, int port, string password) =>
        new(binaries, store.PgData, port, password, Superuser) { Log = console.WriteLine };

    private static EnvironmentState NewState(UpPlan plan, string pgBin, int? apiPid) => plan.State() with { PgBin = pgBin, ApiPid = apiPid };

    /// <summary>Turns the libraries' exceptions into a clean build failure that says what was being done.</summary>
    private static BuildFailedException Explain(Exception ex, string what)
    {
        if (ex is OperationCanceledException)
            return new BuildFailedException($"{what}: cancelled.", ex);
        var hint = ex is PostgresException { SqlState: PostgresErrorCodes.InvalidPassword }
            ? " The database was initialised with another password than the one stored for this environment; wipe its data with Down --volumes."
            : "";
        return new BuildFailedException($"{what}: {ex.Message}{hint}", ex);
    }
}
