using Rates.Build.Framework;

namespace Rates.Build.Tests;

public class ProcessRunnerTests
{
    private readonly StringWriter _output = new();

    private ProcessRunner Runner(params string[] secrets) => new(_output, Path.GetTempPath(), secrets);

    [Fact]
    public async Task Captures_and_streams_output()
    {
        var result = await Runner().RunAsync("sh", ["-c", "echo out; echo err >&2"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("out", result.StandardOutput);
        Assert.Equal("err", result.StandardError);
        Assert.Contains("> sh -c 'echo out; echo err >&2'", _output.ToString());
        Assert.Contains("out", _output.ToString());
    }

    [Fact]
    public async Task Failure_shows_the_command_line_and_the_last_40_lines()
    {
        var ex = await Assert.ThrowsAsync<ProcessFailedException>(() =>
            Runner().RunAsync("sh", ["-c", "for i in $(seq 1 100); do echo line-$i; done; exit 3"]));

        Assert.Equal(3, ex.ExitCode);
        Assert.StartsWith("Command failed with exit code 3: sh -c 'for i in", ex.Message);
        Assert.Contains("Last 40 lines of output:", ex.Message);
        Assert.Contains("line-61", ex.Message);
        Assert.Contains("line-100", ex.Message);
        Assert.DoesNotContain("line-60\n", ex.Message.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Secrets_are_masked_in_the_command_line_echo_and_error()
    {
        var runner = Runner("s3cr3t-build-secret");

        var ex = await Assert.ThrowsAsync<ProcessFailedException>(() => runner.RunAsync("sh",
            ["-c", "echo using s3cr3t-build-secret and extra-value; exit 1", "s3cr3t-build-secret"],
            new ProcessOptions { Secrets = ["extra-value"] }));

        Assert.DoesNotContain("s3cr3t-build-secret", ex.Message);
        Assert.DoesNotContain("extra-value", ex.Message);
        Assert.Contains("using **** and ****", ex.Message);
        Assert.DoesNotContain("s3cr3t-build-secret", _output.ToString());
        Assert.DoesNotContain("extra-value", _output.ToString());
    }

    [Fact]
    public async Task A_secret_with_quotes_and_spaces_is_masked_in_the_command_line()
    {
        var ex = await Assert.ThrowsAsync<ProcessFailedException>(() =>
            Runner("it's a secret").RunAsync("sh", ["-c", "exit 1", "--password=it's a secret"]));

        Assert.Contains("sh -c 'exit 1' --password=****", ex.Message);
        Assert.DoesNotContain("secret", ex.Message);
    }

    [Fact]
    public async Task Extra_environment_variables_reach_the_process()
    {
        var result = await Runner().RunAsync("sh", ["-c", "echo \"$RATES_TEST_VALUE\""],
            new ProcessOptions { Environment = new Dictionary<string, string?> { ["RATES_TEST_VALUE"] = "from-options" }, Echo = false });

        Assert.Equal("from-options", result.StandardOutput);
        Assert.Equal("", _output.ToString()); // Echo = false: captured only
    }

    [Fact]
    public async Task Exit_code_check_can_be_turned_off()
    {
        var result = await Runner().RunAsync("sh", ["-c", "exit 4"], new ProcessOptions { CheckExitCode = false });

        Assert.Equal(4, result.ExitCode);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task A_missing_executable_is_reported_by_name()
    {
        var ex = await Assert.ThrowsAsync<ProcessFailedException>(() => Runner().RunAsync("rates-no-such-tool", ["--version"]));

        Assert.Null(ex.ExitCode);
        Assert.Contains("Could not start 'rates-no-such-tool'", ex.Message);
    }

    private sealed class ProcessBuild : BuildBase
    {
        [Parameter("Token.")]
        [Secret]
        [UsedBy(nameof(Call))]
        public string? Token;

        Target Call => _ => _.Executes(() => RunAsync("sh", ["-c", "echo token is $0; exit 2", Token!]));
    }

    [Fact]
    public async Task A_failing_command_in_a_target_fails_the_build_with_the_masked_command_line()
    {
        var result = await TestHost.RunAsync(new ProcessBuild(), "Call", new Dictionary<string, string> { ["Token"] = "tok-123456" });

        Assert.Equal(BuildRunner.ExitTargetFailed, result.ExitCode);
        Assert.Contains("Command failed with exit code 2: sh -c 'echo token is $0; exit 2' ****", result.Output);
        Assert.Contains("token is ****", result.Output);
        Assert.DoesNotContain("tok-123456", result.Output);
    }
}
