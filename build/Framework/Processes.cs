using Rates.Processes;

namespace Rates.Build.Framework;

public sealed record ProcessOptions
{
    /// <summary>Defaults to the repository root.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Extra environment variables for the child; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Values to mask (as ****) in the echoed output, the command line and error messages, on top of the build's secrets.</summary>
    public IReadOnlyCollection<string> Secrets { get; init; } = [];

    /// <summary>Stream the output to the console while it runs; it is captured either way.</summary>
    public bool Echo { get; init; } = true;

    /// <summary>Throw a <see cref="ProcessFailedException"/> on a non-zero exit code.</summary>
    public bool CheckExitCode { get; init; } = true;

    public string? StandardInput { get; init; }
}

public sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError,
    IReadOnlyList<string> Output, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A command failed or could not start; the message carries the command line and the tail of its output.</summary>
public sealed class ProcessFailedException(string commandLine, int? exitCode, IReadOnlyList<string> outputTail, string message)
    : BuildFailedException(message)
{
    public string CommandLine { get; } = commandLine;

    /// <summary>Null when the process could not be started.</summary>
    public int? ExitCode { get; } = exitCode;

    public IReadOnlyList<string> OutputTail { get; } = outputTail;
}

/// <summary>
/// Runs external commands for targets over the shared <see cref="CommandRunner"/>: output streamed to the console and
/// captured, secrets masked everywhere, a non-zero exit code a <see cref="ProcessFailedException"/> with the output's tail.
/// </summary>
public sealed class ProcessRunner(TextWriter output, string workingDirectory, IEnumerable<string>? secrets = null)
{
    public const int TailLines = 40;

    private readonly string[] _secrets = (secrets ?? []).Where(s => !string.IsNullOrEmpty(s)).ToArray();

    public async Task<ProcessResult> RunAsync(string executable, IEnumerable<string> arguments, ProcessOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ProcessOptions();
        var secrets = _secrets.Concat(options.Secrets.Where(s => !string.IsNullOrEmpty(s)))
            .Distinct().OrderByDescending(s => s.Length).ToArray(); // longest first, so a secret containing another is fully hidden
        string Mask(string text) => secrets.Aggregate(text, (current, secret) => current.Replace(secret, "****", StringComparison.Ordinal));

        var argumentList = arguments.ToList();
        // Mask before quoting: quoting may escape characters of a secret, which would then no longer match.
        var commandLine = string.Join(' ', argumentList.Prepend(executable).Select(a => CommandLine.Quote(Mask(a))));
        if (options.Echo)
            output.WriteLine($"> {commandLine}");

        CommandResult result;
        try
        {
            result = await CommandRunner.RunAsync(executable, argumentList, new CommandSettings
            {
                WorkingDirectory = options.WorkingDirectory ?? workingDirectory,
                Environment = options.Environment,
                StandardInput = options.StandardInput,
                OnLine = options.Echo ? (line, _) => output.WriteLine(Mask(line)) : null,
            }, cancellationToken);
        }
        catch (CommandStartException ex)
        {
            throw new ProcessFailedException(commandLine, null, [],
                $"Could not start '{executable}' ({ex.InnerException?.Message}).{Environment.NewLine}Command: {commandLine}");
        }

        if (options.CheckExitCode && result.ExitCode != 0)
        {
            var tail = result.Tail(TailLines).Select(Mask).ToList();
            var message = $"Command failed with exit code {result.ExitCode}: {commandLine}{Environment.NewLine}" +
                (tail.Count == 0
                    ? "(no output)"
                    : $"Last {tail.Count} lines of output:{Environment.NewLine}{string.Join(Environment.NewLine, tail.Select(l => "  " + l))}");
            throw new ProcessFailedException(commandLine, result.ExitCode, tail, message);
        }

        return new ProcessResult(commandLine, result.ExitCode, result.StandardOutput, result.StandardError, result.Lines, result.Duration);
    }
}
