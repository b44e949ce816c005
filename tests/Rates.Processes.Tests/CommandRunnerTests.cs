namespace Rates.Processes.Tests;

public class CommandRunnerTests
{
    [Fact]
    public async Task A_command_that_fails_is_reported_with_its_exit_code_and_both_streams_in_order()
    {
        var result = await CommandRunner.RunAsync("sh", ["-c", "echo first; echo second >&2; exit 3"]);

        Assert.False(result.Succeeded);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("first", result.StandardOutput);
        Assert.Equal("second", result.StandardError);
        Assert.Equal(["first", "second"], result.Lines);
    }

    [Fact]
    public async Task Standard_input_and_environment_reach_the_command()
    {
        var result = await CommandRunner.RunAsync("sh", ["-c", "read line; echo \"$line $GREETING\"; echo \"${REMOVED-unset}\""], new CommandSettings
        {
            StandardInput = "hello\n",
            Environment = new Dictionary<string, string?> { ["GREETING"] = "world", ["REMOVED"] = null },
        });

        Assert.True(result.Succeeded, string.Join('\n', result.Lines));
        Assert.Equal(["hello world", "unset"], result.Lines);
    }

    [Fact]
    public async Task A_missing_program_cannot_be_started_and_says_which()
    {
        var error = await Assert.ThrowsAsync<CommandStartException>(() => CommandRunner.RunAsync("rates-no-such-program", ["--version"]));

        Assert.Equal("rates-no-such-program --version", error.CommandLine);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("two words")]
    [InlineData("it's")]
    [InlineData("$HOME `id` \"quoted\" \\ ;|&")]
    [InlineData("")]
    public async Task A_quoted_command_line_gives_a_shell_the_same_arguments(string argument)
    {
        var line = CommandLine.Format("printf", ["[%s]\\n", argument, "after"]);

        var result = await CommandRunner.RunAsync("sh", ["-c", line]);

        Assert.True(result.Succeeded, line);
        Assert.Equal([$"[{argument}]", "[after]"], result.Lines);
    }

    [Fact]
    public void Programs_are_found_on_path_and_missing_ones_are_not()
    {
        Assert.Equal("/bin/sh", ExecutableSearch.FindOnPath("sh")?.Replace("/usr/bin/", "/bin/", StringComparison.Ordinal));
        Assert.Null(ExecutableSearch.FindOnPath("rates-no-such-program"));
    }
}
