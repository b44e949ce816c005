using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

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
        using var process = Start(psql, [.. psql.Prefix, "--version"]);
        var stderr = CollectStandardError(process);
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_connectTimeout);
        using var kill = timeout.Token.Register(() => Kill(process));
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var first = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (process.ExitCode != 0 || first is null)
            throw Failure(psql, $"`{string.Join(' ', psql.Prefix.Prepend(psql.Executable))} --version` failed with exit code {process.ExitCode}", stderr);
        return first;
    }

    /// <summary>Copies <paramref name="csvFile"/> (with a header line) into public.prices; returns the time from the COPY statement to its commit.</summary>
    /// <exception cref="BuildFailedException">psql failed, or committed another number of rows than <paramref name="expectedRows"/>.</exception>
    public static async Task<TimeSpan> CopyAsync(PsqlCommand psql, string csvFile, int expectedRows, CancellationToken cancellationToken,
        string table = "public.prices")
    {
        using var process = Start(psql, [.. psql.Prefix, .. psql.Connection]);
        var stderr = CollectStandardError(process);
        using var kill = cancellationToken.Register(() => Kill(process));
        var stdin = process.StandardInput.BaseStream;
        var stdout = process.StandardOutput;

        // psql's own words (on stderr) say what went wrong; they are complete once it has exited.
        async Task<BuildFailedException> FailAsync(string what)
        {
            try
            {
                stdin.Close();
            }
            catch (IOException)
            {
                // The pipe is already broken: psql is gone.
            }

            await WaitQuietlyAsync(process);
            return Failure(psql, what, stderr);
        }

        try
        {
            // Connected and authenticated before the clock starts, as the API's keep-alive connection is.
            await WriteAsync(stdin, ReadyQuery + "\n", cancellationToken);
            var ready = await ReadLineAsync(stdout, s_connectTimeout, "connecting", cancellationToken);
            if (ready != ReadyAnswer)
                throw await FailAsync(ready is null ? "psql ended before it connected" : $"psql answered '{ready}' instead of '{ReadyAnswer}'");

            var stopwatch = Stopwatch.StartNew();
            await WriteAsync(stdin, CopyInto(table) + ";\n", cancellationToken);
            await using (var file = new FileStream(csvFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
                await file.CopyToAsync(stdin, 1 << 16, cancellationToken);
            // End of the data, then end of the script: psql exits once the COPY is done.
            await WriteAsync(stdin, "\\.\n", cancellationToken);
            stdin.Close();
            var status = await ReadLineAsync(stdout, s_copyTimeout, "copying", cancellationToken);
            var elapsed = stopwatch.Elapsed;
            await process.WaitForExitAsync(cancellationToken);

            var match = status is null ? null : CopyStatus().Match(status);
            if (match is not { Success: true } || process.ExitCode != 0)
                throw await FailAsync($"COPY did not complete (psql exit code {process.ExitCode}{(status is null ? "" : $", answered '{status}'")})");
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

    private static Process Start(PsqlCommand psql, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(psql.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = BuildBase.RootDirectory,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        foreach (var (name, value) in psql.Environment)
            startInfo.Environment[name] = value;
        try
        {
            return Process.Start(startInfo) ?? throw new BuildFailedException($"Could not start {psql.Executable}.");
        }
        catch (Win32Exception ex)
        {
            throw new BuildFailedException($"Could not start '{psql.Executable}' ({ex.Message}). Command: {psql.CommandLine}", ex);
        }
    }

    private static StringBuilder CollectStandardError(Process process)
    {
        var text = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (text)
                text.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        return text;
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return (await reader.ReadLineAsync(limit.Token))?.Trim();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BuildFailedException($"psql gave no answer within {timeout.TotalSeconds:0} s while {what}.");
        }
    }

    private static async Task WaitQuietlyAsync(Process process)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
        }
    }

    private static BuildFailedException Failure(PsqlCommand psql, string what, StringBuilder stderr)
    {
        string errors;
        lock (stderr)
            errors = stderr.ToString().Trim();
        if (psql.Environment.TryGetValue("PGPASSWORD", out var password) && !string.IsNullOrEmpty(password))
            errors = errors.Replace(password, "****", StringComparison.Ordinal);
        return new BuildFailedException($"{what}. Command: {psql.CommandLine}" +
            (errors.Length == 0 ? "" : $"{Environment.NewLine}psql said:{Environment.NewLine}  {errors.ReplaceLineEndings(Environment.NewLine + "  ")}"));
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    [GeneratedRegex(@"\ACOPY ([0-9]+)\z")]
    private static partial Regex CopyStatus();
}
