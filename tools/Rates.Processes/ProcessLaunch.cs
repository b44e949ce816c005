using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Rates.Processes;

/// <summary>Starts a <see cref="Process"/> from a program, its arguments and <see cref="CommandSettings"/>, its streams redirected (UTF-8).</summary>
internal static class ProcessLaunch
{
    /// <exception cref="CommandStartException">The program could not be started.</exception>
    public static Process Start(string program, IReadOnlyList<string> arguments, CommandSettings settings)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (settings.WorkingDirectory is not null)
            start.WorkingDirectory = settings.WorkingDirectory;
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in settings.Environment)
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }

        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException("the process did not start");
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            throw new CommandStartException(CommandLine.Format(program, arguments), ex);
        }
    }

    /// <summary>Kills the process and everything it started, if it still runs.</summary>
    public static void Kill(Process process)
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
}

/// <summary>The lines a process printed, in the order they came, the last <see cref="Capacity"/> of them kept.</summary>
internal sealed class OutputLines(Action<string, bool>? onLine)
{
    public const int Capacity = 5000;
    private readonly Queue<string> _lines = new();

    /// <summary>Receives the lines of <paramref name="process"/>'s standard output (unless <paramref name="standardOutput"/> is false) and error.</summary>
    public void Follow(Process process, bool standardOutput)
    {
        if (standardOutput)
        {
            process.OutputDataReceived += (_, e) => Add(e.Data, isError: false);
            process.BeginOutputReadLine();
        }

        process.ErrorDataReceived += (_, e) => Add(e.Data, isError: true);
        process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Snapshot()
    {
        lock (_lines)
            return [.. _lines];
    }

    public IReadOnlyList<string> Tail(int count)
    {
        lock (_lines)
            return _lines.Skip(Math.Max(0, _lines.Count - count)).ToList();
    }

    private void Add(string? line, bool isError)
    {
        if (line is null)
            return;
        lock (_lines)
        {
            if (_lines.Count == Capacity)
                _lines.Dequeue();
            _lines.Enqueue(line);
            onLine?.Invoke(line, isError);
        }
    }
}
