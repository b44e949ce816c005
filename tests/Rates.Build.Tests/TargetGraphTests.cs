using Rates.Build.Framework;

namespace Rates.Build.Tests;

public class TargetGraphTests
{
    /// <summary>Restore ← Compile ← {Test, Pack}; Clean orders itself before Restore; Report orders itself after Test.</summary>
    private sealed class OrderBuild : BuildBase
    {
        public List<string> Executed { get; } = [];

        Target Clean => _ => _.Before(Restore).Executes(() => Executed.Add(nameof(Clean)));
        Target Restore => _ => _.Description("Restores.").Executes(() => Executed.Add(nameof(Restore)));
        Target Compile => _ => _.DependsOn(Restore).Executes(() => Executed.Add(nameof(Compile)));
        Target Test => _ => _.DependsOn(Compile).Executes(async () => { await Task.Yield(); Executed.Add(nameof(Test)); });
        Target Pack => _ => _.DependsOn(Compile).Executes(() => Executed.Add(nameof(Pack)));
        Target Report => _ => _.After(Test).Executes(() => Executed.Add(nameof(Report)));
    }

    [Theory]
    [InlineData("Test", "Restore Compile Test")]
    [InlineData("Test Compile", "Restore Compile Test")] // each target once, dependencies first
    [InlineData("Compile Test Compile", "Restore Compile Test")]
    [InlineData("Pack Test", "Restore Compile Pack Test")] // ties follow the command line
    [InlineData("test", "Restore Compile Test")] // target names are case-insensitive
    [InlineData("Report", "Report")] // After only orders: it schedules nothing
    [InlineData("Report Test", "Restore Compile Test Report")]
    [InlineData("Clean", "Clean")]
    [InlineData("Compile Clean", "Clean Restore Compile")] // Before only orders
    public async Task Runs_requested_targets_with_dependencies_in_order(string args, string expected)
    {
        var build = new OrderBuild();

        var result = await TestHost.RunAsync(build, args);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, string.Join(' ', build.Executed));
    }

    [Fact]
    public async Task Plan_prints_the_order_without_running_anything()
    {
        var build = new OrderBuild();

        var result = await TestHost.RunAsync(build, "--plan Report Test");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(build.Executed);
        Assert.Contains("1. Restore\n  2. Compile\n  3. Test\n  4. Report", result.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Closing_table_lists_every_planned_target_with_its_status()
    {
        var result = await TestHost.RunAsync(new OrderBuild(), "Test");

        Assert.Equal("Executed", result.StatusOf("Restore"));
        Assert.Equal("Executed", result.StatusOf("Compile"));
        Assert.Equal("Executed", result.StatusOf("Test"));
        Assert.Contains("Build succeeded", result.Output);
    }

    [Fact]
    public async Task Unknown_target_fails_and_lists_known_targets()
    {
        var build = new OrderBuild();

        var result = await TestHost.RunAsync(build, "Test NoSuchTarget");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.Contains("unknown target 'NoSuchTarget'. Known targets: Clean, Compile, Pack, Report, Restore, Test", result.Output);
        Assert.Empty(build.Executed);
    }

    [Fact]
    public async Task Unknown_option_is_reported_as_an_option()
    {
        var result = await TestHost.RunAsync(new OrderBuild(), "Test --no-such-option");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.Contains("unknown option '--no-such-option'", result.Output);
    }

    [Fact]
    public async Task No_target_prints_help()
    {
        var build = new OrderBuild();

        var result = await TestHost.RunAsync(build, "");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage: ./build.sh", result.Output);
        Assert.Empty(build.Executed);
    }

    [Theory]
    [InlineData("Test --skip Compile", "Restore Test", "Compile")]
    [InlineData("Test --skip Compile,Restore", "Test", "Compile")]
    [InlineData("Test --skip Pack", "Restore Compile Test", null)] // skipping an unscheduled target is fine
    [InlineData("Test --skip", "Test", "Restore")] // bare --skip: only the named targets run
    public async Task Skip_reports_skipped_targets_and_runs_the_rest(string args, string expected, string? skipped)
    {
        var build = new OrderBuild();

        var result = await TestHost.RunAsync(build, args);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, string.Join(' ', build.Executed));
        if (skipped is not null)
            Assert.Equal("Skipped", result.StatusOf(skipped));
    }

    [Fact]
    public async Task Skip_of_an_unknown_target_is_an_error()
    {
        var build = new OrderBuild();

        var result = await TestHost.RunAsync(build, "Test --skip Compil");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.Contains("unknown target 'Compil'", result.Output);
        Assert.Empty(build.Executed);
    }

    private sealed class FailingBuild : BuildBase
    {
        public List<string> Executed { get; } = [];

        Target Restore => _ => _.Executes(() => Executed.Add(nameof(Restore)));
        Target Compile => _ => _.DependsOn(Restore).Executes(() => throw new BuildFailedException("compiler said no"));
        Target Test => _ => _.DependsOn(Compile).Executes(() => Executed.Add(nameof(Test)));
        Target Crash => _ => _.Executes(() => throw new InvalidOperationException("unexpected"));
    }

    [Fact]
    public async Task A_failing_target_stops_the_build_and_exits_non_zero()
    {
        var build = new FailingBuild();

        var result = await TestHost.RunAsync(build, "Test");

        Assert.Equal(BuildRunner.ExitTargetFailed, result.ExitCode);
        Assert.Equal(["Restore"], build.Executed);
        Assert.Equal("Executed", result.StatusOf("Restore"));
        Assert.Equal("Failed", result.StatusOf("Compile"));
        Assert.Equal("NotRun", result.StatusOf("Test"));
        Assert.Contains("Target 'Compile' failed: compiler said no", result.Output);
        Assert.Contains("Build failed (Compile)", result.Output);
    }

    [Fact]
    public async Task An_unexpected_exception_shows_its_stack_trace()
    {
        var result = await TestHost.RunAsync(new FailingBuild(), "Crash");

        Assert.Equal(BuildRunner.ExitTargetFailed, result.ExitCode);
        Assert.Contains("System.InvalidOperationException: unexpected", result.Output);
        Assert.Contains(" at ", result.Output);
    }

    private sealed class CycleBuild : BuildBase
    {
        public bool Ran { get; private set; }

        Target Alpha => _ => _.DependsOn(Beta).Executes(() => Ran = true);
        Target Beta => _ => _.After(Gamma).Executes(() => Ran = true);
        Target Gamma => _ => _.DependsOn(Alpha).Executes(() => Ran = true);
        Target Unrelated => _ => _.Executes(() => Ran = true);
    }

    private sealed class BeforeCycleBuild : BuildBase
    {
        Target First => _ => _.Before(Second).Executes(() => { });
        Target Second => _ => _.Before(First).Executes(() => { });
    }

    [Fact]
    public async Task A_cycle_is_reported_at_start_up_with_the_targets_in_it()
    {
        var build = new CycleBuild();

        var result = await TestHost.RunAsync(build, "Unrelated");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.False(build.Ran);
        Assert.Contains("Dependency cycle between targets", result.Output);
        // Alpha needs Beta, Beta comes after Gamma, Gamma needs Alpha.
        Assert.Contains("Alpha -> Gamma -> Beta -> Alpha", result.Output);
        Assert.DoesNotContain("Unrelated ->", result.Output);
    }

    [Fact]
    public void A_cycle_through_Before_is_detected()
    {
        var ex = Assert.Throws<BuildDefinitionException>(() => BuildGraph.Create(new BeforeCycleBuild()));

        Assert.Equal("Dependency cycle between targets (each must run before the next): First -> Second -> First", ex.Message);
    }

    private sealed class ConditionalBuild : BuildBase
    {
        private bool _prepared;

        public List<string> Executed { get; } = [];

        Target Prepare => _ => _.Executes(() => { _prepared = true; Executed.Add(nameof(Prepare)); });
        Target Docker => _ => _.OnlyWhen("Docker is available", () => false).Executes(() => Executed.Add(nameof(Docker)));
        Target Unnamed => _ => _.OnlyWhen(() => false).Executes(() => Executed.Add(nameof(Unnamed)));
        // Conditions are checked when the target is reached, after its dependencies ran.
        Target UsePrepared => _ => _.DependsOn(Prepare).OnlyWhen("prepared", () => _prepared).Executes(() => Executed.Add(nameof(UsePrepared)));
        Target Deploy => _ => _.DependsOn(Docker, Unnamed).Executes(() => Executed.Add(nameof(Deploy)));
    }

    [Fact]
    public async Task OnlyWhen_skips_with_the_reason_and_dependents_still_run()
    {
        var build = new ConditionalBuild();

        var result = await TestHost.RunAsync(build, "Deploy");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Deploy"], build.Executed);
        Assert.Equal("Skipped", result.StatusOf("Docker"));
        Assert.Contains("condition not met: Docker is available", result.Output);
        Assert.Equal("Skipped", result.StatusOf("Unnamed"));
        Assert.Contains("Skipped (condition not met).", result.Output);
    }

    [Fact]
    public async Task OnlyWhen_is_evaluated_when_the_target_is_reached()
    {
        var build = new ConditionalBuild();

        var result = await TestHost.RunAsync(build, "UsePrepared");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Prepare", "UsePrepared"], build.Executed);
    }

    [ParameterPrefix("APP")]
    private sealed class RequiresBuild : BuildBase
    {
        [Parameter("Path of a dump.")]
        [UsedBy(nameof(Up))]
        public string? Dump;

        [Parameter("Names.")]
        [UsedBy(nameof(Greet))]
        public string[] Names = [];

        public List<string> Executed { get; } = [];

        Target Prepare => _ => _.Executes(() => Executed.Add(nameof(Prepare)));
        Target Up => _ => _.DependsOn(Prepare).Requires(() => Dump).Executes(() => Executed.Add(nameof(Up)));
        Target Greet => _ => _.Requires(() => Names).Executes(() => Executed.Add(nameof(Greet)));
    }

    [Fact]
    public async Task Requires_fails_before_any_target_runs_naming_the_parameter()
    {
        var build = new RequiresBuild();

        var result = await TestHost.RunAsync(build, "Up Greet");

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.Empty(build.Executed);
        Assert.Contains("Target 'Up' requires parameter 'Dump' (--dump / APP_DUMP)", result.Output);
        Assert.Contains("Target 'Greet' requires parameter 'Names' (--names / APP_NAMES)", result.Output);
    }

    [Theory]
    [InlineData("Up --dump rates.sql")]
    [InlineData("Up --skip Up")] // a skipped target's requirements do not matter
    public async Task Requires_is_met_by_a_value_or_by_skipping_the_target(string args)
    {
        var build = new RequiresBuild();

        var result = await TestHost.RunAsync(build, args);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Prepare", build.Executed);
    }

    [Fact]
    public async Task Requires_treats_blank_values_as_missing()
    {
        var result = await TestHost.RunAsync(new RequiresBuild(), "Up", new Dictionary<string, string> { ["APP_DUMP"] = "  " });

        Assert.Equal(BuildRunner.ExitUsage, result.ExitCode);
        Assert.Contains("requires parameter 'Dump'", result.Output);
    }

    private sealed class ForeignReferenceBuild : BuildBase
    {
        public Target Uses => _ => _.DependsOn(_ => _);
    }

    [Fact]
    public void A_dependency_that_is_not_a_target_property_is_a_definition_error()
    {
        var ex = Assert.Throws<BuildDefinitionException>(() => BuildGraph.Create(new ForeignReferenceBuild()));

        Assert.Contains("Target 'Uses' refers to a target that is not a Target property", ex.Message);
    }
}
