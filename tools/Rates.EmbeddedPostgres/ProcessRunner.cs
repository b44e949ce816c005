using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Rates.EmbeddedPostgres;

/// <summary>Runs a command to completion and turns a failure into a message with the command line and its output.</summary>
internal static class ProcessRunner
{
    private const int TailLines = 30;

    public static async Task<BufferedCommandResult> RunAsync(
        string file,
        IReadOnlyList<string> arguments,
        string what,
        CancellationToken ct,
        bool throwOnFailure = true,
        string? workingDirectory = null,
        IReadOnlySet<int>? acceptedExitCodes = null)
    {
        var command = Cli.Wrap(file)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None);
        if (workingDirectory is not null)
        {
            command = command.WithWorkingDirectory(workingDirectory);
        }

        BufferedCommandResult result;
        try
        {
            result = await command.ExecuteBufferedAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // CliWrap throws here when the executable cannot be started at all (missing, not executable).
            throw new EmbeddedPostgresException($"{what} could not be started: {FormatCommandLine(file, arguments)}: {e.Message}", e);
        }

        var accepted = result.ExitCode == 0 || (acceptedExitCodes?.Contains(result.ExitCode) ?? false);
        if (!accepted && throwOnFailure)
        {
            throw new EmbeddedPostgresException(
                $"{what} failed with exit code {result.ExitCode}.{Environment.NewLine}" +
                $"Command: {FormatCommandLine(file, arguments)}{Environment.NewLine}" +
                OutputTail(result));
        }

        return result;
    }

    public static string OutputTail(BufferedCommandResult result)
    {
        var text = new StringBuilder();
        var output = (result.StandardOutput + result.StandardError).Trim();
        text.Append("Output:");
        text.Append(output.Length == 0 ? " (none)" : Environment.NewLine + Tail(output, TailLines));
        return text.ToString();
    }

    public static string Tail(string text, int lines)
    {
        var all = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)).Select(l => "  " + l));
    }

    public static string FormatCommandLine(string file, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { file }.Concat(arguments).Select(Quote));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./=:,@+%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
