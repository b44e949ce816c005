using Rates.Build.Framework;

namespace Rates.Build.Tests;

/// <summary>[UsedBy]: what the run header shows, what is warned about, and what --help Target lists.</summary>
public class ParameterUsageTests
{
    [ParameterPrefix("APP")]
    private sealed class UsageBuild : BuildBase
    {
        [Parameter("Build configuration.")]
        [UsedBy(nameof(Compile), nameof(Publish))]
        public string Configuration = "Debug";

        [Parameter("A dump to seed from.")]
        [UsedBy(nameof(DbSeed), nameof(Up))]
        public string? Dump;

        [Parameter("Name of the environment.")]
        [UsedBy(nameof(Up), nameof(Down), nameof(DbSeed))]
        public string Env = "dev";

        [Parameter("Also delete the data.")]
        [UsedBy(nameof(Down))]
        public bool Volumes;

        public List<string> Executed { get; } = [];

        Target Compile => _ => _.Description("Compiles.").Executes(() => Executed.Add(nameof(Compile)));
        Target Publish => _ => _.Description("Publishes.").DependsOn(Compile).Executes(() => Executed.Add(nameof(Publish)));
        Target Up => _ => _.Description("Brings the environment up.").DependsOn(Publish).Executes(() => Executed.Add(nameof(Up)));
        Target Down => _ => _.Description("Stops the environment.").Executes(() => Executed.Add(nameof(Down)));
        Target DbSeed => _ => _.Description("Reloads the data.").Executes(() => Executed.Add(nameof(DbSeed)));
    }

    /// <summary>The parameter names of the run header's table (between the plan line and the first target).</summary>
    private static List<string> HeaderParameters(string output)
    {
        var header = output[output.IndexOf("Plan:", StringComparison.Ordinal)..];
        header = header[..header.IndexOf("─ ", header.IndexOf('\n'), StringComparison.Ordinal)];
        return header.Split('\n').Where(l => l.StartsWith("│ ", StringComparison.Ordinal))
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries)[1]).Where(n => n is not "Parameter").ToList();
    }

    [Fact]
    public async Task The_header_lists_only_the_parameters_of_the_planned_targets()
    {
        var down = await TestHost.RunAsync(new UsageBuild(), "Down");
        var up = await TestHost.RunAsync(new UsageBuild(), "Up");

        Assert.Equal(0, down.ExitCode);
        Assert.Equal(["Env", "Volumes"], HeaderParameters(down.Output));
        Assert.Equal(["Configuration", "Dump", "Env"], HeaderParameters(up.Output)); // Configuration: Compile and Publish run first
    }

    [Fact]
    public async Task A_command_line_value_no_planned_target_uses_is_shown_and_warned_about_naming_its_targets()
    {
        var build = new UsageBuild();

        var result = await TestHost.RunAsync(build, "Down --dump rates.sql");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Down"], build.Executed);
        Assert.Contains("warning: --dump is not used by Down; it is used by DbSeed, Up.", result.Output);
        Assert.Equal(["Dump", "Env", "Volumes"], HeaderParameters(result.Output));
    }

    [Fact]
    public async Task Values_from_the_environment_that_no_planned_target_uses_are_neither_shown_nor_warned_about()
    {
        var result = await TestHost.RunAsync(new UsageBuild(), "Down", new Dictionary<string, string> { ["APP_DUMP"] = "rates.sql" });

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("warning", result.Output);
        Assert.Equal(["Env", "Volumes"], HeaderParameters(result.Output));
    }

    [Fact]
    public async Task Help_lists_targets_and_options_but_no_parameters()
    {
        var result = await TestHost.RunAsync(new UsageBuild(), "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"│ Up\s+│ Publish\s+│ Brings the environment up\.", result.Output);
        Assert.Contains("./build.sh --help <target>", result.Output);
        Assert.DoesNotContain("--volumes", result.Output);
        Assert.DoesNotContain("APP_DUMP", result.Output);
    }

    [Fact]
    public async Task Help_of_a_target_shows_its_description_dependencies_and_the_parameters_of_what_it_runs()
    {
        var build = new UsageBuild();

        var result = await TestHost.RunAsync(build, "--help Up");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(build.Executed);
        Assert.Contains("Brings the environment up.", result.Output);
        Assert.Contains("Depends on: Publish", result.Output);
        Assert.Contains("Runs:       Compile -> Publish -> Up", result.Output);
        Assert.Matches(@"│ Configuration\s+│ --configuration\s+│ string\s+│ Debug\s+│ Build configuration\. \(read by Compile, Publish\)", result.Output);
        Assert.Matches(@"│ Dump\s+│ --dump\s+│ string\s+│ \(none\)\s+│ A dump to seed from\.\s+│", result.Output);
        Assert.Matches(@"│\s+│ APP_ENV\s+│", result.Output);
        Assert.DoesNotContain("--volumes", result.Output);
        Assert.DoesNotContain("Stops the environment.", result.Output);
    }

    [Fact]
    public async Task Help_of_an_unknown_target_is_an_error()
    {
        var result = await TestHost.RunAsync(new UsageBuild(), "--help Upp");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.Contains("unknown target 'Upp'", result.Output);
    }

    private sealed class NoUsedByBuild : BuildBase
    {
        [Parameter("Port.")]
        public int Port = 1;

        Target Show => _ => _.Executes(() => { });
    }

    private sealed class UnknownUsedByBuild : BuildBase
    {
        [Parameter("Port.")]
        [UsedBy("Shwo")]
        public int Port = 1;

        Target Show => _ => _.Executes(() => { });
    }

    [Fact]
    public async Task A_parameter_must_name_the_targets_that_use_it()
    {
        var none = await TestHost.RunAsync(new NoUsedByBuild(), "Show");
        var unknown = await TestHost.RunAsync(new UnknownUsedByBuild(), "Show");

        Assert.Equal(BuildRunner.ExitUsage, none.ExitCode);
        Assert.Contains("Parameter 'Port' of NoUsedByBuild names no target: add [UsedBy(nameof(Target), ...)]", none.Output);
        Assert.Equal(BuildRunner.ExitUsage, unknown.ExitCode);
        Assert.Contains("Parameter 'Port' is [UsedBy] 'Shwo', which is not a target.", unknown.Output);
    }
}
