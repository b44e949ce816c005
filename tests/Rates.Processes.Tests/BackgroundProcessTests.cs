namespace Rates.Processes.Tests;

public class BackgroundProcessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    // The shell loops in short sleeps so that it runs its TERM trap within 0.1 s.
    private const string Loop = "echo ready; while true; do sleep 0.1; done";

    [Fact]
    public async Task A_process_that_dies_early_is_described_with_its_exit_code_and_last_lines()
    {
        await using var process = BackgroundProcess.Start("sh", ["-c", "echo starting; echo 'port 1 is taken' >&2; exit 7"]);

        Assert.Equal(7, await process.WaitForExitAsync(s_timeout));

        Assert.True(process.HasExited);
        Assert.Equal(7, process.ExitCode);
        var description = process.DescribeExit();
        Assert.Contains("exited with code 7", description);
        Assert.Contains("starting", description);
        Assert.Contains("port 1 is taken", description);
    }

    [Fact]
    public async Task Stop_lets_a_process_that_honours_sigterm_exit_by_itself()
    {
        var ready = new TaskCompletionSource();
        await using var process = BackgroundProcess.Start("sh", ["-c", "trap 'echo stopping; exit 0' TERM; " + Loop],
            new CommandSettings { OnLine = (line, _) => { if (line == "ready") ready.TrySetResult(); } });
        await ready.Task.WaitAsync(s_timeout);
        Assert.False(process.HasExited);

        var result = await process.StopAsync(s_timeout);

        Assert.False(result.Killed);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["ready", "stopping"], result.Lines);
    }

    [Fact]
    public async Task Stop_kills_a_process_that_ignores_sigterm_and_says_so()
    {
        var ready = new TaskCompletionSource();
        await using var process = BackgroundProcess.Start("sh", ["-c", "trap '' TERM; " + Loop],
            new CommandSettings { OnLine = (line, _) => { if (line == "ready") ready.TrySetResult(); } });
        await ready.Task.WaitAsync(s_timeout);

        var result = await process.StopAsync(TimeSpan.FromMilliseconds(500));

        Assert.True(result.Killed);
        Assert.False(result.Succeeded);
        Assert.True(process.HasExited);
    }

    [Fact]
    public async Task Stopping_cleanly_is_silent_for_an_exit_code_0_and_explains_anything_else()
    {
        await using var clean = BackgroundProcess.Start("sh", ["-c", "trap 'exit 0' TERM; " + Loop]);
        await using var failing = BackgroundProcess.Start("sh", ["-c", "trap 'echo cannot flush; exit 3' TERM; " + Loop]);
        await using var stubborn = BackgroundProcess.Start("sh", ["-c", "trap '' TERM; " + Loop]);
        await Task.Delay(500); // the traps are set

        Assert.Null(await clean.StopCleanlyAsync(s_timeout));
        var failed = await failing.StopCleanlyAsync(s_timeout);
        var killed = await stubborn.StopCleanlyAsync(TimeSpan.FromMilliseconds(300));

        Assert.NotNull(failed);
        Assert.Contains("exited with code 3", failed);
        Assert.Contains("cannot flush", failed);
        Assert.NotNull(killed);
        Assert.Contains("ignored SIGTERM", killed);
    }

    [Fact]
    public async Task A_background_process_reads_no_input_so_one_waiting_for_it_ends()
    {
        await using var process = BackgroundProcess.Start("sh", ["-c", "if read line; then exit 1; else echo 'end of input'; fi"]);

        Assert.Equal(0, await process.WaitForExitAsync(s_timeout));
        Assert.Equal(["end of input"], process.Tail(10));
    }

    [Fact]
    public async Task Waiting_for_a_process_that_still_runs_returns_no_exit_code()
    {
        await using var process = BackgroundProcess.Start("sleep", ["60"]);

        Assert.Null(await process.WaitForExitAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Null(process.ExitCode);
        Assert.Contains("is still running", process.DescribeExit());
    }

    [Fact]
    public async Task A_disposed_process_still_describes_how_it_ended()
    {
        var exited = BackgroundProcess.Start("sh", ["-c", "echo bye; exit 5"]);
        Assert.Equal(5, await exited.WaitForExitAsync(s_timeout));
        await exited.DisposeAsync();
        var killed = BackgroundProcess.Start("sleep", ["60"]);
        await killed.DisposeAsync();

        Assert.Contains("exited with code 5", exited.DescribeExit());
        Assert.Contains("bye", exited.DescribeExit());
        Assert.True(killed.HasExited);
        Assert.Contains("was stopped", killed.DescribeExit());
    }
}
