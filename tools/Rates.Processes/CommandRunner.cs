using System.ComponentModel;
using System.Diagnostics;
using CliWrap;

namespace Rates.Processes;

/// <summary>How to run one command.</summary>
public sealed record CommandSettings
{
    public string? WorkingDirectory { get; init; }

    /// <summary>Extra environment variables for the child; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public string? StandardInput { get; init; }

    /// <summary>Called for every line of standard output (false) and standard error (true) as it arrives.</summary>
    public Action<string, bool>? OnLine { get; init; }
}

/// <summary>A finished command: its exit code and everything it printed.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError,
    IReadOnlyList<string> Lines, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>It did not exit by itself: it was killed (a <see cref="BackgroundProcess"/> that ignored SIGTERM).</summary>
    public bool Killed { get; init; }

    /// <summary>The last <paramref name="count"/> lines of output (both streams, in the order they came).</summary>
    public IReadOnlyList<string> Tail(int count) => Lines.Skip(Math.Max(0, Lines.Count - count)).ToList();
}

/// <summary>The program could not be started at all (missing, not executable, bad working directory).</summary>
public sealed class CommandStartException(string commandLine, Exception inner)
    : Exception($"Could not start {commandLine}: {inner.Message}", inner)
{
    public string CommandLine { get; } = commandLine;
}

/// <summary>Runs a command to completion (over CliWrap), capturing its output line by line; never throws on an exit code.</summary>
public static class CommandRunner
{
    /// <exception cref="CommandStartException">The program could not be started.</exception>
    public static async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, CommandSettings? settings = null,
        CancellationToken cancellationToken = default)
    {
        settings ??= new CommandSettings();
        var lines = new List<string>();
        var stdout = new List<string>();
        var stderr = new List<string>();
        void OnLine(string line, List<string> stream, bool isError)
        {
            lock (lines)
            {
                lines.Add(line);
                stream.Add(line);
                settings.OnLine?.Invoke(line, isError);
            }
        }

        var command = Cli.Wrap(program)
            .WithArguments(arguments)
            .WithEnvironmentVariables(settings.Environment)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => OnLine(line, stdout, false)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => OnLine(line, stderr, true)));
        if (settings.WorkingDirectory is not null)
            command = command.WithWorkingDirectory(settings.WorkingDirectory);
        if (settings.StandardInput is not null)
            command = command.WithStandardInputPipe(PipeSource.FromString(settings.StandardInput));

        var commandLine = CommandLine.Format(program, arguments);
        var stopwatch = Stopwatch.StartNew();
        int exitCode;
        try
        {
            exitCode = (await command.ExecuteAsync(cancellationToken).ConfigureAwait(false)).ExitCode;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            // CliWrap reports a missing executable or working directory this way.
            throw new CommandStartException(commandLine, ex);
        }

        lock (lines)
        {
            return new CommandResult(commandLine, exitCode, string.Join('\n', stdout), string.Join('\n', stderr), [.. lines], stopwatch.Elapsed);
        }
    }
}
