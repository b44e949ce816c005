using Rates.Build.Framework;

namespace Rates.Build.Tests;

/// <summary>Checks on the real build definition (targets added by any partial file).</summary>
public class RealBuildTests
{
    [Fact]
    public void The_build_definition_is_valid_Test_compiles_first_and_Up_publishes_only_what_it_runs()
    {
        var graph = BuildGraph.Create(new global::Build());

        Assert.Equal(["Restore", "Compile", "Test"], graph.Plan([graph.Find("Test")!]).Select(t => t.Name));
        Assert.Equal(["Publish"], graph.Plan([graph.Find("Publish")!]).Select(t => t.Name));
        Assert.Equal(["Restore", "Compile", "Publish"], graph.Plan([graph.Find("Publish")!, graph.Find("Compile")!]).Select(t => t.Name));
        Assert.Equal(["Clean", "Restore", "Compile"], graph.Plan([graph.Find("Compile")!, graph.Find("Clean")!]).Select(t => t.Name));
        Assert.All(graph.Targets, t => Assert.False(string.IsNullOrWhiteSpace(t.Description), $"{t.Name} has no description"));
    }

    [Fact]
    public void Every_parameter_of_the_build_has_a_description()
    {
        var parameters = ParameterDescriptor.Discover(new global::Build());

        Assert.Contains(parameters, p => p.Name == "Configuration" && p.CliName == "--configuration" && p.EnvironmentName == "RATES_CONFIGURATION");
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description), $"{p.Name} has no description"));
    }

    [Fact]
    public void Unrelated_variables_of_the_callers_shell_change_no_parameter_and_RATES_ones_do()
    {
        var parameters = ParameterDescriptor.Discover(new global::Build());
        var shell = new Dictionary<string, string>
        {
            ["ENV"] = "production", ["RUNTIME"] = "docker", ["DUMP"] = "/tmp/other.sql", ["env"] = "x", ["API_PORT"] = "8080",
            ["CONFIGURATION"] = "Release", ["VOLUMES"] = "true",
        };

        var unrelated = ParameterResolver.Resolve(parameters, new ParameterSources { Environment = shell });
        var prefixed = ParameterResolver.Resolve(parameters, new ParameterSources
        {
            Environment = new Dictionary<string, string>(shell) { ["RATES_ENV"] = "ci-a", ["RATES_VOLUMES"] = "true" },
        });

        Assert.Empty(unrelated.Errors);
        Assert.All(unrelated.Parameters, p => Assert.Equal("default", p.Source));
        Assert.Equal("ci-a", prefixed.Parameters.Single(p => p.Parameter.Name == "Env").Value);
        Assert.Equal("env RATES_ENV", prefixed.Parameters.Single(p => p.Parameter.Name == "Env").Source);
        Assert.Equal(true, prefixed.Parameters.Single(p => p.Parameter.Name == "Volumes").Value);
    }
}
