using System.Globalization;
using System.Text.RegularExpressions;
using Rates.Processes;

namespace Rates.Build.Benchmark;

/// <summary>One /rates request, as the service and pgbench both run it: a lane and a range of days.</summary>
internal sealed record CanonicalQuery(string OrigCode, string DestCode, DateOnly From, DateOnly To)
{
    public string PathAndQuery => string.Create(CultureInfo.InvariantCulture,
        $"/rates?date_from={From:yyyy-MM-dd}&date_to={To:yyyy-MM-dd}&orig_code={OrigCode}&dest_code={DestCode}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{OrigCode} -> {DestCode}, {From:yyyy-MM-dd} to {To:yyyy-MM-dd}");
}

/// <summary>What pgbench measured, or why it was not run.</summary>
internal sealed record PgbenchResult(double? TransactionsPerSecond, double? AverageLatencyMs, string Tool, string? NotMeasured)
{
    public static PgbenchResult Skipped(string why) => new(null, null, "-", why);
}

/// <summary>
/// PostgreSQL's own speed on the service's statement: pgbench runs the text of src/Rates.Api/Rates/DailyPrices.sql,
/// prepared (<c>-M prepared</c>), with the same parameters and connections as the service is measured with. pgbench
/// on PATH first; else the official postgres image's pgbench (<c>docker run --network host</c>) when a Docker engine
/// answers; else nothing, and the report says why.
/// </summary>
internal static partial class Pgbench
{
    /// <summary>The image whose pgbench is used when there is none on PATH.</summary>
    public const string Image = "postgres:13.5";

    /// <summary>pgbench runs at least this long: its clients connect within its time, and a busy machine takes a while for 16.</summary>
    public const int MinSeconds = 5;

    public static AbsolutePath StatementFile => BuildBase.RootDirectory / "src" / "Rates.Api" / "Rates" / "DailyPrices.sql";

    /// <summary>
    /// The service's statement as a pgbench script: $1..$4 become pgbench variables, cast to the types the service
    /// binds (date, date, text, text), so the server prepares the same statement with the same parameter types.
    /// </summary>
    public static string Script(string statement) =>
        statement.Replace("$4", ":dest_code::text", StringComparison.Ordinal)
            .Replace("$3", ":orig_code::text", StringComparison.Ordinal)
            .Replace("$2", ":date_to::date", StringComparison.Ordinal)
            .Replace("$1", ":date_from::date", StringComparison.Ordinal)
            .TrimEnd() + ";\n";

    /// <summary>Runs pgbench for <paramref name="duration"/> with <paramref name="connections"/> clients on 2 threads.</summary>
    /// <exception cref="BuildFailedException">pgbench ran but failed (its output is in the message).</exception>
    public static async Task<PgbenchResult> RunAsync(int dbPort, string password, CanonicalQuery query, int connections, TimeSpan duration,
        AbsolutePath workDirectory, CancellationToken cancellationToken)
    {
        var script = workDirectory / "rates.pgbench.sql";
        await File.WriteAllTextAsync(script, Script(await File.ReadAllTextAsync(StatementFile, cancellationToken)), cancellationToken);
        List<string> options =
        [
            "-n", "-M", "prepared", "-c", Text(connections), "-j", Text(Math.Min(2, connections)), "-T", Text(Math.Max(MinSeconds, (int)Math.Ceiling(duration.TotalSeconds))),
            "-D", $"date_from={query.From:yyyy-MM-dd}", "-D", $"date_to={query.To:yyyy-MM-dd}",
            "-D", $"orig_code={query.OrigCode}", "-D", $"dest_code={query.DestCode}",
            "-h", "127.0.0.1", "-p", Text(dbPort), "-U", PsqlCommand.User,
        ];
        var environment = new Dictionary<string, string?> { ["PGPASSWORD"] = password, ["PGAPPNAME"] = "rates-benchmark-pgbench" };

        string program, tool;
        List<string> arguments, versionArguments;
        if (ExecutableSearch.FindOnPath("pgbench") is { } onPath)
        {
            program = onPath;
            arguments = [.. options, "-f", script, PsqlCommand.Database];
            versionArguments = ["--version"];
            tool = $"pgbench on the host ({onPath})";
        }
        else if (ExecutableSearch.FindOnPath("docker") is { } docker && await DockerAnswersAsync(docker, cancellationToken))
        {
            program = docker;
            arguments = ["run", "--rm", "--network", "host", "-e", "PGPASSWORD", "-e", "PGAPPNAME",
                "-v", $"{workDirectory}:/benchmark:ro", Image, "pgbench", .. options, "-f", "/benchmark/rates.pgbench.sql", PsqlCommand.Database];
            versionArguments = ["run", "--rm", Image, "pgbench", "--version"];
            tool = $"pgbench of the {Image} image (docker run --network host)";
        }
        else
        {
            return PgbenchResult.Skipped("no pgbench on PATH and no Docker engine answering to run the " + Image + " image's; install the PostgreSQL client (e.g. apt-get install postgresql-client)");
        }

        var result = await CommandRunner.RunAsync(program, arguments, new CommandSettings { Environment = environment }, cancellationToken);
        var output = result.StandardOutput;
        var tps = TpsLine().Match(output);
        if (result.Succeeded && output.Contains("number of transactions actually processed: 0", StringComparison.Ordinal))
            return PgbenchResult.Skipped("pgbench completed no transaction in its time (its clients were still connecting; a busy machine)");
        if (!result.Succeeded || !tps.Success)
        {
            var said = string.Join(Environment.NewLine, result.Tail(20)).Replace(password, "****", StringComparison.Ordinal);
            throw new BuildFailedException($"pgbench failed (exit code {result.ExitCode}). Command: {result.CommandLine}{Environment.NewLine}{said}");
        }

        var version = await VersionAsync(program, versionArguments, cancellationToken);
        var latency = LatencyLine().Match(output);
        return new PgbenchResult(double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            latency.Success ? double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture) : null, $"{version}; {tool}", null);
    }

    private static async Task<bool> DockerAnswersAsync(string docker, CancellationToken cancellationToken)
    {
        var info = await CommandRunner.RunAsync(docker, ["info", "--format", "{{.ServerVersion}}"], cancellationToken: cancellationToken);
        return info.Succeeded;
    }

    private static async Task<string> VersionAsync(string program, List<string> arguments, CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync(program, arguments, cancellationToken: cancellationToken);
        return result.Succeeded ? result.StandardOutput.Trim() : "pgbench (version unknown)";
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    // "tps = 883.123456 (without initial connection time)" (pgbench 14 and later) or "(excluding connections establishing)".
    [GeneratedRegex(@"^tps = ([0-9.]+) \((?:without|excluding)", RegexOptions.Multiline)]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"^latency average = ([0-9.]+) ms", RegexOptions.Multiline)]
    private static partial Regex LatencyLine();
}
