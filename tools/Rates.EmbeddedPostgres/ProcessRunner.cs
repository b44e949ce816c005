using Rates.Processes;

namespace Rates.EmbeddedPostgres;

/// <summary>Runs initdb, pg_ctl and friends through the shared <see cref="CommandRunner"/>; a failure becomes an <see cref="EmbeddedPostgresException"/>.</summary>
internal static class ProcessRunner
{
    private const int TailLines = 30;

    public static async Task<CommandResult> RunAsync(
        string file,
        IReadOnlyList<string> arguments,
        string what,
        CancellationToken ct,
        bool throwOnFailure = true,
        string? workingDirectory = null,
        IReadOnlySet<int>? acceptedExitCodes = null)
    {
        CommandResult result;
        try
        {
            result = await CommandRunner.RunAsync(file, arguments, new CommandSettings { WorkingDirectory = workingDirectory }, ct).ConfigureAwait(false);
        }
        catch (CommandStartException e)
        {
            throw new EmbeddedPostgresException($"{what} could not be started: {e.CommandLine}: {e.InnerException?.Message}", e);
        }

        var accepted = result.ExitCode == 0 || (acceptedExitCodes?.Contains(result.ExitCode) ?? false);
        if (!accepted && throwOnFailure)
        {
            throw new EmbeddedPostgresException(
                $"{what} failed with exit code {result.ExitCode}.{Environment.NewLine}" +
                $"Command: {result.CommandLine}{Environment.NewLine}" +
                OutputTail(result));
        }

        return result;
    }

    public static string OutputTail(CommandResult result)
    {
        var tail = result.Tail(TailLines);
        return "Output:" + (tail.Count == 0 ? " (none)" : Environment.NewLine + string.Join(Environment.NewLine, tail.Select(l => "  " + l)));
    }

    public static string Tail(string text, int lines)
    {
        var all = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)).Select(l => "  " + l));
    }
}
