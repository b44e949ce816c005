using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rates.Processes;

/// <summary>
/// A process that runs beside the caller until it is stopped (a service, a server). Its output, both streams in the
/// order they came, is kept so that a message can show its last lines when it dies early or fails to stop cleanly.
/// Disposing kills it if it still runs.
/// </summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly OutputLines _output;
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private bool _killed;
    private int? _exitCodeAfterDispose;
    private bool _disposed;

    private BackgroundProcess(Process process, string commandLine, Action<string, bool>? onLine)
    {
        _process = process;
        CommandLine = commandLine;
        _output = new OutputLines(onLine);
        _output.Follow(process, standardOutput: true);
        process.StandardInput.Close(); // a background process reads nothing from the caller
    }

    /// <summary>The command as a shell reads it (for messages).</summary>
    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _disposed || _process.HasExited;

    /// <summary>The exit code once it has exited, else null (also after a dispose that had to kill it).</summary>
    public int? ExitCode => _disposed ? _exitCodeAfterDispose : _process.HasExited ? _process.ExitCode : null;

    /// <summary>The last <paramref name="count"/> lines it printed.</summary>
    public IReadOnlyList<string> Tail(int count) => _output.Tail(count);

    /// <exception cref="CommandStartException">The program could not be started.</exception>
    public static BackgroundProcess Start(string program, IReadOnlyList<string> arguments, CommandSettings? settings = null)
    {
        settings ??= new CommandSettings();
        if (settings.StandardInput is not null)
            throw new ArgumentException("A background process reads no standard input; use InteractiveProcess.", nameof(settings));
        var process = ProcessLaunch.Start(program, arguments, settings);
        return new BackgroundProcess(process, Rates.Processes.CommandLine.Format(program, arguments), settings.OnLine);
    }

    /// <summary>"`command` exited with code N" and its last lines, for the message of a process that died early.</summary>
    public string DescribeExit(int lines = 20)
    {
        var how = ExitCode is { } code ? $"exited with code {code}" : HasExited ? "was stopped" : "is still running";
        var tail = Tail(lines);
        return $"`{CommandLine}` {how}" +
            (tail.Count == 0 ? " and printed nothing." : $"; its last lines:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", tail)}");
    }

    /// <summary>Asks it to stop: SIGTERM (as docker stop, systemd or Kubernetes do); a kill on Windows.</summary>
    public void Terminate()
    {
        if (HasExited)
            return;
        if (OperatingSystem.IsWindows() || SendSignal(_process.Id, SigTerm) != 0)
            ProcessLaunch.Kill(_process);
    }

    /// <summary>Waits until it exits; its exit code, or null if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        _process.WaitForExit(); // the last lines of output
        return _process.ExitCode;
    }

    /// <summary>
    /// Stops it: SIGTERM, up to <paramref name="grace"/> to exit by itself, then a kill of it and everything it started.
    /// The result has its exit code and its output (both streams, in <see cref="CommandResult.Lines"/>);
    /// <see cref="CommandResult.Killed"/> says it had to be killed.
    /// </summary>
    public async Task<CommandResult> StopAsync(TimeSpan grace)
    {
        Terminate();
        if (await WaitForExitAsync(grace).ConfigureAwait(false) is null)
        {
            _killed = true;
            ProcessLaunch.Kill(_process);
            await _process.WaitForExitAsync().ConfigureAwait(false);
            _process.WaitForExit();
        }

        var lines = _output.Snapshot();
        return new CommandResult(CommandLine, _process.ExitCode, "", "", lines, _stopwatch.Elapsed) { Killed = _killed };
    }

    /// <summary>
    /// Stops it (<see cref="StopAsync"/>) where it should end cleanly: null when it exited by itself with code 0, else what
    /// went wrong with its last lines, for the caller's message.
    /// </summary>
    public async Task<string?> StopCleanlyAsync(TimeSpan grace)
    {
        var result = await StopAsync(grace).ConfigureAwait(false);
        if (result is { Killed: false, Succeeded: true })
            return null;
        return result.Killed ? $"it ignored SIGTERM for {grace.TotalSeconds:0.#} s and was killed; {DescribeExit()}" : DescribeExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        var exitedByItself = _process.HasExited && !_killed;
        ProcessLaunch.Kill(_process);
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _exitCodeAfterDispose = exitedByItself ? _process.ExitCode : null;
        _disposed = true;
        _process.Dispose();
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
