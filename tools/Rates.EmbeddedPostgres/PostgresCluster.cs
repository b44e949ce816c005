using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Rates.Processes;

namespace Rates.EmbeddedPostgres;

/// <summary>
/// One PostgreSQL cluster (data directory) controlled with initdb and pg_ctl. The server listens on 127.0.0.1 only
/// (no Unix socket) and requires the superuser's password (scram-sha-256). When this process is root, every
/// command and the server itself run as an unprivileged account (<c>nobody</c> unless told otherwise), because
/// PostgreSQL refuses to run as root.
/// </summary>
public sealed partial class PostgresCluster
{
    private const string VersionFile = "PG_VERSION";
    private const string PidFile = "postmaster.pid";
    private const int LogTailLines = 25;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _password;
    private readonly string? _runAsUser;
    private readonly SemaphoreSlim _accountGate = new(1, 1);
    private UnixAccount? _account;
    private bool _accountResolved;
    private bool _accessChecked;

    /// <param name="binaries">initdb, pg_ctl and postgres to use.</param>
    /// <param name="dataDirectory">The cluster's data directory; created by <see cref="InitAsync"/>.</param>
    /// <param name="port">TCP port on 127.0.0.1.</param>
    /// <param name="password">The superuser's password (required: the server accepts only password logins).</param>
    /// <param name="superuser">The superuser role initdb creates.</param>
    /// <param name="runAsUser">Account for the server when this process is root (default <c>nobody</c>); ignored otherwise.</param>
    public PostgresCluster(
        PostgresBinaries binaries,
        string dataDirectory,
        int port,
        string password,
        string superuser = "postgres",
        string? runAsUser = null)
    {
        ArgumentNullException.ThrowIfNull(binaries);
        if (string.IsNullOrWhiteSpace(dataDirectory))
        {
            throw new EmbeddedPostgresException("The PostgreSQL data directory must not be empty.");
        }

        if (port is < 1 or > 65535)
        {
            throw new EmbeddedPostgresException($"PostgreSQL port {port} is invalid: use 1-65535.");
        }

        if (string.IsNullOrEmpty(password) || password.Contains('\n', StringComparison.Ordinal) || password.Contains('\r', StringComparison.Ordinal))
        {
            throw new EmbeddedPostgresException("The PostgreSQL superuser password must be non-empty and on one line.");
        }

        if (!RoleName().IsMatch(superuser ?? ""))
        {
            throw new EmbeddedPostgresException(
                $"The PostgreSQL superuser name '{superuser}' is invalid: use letters, digits and underscores, starting with a letter or underscore.");
        }

        Binaries = binaries;
        DataDirectory = Path.GetFullPath(dataDirectory);
        Port = port;
        Superuser = superuser!;
        _password = password;
        _runAsUser = runAsUser;
        LogFile = Path.Combine(Path.GetDirectoryName(DataDirectory) ?? DataDirectory, "postgres.log");
    }

    public PostgresBinaries Binaries { get; }

    /// <summary>Absolute path of the data directory.</summary>
    public string DataDirectory { get; }

    public int Port { get; }

    public string Superuser { get; }

    /// <summary>The server log pg_ctl writes; by default <c>postgres.log</c> beside the data directory.</summary>
    public string LogFile { get; init; }

    /// <summary>How long <see cref="StartAsync"/> and <see cref="StopAsync"/> wait for the server.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Extra server settings passed as <c>-c name=value</c> on start (e.g. <c>max_connections</c>).</summary>
    public IReadOnlyDictionary<string, string> ServerSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Receives one line per step (initdb, start, stop); null for silence.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>True when the data directory holds an initialised cluster.</summary>
    public bool IsInitialized => File.Exists(Path.Combine(DataDirectory, VersionFile));

