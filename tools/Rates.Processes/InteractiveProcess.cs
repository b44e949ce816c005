using System.Diagnostics;
using System.Text;

namespace Rates.Processes;

/// <summary>
/// A process that is talked to while it runs (a psql session, a REPL): its standard input is written piece by piece and
/// closed when done, its standard output read line by line as answers come; its standard error is kept for the message
/// when something goes wrong. Disposing closes the input and kills the process if it still runs.
/// </summary>
public sealed class InteractiveProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly OutputLines _errors;

    private InteractiveProcess(Process process, string commandLine, Action<string, bool>? onLine)
    {
        _process = process;
        CommandLine = commandLine;
        _errors = new OutputLines(onLine);
        _errors.Follow(process, standardOutput: false);
    }

    /// <summary>The command as a shell reads it (for messages).</summary>
    public string CommandLine { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to standard error so far.</summary>
    public string StandardError => string.Join('\n', _errors.Snapshot());

    /// <exception cref="CommandStartException">The program could not be started.</exception>
    public static InteractiveProcess Start(string program, IReadOnlyList<string> arguments, CommandSettings? settings = null)
    {
        settings ??= new CommandSettings();
        var process = ProcessLaunch.Start(program, arguments, settings);
        return new InteractiveProcess(process, Rates.Processes.CommandLine.Format(program, arguments), settings.OnLine);
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to the process's standard input and flushes it.</summary>
    /// <exception cref="IOException">The process no longer reads its input (it has exited).</exception>
    public async Task WriteAsync(string text, CancellationToken cancellationToken)
    {
        var input = _process.StandardInput.BaseStream;
        await input.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await input.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams <paramref name="source"/> to the process's standard input, as is.</summary>
    /// <exception cref="IOException">The process no longer reads its input (it has exited).</exception>
    public async Task WriteAsync(Stream source, CancellationToken cancellationToken)
    {
        var input = _process.StandardInput.BaseStream;
        await source.CopyToAsync(input, 1 << 16, cancellationToken).ConfigureAwait(false);
        await input.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the standard input (end of file for the process); quiet when the process is already gone.</summary>
    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The pipe is already broken: the process has exited.
        }
    }

    /// <summary>The next line of standard output (trimmed), or null once the process has closed it.</summary>
    /// <exception cref="TimeoutException">No line came within <paramref name="timeout"/>; the process has been killed.</exception>
    public async Task<string?> ReadLineAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var read = _process.StandardOutput.ReadLineAsync(cancellationToken).AsTask();
        if (await Task.WhenAny(read, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false) != read)
        {
            ProcessLaunch.Kill(_process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{CommandLine} wrote no line within {timeout.TotalSeconds:0} s.");
        }

        return (await read.ConfigureAwait(false))?.Trim();
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    /// <exception cref="TimeoutException">It still ran after <paramref name="timeout"/>; it has been killed.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ProcessLaunch.Kill(_process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{CommandLine} still ran after {timeout.TotalSeconds:0} s.");
        }

        _process.WaitForExit(); // the last lines of standard error
        return _process.ExitCode;
    }

    /// <summary>Kills the process (and what it started) now.</summary>
    public void Kill() => ProcessLaunch.Kill(_process);

    public async ValueTask DisposeAsync()
    {
        CloseInput();
        ProcessLaunch.Kill(_process);
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _process.Dispose();
    }
}
