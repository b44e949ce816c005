using System.Text.RegularExpressions;
using Rates.Processes;

namespace Rates.EmbeddedPostgres;

/// <summary>A folder holding the PostgreSQL server programs initdb, pg_ctl and postgres.</summary>
public sealed partial class PostgresBinaries
{
    private static readonly string[] RequiredPrograms = ["initdb", "pg_ctl", "postgres"];

    private PostgresBinaries(string binDirectory, string version, string source)
    {
        BinDirectory = binDirectory;
        Version = version;
        Source = source;
    }

    /// <summary>Absolute path of the folder with initdb, pg_ctl and postgres.</summary>
    public string BinDirectory { get; }

    /// <summary>PostgreSQL version the server reports, e.g. <c>13.23</c>.</summary>
    public string Version { get; }

    /// <summary>Major version, e.g. 13.</summary>
    public int MajorVersion => int.Parse(Version.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Where the binaries came from: the npm package and version, or <c>PgBin</c> with the folder.</summary>
    public string Source { get; }

    public string InitDb => ProgramPath("initdb");

    public string PgCtl => ProgramPath("pg_ctl");

    public string Postgres => ProgramPath("postgres");

    /// <summary>
    /// Uses an installed PostgreSQL (the <c>PgBin</c> parameter). Throws a clear message when the folder lacks
    /// initdb, pg_ctl or postgres, or when postgres cannot report its version.
    /// </summary>
    public static PostgresBinaries FromDirectory(string pgBin) => Create(pgBin, $"PgBin {pgBin}");

    internal static PostgresBinaries Create(string binDirectory, string source)
    {
        if (string.IsNullOrWhiteSpace(binDirectory))
        {
            throw new EmbeddedPostgresException("The PostgreSQL bin folder (PgBin) must not be empty.");
        }

        var full = Path.GetFullPath(binDirectory);
        if (!Directory.Exists(full))
        {
            throw new EmbeddedPostgresException(
                $"The PostgreSQL bin folder '{full}' does not exist. PgBin must name the folder that holds initdb, pg_ctl and postgres " +
                "(e.g. /usr/lib/postgresql/13/bin).");
        }

        var missing = RequiredPrograms.Where(p => !File.Exists(Path.Combine(full, ExecutableName(p)))).ToList();
        if (missing.Count > 0)
        {
            throw new EmbeddedPostgresException(
                $"The PostgreSQL bin folder '{full}' lacks {string.Join(", ", missing)}. PgBin must name the folder that holds " +
                "initdb, pg_ctl and postgres (the server package, e.g. /usr/lib/postgresql/13/bin, not only the client).");
        }

        return new PostgresBinaries(full, ReadVersion(Path.Combine(full, ExecutableName("postgres"))), source);
    }

    public override string ToString() => $"PostgreSQL {Version} from {Source} ({BinDirectory})";

    private string ProgramPath(string name) => Path.Combine(BinDirectory, ExecutableName(name));

    private static string ExecutableName(string name) => OperatingSystem.IsWindows() ? name + ".exe" : name;

    // "postgres --version" is answered before the server's refusal to run as root, so it works for every caller.
    private static string ReadVersion(string postgres)
    {
        CommandResult result;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            // Synchronous on purpose: the binaries are described once, when they are chosen.
            result = CommandRunner.RunAsync(postgres, ["--version"], cancellationToken: timeout.Token).GetAwaiter().GetResult();
        }
        catch (CommandStartException e)
        {
            throw new EmbeddedPostgresException($"Could not run '{postgres} --version': {e.InnerException?.Message}", e);
        }
        catch (OperationCanceledException)
        {
            throw new EmbeddedPostgresException($"'{postgres} --version' did not answer within 30 seconds.");
        }

        var output = string.Join('\n', result.Lines).Trim();
        var exitCode = result.ExitCode;
        var match = VersionPattern().Match(output);
        if (exitCode != 0 || !match.Success)
        {
            throw new EmbeddedPostgresException(
                $"'{postgres} --version' failed (exit code {exitCode}): {output}. The binaries are incomplete or do not fit this machine.");
        }

        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"\(PostgreSQL\)\s+(\d+(?:\.\d+)*)")]
    private static partial Regex VersionPattern();
}