    /// <summary>An Npgsql connection string for <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres")
    {
        var builder = new DbConnectionStringBuilder
        {
            ["Host"] = "127.0.0.1",
            ["Port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["Username"] = Superuser,
            ["Password"] = _password,
            ["Database"] = database,
        };
        return builder.ConnectionString;
    }

    /// <summary>
    /// Runs initdb (UTF8, locale C, scram-sha-256 password authentication) unless the data directory already holds a
    /// cluster. Returns true when a cluster was created, false when one was there.
    /// </summary>
    public async Task<bool> InitAsync(CancellationToken ct = default)
    {
        if (IsInitialized)
        {
            CheckMajorVersion();
            Log?.Invoke($"PostgreSQL data directory {DataDirectory} is already initialised");
            return false;
        }

        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            throw new EmbeddedPostgresException(
                $"The data directory {DataDirectory} is not empty but holds no PostgreSQL cluster (no {VersionFile}). " +
                "Remove it or choose another data directory.");
        }

        var account = await GetAccountAsync(ct).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(DataDirectory)!);
        Directory.CreateDirectory(DataDirectory);
        if (!OperatingSystem.IsWindows())
        {
            // PostgreSQL refuses a data directory that others can read.
            File.SetUnixFileMode(DataDirectory, OwnerOnly);
        }

        if (account is not null)
        {
            await account.ChownAsync(DataDirectory, recursive: true, ct).ConfigureAwait(false);
        }

        await CheckAccessAsync(account, ct).ConfigureAwait(false);

