using System.Globalization;

namespace Rates.Build.Batches;

/// <summary>
/// Progress of a long generation: a live Spectre progress bar on a terminal, and on anything else (CI logs, output
/// redirected to a file, TERM=dumb) a plain line every few seconds, so logs stay readable and short runs print nothing.
/// </summary>
internal static class GenerationProgress
{
    /// <summary>How often the plain-text fallback prints a line.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    /// <summary>A live display needs a terminal that understands cursor movement.</summary>
    public static bool CanShowLiveBar(IAnsiConsole console) =>
        !Console.IsOutputRedirected && console.Profile.Capabilities.Ansi;

    /// <summary>Runs <paramref name="work"/>, which reports the number of items done so far out of <paramref name="total"/>.</summary>
    public static async Task<T> RunAsync<T>(IAnsiConsole console, string description, long total, Func<IProgress<long>, Task<T>> work)
    {
        if (!CanShowLiveBar(console))
            return await work(new PeriodicProgressLog(total, LogInterval, console.WriteLine, TimeProvider.System));

        // The build's console is deliberately non-interactive (Spectre would then only print milestones); the
        // live bar gets its own console on the same terminal. Nothing else writes while it runs.
        var live = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Profile.Out.Writer),
            Interactive = InteractionSupport.Yes,
        });
        return await live.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: total);
                var result = await work(new SynchronousProgress(done => task.Value = done));
                task.Value = total;
                return result;
            });
    }

    /// <summary>
    /// Calls back on the reporting thread. <see cref="Progress{T}"/> would post to the thread pool, and a late
    /// report could then arrive after the work finished.
    /// </summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

/// <summary>Writes "Generated 1,200,000 of 10,000,000 items (12%)" at most once per interval; nothing for quick runs.</summary>
internal sealed class PeriodicProgressLog(long total, TimeSpan interval, Action<string> write, TimeProvider time) : IProgress<long>
{
    private readonly long _started = time.GetTimestamp();
    private long _lastWritten = time.GetTimestamp();

    public void Report(long value)
    {
        var now = time.GetTimestamp();
        if (value >= total || time.GetElapsedTime(_lastWritten, now) < interval)
            return; // the summary that follows reports completion
        _lastWritten = now;
        var percent = total == 0 ? 100 : (int)(value * 100 / total);
        var elapsed = time.GetElapsedTime(_started, now);
        write(string.Create(CultureInfo.InvariantCulture,
            $"Generated {value:N0} of {total:N0} items ({percent}%) in {elapsed.TotalSeconds:0}s"));
    }
}
