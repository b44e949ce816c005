using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Rates.Database;
using Rates.EmbeddedPostgres;

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
internal sealed class LocalEnvironment(IAnsiConsole console, ProcessRunner processes, CancellationToken cancellationToken)
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

        // postmaster.pid lines: pid, data directory, start time, port, ...
        int? postgresPid = null, postgresPort = null;
        var postmaster = store.PgData / "postmaster.pid";
        if (postmaster.FileExists)
        {
            try
            {
                var lines = File.ReadAllLines(postmaster);
                if (lines.Length > 3 && int.TryParse(lines[0].Trim(), CultureInfo.InvariantCulture, out var pid) && IsAlive(pid))
                {
                    postgresPid = pid;
                    postgresPort = int.TryParse(lines[3].Trim(), CultureInfo.InvariantCulture, out var port) ? port : null;
                }
            }
            catch (IOException)
            {
                // Being rewritten by a starting or stopping server: treat as not running.
            }
        }

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

    /// <summary>Replaces the data of a running environment: the project's seed, or a pg_dump plain SQL file.</summary>
    public async Task SeedAsync(EnvironmentStore store, int dbPort, string password, AbsolutePath? dump, AbsolutePath seedFile)
    {
        var connectionString = DatabaseCounts.ConnectionString(dbPort, password);
        var path = dump ?? seedFile;
        try
        {
            var isDump = DatabaseSeeder.CreatesTables(path);
            console.WriteLine(isDump
                ? $"{path} creates tables: loading it as a full dump (schema and data), then the migrations on top."
                : $"{path} holds data only: migrating, then loading it.");
            await DatabaseSeeder.ReloadAsync(connectionString, isDump ? (string)path : null, path, console.WriteLine, cancellationToken);
        }
        catch (Exception ex)
        {
            throw Explain(ex, $"Loading {path} into environment '{store.Name}' failed");
        }
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

    private static EnvironmentState NewState(UpPlan plan, string pgBin, int? apiPid) => new()
    {
        Name = plan.Name,
        Runtime = EnvironmentRuntime.Local,
        ApiPort = plan.ApiPort,
        DbPort = plan.DbPort,
        PgBin = pgBin,
        ApiPid = apiPid,
    };

    /// <summary>The service's role and database, created once; the role gets the environment's password.</summary>
    private async Task EnsureDatabaseAsync(string superuserConnectionString, string password)
    {
        await using var connection = new NpgsqlConnection(superuserConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var role = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = @name", connection))
        {
            role.Parameters.AddWithValue("name", DatabaseUser);
            if (await role.ExecuteScalarAsync(cancellationToken) is null)
            {
                // Utility statements take no parameters; the literal is escaped (standard_conforming_strings is on).
                await using var create = new NpgsqlCommand(
                    $"CREATE ROLE {DatabaseUser} LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
                console.WriteLine($"Created the role {DatabaseUser}");
            }
        }

        await using var database = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        database.Parameters.AddWithValue("name", DatabaseName);
        if (await database.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName} OWNER {DatabaseUser} ENCODING 'UTF8'", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            console.WriteLine($"Created the database {DatabaseName}");
        }
    }

    /// <summary>
    /// What db/migrations/0004_least_privilege.sql needs from an administrator when the migrating role is not a
    /// superuser (as here: no superuser shares the environment's password): the shared group role
    /// <c>rates_service</c>, and the database's schema <c>public</c> owned by the database's owner, so its
    /// migrations can revoke CREATE from PUBLIC. Both idempotent, applied on every Up.
    /// </summary>
    private async Task EnsureLeastPrivilegeAsync(string superuserDatabaseConnectionString)
    {
        await using var connection = new NpgsqlConnection(superuserDatabaseConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rates_service') THEN
                    CREATE ROLE rates_service NOLOGIN;
                END IF;
            END
            $$;
            ALTER SCHEMA public OWNER TO {DatabaseUser};
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>What <c>Rates.Migrator seed</c> does: migrations, then the seed only into an empty database.</summary>
    private async Task MigrateAndSeedAsync(string connectionString, AbsolutePath seedFile)
    {
        if (await DatabaseSeeder.HasDataAsync(connectionString, cancellationToken))
        {
            console.WriteLine("The database already has data; applying migrations only.");
            console.WriteLine(DatabaseMigrator.Apply(connectionString, console.WriteLine).ToString());
            return;
        }

        if (!seedFile.FileExists)
            throw new BuildFailedException($"The project's seed {seedFile} is missing; regenerate it with ./build.sh GenerateSeed.");
        var isDump = DatabaseSeeder.CreatesTables(seedFile);
        await DatabaseSeeder.ReloadAsync(connectionString, isDump ? (string)seedFile : null, seedFile, console.WriteLine, cancellationToken);
    }

    private async Task<int> StartApiAsync(UpPlan plan, AbsolutePath publishedApi, string pgBin)
    {
        var store = plan.Store;
        // A private copy: publishing again (or another environment's Up) never changes the files of a running service.
        store.ApiDirectory.CreateOrCleanDirectory();
        CopyDirectory(publishedApi, store.ApiDirectory);
        if (!PostgresCluster.IsPortFree(plan.ApiPort))
            throw new BuildFailedException($"API port: {PortAllocator.InUseMessage(plan.ApiPort)}.");
        var logOffset = store.ApiLog.FileExists ? new FileInfo(store.ApiLog).Length : 0;
        if (File.Exists(store.ApiPidFile))
            File.Delete(store.ApiPidFile);

        // setsid detaches the service from the build's session (it outlives the build and Ctrl+C in its terminal);
        // the shell records its pid, then becomes the service with the output going to api.log.
        const string script = "echo $$ > \"$1\"; exec \"$2\" \"$3\" >> \"$4\" 2>&1 < /dev/null";
        var detach = FindOnPath("setsid") is not null ? "setsid" : "nohup";
        var start = new ProcessStartInfo(detach) { UseShellExecute = false, WorkingDirectory = store.ApiDirectory };
        if (detach == "setsid")
            start.ArgumentList.Add("-f");
        foreach (var argument in new[] { "/bin/sh", "-c", script, "sh", store.ApiPidFile, DotNetHost(), store.ApiDirectory / ApiAssembly, store.ApiLog })
            start.ArgumentList.Add(argument);
        // Configured only through the environment (the API's keys), nothing on the command line.
        start.Environment.Remove("ConnectionStrings__Rates");
        start.Environment["Database__Host"] = "127.0.0.1";
        start.Environment["Database__Port"] = plan.DbPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Database__Name"] = DatabaseName;
        start.Environment["Database__Username"] = DatabaseUser;
        start.Environment["Database__Password"] = plan.Password;
        start.Environment["Service__Port"] = plan.ApiPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Service__ListenAddress"] = "127.0.0.1";
        // Batch writes need an API key unless allowed without one; this environment, on 127.0.0.1 only, allows them.
        start.Environment["Auth__AllowAnonymousWrites"] = "true";

        console.WriteLine($"Starting the service on http://127.0.0.1:{plan.ApiPort} (log {store.ApiLog})");
        using (var launcher = Process.Start(start) ?? throw new BuildFailedException($"Could not start {detach}."))
        {
            await launcher.WaitForExitAsync(cancellationToken);
            if (launcher.ExitCode != 0)
                throw new BuildFailedException($"Could not start the service: {detach} exited with code {launcher.ExitCode}.");
        }

        var pid = await WaitForPidFileAsync(store.ApiPidFile)
            ?? throw new BuildFailedException($"The service did not start: no pid in {store.ApiPidFile}. Log: {ReadTail(store.ApiLog, logOffset)}");
        store.Save(NewState(plan, pgBin, pid)); // Down finds the process even if this run stops here
        console.WriteLine($"The service runs as pid {pid}; waiting for /health/ready...");

        var answer = await ServiceProbe.WaitUntilReadyAsync(plan.ApiPort, s_readyTimeout, () => IsAlive(pid), cancellationToken);
        if (answer.Ready)
            return pid;

        var exited = !IsAlive(pid);
        if (!exited)
            await StopApiAsync(pid);
        throw new BuildFailedException(
            (exited ? "The service exited" : $"The service did not become ready ({answer.Detail} on {ServiceProbe.BaseUrl(plan.ApiPort)}/health/ready)") + ". " +
            $"Last lines of {store.ApiLog}:{Environment.NewLine}{ReadTail(store.ApiLog, logOffset)}");
    }

    private async Task StopApiAsync(int pid)
    {
        console.WriteLine($"Stopping the service (pid {pid}, SIGTERM; waiting up to {s_stopTimeout.TotalSeconds:0} s while it drains requests)");
        await SignalAndWaitAsync(pid, "TERM", "The service");
    }

    private async Task SignalAndWaitAsync(int pid, string signal, string what)
    {
        await processes.RunAsync("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)],
            new ProcessOptions { Echo = false, CheckExitCode = false }, CancellationToken.None);
        var deadline = DateTime.UtcNow + s_stopTimeout;
        while (IsAlive(pid) && DateTime.UtcNow < deadline)
            await Task.Delay(200, CancellationToken.None);
        if (!IsAlive(pid))
            return;
        console.WriteLine($"{what} (pid {pid}) did not stop within {s_stopTimeout.TotalSeconds:0} s; killing it.");
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        catch (ArgumentException)
        {
            // Exited meanwhile.
        }
    }

    private static async Task<int?> WaitForPidFileAsync(AbsolutePath file)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (ReadFirstInt(file) is { } pid)
                return pid;
            await Task.Delay(100);
        }

        return null;
    }

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

    internal static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The pid runs this environment's copy of the service (not a recycled pid of something else).</summary>
    private static bool IsApiProcess(int pid, EnvironmentStore store)
    {
        if (!IsAlive(pid))
            return false;
        var commandLine = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline";
        if (!File.Exists(commandLine))
            return true; // no /proc (macOS): the pid file is all there is
        try
        {
            return File.ReadAllText(commandLine).Replace('\0', ' ').Contains(store.ApiDirectory / ApiAssembly, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int? ReadFirstInt(AbsolutePath file)
    {
        try
        {
            return file.FileExists && int.TryParse(File.ReadLines(file).FirstOrDefault()?.Trim(), CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string ReadTail(AbsolutePath file, long offset)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
            // A crash ends with a long stack trace; its first lines say what happened, so show from there.
            var crash = lines.FindLastIndex(l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
            var shown = crash >= 0 ? lines.Skip(crash).Take(LogTailLines / 3).ToList() : lines.TakeLast(LogTailLines).ToList();
            return shown.Count == 0 ? "  (empty)" : string.Join(Environment.NewLine, shown.Select(l => "  " + l));
        }
        catch (IOException)
        {
            return "  (no log)";
        }
    }

    /// <summary>The dotnet host running this build, so the service runs on the same installation.</summary>
    private static string DotNetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);

    private static void CopyDirectory(string source, string target)
    {
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)), overwrite: true);
    }
}