        var passwordFile = Path.Combine(Path.GetTempPath(), $"rates-pg-{Guid.NewGuid():N}.pw");
        try
        {
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // Only initdb's account may read the password.
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var stream = new FileStream(passwordFile, fileOptions))
            await using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                await writer.WriteLineAsync(_password.AsMemory(), ct).ConfigureAwait(false);
            }

            if (account is not null)
            {
                await account.ChownAsync(passwordFile, recursive: false, ct).ConfigureAwait(false);
            }

            Log?.Invoke($"Initialising PostgreSQL {Binaries.Version} cluster in {DataDirectory}{AsAccount(account)}");
            await RunAsync(
                account,
                Binaries.InitDb,
                [
                    "-D", DataDirectory,
                    "-U", Superuser,
                    $"--pwfile={passwordFile}",
                    "--auth=scram-sha-256",
                    "-E", "UTF8",
                    "--locale=C",
                ],
                $"initdb of {DataDirectory}",
                ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(passwordFile);
        }

        return true;
    }

    /// <summary>
    /// Starts the server with pg_ctl and waits until it accepts connections. Does nothing when this cluster already
    /// runs on <see cref="Port"/>. Fails with a clear message when the port is taken, with the server log's tail otherwise.
    /// </summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (!IsInitialized)
        {
            throw new EmbeddedPostgresException(
                $"The data directory {DataDirectory} holds no PostgreSQL cluster (no {VersionFile}); initialise it first (InitAsync).");
        }

        CheckMajorVersion();
        var settings = BuildServerOptions();
        var account = await GetAccountAsync(ct).ConfigureAwait(false);
        if (await IsRunningAsync(ct).ConfigureAwait(false))
        {
            var runningPort = ReadPortFromPidFile();
            if (runningPort is not null && runningPort != Port)
            {
                throw new EmbeddedPostgresException(
                    $"The PostgreSQL cluster in {DataDirectory} already runs on port {runningPort}, not {Port}. Stop it first.");
            }

            Log?.Invoke($"PostgreSQL in {DataDirectory} already runs on port {Port}");
            return;
        }

        if (!IsPortFree(Port))
        {
            throw PortInUse();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(LogFile)!);
        if (!File.Exists(LogFile))
        {
            await File.WriteAllTextAsync(LogFile, "", ct).ConfigureAwait(false);
        }

        if (account is not null)
        {
            await account.ChownAsync(LogFile, recursive: false, ct).ConfigureAwait(false);
        }

        await CheckAccessAsync(account, ct).ConfigureAwait(false);

        var logOffset = new FileInfo(LogFile).Length;
        Log?.Invoke($"Starting PostgreSQL {Binaries.Version} on 127.0.0.1:{Port} (data {DataDirectory}, log {LogFile}){AsAccount(account)}");
        string[] arguments =
        [
            "start", "-w",
            "-t", ((int)Math.Ceiling(Timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            "-D", DataDirectory,
            "-l", LogFile,
            "-o", settings,
        ];
        var (file, wrapped) = Wrap(account, Binaries.PgCtl, arguments);
        var result = await ProcessRunner.RunAsync(file, wrapped, "pg_ctl start", ct, throwOnFailure: false).ConfigureAwait(false);
        if (result.ExitCode == 0)
        {
            return;
        }

        // pg_ctl gives up waiting after the timeout but leaves a slow server running; leave nothing half-started.
        if (await IsRunningAsync(ct).ConfigureAwait(false))
        {
            var (stopFile, stopArguments) = Wrap(account, Binaries.PgCtl, ["stop", "-w", "-m", "immediate", "-D", DataDirectory]);
            await ProcessRunner.RunAsync(stopFile, stopArguments, "pg_ctl stop", ct, throwOnFailure: false).ConfigureAwait(false);
        }

        var log = ReadLogSince(logOffset);
        if (log.Contains("could not bind", StringComparison.OrdinalIgnoreCase) ||
            log.Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
        {
            throw PortInUse();
        }

        throw new EmbeddedPostgresException(
            $"PostgreSQL did not start on 127.0.0.1:{Port} (pg_ctl exit code {result.ExitCode}).{Environment.NewLine}" +
            $"Command: {CommandLine.Format(file, wrapped)}{Environment.NewLine}" +
            ProcessRunner.OutputTail(result) + Environment.NewLine +
            $"Server log {LogFile} (last lines):{Environment.NewLine}" +
            (log.Trim().Length == 0 ? "  (empty)" : ProcessRunner.Tail(log, LogTailLines)));
    }

    /// <summary>Stops the server (fast shutdown: sessions are ended, data is kept). Does nothing when it is not running.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (!await IsRunningAsync(ct).ConfigureAwait(false))
        {
            return;
        }

        var account = await GetAccountAsync(ct).ConfigureAwait(false);
        Log?.Invoke($"Stopping PostgreSQL in {DataDirectory}");
        string[] arguments =
        [
            "stop", "-w", "-m", "fast",
            "-t", ((int)Math.Ceiling(Timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            "-D", DataDirectory,
        ];
        var (file, wrapped) = Wrap(account, Binaries.PgCtl, arguments);
        var result = await ProcessRunner.RunAsync(file, wrapped, "pg_ctl stop", ct, throwOnFailure: false).ConfigureAwait(false);
        if (result.ExitCode != 0 && await IsRunningAsync(ct).ConfigureAwait(false))
        {
            throw new EmbeddedPostgresException(
                $"PostgreSQL in {DataDirectory} did not stop (pg_ctl exit code {result.ExitCode}).{Environment.NewLine}" +
                $"Command: {CommandLine.Format(file, wrapped)}{Environment.NewLine}" +
                ProcessRunner.OutputTail(result));
        }
    }

    /// <summary>True when a server runs on this data directory (<c>pg_ctl status</c>).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken ct = default)
    {
        if (!IsInitialized)
        {
            return false;
        }

        var account = await GetAccountAsync(ct).ConfigureAwait(false);
        var (file, wrapped) = Wrap(account, Binaries.PgCtl, ["status", "-D", DataDirectory]);
        // pg_ctl status: 0 = running, 3 = not running, 4 = no accessible data directory.
        var result = await ProcessRunner.RunAsync(
            file, wrapped, "pg_ctl status", ct, acceptedExitCodes: new HashSet<int> { 3, 4 }).ConfigureAwait(false);
        return result.ExitCode == 0;
    }

    public override string ToString() => $"PostgreSQL {Binaries.Version} at 127.0.0.1:{Port}, data {DataDirectory}";

    private EmbeddedPostgresException PortInUse() => new(
        $"Cannot start PostgreSQL: port {Port} on 127.0.0.1 is already in use. Stop whatever listens there or choose another port.");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex RoleName();

    [GeneratedRegex("^[a-z_][a-z0-9_.]*$")]
    private static partial Regex SettingName();

    [GeneratedRegex("^[A-Za-z0-9_.:/,+-]+$")]
    private static partial Regex SettingValue();
}
