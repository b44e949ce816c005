using System.ComponentModel;
using System.Diagnostics;
using CliWrap;

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

/// <summary>Runs external commands for targets (over CliWrap) with output streaming, capture and secret masking.</summary>
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

        var lines = new List<string>();
        var stdout = new List<string>();
        var stderr = new List<string>();
        void OnLine(string line, List<string> stream)
        {
            lock (lines)
            {
                lines.Add(line);
                stream.Add(line);
                if (options.Echo)
                    output.WriteLine(Mask(line));
            }
        }

        var argumentList = arguments.ToList();
        var command = Cli.Wrap(executable)
            .WithArguments(argumentList)
            .WithWorkingDirectory(options.WorkingDirectory ?? workingDirectory)
            .WithEnvironmentVariables(options.Environment)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => OnLine(line, stdout)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => OnLine(line, stderr)));
        if (options.StandardInput is not null)
            command = command.WithStandardInputPipe(PipeSource.FromString(options.StandardInput));

        // Mask before quoting: quoting may escape characters of a secret, which would then no longer match.
        var commandLine = string.Join(' ', argumentList.Prepend(executable).Select(a => ShellQuote(Mask(a))));
        if (options.Echo)
            output.WriteLine($"> {commandLine}");

        var stopwatch = Stopwatch.StartNew();
        int exitCode;
        try
        {
            exitCode = (await command.ExecuteAsync(cancellationToken)).ExitCode;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            // CliWrap reports a missing executable or working directory this way.
            throw new ProcessFailedException(commandLine, null, [],
                $"Could not start '{executable}' ({ex.Message}).{Environment.NewLine}Command: {commandLine}");
        }

        List<string> snapshot;
        lock (lines)
            snapshot = [.. lines];
        var result = new ProcessResult(commandLine, exitCode, string.Join('\n', stdout), string.Join('\n', stderr),
            snapshot, stopwatch.Elapsed);
        if (options.CheckExitCode && exitCode != 0)
        {
            var tail = snapshot.TakeLast(TailLines).Select(Mask).ToList();
            var message = $"Command failed with exit code {exitCode}: {commandLine}{Environment.NewLine}" +
                (tail.Count == 0
                    ? "(no output)"
                    : $"Last {tail.Count} lines of output:{Environment.NewLine}{string.Join(Environment.NewLine, tail.Select(l => "  " + l))}");
            throw new ProcessFailedException(commandLine, exitCode, tail, message);
        }

        return result;
    }

    /// <summary>Quotes like a POSIX shell, so a command line in the log can be pasted into a terminal.</summary>
    private static string ShellQuote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%*".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";
}
