using System.Text;

namespace Rates.Processes.Tests;

public class InteractiveProcessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Each_line_written_is_answered_before_the_next_is_sent()
    {
        await using var session = InteractiveProcess.Start("sh", ["-c", "while read line; do echo \"got $line\"; done"]);

        await session.WriteAsync("one\n", CancellationToken.None);
        Assert.Equal("got one", await session.ReadLineAsync(s_timeout, CancellationToken.None));
        await session.WriteAsync("two\n", CancellationToken.None);
        Assert.Equal("got two", await session.ReadLineAsync(s_timeout, CancellationToken.None));

        session.CloseInput();
        Assert.Null(await session.ReadLineAsync(s_timeout, CancellationToken.None));
        Assert.Equal(0, await session.WaitForExitAsync(s_timeout, CancellationToken.None));
    }

    [Fact]
    public async Task A_streamed_input_arrives_byte_for_byte()
    {
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"row {i},ünïcode\n"));
        await using var session = InteractiveProcess.Start("sh", ["-c", "wc -c; cksum"]);

        // wc reads everything; cksum sees nothing left. The byte count proves the whole stream arrived.
        await session.WriteAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        session.CloseInput();

        Assert.Equal(Encoding.UTF8.GetByteCount(text).ToString(System.Globalization.CultureInfo.InvariantCulture),
            await session.ReadLineAsync(s_timeout, CancellationToken.None));
        Assert.Equal(0, await session.WaitForExitAsync(s_timeout, CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_session_keeps_its_standard_error_and_exit_code()
    {
        await using var session = InteractiveProcess.Start("sh", ["-c", "read line; echo \"refused: $line\" >&2; exit 4"]);

        await session.WriteAsync("bad input\n", CancellationToken.None);

        Assert.Null(await session.ReadLineAsync(s_timeout, CancellationToken.None));
        Assert.Equal(4, await session.WaitForExitAsync(s_timeout, CancellationToken.None));
        Assert.Equal("refused: bad input", session.StandardError);
    }

    [Fact]
    public async Task A_process_that_never_answers_times_out_and_is_killed()
    {
        await using var session = InteractiveProcess.Start("sleep", ["60"]);

        await Assert.ThrowsAsync<TimeoutException>(() => session.ReadLineAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));

        Assert.NotEqual(0, await session.WaitForExitAsync(s_timeout, CancellationToken.None));
    }

    [Fact]
    public async Task Writing_to_a_process_that_has_exited_fails_instead_of_hanging()
    {
        await using var session = InteractiveProcess.Start("sh", ["-c", "exit 2"]);
        Assert.Equal(2, await session.WaitForExitAsync(s_timeout, CancellationToken.None));

        await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var i = 0; i < 100; i++)
                await session.WriteAsync(new MemoryStream(new byte[1 << 16]), CancellationToken.None);
        });
    }
}
