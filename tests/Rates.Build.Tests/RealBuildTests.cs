using Rates.Build.Framework;

namespace Rates.Build.Tests;

/// <summary>Checks on the real build definition (targets added by any partial file).</summary>
public class RealBuildTests
{
    [Fact]
    public void The_build_definition_is_valid_and_Test_and_Publish_compile_first()
    {
        var graph = BuildGraph.Create(new global::Build());

        Assert.Equal(["Restore", "Compile", "Test"], graph.Plan([graph.Find("Test")!]).Select(t => t.Name));
        Assert.Equal(["Restore", "Compile", "Publish"], graph.Plan([graph.Find("Publish")!]).Select(t => t.Name));
        Assert.Equal(["Clean", "Restore", "Compile"], graph.Plan([graph.Find("Compile")!, graph.Find("Clean")!]).Select(t => t.Name));
        Assert.All(graph.Targets, t => Assert.False(string.IsNullOrWhiteSpace(t.Description), $"{t.Name} has no description"));
    }

    [Fact]
    public void Every_parameter_of_the_build_has_a_description()
    {
        var parameters = ParameterDescriptor.Discover(new global::Build());

        Assert.Contains(parameters, p => p.Name == "Configuration" && p.CliName == "--configuration" && p.EnvironmentName == "CONFIGURATION");
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description), $"{p.Name} has no description"));
    }
}
