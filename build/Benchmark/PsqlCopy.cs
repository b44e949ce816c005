using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Rates.Processes;

namespace Rates.Build.Benchmark;

/// <summary>Where the benchmark runs psql for the COPY figure.</summary>
public enum PsqlLocation
{
    /// <summary>psql on PATH when there is one, else in the database container (docker runtime).</summary>
    Auto,

    /// <summary>psql on PATH, over TCP to the environment's published database port.</summary>
    Host,

    /// <summary>psql inside the environment's db container (<c>docker compose exec</c>); docker runtime only.</summary>
    Container,
}

/// <summary>
/// How to start psql against an environment's database: <see cref="Executable"/> and <see cref="Prefix"/> start psql
/// itself (the host's psql, or <c>docker compose ... exec -T db psql</c>); <see cref="Connection"/> are its connection
/// options. The password travels in <c>PGPASSWORD</c> only, never on a command line.
/// </summary>
internal sealed record PsqlCommand(
    string Executable,
    IReadOnlyList<string> Prefix,
    IReadOnlyList<string> Connection,
    IReadOnlyDictionary<string, string?> Environment,
    string Description)
{
    public const string Database = "rates";
    public const string User = "rates";

    /// <summary>The host's psql (found on PATH) to 127.0.0.1:<paramref name="port"/>.</summary>
    public static PsqlCommand OnHost(string psqlPath, int port, string password) => new(
        psqlPath,
        [],
        ConnectionOptions(port),
        new Dictionary<string, string?> { ["PGPASSWORD"] = password, ["PGAPPNAME"] = "rates-benchmark", ["PGCONNECT_TIMEOUT"] = "10" },
        $"psql on the host ({psqlPath}), over TCP to 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// psql in the db service of a compose project. <c>exec -e NAME</c> without a value hands the variable from docker's
    /// own environment into the container, so the password is on no command line, neither here nor in the container.
    /// </summary>
    public static PsqlCommand InContainer(string composeFile, string project, string service, int containerPort,
        IReadOnlyDictionary<string, string?> composeVariables, string password)
    {
        var environment = new Dictionary<string, string?>(composeVariables)
        {
            ["PGPASSWORD"] = password,
            ["PGAPPNAME"] = "rates-benchmark",
            ["PGCONNECT_TIMEOUT"] = "10",
        };
        return new PsqlCommand(
            "docker",
            ["compose", "-p", project, "-f", composeFile, "exec", "-T", "-e", "PGPASSWORD", "-e", "PGAPPNAME", "-e", "PGCONNECT_TIMEOUT", service, "psql"],
            ConnectionOptions(containerPort),
            environment,
            $"psql in the {service} container (docker compose -p {project} exec), over TCP to 127.0.0.1:{containerPort.ToString(CultureInfo.InvariantCulture)} inside it");
    }

    /// <summary>
    /// No ~/.psqlrc; never prompt for a password (fail instead of hanging); bare values, so answers can be read line by
    /// line; ON_ERROR_STOP: an error ends psql with a non-zero exit code; commands from stdin. Long option names: a
    /// <c>docker compose exec</c> wrapper may take a short one such as <c>-t</c> for its own.
    /// </summary>
    private static string[] ConnectionOptions(int port) =>
    [
        "--no-psqlrc", "--no-password", "--no-align", "--tuples-only", "--set", "ON_ERROR_STOP=1",
        "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--username", User, "--dbname", Database, "--file", "-",
    ];

    public string CommandLine => string.Join(' ', Prefix.Prepend(Executable).Concat(Connection));
}

/// <summary>
/// Runs psql's <c>COPY ... FROM STDIN</c> of a CSV file into <c>public.prices</c>, timed like an upload to the API:
/// psql is started and connected first (a <c>SELECT</c> round trip proves it), then the clock runs from the first
/// byte of the COPY statement to psql's <c>COPY n</c>, which it prints once the statement has committed (psql runs it
/// in autocommit mode: one transaction, as the API's).
/// </summary>
internal static partial class PsqlCopy
{
    public const string CopySql = "COPY public.prices (orig_code, dest_code, day, price) FROM STDIN WITH (FORMAT csv, HEADER true)";

    /// <summary>The same COPY into another table with the same columns (the bare table of the physical limit).</summary>
    public static string CopyInto(string table) => CopySql.Replace("public.prices", table, StringComparison.Ordinal);

    private const string ReadyQuery = "SELECT 'rates-benchmark-ready';";
    private const string ReadyAnswer = "rates-benchmark-ready";

    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_copyTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The first line of <c>psql --version</c>, e.g. "psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".</summary>
    /// <exception cref="BuildFailedException">psql could not be started or failed.</exception>
    public static async Task<string> VersionAsync(PsqlCommand psql, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_connectTimeout);
        CommandResult result;
        try
        {
            result = await CommandRunner.RunAsync(psql.Executable, [.. psql.Prefix, "--version"], Settings(psql), timeout.Token);
        }
        catch (CommandStartException ex)
        {
            throw new BuildFailedException($"Could not start '{psql.Executable}' ({ex.InnerException?.Message}). Command: {psql.CommandLine}", ex);
        }

        var first = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (!result.Succeeded || first is null)
            throw Failure(psql, $"`{result.CommandLine}` failed with exit code {result.ExitCode}", result.StandardError);
        return first;
    }

    /// <summary>Copies <paramref name="csvFile"/> (with a header line) into public.prices; returns the time from the COPY statement to its commit.</summary>
    /// <exception cref="BuildFailedException">psql failed, or committed another number of rows than <paramref name="expectedRows"/>.</exception>
    public static async Task<TimeSpan> CopyAsync(PsqlCommand psql, string csvFile, int expectedRows, CancellationToken cancellationToken,
        string table = "public.prices")
    {
        await using var session = Start(psql);

        // psql's own words (on stderr) say what went wrong; they are complete once it has exited.
        async Task<BuildFailedException> FailAsync(string what)
        {
            session.CloseInput();
            await WaitQuietlyAsync(session);
            return Failure(psql, what, session.StandardError);
        }

        try
        {
            // Connected and authenticated before the clock starts, as the API's keep-alive connection is.
            await session.WriteAsync(ReadyQuery + "\n", cancellationToken);
            var ready = await ReadLineAsync(session, s_connectTimeout, "connecting", cancellationToken);
            if (ready != ReadyAnswer)
                throw await FailAsync(ready is null ? "psql ended before it connected" : $"psql answered '{ready}' instead of '{ReadyAnswer}'");

            var stopwatch = Stopwatch.StartNew();
            await session.WriteAsync(CopyInto(table) + ";\n", cancellationToken);
            await using (var file = new FileStream(csvFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
                await session.WriteAsync(file, cancellationToken);
            // End of the data, then end of the script: psql exits once the COPY is done.
            await session.WriteAsync("\\.\n", cancellationToken);
            session.CloseInput();
            var status = await ReadLineAsync(session, s_copyTimeout, "copying", cancellationToken);
            var elapsed = stopwatch.Elapsed;
            var exitCode = await session.WaitForExitAsync(s_connectTimeout, cancellationToken);

            var match = status is null ? null : CopyStatus().Match(status);
            if (match is not { Success: true } || exitCode != 0)
                throw await FailAsync($"COPY did not complete (psql exit code {exitCode}{(status is null ? "" : $", answered '{status}'")})");
            var rows = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            if (rows != expectedRows)
                throw new BuildFailedException($"psql copied {rows:N0} rows from {csvFile}; expected {expectedRows:N0}.");
            return elapsed;
        }
        catch (IOException ex)
        {
            // Writing to psql fails when it has already exited (bad password, unknown table...).
            throw await FailAsync($"psql stopped reading its input ({ex.Message})");
        }
    }

    private static CommandSettings Settings(PsqlCommand psql) =>
        new() { WorkingDirectory = BuildBase.RootDirectory, Environment = psql.Environment };

    private static InteractiveProcess Start(PsqlCommand psql)
    {
        try
        {
            return InteractiveProcess.Start(psql.Executable, [.. psql.Prefix, .. psql.Connection], Settings(psql));
        }
        catch (CommandStartException ex)
        {
            throw new BuildFailedException($"Could not start '{psql.Executable}' ({ex.InnerException?.Message}). Command: {psql.CommandLine}", ex);
        }
    }

    private static async Task<string?> ReadLineAsync(InteractiveProcess session, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await session.ReadLineAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new BuildFailedException($"psql gave no answer within {timeout.TotalSeconds:0} s while {what}.");
        }
    }

    private static async Task WaitQuietlyAsync(InteractiveProcess session)
    {
        try
        {
            await session.WaitForExitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        catch (TimeoutException)
        {
            // Killed: what it said so far is the message.
        }
    }

    private static BuildFailedException Failure(PsqlCommand psql, string what, string stderr)
    {
        var errors = stderr.Trim();
        if (psql.Environment.TryGetValue("PGPASSWORD", out var password) && !string.IsNullOrEmpty(password))
            errors = errors.Replace(password, "****", StringComparison.Ordinal);
        return new BuildFailedException($"{what}. Command: {psql.CommandLine}" +
            (errors.Length == 0 ? "" : $"{Environment.NewLine}psql said:{Environment.NewLine}  {errors.ReplaceLineEndings(Environment.NewLine + "  ")}"));
    }

    [GeneratedRegex(@"\ACOPY ([0-9]+)\z")]
    private static partial Regex CopyStatus();
}
